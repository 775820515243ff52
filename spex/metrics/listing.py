"""Metrics room: one page of a long per-material table, and the search that narrows it to the
materials whose code or grade holds what was typed (e.g. "303" or "6061")."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, Sequence, TypeVar

Row = TypeVar("Row")


@dataclass(frozen=True)
class Page(Generic[Row]):
    rows: Sequence[Row]
    page: int  # 1-based, never past the last page
    pages: int
    total: int  # rows found, on every page


def matching(lines: Sequence[Row], query: str) -> list[Row]:
    """The lines (each with a .material) whose material code or grade holds the query, in their order."""
    needle = query.casefold()
    if not needle:
        return list(lines)
    return [line for line in lines
            if needle in (line.material.code or "").casefold() or needle in (line.material.grade or "").casefold()]


def page_of(rows: Sequence[Row], page: int, size: int) -> Page[Row]:
    """Rows `size` at a time; a page past the end shows the last one."""
    pages = max(1, -(-len(rows) // size))
    page = min(max(page, 1), pages)
    return Page(rows[(page - 1) * size:page * size], page, pages, len(rows))

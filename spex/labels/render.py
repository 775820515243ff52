"""One entry point for every label output: a layout and a record in, PNG / PDF / ZPL bytes out."""
from __future__ import annotations

from typing import Any, Iterable, Mapping

from .code128 import SymbolError
from .layouts import LabelError, PlacedLabel, load_layout, place
from .pdf import render_pdf, render_sheet_pdf, sheets
from .png import render_png
from .zpl import render_zpl

OUTPUTS = ("png", "pdf", "zpl")
MEDIA_TYPES = {"png": "image/png", "pdf": "application/pdf", "zpl": "application/zpl"}
MAX_COPIES = 500  # a slip of the thumb on the keypad should not empty a roll of labels
MAX_PDF_LABELS = 2000  # a PDF repeats every copy as a page or sheet slot; keep files printable


def check_copies(copies: Any) -> int:
    try:
        number = int(copies)
    except (TypeError, ValueError):
        raise LabelError(f"copies must be a whole number, not '{copies}'") from None
    if number < 1 or number > MAX_COPIES:
        raise LabelError(f"copies must be between 1 and {MAX_COPIES}")
    return number


def place_label(kind: str, values: Mapping[str, Any], dpi: int | None = None,
                directory=None) -> PlacedLabel:
    try:
        return place(load_layout(kind, directory), values, dpi)
    except SymbolError as exc:
        raise LabelError(str(exc)) from exc


def render_labels(kind: str, records: Iterable[Mapping[str, Any]], output: str,
                  dpi: int | None = None, copies: int = 1, sheet: str | None = None,
                  directory=None) -> bytes:
    """Every record as one label (times `copies`). PNG holds one label only; PDF puts one
    label per page, or fills a Letter/A4 sheet when `sheet` is named; ZPL repeats with ^PQ."""
    if output not in OUTPUTS:
        raise LabelError(f"unknown output '{output}' (png, pdf or zpl)")
    copies = check_copies(copies)
    placed = [place_label(kind, record, dpi, directory) for record in records]
    if not placed:
        raise LabelError("no records to print")
    if output == "png":
        if len(placed) != 1 or copies != 1:
            raise LabelError("a PNG holds one label; choose PDF or ZPL for a batch")
        return render_png(placed[0])
    if output == "zpl":
        return "".join(render_zpl(label, copies) for label in placed).encode("utf-8")
    if len(placed) * copies > MAX_PDF_LABELS:
        raise LabelError(f"{len(placed)} labels x {copies} copies is more than {MAX_PDF_LABELS} in one "
                         f"PDF; print fewer copies, or send ZPL (the printer repeats copies itself)")
    repeated = [label for label in placed for _ in range(copies)]
    if sheet:
        known = sheets(directory)
        if sheet not in known:
            raise LabelError(f"unknown sheet '{sheet}'")
        return render_sheet_pdf(repeated, known[sheet])
    return render_pdf(repeated)

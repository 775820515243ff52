"""Ways into the label station from the other rooms: a job's traveler, a bar's, lot's, bin's or
FG lot's label. Print links are only offered to people who may print, so nobody is sent to a 403."""
from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from flask_login import current_user

from spex import codes

# Everyone but a plain operator may print; operators see the station and its previews.
PRINT_ROLES = (codes.MATERIAL_HANDLER, codes.INSPECTOR, codes.SHIPPING, codes.PLANNER, codes.ADMIN)


def may_print() -> bool:
    return current_user.is_authenticated and current_user.has_role(*PRINT_ROLES)


def print_label_url(code: str) -> str | None:
    """The label station opened on a code (LOT-, BIN-, FG-, JOB-), for someone who may print it."""
    return url_for("labels.index", q=code) if may_print() else None


@dataclass
class JobLinks:
    """The printed side of a job: its traveler on screen and as PDF, and its finished-goods labels."""
    traveler: str
    traveler_pdf: str | None
    fg_labels: str | None
    outside_tags: dict[int, str]  # op seq -> its outside-process tag at the label station


def job_links(number: str, has_finished_goods: bool, outside_seqs=()) -> JobLinks:
    printer = may_print()
    return JobLinks(
        traveler=url_for("labels.traveler", number=number),
        traveler_pdf=url_for("labels.traveler_pdf", number=number) if printer else None,
        # The label station finds a job's FG lots from JOB-<number>; with none yet it has nothing to print.
        fg_labels=url_for("labels.index", q=f"{codes.JOB}{number}") if printer and has_finished_goods else None,
        outside_tags={seq: url_for("labels.index", q=f"{codes.JOB}{number}-{seq}") for seq in outside_seqs}
        if printer else {},
    )

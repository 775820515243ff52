"""Non-conformance reports: every quality hold opens one (NCR-0001); an inspector records the cause,
the disposition (which releases the hold) and the corrective action, and closes it.

This module writes only NCR rows; it is what the shop floor's holds call, so it imports nothing of
the floor. Giving a disposition moves pieces, so that is spex.quality.inspection's."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from spex import codes
from spex.ledger import LedgerError
from spex.models import Job, NonConformance, Part, QualityHold, User, utcnow

STATUSES = {"open": "Open", "closed": "Closed", "all": "All"}


class NcrError(LedgerError):
    """An NCR change refused; the message says why."""


def _next_number(session: Session) -> str:
    highest = session.scalar(select(func.max(NonConformance.id))) or 0
    return f"{codes.NCR_PREFIX}{highest + 1:04d}"


def open_ncr(session: Session, hold: QualityHold, *, user: User | None) -> NonConformance:
    """The report a new hold opens: the part, job, operation and quantity held, and what was found."""
    reason = codes.HOLD_REASONS.get(hold.reason_code, hold.reason_code)
    with session.no_autoflush:  # a new hold waits to be written with its report, in one flush
        number = _next_number(session)
    part_id = session.get(Job, hold.job_id).part_id  # the hold may not be written yet: its job by id
    ncr = NonConformance(number=number, hold=hold, job_id=hold.job_id,
                         job_operation_id=hold.job_operation_id, part_id=part_id, quantity=hold.quantity,
                         problem=f"{reason}: {hold.note}" if hold.note else reason,
                         found_by_id=user.id if user else None, found_at=hold.placed_at or utcnow(), status="open")
    session.add(ncr)
    return ncr


def of_hold(session: Session, hold: QualityHold) -> NonConformance | None:
    return session.scalar(select(NonConformance).where(NonConformance.hold_id == hold.id))


def hold_released(session: Session, hold: QualityHold, *, user: User | None) -> None:
    """The hold got its disposition (at a station or on the NCR's page): the report records who decided."""
    ncr = of_hold(session, hold)
    if ncr is None:
        return
    ncr.disposition = hold.disposition
    ncr.decided_by_id = user.id if user else None
    ncr.decided_at = hold.released_at


def hold_undone(session: Session, hold: QualityHold, *, user_id: int | None, when: datetime) -> None:
    """A hold placed in error and undone: its report closes, saying so."""
    ncr = of_hold(session, hold)
    if ncr is None or not ncr.is_open:
        return
    ncr.corrective_action = "None: the hold was placed in error and undone."
    ncr.status, ncr.closed_by_id, ncr.closed_at = "closed", user_id, when


def _inspector(user: User | None) -> None:
    if user is None or not user.has_role(codes.INSPECTOR):
        raise NcrError("Only an inspector may record an NCR's cause, disposition or closing.")


def _still_open(ncr: NonConformance) -> None:
    if not ncr.is_open:
        raise NcrError(f"{ncr.number} is closed.")


def record_cause(session: Session, ncr: NonConformance, cause: str, note: str | None, *, user: User) -> None:
    _inspector(user)
    _still_open(ncr)
    if cause not in codes.NCR_CAUSES:
        raise NcrError("Choose a cause from the list.")
    ncr.cause = cause
    ncr.cause_note = (note or "").strip()[:2000] or None


def close(session: Session, ncr: NonConformance, corrective_action: str | None, *, user: User) -> None:
    """Close a report once it says why it happened, what became of the pieces and what stops it again."""
    _inspector(user)
    _still_open(ncr)
    action = (corrective_action or "").strip()[:2000]
    missing = [what for what, value in (("a cause", ncr.cause), ("a disposition", ncr.disposition),
                                        ("the corrective action", action)) if not value]
    if missing:
        raise NcrError(f"{ncr.number} cannot close without " + " and ".join(missing) + ".")
    ncr.corrective_action = action
    ncr.status, ncr.closed_by_id, ncr.closed_at = "closed", user.id, utcnow()


# --- reading -------------------------------------------------------------------------------------

@dataclass
class Filters:
    status: str = "open"
    part: str = ""
    job: str = ""
    cause: str = ""

    @classmethod
    def from_args(cls, args) -> "Filters":
        status = args.get("status", "open")
        cause = args.get("cause", "")
        return cls(status=status if status in STATUSES else "open",
                   part=(args.get("part") or "").strip()[:40],
                   job=(args.get("job") or "").strip().upper().removeprefix(codes.JOB)[:40],
                   cause=cause if cause in codes.NCR_CAUSES else "")

    def query(self) -> dict:
        return {k: v for k, v in vars(self).items() if v}


def find(session: Session, number: str) -> NonConformance | None:
    number = (number or "").strip().upper()[:20]
    return session.scalar(select(NonConformance).where(NonConformance.number == number)
                          .options(joinedload(NonConformance.hold), joinedload(NonConformance.job),
                                   joinedload(NonConformance.part), joinedload(NonConformance.operation)))


def listed(session: Session, filters: Filters, *, limit: int = 500) -> list[NonConformance]:
    stmt = (select(NonConformance).join(Job, Job.id == NonConformance.job_id)
            .join(Part, Part.id == NonConformance.part_id)
            .options(joinedload(NonConformance.job), joinedload(NonConformance.part),
                     joinedload(NonConformance.hold), joinedload(NonConformance.operation),
                     joinedload(NonConformance.found_by),
                     joinedload(NonConformance.decided_by), joinedload(NonConformance.closed_by))
            .order_by(NonConformance.id.desc()).limit(limit))
    if filters.status != "all":
        stmt = stmt.where(NonConformance.status == filters.status)
    if filters.part:
        stmt = stmt.where(Part.number.ilike(f"%{filters.part}%"))
    if filters.job:
        stmt = stmt.where(Job.number == filters.job)
    if filters.cause:
        stmt = stmt.where(NonConformance.cause == filters.cause)
    return list(session.scalars(stmt).unique())


def numbers_of_holds(session: Session, hold_ids) -> dict[int, str]:
    """hold id → NCR number, for pages and the board that show holds."""
    ids = list(hold_ids)
    if not ids:
        return {}
    return dict(session.execute(select(NonConformance.hold_id, NonConformance.number)
                                .where(NonConformance.hold_id.in_(ids))).all())


@dataclass
class CauseRow:
    cause: str
    label: str
    reports: int
    pieces: int
    share: float        # of all reports with a cause
    cumulative: float   # running share, most frequent first: the Pareto line


def cause_pareto(session: Session, start: datetime, end: datetime) -> list[CauseRow]:
    """NCRs found in the period by cause, most reports first, with the running share (the Pareto)."""
    rows = session.execute(
        select(NonConformance.cause, func.count(NonConformance.id), func.sum(NonConformance.quantity))
        .where(NonConformance.found_at >= start, NonConformance.found_at < end, NonConformance.cause.is_not(None))
        .group_by(NonConformance.cause)).all()
    total = sum(count for _, count, _ in rows)
    ordered = sorted(rows, key=lambda r: (-r[1], -(r[2] or 0), r[0]))
    found, running = [], 0
    for cause, count, pieces in ordered:
        running += count
        found.append(CauseRow(cause, codes.NCR_CAUSES.get(cause, cause), count, int(pieces or 0),
                              count / total, running / total))
    return found

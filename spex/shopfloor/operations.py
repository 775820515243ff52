"""Work at an in-house operation: started, good pieces passed on, pieces scrapped."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from spex import codes, ledger
from spex.models.people import Worker
from spex.models import JobOperation, Station, utcnow
from spex.shopfloor.rules import (FloorError, Step, _ids, require_role, piece_count, _pieces_with_reason, following_step,
                                  _onward, _stamp_activity, _scrap_location, _job_open, _enough,
                                  _settle_operation, _settle_job, reopen)


@dataclass(frozen=True)
class Completion:
    """What a completion learned: its entry, the pieces still at the operation, and the operation
    the good pieces went on to (None: they are finished, waiting to be put away)."""
    entry: ledger.LedgerEntry
    left_here: int
    following: Step | None


@dataclass(frozen=True)
class Scrapped:
    """What scrapping learned: its entry and the pieces still at the operation."""
    entry: ledger.LedgerEntry
    left_here: int


# --- operations --------------------------------------------------------------------------------

def start_operation(session: Session, op: JobOperation, *, user: Worker, station: Station | None = None) -> None:
    require_role(user, "complete")
    _job_open(op.job)
    if op.is_outside:
        raise FloorError(f"Op {op.seq} is an outside process ({op.description}); ship it out with {codes.CMD_SHIP_OUT}.")
    if op.started_at is None:
        op.started_at = utcnow()


def complete_operation(session: Session, op: JobOperation, good, *, user: Worker, station: Station | None = None,
                       scan_uid: str | None = None) -> Completion:
    """Good pieces done at an in-house operation pass on to the next (partial completions are normal)."""
    require_role(user, "complete")
    job = op.job
    _job_open(job)
    if op.is_outside:
        vendor = op.vendor.name if op.vendor else "a vendor"
        raise FloorError(f"Op {op.seq} is an outside process ({op.description} at {vendor}): "
                         f"ship it out with {codes.CMD_SHIP_OUT} and receive it with {codes.CMD_RECEIVE}.")
    pieces = piece_count(good)
    available = _enough(session, op, pieces)
    now = utcnow()
    following = following_step(session, op)
    entry = ledger.move(session, ledger.COMPLETE, ledger.job_item(job.id), pieces, ledger.at_operation(op.id),
                        _onward(op, following), unit="pcs", job_operation_id=op.id, scan_uid=scan_uid,
                        **_ids(user, station))
    _stamp_activity(session, op, following, now)
    if op.is_rework:  # reworked pieces are back at the operation they were held at, to pass it again
        reopen(session, [op.rework_of])
    if available == pieces:  # the last pieces waiting here: the operation may now be complete
        _settle_operation(session, op, now)
    return Completion(entry, available - pieces, following)


def scrap_pieces(session: Session, op: JobOperation, quantity, reason_code: str, *, user: Worker,
                 station: Station | None = None, scan_uid: str | None = None) -> Scrapped:
    job = op.job
    reason, pieces, available = _pieces_with_reason(session, op, quantity, reason_code, user=user, action="scrap",
                                                    reasons=codes.SCRAP_REASONS)
    scrap_bin = _scrap_location(session)
    now = utcnow()
    entry = ledger.move(session, ledger.SCRAP, ledger.job_item(job.id), pieces, ledger.at_operation(op.id),
                        ledger.at_location(scrap_bin.id) if scrap_bin else None, unit="pcs",
                        job_operation_id=op.id, reason=reason, scan_uid=scan_uid, **_ids(user, station))
    _stamp_activity(session, op, None, now)
    if available == pieces:  # the last pieces here: the operation, and so the job, may now be complete
        _settle_operation(session, op, now)
        _settle_job(session, job, now)
    return Scrapped(entry, available - pieces)

"""Quality holds: pieces held at an operation, and an inspector's disposition of them."""
from __future__ import annotations

from sqlalchemy.orm import Session

from spex import codes, ledger
from spex.models.people import Worker
from spex.models import JobOperation, OutsideShipment, QualityHold, Station, utcnow
from spex.quality import ncrs
from spex.shopfloor.outside import due_back
from spex.shopfloor.rules import (FloorError, _ids, require_role, _pieces_with_reason, _vendor_location,
                                  _scrap_location, _settle_operation, _settle_job, reopen)


# --- quality holds ---------------------------------------------------------------------------------

def place_hold(session: Session, op: JobOperation, quantity, reason_code: str, *, user: Worker, note: str | None = None,
               station: Station | None = None, scan_uid: str | None = None) -> QualityHold:
    job = op.job
    reason, pieces, _ = _pieces_with_reason(session, op, quantity, reason_code, user=user, action="hold",
                                            reasons=codes.HOLD_REASONS)
    hold = QualityHold(job_id=job.id, job_operation_id=op.id, quantity=pieces, reason_code=reason, note=note,
                       placed_by_id=user.id, placed_at=utcnow())
    session.add(hold)
    ncrs.open_ncr(session, hold, user=user)
    session.flush()  # the hold and its report, written together: the movement names the hold
    ledger.move(session, ledger.HOLD, ledger.job_item(job.id), pieces, ledger.at_operation(op.id),
                ledger.on_hold(op.id), unit="pcs", job_operation_id=op.id, reason=reason, note=note,
                hold_id=hold.id, scan_uid=scan_uid, **_ids(user, station))
    return hold


def release_hold(session: Session, hold: QualityHold, disposition: str, *, user: Worker, note: str | None = None,
                 rework_to: JobOperation | None = None, add_rework: bool = False,
                 station: Station | None = None, scan_uid: str | None = None) -> QualityHold:
    """An inspector's disposition of the held pieces, each a ledger movement out of the hold: use as is
    (back to the operation, free to complete), rework (at the operation held at, at an earlier one of
    `rework_to`, or at a rework operation added to the job with `add_rework`), scrap, or return to the
    vendor of the outside process they came from."""
    require_role(user, "release_hold")
    if not hold.is_open:
        raise FloorError("That hold was already released.")
    if disposition not in codes.DISPOSITIONS:
        raise FloorError("Choose a disposition: " + ", ".join(codes.DISPOSITIONS.values()) + ".")
    if disposition != codes.REWORK and (rework_to is not None or add_rework):
        raise FloorError("Only a rework sends the pieces to another operation; choose rework, or no operation.")
    op, job = hold.operation, hold.job
    item, src = ledger.job_item(job.id), ledger.on_hold(op.id)
    common = dict(unit="pcs", job_operation_id=op.id, hold_id=hold.id, note=note, scan_uid=scan_uid,
                  **_ids(user, station))
    now = utcnow()
    if disposition == codes.USE_AS_IS:
        ledger.move(session, ledger.HOLD_RELEASE, item, hold.quantity, src, ledger.at_operation(op.id),
                    reason=disposition, **common)
    elif disposition == codes.REWORK:
        target = _rework_target(session, hold, rework_to, add_rework, user=user, note=note, when=now)
        ledger.move(session, ledger.HOLD_RELEASE, item, hold.quantity, src, ledger.at_operation(target.id),
                    reason=disposition, passes_again=_passed_again(job, target, op), **common)
        hold.rework_operation_id = target.id
        target.last_activity_at = now
        # Sent back up the routing, the pieces pass those operations again: none of them is complete.
        reopen(session, [o for o in job.operations if target.seq <= o.seq <= op.seq and not o.is_rework]
               + [target])
    elif disposition == codes.SCRAP:
        scrap_bin = _scrap_location(session)
        ncr = hold.ncr
        common["note"] = f"{ncr.number}: {note}" if ncr and note else (ncr.number if ncr else note)
        ledger.move(session, ledger.SCRAP, item, hold.quantity, src,
                    ledger.at_location(scrap_bin.id) if scrap_bin else None, reason="NCR", **common)
    else:
        outside = next((o for o in sorted(job.operations, key=lambda o: -o.seq)
                        if o.seq <= op.seq and o.is_outside), None)
        if outside is None or outside.vendor_id is None:
            raise FloorError("No outside process comes before this operation, so there is no vendor to "
                             "return to; choose rework or scrap.")
        vendor_loc = _vendor_location(session, outside.vendor_id)
        shipment = OutsideShipment(job_id=job.id, job_operation_id=outside.id, vendor_id=outside.vendor_id,
                                   quantity_out=hold.quantity, shipped_at=now,
                                   expected_back=due_back(outside),
                                   packing_slip=f"RTV hold {hold.id}")
        session.add(shipment)
        session.flush()
        common["shipment_id"] = shipment.id
        ledger.move(session, ledger.HOLD_RELEASE, item, hold.quantity, src, ledger.at_location(vendor_loc.id),
                    reason=disposition, passes_again=_passed_again(job, outside, op), **common)
    hold.released_at = now
    hold.released_by_id = user.id
    hold.disposition = disposition
    hold.disposition_note = note
    ncrs.hold_released(session, hold, user=user)
    _settle_operation(session, op, now)
    _settle_job(session, job, now)
    return hold


def _passed_again(job, start: JobOperation, held_at: JobOperation) -> tuple[int, ...]:
    """The operations held pieces are sent back to pass again: those of the routing from `start` (an
    earlier operation they are reworked at, or the outside process they are returned to) up to the
    one they were held at, which they had not yet passed (held at a rework operation, the one it
    reworks for: its pieces had not passed that one either).

    An operation's good count says how many distinct pieces have passed it good, so that "op 10:
    165 of 165" stays true however often rework sends pieces round: pieces sent back give up their
    place in the good counts of these operations with the hold's release, and are counted again
    when they pass. Until then the operation shows them as waiting, not done, which is what the
    floor sees. The ledger keeps every pass (each completion is its entry). A rework at the
    operation held at, or at an added rework operation, sends the pieces past nothing they passed:
    a rework operation counts the pieces it reworked, and they then pass the held operation once."""
    if start.is_rework:
        return ()
    before = held_at.rework_of if held_at.is_rework else held_at
    return tuple(o.id for o in job.operations if start.seq <= o.seq < before.seq and not o.is_rework)


def rework_choices(hold: QualityHold) -> list[JobOperation]:
    """The operations reworked pieces may go back to: the one they were held at and those before it."""
    return [o for o in hold.job.operations if o.seq <= hold.operation.seq and not o.is_rework]


def _rework_target(session: Session, hold: QualityHold, rework_to: JobOperation | None, add_rework: bool, *,
                   user: Worker, note: str | None, when) -> JobOperation:
    if add_rework:
        if rework_to is not None:
            raise FloorError("Rework either at an operation of the routing or at a new rework operation, not both.")
        return add_rework_operation(session, hold, user=user, reason=note, when=when)
    if rework_to is None:
        return hold.operation
    if rework_to not in rework_choices(hold):
        raise FloorError(f"Reworked pieces go back to op {hold.operation.seq} of job {hold.job.number} or an "
                         "operation before it, or to a new rework operation.")
    return rework_to


def add_rework_operation(session: Session, hold: QualityHold, *, user: Worker, reason: str | None,
                         when) -> JobOperation:
    """A rework operation added to the job for the held pieces, numbered between the operation they were
    held at and the next: it is not in the routing's flow, and its good pieces go back to that operation."""
    op, job = hold.operation, hold.job
    taken = {o.seq for o in job.operations}
    following = next((o.seq for o in job.operations if o.seq > op.seq and not o.is_rework), None)
    limit = following if following is not None else op.seq + 100
    seq = next((n for n in range(op.seq + 1, limit) if n not in taken), None)
    if seq is None:
        raise FloorError(f"There is no free operation number between op {op.seq} and op {following} for a rework "
                         "operation; rework at an operation of the routing instead.")
    ncr = hold.ncr
    why = (reason or "").strip() or (ncr.problem if ncr else "")
    rework = JobOperation(job_id=job.id, seq=seq, kind="inhouse",
                          description=f"Rework of op {op.seq}" + (f" ({ncr.number})" if ncr else ""),
                          work_center_id=op.work_center_id, qty_good=0, qty_scrap=0,
                          rework_of_id=op.id, added_by_id=user.id, added_at=when,
                          added_reason=(f"{ncr.number}: {why}" if ncr else why)[:2000] or None)
    session.add(rework)
    session.flush()
    session.refresh(job, ["operations"])
    return rework

"""Quality holds: pieces held at an operation, and an inspector's disposition of them."""
from __future__ import annotations

from sqlalchemy.orm import Session

from spex import codes, ledger
from spex.models.people import Worker
from spex.models import JobOperation, OutsideShipment, QualityHold, Station, utcnow
from spex.quality import ncrs
from spex.shopfloor.outside import due_back
from spex.shopfloor.rules import (FloorError, _ids, require_role, _pieces_with_reason, _vendor_location,
                                  _scrap_location, _settle_operation, _settle_job)


# --- quality holds ---------------------------------------------------------------------------------

def place_hold(session: Session, op: JobOperation, quantity, reason_code: str, *, user: Worker, note: str | None = None,
               station: Station | None = None, scan_uid: str | None = None) -> QualityHold:
    job = op.job
    reason, pieces, _ = _pieces_with_reason(session, op, quantity, reason_code, user=user, action="hold",
                                            reasons=codes.HOLD_REASONS)
    hold = QualityHold(job_id=job.id, job_operation_id=op.id, quantity=pieces, reason_code=reason, note=note,
                       placed_by_id=user.id, placed_at=utcnow())
    session.add(hold)
    session.flush()
    ledger.move(session, ledger.HOLD, ledger.job_item(job.id), pieces, ledger.at_operation(op.id),
                ledger.on_hold(op.id), unit="pcs", job_operation_id=op.id, reason=reason, note=note,
                hold_id=hold.id, scan_uid=scan_uid, **_ids(user, station))
    ncrs.open_ncr(session, hold, user=user)
    return hold


def release_hold(session: Session, hold: QualityHold, disposition: str, *, user: Worker, note: str | None = None,
                 station: Station | None = None, scan_uid: str | None = None) -> QualityHold:
    """An inspector's disposition: use as is or rework (back to the operation), scrap, or return to vendor."""
    require_role(user, "release_hold")
    if not hold.is_open:
        raise FloorError("That hold was already released.")
    if disposition not in codes.DISPOSITIONS:
        raise FloorError("Choose a disposition: " + ", ".join(codes.DISPOSITIONS.values()) + ".")
    op, job = hold.operation, hold.job
    item, src = ledger.job_item(job.id), ledger.on_hold(op.id)
    common = dict(unit="pcs", job_operation_id=op.id, hold_id=hold.id, note=note, scan_uid=scan_uid,
                  **_ids(user, station))
    now = utcnow()
    if disposition in (codes.USE_AS_IS, codes.REWORK):
        ledger.move(session, ledger.HOLD_RELEASE, item, hold.quantity, src, ledger.at_operation(op.id),
                    reason=disposition, **common)
    elif disposition == codes.SCRAP:
        scrap_bin = _scrap_location(session)
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
                    reason=disposition, **common)
    hold.released_at = now
    hold.released_by_id = user.id
    hold.disposition = disposition
    hold.disposition_note = note
    ncrs.hold_released(session, hold, user=user)
    _settle_operation(session, op, now)
    _settle_job(session, job, now)
    return hold

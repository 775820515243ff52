"""Outside processing: pieces shipped to a vendor and received back from them."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from spex import ledger, shoptime
from spex.models.people import Worker
from spex.models import JobOperation, OutsideReceipt, OutsideShipment, Station, utcnow
from spex.shopfloor.rules import (FloorError, _ids, require_role, piece_count, following_step, _onward, _stamp_activity,
                                  at_vendor, _vendor_location, _job_open, _enough, _settle_operation,
                                  _settle_job)


@dataclass(frozen=True)
class ReceivedBack:
    """What a receipt from a vendor learned: the receipt, the pieces recorded short (closing the
    shipment short) and the pieces still at the vendor."""
    receipt: OutsideReceipt
    short: int
    still_out: int


# --- outside processing ------------------------------------------------------------------------------

# Days an outside operation is expected to take when neither it nor its vendor says.
DEFAULT_TURNAROUND_DAYS = 5


def due_back(op: JobOperation) -> date:
    """When pieces of an outside operation shipped today should be back: after the operation's
    turnaround from the routing, else its vendor's, else the shop's default."""
    days = op.turnaround_days or (op.vendor.turnaround_days if op.vendor is not None else DEFAULT_TURNAROUND_DAYS)
    return shoptime.today() + timedelta(days=days)


def _outside(op: JobOperation) -> None:
    if not op.is_outside:
        where = op.work_center.name if op.work_center else "in house"
        raise FloorError(f"Op {op.seq} ({op.description}) is done in house at {where}; "
                         "scan the quantity to complete it instead of shipping it out.")


def ship_out(session: Session, op: JobOperation, quantity, *, user: Worker, expected_back: date | None = None,
             packing_slip: str | None = None, po_number: str | None = None, station: Station | None = None,
             scan_uid: str | None = None) -> OutsideShipment:
    require_role(user, "ship_out")
    job = op.job
    _job_open(job)
    _outside(op)
    pieces = piece_count(quantity)
    _enough(session, op, pieces)
    vendor_loc = _vendor_location(session, op.vendor_id)
    now = utcnow()
    shipment = OutsideShipment(job_id=job.id, job_operation_id=op.id, vendor_id=op.vendor_id, quantity_out=pieces,
                               shipped_at=now, packing_slip=packing_slip, po_number=po_number,
                               expected_back=expected_back or due_back(op))
    session.add(shipment)
    session.flush()
    ledger.move(session, ledger.SHIP_OUT, ledger.job_item(job.id), pieces, ledger.at_operation(op.id),
                ledger.at_location(vendor_loc.id), unit="pcs", job_operation_id=op.id, shipment_id=shipment.id,
                scan_uid=scan_uid, **_ids(user, station))
    _stamp_activity(session, op, None, now)
    return shipment


def receive_back(session: Session, op: JobOperation, quantity, *, user: Worker, close_short: bool = False,
                 coc_filename: str | None = None, station: Station | None = None,
                 scan_uid: str | None = None) -> ReceivedBack:
    """Pieces back from the vendor complete the outside operation; partial receipts are normal.

    With close_short the vendor's count is final: pieces still missing are recorded as short
    (scrapped at that operation) and the shipment closes, flagged.
    """
    require_role(user, "receive_back")
    job = op.job
    _job_open(job)
    _outside(op)
    pieces = piece_count(quantity)
    out = at_vendor(session, op)
    if out == 0:
        raise FloorError(f"Nothing of job {job.number} op {op.seq} is out at the vendor.")
    if pieces > out:
        raise FloorError(f"Only {out} pcs of job {job.number} op {op.seq} are at the vendor; {pieces} counted. "
                         "Count again, or tell the office about the overage.")
    vendor_loc = _vendor_location(session, op.vendor_id)
    shipments = list(session.scalars(select(OutsideShipment).where(
        OutsideShipment.job_operation_id == op.id, OutsideShipment.closed.is_(False)).order_by(OutsideShipment.id)))
    now = utcnow()
    first = shipments[0]
    receipt = OutsideReceipt(shipment_id=first.id, quantity=pieces, received_at=now, received_by_id=user.id,
                             coc_filename=coc_filename)
    session.add(receipt)
    following = following_step(session, op)
    ledger.move(session, ledger.RECEIVE_BACK, ledger.job_item(job.id), pieces, ledger.at_location(vendor_loc.id),
                _onward(op, following), unit="pcs", job_operation_id=op.id, shipment_id=first.id,
                scan_uid=scan_uid, **_ids(user, station))
    left = pieces
    for shipment in shipments:  # oldest shipment first
        take = min(left, shipment.outstanding)
        shipment.quantity_back += take
        left -= take
        if shipment.outstanding == 0:
            shipment.closed = True
    if close_short:
        seq = 1
        for shipment in shipments:
            if shipment.closed or shipment.outstanding == 0:
                continue
            shipment.short_count = shipment.outstanding
            ledger.move(session, ledger.SCRAP, ledger.job_item(job.id), shipment.outstanding,
                        ledger.at_location(vendor_loc.id), None, unit="pcs", job_operation_id=op.id,
                        shipment_id=shipment.id, reason="SHORT", scan_uid=scan_uid, scan_seq=seq,
                        note=f"vendor returned {shipment.outstanding} short", **_ids(user, station))
            seq += 1
            shipment.closed = True
    _stamp_activity(session, op, following, now)
    _settle_operation(session, op, now)
    _settle_job(session, job, now)
    short = out - pieces if close_short else 0
    return ReceivedBack(receipt, short, out - pieces - short)

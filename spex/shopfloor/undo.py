"""Undo at a station: a person's own last scan reversed, with the records it touched kept in step."""
from __future__ import annotations

from sqlalchemy import desc, select, update
from sqlalchemy.orm import Session

from spex import ledger
from spex.models.people import Worker
from spex.models import (Job, JobOperation, LedgerEntry, OrderLine, OutsideShipment, PrintJob, QualityHold, Release,
                         Shipment, ShipmentLine, ShipmentLot, Station, StockUnit, utcnow)
from spex.quality import ncrs
from spex.shopfloor.rules import FloorError, _ids


# --- undo --------------------------------------------------------------------------------------------

UNDOABLE = (ledger.PULL, ledger.COMPLETE, ledger.SCRAP, ledger.HOLD, ledger.REMNANT, ledger.SHIP_OUT,
            ledger.RECEIVE_BACK, ledger.FG_RECEIPT, ledger.SHIP, ledger.PUTAWAY)


def undo_last(session: Session, *, user: Worker, station: Station | None = None, window_seconds: int = 300,
              scan_uid: str | None = None) -> list[ledger.LedgerEntry]:
    """Reverse the user's own last scan (all its entries), if it is recent and nothing moved on since."""
    if user is None:
        raise FloorError("Nobody is signed in at this station: scan your badge first.")
    last = session.scalar(select(LedgerEntry).where(LedgerEntry.user_id == user.id)
                          .order_by(desc(LedgerEntry.id)).limit(1))
    if last is None:
        raise FloorError("You have nothing to undo.")
    if last.kind == ledger.REVERSAL:
        raise FloorError("Your last entry was already undone; only the last scan can be undone.")
    age = (utcnow() - last.created_at).total_seconds()
    if age > window_seconds:
        raise FloorError(f"Your last entry is {int(age // 60)} min old; undo works for {window_seconds // 60} min. "
                         "Ask an inspector or the office to correct it.")
    if last.kind not in UNDOABLE:
        raise FloorError("That kind of entry cannot be undone at a station; ask an inspector or the office.")
    group = [last]
    if last.scan_uid:
        group = list(session.scalars(select(LedgerEntry).where(LedgerEntry.scan_uid == last.scan_uid)
                                     .order_by(desc(LedgerEntry.scan_seq))))
    _not_on_a_shipment(session, group)
    # The reversals take the rows the scan's entries put to and put to the rows they took from:
    # lock them all first, in the ledger's one order, as the scans that meet this undo do.
    ledger.lock_balances(session, [(e.item, place) for e in group for place in (e.from_place, e.to_place)
                                   if place is not None])
    reversals = []
    for seq, entry in enumerate(group):
        try:
            reversals.append(ledger.reverse(session, entry, scan_uid=scan_uid, scan_seq=seq,
                                            note="undo", **_ids(user, station)))
        except ledger.NotReversible as exc:
            raise FloorError(exc.message) from None
    _undo_side_records(session, group)
    return reversals


def _not_on_a_shipment(session: Session, entries: list[LedgerEntry]) -> None:
    """A shipment made of these entries is a record with its packing list: undoing its entries would
    leave it naming pieces that never left, so it is refused (the office records a correction)."""
    number = session.scalar(select(Shipment.number).join(ShipmentLine).join(ShipmentLot)
                            .where(ShipmentLot.ledger_entry_id.in_([e.id for e in entries])).limit(1))
    if number is not None:
        raise FloorError(f"Shipment SHP-{number} is on record with its packing list and cannot be undone at a "
                         "station; ask the office to record a correction.")


def _undo_side_records(session: Session, entries: list[LedgerEntry]) -> None:
    """Keep holds, shipments, receipts, releases and job status in step with the reversed entries."""
    now = utcnow()
    for entry in entries:
        if entry.kind == ledger.REMNANT and entry.stock_unit_id:
            # The drop is no longer on the rack: its label must not print.
            remnant = session.get(StockUnit, entry.stock_unit_id)
            session.execute(update(PrintJob).where(PrintJob.code == remnant.barcode,
                                                   PrintJob.status.in_(("queued", "failed")))
                            .values(status="cancelled", last_error="remnant return undone")
                            .execution_options(synchronize_session=False))
        elif entry.kind == ledger.HOLD and entry.hold_id:
            hold = session.get(QualityHold, entry.hold_id)
            hold.released_at, hold.released_by_id = now, entry.user_id
            hold.disposition_note = "placed in error (undone)"
            ncrs.hold_undone(session, hold, user_id=entry.user_id, when=now)
        elif entry.kind == ledger.SHIP_OUT and entry.shipment_id:
            shipment = session.get(OutsideShipment, entry.shipment_id)
            shipment.closed = True  # shipped in error: nothing is out any more
        elif entry.kind == ledger.RECEIVE_BACK and entry.shipment_id:
            left = int(entry.quantity)
            shipments = session.scalars(select(OutsideShipment).where(
                OutsideShipment.job_operation_id == entry.job_operation_id).order_by(desc(OutsideShipment.id)))
            for shipment in shipments:
                give = min(left, shipment.quantity_back)
                shipment.quantity_back -= give
                if give:
                    shipment.closed = False
                left -= give
        elif entry.kind == ledger.SHIP and entry.order_line_id:
            line = session.get(OrderLine, entry.order_line_id)
            line.shipped_qty -= int(entry.quantity)
            if entry.release_id:
                release = session.get(Release, entry.release_id)
                release.shipped_qty -= int(entry.quantity)
                release.shipped_at = None
        if entry.job_operation_id and entry.kind in (ledger.COMPLETE, ledger.SCRAP, ledger.RECEIVE_BACK):
            op = session.get(JobOperation, entry.job_operation_id)
            session.refresh(op)
            for later in op.job.operations:
                if later.seq >= op.seq:
                    later.completed_at = None
        job_id = entry.job_id
        if job_id:
            job = session.get(Job, job_id)
            if job.status == "complete":
                job.status, job.completed_at = "released", None

"""Finished goods: pieces past the last operation put in a bin as a lot, and shipped to orders."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from spex import ledger
from spex.models.people import Worker
from spex.models import FinishedGoodsLot, Job, Location, OrderLine, Release, Station, utcnow
from spex.database import next_number
from spex.shopfloor.rules import FloorError, _ids, require_role, piece_count, _job_open, _settle_job


@dataclass(frozen=True)
class Shipped:
    """What a shipment of finished goods learned: its entry, and the pieces left in the lot."""
    entry: ledger.LedgerEntry
    left_in_lot: int


# --- finished goods -----------------------------------------------------------------------------------

def next_fg_code(session: Session) -> str:
    return next_number(session, FinishedGoodsLot.code, after=5500)


def receive_finished_goods(session: Session, job: Job, quantity, bin: Location, *, user: Worker,
                           station: Station | None = None, scan_uid: str | None = None) -> FinishedGoodsLot:
    """Pieces past the last operation go to a bin as a finished-goods lot."""
    require_role(user, "fg_receipt")
    if job.status not in ("released", "complete"):
        _job_open(job)
    pieces = piece_count(quantity)
    if bin.kind not in ("fg", "bin", "shipping") or not bin.active:
        raise FloorError(f"{bin.barcode} is not a finished-goods bin; scan an FG or shipping bin.")
    waiting = int(ledger.balance(session, ledger.job_item(job.id), ledger.finished(job.id)))
    if waiting == 0:
        raise FloorError(f"No finished pieces of job {job.number} are waiting: complete its last operation first.")
    if pieces > waiting:
        raise FloorError(f"Only {waiting} finished pcs of job {job.number} are waiting; {pieces} asked.")
    lot = FinishedGoodsLot(code=next_fg_code(session), job_id=job.id, part_id=job.part_id, created_at=utcnow())
    session.add(lot)
    session.flush()
    ledger.move(session, ledger.FG_RECEIPT, ledger.job_item(job.id), pieces, ledger.finished(job.id), None,
                unit="pcs", scan_uid=scan_uid, scan_seq=0, note=f"to {lot.barcode}", **_ids(user, station))
    ledger.move(session, ledger.FG_RECEIPT, ledger.fg_item(lot.id), pieces, None, ledger.at_location(bin.id),
                unit="pcs", job_id=job.id, scan_uid=scan_uid, scan_seq=1, **_ids(user, station))
    _settle_job(session, job, utcnow())
    return lot


def fg_location(session: Session, lot: FinishedGoodsLot) -> tuple[str | None, int]:
    """The bin a finished-goods lot is in and how many pieces it holds there (None, 0 once shipped)."""
    place, amount = ledger.location_of(session, ledger.fg_item(lot.id))
    return place, int(amount)


def ship_finished_goods(session: Session, fg_lot: FinishedGoodsLot, quantity, *, user: Worker,
                        release: Release | None = None, order_line: OrderLine | None = None,
                        station: Station | None = None, scan_uid: str | None = None) -> Shipped:
    """Ship finished pieces against an order line, a scheduled release or a blanket call-off."""
    require_role(user, "ship")
    pieces = piece_count(quantity)
    if release is not None:
        order_line = release.line
        if pieces > release.quantity - release.shipped_qty:
            raise FloorError(f"The release due {release.due_date:%b %d} wants {release.quantity - release.shipped_qty} "
                             f"more pcs; {pieces} would ship over it.")
    if order_line is None:
        raise FloorError("Scan or choose the order release or call-off this shipment is for.")
    if order_line.status != "open":
        raise FloorError(f"Order line {order_line.line_no} was {order_line.status}; nothing ships against it.")
    if order_line.part_id != fg_lot.part_id:
        raise FloorError(f"{fg_lot.barcode} is part {fg_lot.part.label}; that order line is for "
                         f"{order_line.part.label}.")
    if order_line.strategy != "ship_complete" and release is None:
        raise FloorError("This order ships in releases or call-offs: scan the release it is for.")
    if order_line.strategy == "ship_complete" and pieces != order_line.quantity - order_line.shipped_qty:
        raise FloorError(f"Order line {order_line.line_no} ships complete: all "
                         f"{order_line.quantity - order_line.shipped_qty} pcs in one shipment.")
    if pieces > order_line.quantity - order_line.shipped_qty:
        raise FloorError(f"Order line {order_line.line_no} has {order_line.quantity - order_line.shipped_qty} pcs "
                         f"left to ship; {pieces} would ship over it.")
    place, on_hand = fg_location(session, fg_lot)
    if place is None:
        raise FloorError(f"{fg_lot.barcode} is empty: it was shipped already.")
    if pieces > on_hand:
        raise FloorError(f"{fg_lot.barcode} holds only {on_hand} pcs; {pieces} asked.")
    entry = ledger.move(session, ledger.SHIP, ledger.fg_item(fg_lot.id), pieces, place, None, unit="pcs",
                        job_id=fg_lot.job_id, order_line_id=order_line.id,
                        release_id=release.id if release else None, scan_uid=scan_uid, **_ids(user, station))
    order_line.shipped_qty += pieces
    if release is not None:
        release.shipped_qty += pieces
        if release.shipped_qty == release.quantity:
            release.shipped_at = entry.created_at
    return Shipped(entry, on_hand - pieces)

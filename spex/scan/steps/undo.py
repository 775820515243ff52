"""Undo at the station: a person's own last scan taken back, and what was taken back in the shop's words."""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from spex import ledger, shopfloor
from spex.models import FinishedGoodsLot, Job, JobOperation, StockUnit
from spex.scan.answers import DONE, Answer

if TYPE_CHECKING:
    from spex.scan.flows import _Flow


def undo(flow: _Flow) -> Answer:
    reversals = shopfloor.undo_last(flow.session, user=flow.operator, station=flow.station,
                                    window_seconds=flow.undo_window, scan_uid=flow.scan_uid)
    flow.expect(None)
    return Answer(DONE, "Taken back: " + taken_back(flow.session, reversals),
                  "Undone by a reversing entry; the first one stays in the ledger beside it.",
                  next_step=flow.next_step())


def taken_back(session: Session, reversals: list) -> str:
    """What an undo took back, in the shop's words: "10 good at op 20 of job 24014"."""
    undone = sorted((r.reverses for r in reversals), key=lambda e: e.scan_seq)

    def fg_receipt_of(entry, kind: str) -> bool:
        return entry.kind == ledger.FG_RECEIPT and ledger.parse_key(entry.item).kind == kind

    # A finished-goods receipt is two entries (off the job, into the lot): the lot's says it all.
    if any(fg_receipt_of(e, "fg") for e in undone):
        undone = [e for e in undone if not fg_receipt_of(e, "job")]
    return "; ".join(_undone_words(session, e) for e in undone)


def _undone_words(session: Session, entry) -> str:
    amount = ledger.format_qty(entry.quantity)
    kind = entry.kind
    op = session.get(JobOperation, entry.job_operation_id) if entry.job_operation_id else None
    at = f"op {op.seq} of job {op.job.number}" if op is not None else ""
    if kind == ledger.COMPLETE:
        return f"{amount} good at {at}"
    if kind == ledger.SCRAP:
        return f"{amount} short at {at}" if entry.reason == "SHORT" else f"{amount} scrapped at {at}"
    if kind == ledger.HOLD:
        return f"the hold on {amount} pcs at {at}"
    if kind == ledger.SHIP_OUT:
        vendor = op.vendor.name if op is not None and op.vendor else "the vendor"
        return f"{amount} pcs shipped out to {vendor} from {at}"
    if kind == ledger.RECEIVE_BACK:
        return f"{amount} pcs received back at {at}"
    item = ledger.parse_key(entry.item)
    if kind == ledger.PULL:
        unit = session.get(StockUnit, item.id)
        job = session.get(Job, entry.job_id) if entry.job_id else None
        return f"{amount} {entry.unit} of {unit.barcode}" + (f" from job {job.number}" if job else "")
    if kind == ledger.REMNANT:
        return f"remnant {session.get(StockUnit, item.id).barcode} ({amount} {entry.unit})"
    if kind == ledger.FG_RECEIPT:
        if item.kind == "fg":
            lot = session.get(FinishedGoodsLot, item.id)
            return f"{amount} pcs of job {lot.job.number} into {lot.barcode}"
        return f"{amount} finished pcs of job {session.get(Job, item.id).number}"
    if kind == ledger.SHIP:
        return f"{amount} pcs of {session.get(FinishedGoodsLot, item.id).barcode} shipped"
    return f"{kind.replace('_', ' ')} of {amount} {entry.unit}"

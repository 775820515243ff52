"""Steps at an operation: scrapping pieces with a reason."""
from __future__ import annotations

from typing import TYPE_CHECKING

from spex import codes, shopfloor
from spex.scan.answers import DONE, Answer
from spex.scan.grammar import Scan
from spex.scan.steps import pieces_then_reason, reason_scanned, reasons_hint, step

if TYPE_CHECKING:
    from spex.scan.flows import _Flow

SCRAP_QTY = "scrap:qty"


@step(SCRAP_QTY, "Scrap", "Scan or type the number of pieces scrapped.")
def scrap_qty(flow: _Flow, scan: Scan) -> Answer | None:
    return pieces_then_reason(flow, scan, SCRAP_REASON, "Scrap")


SCRAP_REASON = "scrap:reason"


@step(SCRAP_REASON, "Scrap", "Scan the scrap reason: " + reasons_hint(codes.SCRAP_REASONS))
def scrap_reason(flow: _Flow, scan: Scan) -> Answer | None:
    reason = reason_scanned(scan, codes.SCRAP_REASONS, "scrap")
    if reason is None:
        return None
    op, pieces = flow.op, int(flow.data["quantity"])
    scrapped = shopfloor.scrap_pieces(flow.session, op, pieces, reason, scan_uid=flow.scan_uid, **flow.who())
    flow.expect(None)
    return Answer(DONE, f"Scrapped {pieces} pcs at op {op.seq} of job {op.job.number}",
                  f"Reason: {codes.SCRAP_REASONS[reason]}. {scrapped.left_here} pcs left at op {op.seq}.",
                  next_step=flow.next_step(), available=scrapped.left_here)

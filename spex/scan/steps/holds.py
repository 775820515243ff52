"""Quality-hold steps at the station: holding pieces with a reason, and an inspector's release."""
from __future__ import annotations

from typing import TYPE_CHECKING

from spex import codes, shopfloor
from spex.models import QualityHold
from spex.scan import grammar
from spex.scan.answers import DONE, Answer, Refused
from spex.scan.grammar import Scan
from spex.scan.steps import pieces_then_reason, reason_scanned, reasons_hint, step

if TYPE_CHECKING:
    from spex.scan.flows import _Flow

# The disposition cards an inspector scans to release a hold.
DISPOSITION_CARD = "CMD-D-USE-AS-IS, CMD-D-REWORK, CMD-SCRAP or CMD-D-RTV"

HOLD_QTY = "hold:qty"


@step(HOLD_QTY, "Quality hold", "Scan or type the number of pieces to hold.")
def hold_qty(flow: _Flow, scan: Scan) -> Answer | None:
    return pieces_then_reason(flow, scan, HOLD_REASON, "Hold")


HOLD_REASON = "hold:reason"


@step(HOLD_REASON, "Quality hold", "Scan the hold reason: " + reasons_hint(codes.HOLD_REASONS))
def hold_reason(flow: _Flow, scan: Scan) -> Answer | None:
    reason = reason_scanned(scan, codes.HOLD_REASONS, "hold")
    if reason is None:
        return None
    op, pieces = flow.op, int(flow.data["quantity"])
    hold = shopfloor.place_hold(flow.session, op, pieces, reason, scan_uid=flow.scan_uid, **flow.who())
    flow.expect(None)
    return Answer(DONE, f"On hold: {pieces} pcs of job {op.job.number} at op {op.seq}",
                  f"{hold.ncr.number} opened, reason: {codes.HOLD_REASONS[reason]}. An inspector releases it.",
                  next_step=flow.next_step())


RELEASE_DISPOSITION = "release:disposition"


@step(RELEASE_DISPOSITION, "Hold release", f"Scan the disposition: {DISPOSITION_CARD}.")
def release_disposition(flow: _Flow, scan: Scan) -> Answer | None:
    disposition = grammar.disposition_of(scan)
    if disposition is None:
        if scan.kind in (grammar.WORD, grammar.REASON):
            raise Refused(f"{scan.code} is not a disposition.", f"Scan {DISPOSITION_CARD}.")
        return None
    hold = flow.session.get(QualityHold, int(flow.data["hold"]))
    shopfloor.release_hold(flow.session, hold, disposition, scan_uid=flow.scan_uid, **flow.who())
    flow.expect(None)
    return Answer(DONE, f"Hold released: {hold.quantity} pcs of job {hold.job.number} — "
                        f"{codes.DISPOSITIONS[disposition].lower()}",
                  f"Op {hold.operation.seq}, hold #{hold.id}.",
                  next_step=flow.next_step())

"""Outside-work steps at the station: shipping pieces out to a vendor, and receiving them back."""
from __future__ import annotations

from typing import TYPE_CHECKING

from spex import codes, shopfloor
from spex.scan import grammar
from spex.scan.answers import DONE, Answer
from spex.scan.grammar import Scan
from spex.scan.steps import pieces_of, step

if TYPE_CHECKING:
    from spex.scan.flows import _Flow

SHIP_OUT_QTY = "ship_out:qty"


@step(SHIP_OUT_QTY, "Ship out", "Scan or type the number of pieces going out.")
def ship_out_qty(flow: _Flow, scan: Scan) -> Answer | None:
    if scan.kind != grammar.QUANTITY:
        return None
    pieces = pieces_of(scan)
    op = flow.op
    shipment = shopfloor.ship_out(flow.session, op, pieces, expected_back=flow.expected_back(op),
                                  scan_uid=flow.scan_uid, **flow.who())
    flow.data.pop("expected_back", None)
    flow.expect(None)
    return Answer(DONE, f"Shipped out {pieces} pcs of job {op.job.number} to {shipment.vendor.name}",
                  f"Op {op.seq} {op.description}; expected back {shipment.expected_back:%a %d %b}.",
                  next_step=flow.next_step())


RECEIVE_QTY = "receive:qty"


@step(RECEIVE_QTY, "Receive back", "Scan or type the number of pieces received back.")
def receive_qty(flow: _Flow, scan: Scan) -> Answer | None:
    if scan.kind == grammar.COMMAND and scan.code == codes.CMD_DONE:
        flow.data["close_short"] = "1"
        return flow.waiting("Receive and close short",
                            "Pieces not counted now are recorded short and the shipment closes.")
    if scan.kind != grammar.QUANTITY:
        return None
    pieces = pieces_of(scan)
    op = flow.op
    close_short = flow.data.get("close_short") == "1"
    coc = flow.data.get("coc")
    received = shopfloor.receive_back(flow.session, op, pieces, close_short=close_short, coc_filename=coc,
                                      scan_uid=flow.scan_uid, **flow.who())
    flow.data.pop("coc", None)
    flow.expect(None)
    short, still_out = received.short, received.still_out
    answer = Answer(DONE, f"Received {pieces} pcs of job {op.job.number} back at op {op.seq}"
                          + (f"; {short} short — the shipment is closed" if short else ""),
                    "CoC attached." if coc else "")
    if short:
        answer.warnings.append(f"{short} pcs are recorded as short at the vendor.")
    elif close_short:
        answer.detail = " ".join(filter(None, ["Nothing short: every piece is back.", answer.detail]))
    elif still_out:
        answer.warnings.append(f"{still_out} still at the vendor (partial receipt).")
    answer.next_step = flow.next_step()
    return answer

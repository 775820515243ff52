"""Finished-goods steps at the station: putting finished pieces away in a lot, and shipping them."""
from __future__ import annotations

from typing import TYPE_CHECKING

from spex import ledger, shopfloor
from spex.models import Release
from spex.scan import grammar
from spex.scan.answers import DONE, Answer, Refused
from spex.scan.grammar import Scan
from spex.scan.steps import pieces_of, step

if TYPE_CHECKING:
    from spex.scan.flows import _Flow

FG_QTY = "fg:qty"


@step(FG_QTY, "To finished goods", "Scan or type the number of finished pieces.")
def fg_qty(flow: _Flow, scan: Scan) -> Answer | None:
    if scan.kind != grammar.QUANTITY:
        return None
    pieces = pieces_of(scan)
    job = flow.job
    waiting = int(ledger.balance(flow.session, ledger.job_item(job.id), ledger.finished(job.id)))
    if pieces > waiting:
        raise Refused(f"Only {waiting} finished pcs of job {job.number} are waiting; {pieces} scanned.",
                      "Count again and scan the quantity.")
    flow.expect(FG_BIN, quantity=pieces)
    return flow.waiting(f"{pieces} finished pcs of job {job.number}")


FG_BIN = "fg:bin"


@step(FG_BIN, "To finished goods", "Scan the finished-goods bin (BIN-…).")
def fg_bin(flow: _Flow, scan: Scan) -> Answer | None:
    if scan.kind != grammar.BIN:
        return None
    bin = flow.find_bin(scan)
    job, pieces = flow.job, int(flow.data["quantity"])
    lot = shopfloor.receive_finished_goods(flow.session, job, pieces, bin, scan_uid=flow.scan_uid, **flow.who())
    flow.expect(None)
    return Answer(DONE, f"Finished goods {lot.barcode}: {pieces} pcs of job {job.number} into {bin.barcode}",
                  f"Part {job.part.label}.", next_step=flow.next_step())


SHIP_FG = "ship:fg"


@step(SHIP_FG, "Ship", "Scan the finished-goods lot (FG-…).")
def ship_fg(flow: _Flow, scan: Scan) -> Answer | None:
    if scan.kind != grammar.FG:
        return None
    return flow.take_fg(flow.find_fg(scan))


SHIP_QTY = "ship:qty"


@step(SHIP_QTY, "Ship", "Scan or type the number of pieces to ship.")
def ship_qty(flow: _Flow, scan: Scan) -> Answer | None:
    if scan.kind != grammar.QUANTITY:
        return None
    pieces = pieces_of(scan)
    lot = flow.fg_lot
    release, line = flow.release_for(lot)
    shipped = shopfloor.ship_finished_goods(flow.session, lot, pieces, release=release, order_line=line,
                                            scan_uid=flow.scan_uid, **flow.who())
    left = shipped.left_in_lot
    flow.state.fg_lot_id = None
    flow.expect(None)
    against = release_words(release, line)
    return Answer(DONE, f"Shipped {pieces} pcs of {lot.barcode}", f"Against {against}. {left} pcs left in the lot.",
                  next_step=flow.next_step())


def release_words(release: Release | None, line) -> str:
    order = line.order
    if release is not None:
        kind = "call-off" if release.kind == "calloff" else "release"
        left = release.quantity - release.shipped_qty
        return f"{kind} due {release.due_date:%d %b} on PO {order.po_number} line {line.line_no} ({left} pcs open)"
    return f"PO {order.po_number} line {line.line_no} (ship complete, {line.quantity - line.shipped_qty} pcs)"

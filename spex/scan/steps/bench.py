"""The shipping bench by scan: what the shipment is for (a release's REL- or an order line's LINE-
code), then its FG lots, each with the pieces taken from it, and CMD-DONE makes one shipment through
the same domain function as the shipping page (spex.shipping.shipments.make_shipment).

Nothing is written until CMD-DONE: the lots and pieces scanned wait in the station's data, checked as
each is scanned (another part, used up, on hold, scanned twice, over the release) and all again by
the shipment itself.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from spex import codes, shoptime
from spex.models import FinishedGoodsLot, OrderLine, Release
from spex.scan import grammar
from spex.scan.answers import DONE, WAITING, Answer, Refused
from spex.scan.grammar import Scan
from spex.scan.steps import pieces_of, step
from spex.shipping.shipments import LineRequest, Pick, lots_on_hand, make_shipment

if TYPE_CHECKING:
    from spex.scan.flows import _Flow

BENCH_LOT = "bench:lot"
BENCH_QTY = "bench:qty"


# --- what the shipment is for --------------------------------------------------------------------

def start_bench(flow: _Flow, scan: Scan) -> Answer:
    """A release's or an order line's code: the shipment it begins, and the FG lots free for it."""
    flow.may("ship")
    line, release = _delivery(flow, scan)
    left = _left(line, release)
    flow.clear()
    flow.expect(BENCH_LOT, line=line.id, release=release.id if release else "", picks="")
    free = [held for held in _stock(flow, line) if not held.held_because]
    oldest = ", ".join(f"{held.lot.barcode} ({held.on_hand} pcs in {held.location.barcode})" for held in free[:3])
    detail = f"Oldest first: {oldest}." if free else f"No finished pieces of {line.part.label} are free to ship."
    return flow.waiting(f"Ship {_what(line, release)}: {left} pcs of {line.part.label}",
                        f"PO {line.order.po_number}, {line.order.customer.name}. {detail}")


def _delivery(flow: _Flow, scan: Scan) -> tuple[OrderLine, Release | None]:
    session = flow.session
    release = None
    if scan.kind == grammar.RELEASE:
        release = session.get(Release, int(scan.value))
        if release is None:
            raise Refused(f"There is no release or call-off {scan.code}.", "Scan the code on the shipping page.")
        line = release.line
    else:
        line = session.get(OrderLine, int(scan.value))
        if line is None:
            raise Refused(f"There is no order line {scan.code}.", "Scan the code on the shipping page.")
    order = line.order
    if order.status != "open" or line.status != "open":
        state = order.status if order.status != "open" else line.status
        raise Refused(f"{order.number} line {line.line_no} is {state}; nothing ships against it.",
                      "Scan another release or order line.")
    if release is None and line.strategy != "ship_complete":
        open_releases = [r for r in line.releases if r.shipped_qty < r.quantity]
        if not open_releases:
            raise Refused(f"{order.number} line {line.line_no} has no open release or call-off.",
                          "Ask the office to add the release or call-off to the order.")
        release = min(open_releases, key=lambda r: (r.due_date, r.id))
    if _left(line, release) <= 0:
        raise Refused(f"{_what(line, release)} has shipped in full already.", "Scan another release or order line.")
    return line, release


def _left(line: OrderLine, release: Release | None) -> int:
    if release is not None:
        return min(release.quantity - release.shipped_qty, line.quantity - line.shipped_qty)
    return line.quantity - line.shipped_qty


def _what(line: OrderLine, release: Release | None) -> str:
    where = f"{line.order.number} line {line.line_no}"
    if release is None:
        return f"{where} (ship complete)" if line.strategy == "ship_complete" else where
    kind = "call-off" if release.kind == "calloff" else "release"
    return f"{where}, {kind} due {release.due_date:%d %b}"


# --- what the station holds: the delivery and the picks so far ---------------------------------

def _held(flow: _Flow) -> tuple[OrderLine, Release | None, list[list[int]]]:
    line = flow.session.get(OrderLine, int(flow.data.get("line") or 0))
    if line is None:  # a station's state from before its line was known: the shipment starts over
        flow.clear()
        raise Refused("Which release? The shipment lost what it was for.", "Scan the release or order line again.")
    release_id = flow.data.get("release")
    release = flow.session.get(Release, int(release_id)) if release_id else None
    picks = [[int(n) for n in pair.split(":")] for pair in (flow.data.get("picks") or "").split(",") if pair]
    return line, release, picks


def _keep(flow: _Flow, pending: str, picks: list[list[int]]) -> None:
    flow.expect(pending, picks=",".join(f"{lot_id}:{pieces}" for lot_id, pieces in picks))


def _stock(flow: _Flow, line: OrderLine):
    return lots_on_hand(flow.session, [line.part_id]).get(line.part_id, [])


def _progress(picks, left: int) -> str:
    scanned = sum(pieces for _, pieces in picks)
    return f"{scanned} of {left} pcs scanned"


@step(BENCH_LOT, "Shipment", f"Scan the next FG lot (FG-…) for the shipment, or {codes.CMD_DONE} to ship it.")
def bench_lot(flow: _Flow, scan: Scan) -> Answer | None:
    if scan.kind == grammar.FG:
        return add_lot(flow, scan)
    if scan.kind == grammar.COMMAND and scan.code == codes.CMD_DONE:
        return finish(flow)
    return None


@step(BENCH_QTY, "Shipment",
      f"Scan or type the pieces taken from this lot, the next FG lot (FG-…), or {codes.CMD_DONE} to ship.")
def bench_qty(flow: _Flow, scan: Scan) -> Answer | None:
    if scan.kind == grammar.QUANTITY:
        return set_pieces(flow, scan)
    return bench_lot(flow, scan)


def add_lot(flow: _Flow, scan: Scan) -> Answer:
    """An FG lot for the shipment: all its pieces, up to what the delivery still wants."""
    line, release, picks = _held(flow)
    lot = flow.find_fg(scan)
    if lot.part_id != line.part_id:
        raise Refused(f"{lot.barcode} is part {lot.part.label}; {_what(line, release)} is for {line.part.label}.",
                      "Scan an FG lot of the right part.")
    if any(lot_id == lot.id for lot_id, _ in picks):
        raise Refused(f"{lot.barcode} was scanned already for this shipment.",
                      "Scan the next FG lot, a quantity, or CMD-DONE.")
    stock = _stock(flow, line)
    held = next((h for h in stock if h.lot.id == lot.id), None)
    if held is None:
        raise Refused(f"{lot.barcode} is used up: none of its pieces is in a bin any more.", "Scan another FG lot.")
    if held.held_because:
        raise Refused(held.held_because, "Scan another FG lot.")
    left = _left(line, release)
    wanted = left - sum(pieces for _, pieces in picks)
    if wanted <= 0:
        raise Refused(f"{_what(line, release)} wants {left} pcs and all of them are scanned; "
                      f"{lot.barcode} would ship over it.", f"Scan {codes.CMD_DONE} to ship.")
    pieces = min(held.on_hand, wanted)
    picks.append([lot.id, pieces])
    flow.state.fg_lot_id = lot.id
    _keep(flow, BENCH_QTY, picks)
    answer = flow.waiting(f"{lot.barcode}: {pieces} pcs for the shipment",
                          f"{held.on_hand} pcs in {held.location.barcode}; {_progress(picks, left)}. "
                          "Scan a quantity to take fewer.")
    picked = {lot_id for lot_id, _ in picks}
    older = [h for h in stock if h.lot.created_at < lot.created_at and not h.held_because and h.lot.id not in picked]
    if older:
        answer.warnings.append(f"Older lot {older[0].lot.barcode} ({older[0].on_hand} pcs in "
                               f"{older[0].location.barcode}) is waiting: oldest first is suggested.")
    return answer


def set_pieces(flow: _Flow, scan: Scan) -> Answer:
    """The pieces taken from the lot scanned last, instead of all it has."""
    line, release, picks = _held(flow)
    pieces = pieces_of(scan)
    lot = flow.session.get(FinishedGoodsLot, picks[-1][0])
    held = next((h for h in _stock(flow, line) if h.lot.id == lot.id), None)
    on_hand = held.on_hand if held else 0
    if pieces > on_hand:
        raise Refused(f"{lot.barcode} holds only {on_hand} pcs; {pieces} scanned.", "Count again and scan the quantity.")
    left = _left(line, release)
    others = sum(n for _, n in picks[:-1])
    if others + pieces > left:
        raise Refused(f"{_what(line, release)} wants {left} pcs; {others + pieces} would ship over it.",
                      "Scan a smaller quantity.")
    picks[-1][1] = pieces
    _keep(flow, BENCH_LOT, picks)
    return flow.waiting(f"{lot.barcode}: {pieces} pcs for the shipment", f"{_progress(picks, left)}.")


def finish(flow: _Flow) -> Answer:
    """CMD-DONE: one shipment of what was scanned (a ship-complete line only whole), or nothing."""
    line, release, picks = _held(flow)
    if not picks:
        flow.clear()
        return Answer(WAITING, "Shipment ended: nothing was scanned to ship", next_step=flow.next_step())
    request = LineRequest(order_line_id=line.id, release_id=release.id if release else None,
                          picks=[Pick(lot_id, pieces) for lot_id, pieces in picks])
    customer = line.order.customer
    shipment = make_shipment(flow.session, customer, [request], user=flow.operator, ship_date=shoptime.today(),
                             station_id=flow.station.id, scan_uid=flow.scan_uid)
    lots = ", ".join(f"{flow.session.get(FinishedGoodsLot, lot_id).barcode} {pieces} pcs" for lot_id, pieces in picks)
    flow.clear()
    return Answer(DONE, f"Shipped {shipment.barcode}: {request.quantity} pcs to {customer.name}",
                  f"Against {_what(line, release)}, PO {line.order.po_number}: {lots}. "
                  "Its packing list is on the shipment's page.", next_step=flow.next_step())

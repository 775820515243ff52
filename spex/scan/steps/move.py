"""Stock-move steps at the station: a bar or FG lot carried to another bin, or put-away at the dock
(a bin first, then every bar or FG lot that goes in it)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from spex import codes, ledger, shopfloor
from spex.models import Location
from spex.scan import grammar
from spex.scan.answers import DONE, REFUSED, WAITING, Answer, Refused
from spex.scan.grammar import Scan
from spex.scan.steps import step

if TYPE_CHECKING:
    from spex.scan.flows import _Flow

MOVE_WHAT = "move:what"
MOVE_TO = "move:to"
PUT_AWAY = "move:into"


def start_move(flow: _Flow) -> Answer:
    """CMD-MOVE: what moves comes next (or the bin, for a put-away)."""
    flow.may("move")
    flow.clear()
    flow.expect(MOVE_WHAT)
    return flow.waiting("Move stock", "Scan what moves, then the bin it goes to; "
                                      "or scan the bin first to put several things away in it.")


@step(MOVE_WHAT, "Move", "Scan the bar (LOT-…) or FG lot (FG-…) to move, or first the bin (BIN-…) to put away into.")
def move_what(flow: _Flow, scan: Scan) -> Answer | None:
    if scan.kind == grammar.BIN:
        bin = flow.find_bin(scan)
        shopfloor.may_receive(bin, "stock")
        flow.expect(PUT_AWAY, bin=bin.id, moved=0)
        return flow.waiting(f"Put away into {bin.barcode}",
                            f"Scan each bar or FG lot that goes in; {codes.CMD_DONE} after the last.")
    return take_what_moves(flow, scan) or nothing_moved(flow, scan)


@step(MOVE_TO, "Move", "Scan the bin (BIN-…) it goes to.")
def move_to(flow: _Flow, scan: Scan) -> Answer | None:
    if scan.kind != grammar.BIN:
        # Another bar or lot scanned instead: that one moves.
        return take_what_moves(flow, scan) or nothing_moved(flow, scan)
    bin = flow.find_bin(scan)
    moved, barcode = move_into(flow, bin)
    flow.state.stock_unit_id = flow.state.fg_lot_id = None
    flow.expect(None)
    return Answer(DONE, f"Moved {barcode} to {bin.barcode}",
                  f"{ledger.format_qty(moved.quantity)} {moved.unit} from {moved.came_from.barcode}.",
                  next_step=flow.next_step())


@step(PUT_AWAY, "Put-away",
      f"Scan each bar (LOT-…) or FG lot (FG-…) that goes in the bin; {codes.CMD_DONE} after the last.")
def put_away(flow: _Flow, scan: Scan) -> Answer | None:
    bin = flow.session.get(Location, int(flow.data.get("bin") or 0))
    if bin is None:  # a station's state from before its bin was known: the put-away starts over
        flow.clear()
        return Answer(REFUSED, "Which bin? The put-away lost its bin.",
                      next_step=f"Scan {codes.CMD_MOVE} and the bin again.")
    count = int(flow.data.get("moved", 0))
    if scan.kind == grammar.COMMAND and scan.code == codes.CMD_DONE:
        flow.clear()
        return Answer(WAITING, f"Put-away done: {count} moved into {bin.barcode}", next_step=flow.next_step())
    if scan.kind == grammar.BIN:  # the next bin of the put-away
        return move_what(flow, scan)
    if scan.kind == grammar.LOT:
        unit = flow.find_unit(scan)
        barcode = unit.barcode
        moved = shopfloor.move_unit(flow.session, unit, bin, scan_uid=flow.scan_uid, **flow.who())
    elif scan.kind == grammar.FG:
        lot = flow.find_fg(scan)
        barcode = lot.barcode
        moved = shopfloor.move_fg_lot(flow.session, lot, bin, scan_uid=flow.scan_uid, **flow.who())
    else:
        return None
    flow.expect(PUT_AWAY, moved=count + 1)
    return Answer(DONE, f"{barcode} into {bin.barcode}",
                  f"{ledger.format_qty(moved.quantity)} {moved.unit} from {moved.came_from.barcode}; "
                  f"{count + 1} put away here so far.", next_step=flow.next_step())


def take_what_moves(flow: _Flow, scan: Scan) -> Answer | None:
    """A bar or FG lot to move: where it is now (refused when it is not free to move)."""
    if scan.kind == grammar.LOT:
        unit = flow.find_unit(scan)
        here = shopfloor.where_unit_is(flow.session, unit)
        flow.state.stock_unit_id, flow.state.fg_lot_id = unit.id, None
        flow.expect(MOVE_TO)
        material = unit.lot.material
        return flow.waiting(f"Move {unit.barcode} from {here.bin.barcode}: {ledger.format_qty(here.quantity)} "
                            f"{material.unit}", f"{material.label}, heat {unit.lot.heat_number}.")
    if scan.kind == grammar.FG:
        lot = flow.find_fg(scan)
        here = shopfloor.where_fg_is(flow.session, lot)
        flow.state.stock_unit_id, flow.state.fg_lot_id = None, lot.id
        flow.expect(MOVE_TO)
        return flow.waiting(f"Move {lot.barcode} from {here.bin.barcode}: {ledger.format_qty(here.quantity)} pcs",
                            f"Part {lot.part.label}, job {lot.job.number}.")
    return None


def nothing_moved(flow: _Flow, scan: Scan) -> Answer | None:
    """CMD-DONE before anything moved ends the move; any other scan is not the move's."""
    if scan.kind == grammar.COMMAND and scan.code == codes.CMD_DONE:
        flow.clear()
        return Answer(WAITING, "Move ended: nothing moved", next_step=flow.next_step())
    return None


def move_into(flow: _Flow, bin: Location) -> tuple[shopfloor.Moved, str]:
    """Move the bar or FG lot the station holds into the bin; what moved and its barcode."""
    unit, lot = flow.unit, flow.fg_lot
    if unit is not None:
        return shopfloor.move_unit(flow.session, unit, bin, scan_uid=flow.scan_uid, **flow.who()), unit.barcode
    if lot is not None:
        return shopfloor.move_fg_lot(flow.session, lot, bin, scan_uid=flow.scan_uid, **flow.who()), lot.barcode
    raise Refused("Which bar or FG lot moves?", "Scan it (LOT-… or FG-…) first.")

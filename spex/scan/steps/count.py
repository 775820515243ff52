"""Cycle-count steps at the station: CMD-COUNT, the bin, then every bar, plate or FG lot in it (with
its length or quantity where it is not whole), and CMD-DONE; the count's variance is told then.

One rule for a count the station leaves before CMD-DONE, however it leaves it (CMD-CANCEL, signing
out, another person's badge, another job, command or count): the count is cancelled, nothing is
adjusted, and the answer says so. The bin is counted again from the start with a new count."""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, select

from spex import codes, config, ledger
from spex.counts import counting
from spex.models import Balance, Count, CountLine, Location
from spex.scan import grammar
from spex.scan.answers import DONE, Answer, Refused
from spex.scan.grammar import Scan
from spex.scan.steps import length_of, pieces_of, step

if TYPE_CHECKING:
    from spex.scan.flows import _Flow

COUNT_BIN = "count:bin"
COUNT_UNIT = "count:unit"
COUNT_QTY = "count:qty"
COUNTING = (COUNT_UNIT, COUNT_QTY)
COUNT_CANCELLED = (f"Nothing was adjusted, the books are as they were. Scan {codes.CMD_COUNT} and the bin "
                   "to count it again.")
_UNIT_KINDS = (grammar.LOT, grammar.FG)


def start_count(flow: _Flow) -> Answer:
    """CMD-COUNT: the bin comes next."""
    flow.may("count")
    flow.clear()
    flow.expect(COUNT_BIN)
    return flow.waiting("Cycle count", "Scan the bin to count, then every bar, plate and FG lot in it.")


@step(COUNT_BIN, "Count", "Scan the bin to count (BIN-…).")
def count_bin(flow: _Flow, scan: Scan) -> Answer | None:
    if scan.kind == grammar.COMMAND:
        return None  # another command starts over
    if scan.kind != grammar.BIN:
        raise Refused(f"A count starts with its bin; {scan.code} is not a bin.", "Scan the bin's label (BIN-…) first.")
    bin = flow.find_bin(scan)
    count = counting.start_count(flow.session, bin, **flow.who())
    flow.expect(COUNT_UNIT, count=count.id, counted=0)
    on_books = _units_on_books(flow, bin)
    return flow.waiting(f"Counting {bin.barcode}",
                        f"The books have {on_books} unit{'s' if on_books != 1 else ''} here. Scan each bar, plate "
                        f"and FG lot you find; {codes.CMD_DONE} after the last.")


@step(COUNT_UNIT, "Count", f"Scan each bar (LOT-…) or FG lot (FG-…) in the bin; {codes.CMD_DONE} after the last.")
def count_unit(flow: _Flow, scan: Scan) -> Answer | None:
    if scan.kind == grammar.COMMAND and scan.code != codes.CMD_DONE:
        return None  # another command starts over; the count is cancelled (see leave)
    count = _count(flow)
    if scan.kind == grammar.COMMAND:
        return _finish(flow, count)
    if scan.kind not in _UNIT_KINDS:
        raise Refused(f"{scan.code} is not a unit of the count.",
                      f"Scan the next bar (LOT-…) or FG lot (FG-…) in {count.location.barcode}, "
                      f"or {codes.CMD_DONE} after the last.")
    if scan.kind == grammar.LOT:
        unit = flow.find_unit(scan)
        line = counting.count_unit(flow.session, count, unit=unit)
        flow.state.stock_unit_id, flow.state.fg_lot_id = unit.id, None
    else:
        lot = flow.find_fg(scan)
        line = counting.count_unit(flow.session, count, lot=lot)
        flow.state.stock_unit_id, flow.state.fg_lot_id = None, lot.id
    so_far = int(flow.data.get("counted", 0)) + 1
    if line.counted is not None:
        flow.expect(COUNT_UNIT, counted=so_far)
        return Answer(DONE, f"Counted {line.barcode}", f"{so_far} counted in {count.location.barcode} so far.",
                      next_step=flow.next_step())
    flow.expect(COUNT_QTY, line=line.id, counted=so_far)
    place, amount = counting.booked(flow.session, line)
    books = (f"the books have {ledger.format_qty(amount)} {line.unit}"
             + ("" if place == ledger.at_location(count.location_id) else " in another place")
             if place is not None else "the books have none of it in a bin")
    what = "length" if line.stock_unit_id is not None else "quantity"
    return flow.waiting(f"{line.barcode}: its {what}?", f"Measure or count it and scan the {what} ({books}).")


@step(COUNT_QTY, "Count", "Scan or type the length (or the quantity) of the unit just counted.")
def count_qty(flow: _Flow, scan: Scan) -> Answer | None:
    if scan.kind == grammar.COMMAND and scan.code != codes.CMD_DONE:
        return None
    count = _count(flow)
    line = flow.session.get(CountLine, int(flow.data.get("line") or 0))
    if line is None or line.count_id != count.id:
        raise Refused("Which unit? The count lost it.", f"Scan {codes.CMD_COUNT} and the bin again.")
    if scan.kind != grammar.QUANTITY:
        raise Refused(f"{line.barcode} waits for its {'length' if line.stock_unit_id else 'quantity'}.",
                      "Scan or type it first.")
    amount = length_of(scan) if line.unit != "pcs" else pieces_of(scan)
    counting.set_counted(line, amount)
    flow.expect(COUNT_UNIT)
    return Answer(DONE, f"Counted {line.barcode}: {ledger.format_qty(amount)} {line.unit}",
                  f"{flow.data.get('counted', 1)} counted in {count.location.barcode} so far.",
                  next_step=flow.next_step())


def _finish(flow: _Flow, count: Count) -> Answer:
    done = counting.finish_count(flow.session, count, tolerance=config.count_tolerance(), scan_uid=flow.scan_uid,
                                 **flow.who())
    flow.clear()
    bin = count.location.barcode
    if done.count.status == "exact":
        return Answer(DONE, f"{bin} counted: all {len(count.lines)} right", "The books agree with the shelf.",
                      next_step=flow.next_step())
    told = "; ".join(counting.variance_words(line) for line in done.variance)
    if done.count.status == "adjusted":
        return Answer(DONE, f"{bin} counted: {len(done.variance)} adjusted",
                      f"Within the {ledger.format_qty(count.tolerance)} % tolerance, adjusted: {told}.",
                      next_step=flow.next_step())
    answer = Answer(DONE, f"{bin} counted: {len(done.variance)} to approve",
                    f"{told}. Above the {ledger.format_qty(count.tolerance)} % tolerance: "
                    f"{count.number} waits for a planner's approval.", next_step=flow.next_step())
    answer.warnings.append(f"{count.number}: the books are adjusted once a planner approves it.")
    return answer


def leave(flow: _Flow, scan: Scan) -> str | None:
    """The station leaves the count it is in before CMD-DONE: the count is cancelled, nothing adjusted,
    with who and why kept. The words that say so (None when no count was open)."""
    if flow.state.pending not in COUNTING:
        return None
    count = flow.session.get(Count, int(flow.data.get("count") or 0))
    if count is None or count.status != "counting":  # finished (CMD-DONE) or cancelled already
        return None
    if not counting.abandon(flow.session, count, user=flow.operator,
                            note=f"Cancelled at {flow.station.name}: {scan.code} scanned before {codes.CMD_DONE}."):
        return None
    return f"{count.number} of {count.location.barcode} cancelled"


def _count(flow: _Flow) -> Count:
    count = flow.session.get(Count, int(flow.data.get("count") or 0))
    if count is not None and count.status == counting.CANCELLED:
        raise Refused(f"{counting.not_open(count)}: nothing was adjusted.",
                      f"Scan {codes.CMD_COUNT} and the bin to count it again.")
    if count is None or count.status != "counting":
        raise Refused("Which count? The station lost it.", f"Scan {codes.CMD_COUNT} and the bin again.")
    return count


def _units_on_books(flow: _Flow, bin: Location) -> int:
    here = ledger.at_location(bin.id)
    return flow.session.scalar(select(func.count()).select_from(Balance).where(
        Balance.place == here, Balance.quantity > 0,
        Balance.item.like(ledger.UNIT_KEY + ":%") | Balance.item.like(ledger.FG_KEY + ":%"))) or 0

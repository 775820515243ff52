"""Counting a bin: the count is opened on its bin, each unit found is a line, and when the counter
says done the books are read once and compared. Each difference becomes ADJUST entries through the
ledger, with its reason, at once when every line is within the tolerance, or when a planner approves."""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, joinedload, selectinload

from spex import codes, ledger
from spex.models import (FINISHED_STATUSES, Balance, Count, CountLine, FinishedGoodsLot, Location, Station, StockUnit,
                         User, qty, utcnow)
from spex.shopfloor.moves import FINISHED_PLACES, MATERIAL_PLACES
from spex.shopfloor.rules import FloorError, require_role

COUNTED_PLACES = tuple(dict.fromkeys(MATERIAL_PLACES + FINISHED_PLACES))
ZERO = qty(0)
# A count left unfinished and cancelled (at the station, by a planner, or by a new count of its bin)
# keeps the status it always had; people read it as cancelled. It never adjusts the books.
CANCELLED = "dropped"
STATUS_NAMES = {"exact": "counted right", "adjusted": "adjusted (within tolerance)", "waiting": "waits for approval",
                "approved": "approved and adjusted", "rejected": "rejected", "counting": "being counted",
                CANCELLED: "cancelled"}


class CountError(FloorError):
    """A count, a line of it or a decision on it refused: nothing written."""


def start_count(session: Session, bin: Location, *, user: User, station: Station | None = None) -> Count:
    """Open a count of a bin. A count of the same bin left unfinished (a counter walked away) is
    cancelled, nothing adjusted: the new count is the one that stands."""
    require_role(user, "count")
    if not bin.active or bin.kind not in COUNTED_PLACES:
        raise CountError(f"{bin.barcode} is not a bin that holds stock on the shelf; it is not counted.",
                         "Scan the label of a rack bin, cart or finished-goods bin (BIN-…).")
    session.execute(_cancelled((Count.location_id == bin.id,), user,
                               f"Cancelled: a new count of {bin.barcode} was started."))
    count = Count(location_id=bin.id, status="counting", counted_by_id=user.id,
                  station_id=station.id if station else None, started_at=utcnow())
    session.add(count)
    session.flush()
    return count


def cancel(session: Session, count: Count, *, user: User, note: str) -> None:
    """A planner cancels a count left unfinished: nothing is adjusted, who, when and why are kept,
    and the bin is counted again with a new count. Refused once the count has finished (or was
    cancelled already): the check is the update's own, so a counter finishing meanwhile wins."""
    if user is None or not user.has_role(*codes.COUNT_APPROVERS):
        raise CountError("Only a planner may cancel a count.")
    note = (note or "").strip()
    if not note:
        raise CountError("Say why the count is cancelled.")
    if not _cancel_one(session, count, user, note):
        raise CountError(f"{not_open(count)}: nothing was cancelled.")


def abandon(session: Session, count: Count, *, user: User | None, note: str) -> bool:
    """The station leaves a count unfinished (cancelled there, signed out, another flow started):
    it is cancelled, nothing adjusted. False when it had finished or was cancelled already."""
    return _cancel_one(session, count, user, note)


def _cancel_one(session: Session, count: Count, user: User | None, note: str) -> bool:
    done = session.execute(_cancelled((Count.id == count.id,), user, note)).rowcount == 1
    session.refresh(count)
    return done


def _cancelled(where: tuple, user: User | None, note: str):
    return (update(Count).where(*where, Count.status == "counting")
            .values(status=CANCELLED, decided_by_id=user.id if user else None, decided_at=utcnow(),
                    decision_note=note[:2000]).execution_options(synchronize_session=False))


def not_open(count: Count) -> str:
    """Why a count takes no more: cancelled (by whom, why) or finished, as people say it."""
    if count.status == CANCELLED:
        by = f" by {count.decided_by.name}" if count.decided_by else ""
        why = f" ({count.decision_note.rstrip('.')})" if count.decision_note else ""
        return f"{count.number} of {count.location.barcode} was cancelled{by}{why}"
    return f"{count.number} of {count.location.barcode} has finished ({STATUS_NAMES.get(count.status, count.status)})"


def is_whole(unit: StockUnit) -> bool:
    """A unit that is counted by being there: a single plate or piece. Bars (a length) and FG lots (a
    quantity) are measured or counted."""
    return unit.lot.material.unit == "pcs" and unit.initial_qty == 1


def count_unit(session: Session, count: Count, *, unit: StockUnit | None = None,
               lot: FinishedGoodsLot | None = None) -> CountLine:
    """A unit found in the bin: its line (counted already when it is whole, else waiting for its
    length or quantity). The same unit twice in one count is refused."""
    if count.status != "counting":
        raise CountError(f"{count.number} is finished already.", f"Scan {codes.CMD_COUNT} to count again.")
    barcode = unit.barcode if unit is not None else lot.barcode
    already = session.scalar(select(CountLine.id).where(
        CountLine.count_id == count.id,
        CountLine.stock_unit_id == unit.id if unit is not None else CountLine.fg_lot_id == lot.id))
    if already is not None:
        raise CountError(f"{barcode} was counted already in this count.",
                         f"Scan the next unit, or {codes.CMD_DONE} after the last.")
    line = CountLine(count_id=count.id, stock_unit_id=unit.id if unit is not None else None,
                     fg_lot_id=lot.id if lot is not None else None,
                     unit=unit.lot.material.unit if unit is not None else "pcs", expected=ZERO, scanned_at=utcnow())
    if unit is not None and is_whole(unit):
        line.counted = qty(1)
    session.add(line)
    session.flush()
    return line


def set_counted(line: CountLine, quantity: Decimal) -> None:
    line.counted = qty(quantity)


def booked(session: Session, line: CountLine) -> tuple[str | None, Decimal]:
    """Where the books have a unit (a location key) and how much of it is there."""
    return ledger.location_of(session, _item(line))


class Finished(NamedTuple):
    count: Count
    variance: list[CountLine]  # the lines not counted right
    entries: list[ledger.LedgerEntry]  # the adjustments made at once (none when it waits)


def finish_count(session: Session, count: Count, *, tolerance: Decimal, user: User, station: Station | None = None,
                 scan_uid: str | None = None) -> Finished:
    """Compare the count with the books, read now: units the books have here but the count did not
    find, units found that the books put elsewhere, and differences of length or quantity. Within
    the tolerance the variance is adjusted at once; above it the count waits for a planner."""
    if count.status != "counting":
        raise CountError(f"{count.number} is finished already.", f"Scan {codes.CMD_COUNT} to count again.")
    if any(line.counted is None for line in count.lines):
        raise CountError("A unit of the count waits for its length or quantity.", "Scan or type it first.")
    # Claimed by an update that checks it is still unfinished: a planner cancelling it meanwhile wins.
    if session.execute(update(Count).where(Count.id == count.id, Count.status == "counting")
                       .values(finished_at=utcnow()).execution_options(synchronize_session=False)).rowcount != 1:
        session.refresh(count)
        raise CountError(f"{not_open(count)}: nothing was adjusted.", f"Scan {codes.CMD_COUNT} to count again.")
    here = ledger.at_location(count.location_id)
    on_books = {item: (quantity, unit) for item, quantity, unit in session.execute(
        select(Balance.item, Balance.quantity, Balance.unit)
        .where(Balance.place == here, Balance.quantity > 0,
               Balance.item.like(ledger.UNIT_KEY + ":%") | Balance.item.like(ledger.FG_KEY + ":%")))}
    for line in count.lines:
        item = _item(line)
        expected, _ = on_books.pop(item, (ZERO, line.unit))
        line.expected = expected
        if expected == 0:
            place, amount = ledger.location_of(session, item)
            if place is not None:
                line.booked_location_id, line.booked_elsewhere = ledger.parse_key(place).id, amount
    for item, (quantity, unit) in sorted(on_books.items()):
        key = ledger.parse_key(item)
        count.lines.append(CountLine(stock_unit_id=key.id if key.kind == ledger.UNIT_KEY else None,
                                     fg_lot_id=key.id if key.kind == ledger.FG_KEY else None,
                                     unit=unit, expected=quantity, counted=None))
    count.finished_at, count.tolerance = utcnow(), qty(tolerance)
    session.flush()
    variance = [line for line in count.lines if not line.is_right]
    if not variance:
        count.status = "exact"
        return Finished(count, [], [])
    if all(within(line, tolerance) for line in variance):
        entries = adjust(session, count, user=user, station=station, scan_uid=scan_uid)
        count.status = "adjusted"
        return Finished(count, variance, entries)
    count.status = "waiting"
    return Finished(count, variance, [])


def within(line: CountLine, tolerance: Decimal) -> bool:
    """A line whose difference is no more than the tolerance (percent) of what the books had here; a
    unit missing or found from elsewhere never is (unless the tolerance is all of it)."""
    if line.is_right:
        return True
    if line.booked_location_id is not None or line.expected == 0:
        return False
    return abs(line.difference) * 100 <= tolerance * line.expected


def adjust(session: Session, count: Count, *, user: User, station: Station | None = None,
           scan_uid: str | None = None) -> list[ledger.LedgerEntry]:
    """The variance of the count as ADJUST entries, each with its reason: a missing unit out of the
    bin (out of the shop: lost), a unit found from where the books put it, a difference of length or
    quantity in or out. Refused, with nothing written, when the books changed since the count."""
    bin = count.location
    here = ledger.at_location(bin.id)
    entries: list[ledger.LedgerEntry] = []
    ids = {"user_id": user.id if user else None, "station_id": station.id if station else None}

    def write(line: CountLine, amount: Decimal, src: str | None, dst: str | None, reason: str) -> ledger.LedgerEntry:
        entry = ledger.move(session, ledger.ADJUST, _item(line), amount, src, dst, unit=line.unit,
                            job_id=line.fg_lot.job_id if line.fg_lot is not None else None,
                            reason=reason, note=_note(count, line, reason), scan_uid=scan_uid,
                            scan_seq=len(entries), **ids)
        entries.append(entry)
        return entry

    for line in count.lines:
        if line.is_right:
            continue
        _books_unchanged(session, count, line)
        if line.counted is None:
            line.adjust_entry_id = write(line, line.expected, here, None, codes.COUNT_MISSING).id
            continue
        start = line.expected
        if line.booked_location_id is not None:
            line.move_entry_id = write(line, line.booked_elsewhere, ledger.at_location(line.booked_location_id),
                                       here, codes.COUNT_FOUND).id
            start = line.booked_elsewhere
        elif line.expected == 0:
            line.adjust_entry_id = write(line, line.counted, None, here, codes.COUNT_FOUND).id
            continue
        difference = line.counted - start
        if difference > 0:
            line.adjust_entry_id = write(line, difference, None, here, codes.COUNT_QTY).id
        elif difference < 0:
            line.adjust_entry_id = write(line, -difference, here, None, codes.COUNT_QTY).id
    return entries


def approve(session: Session, count: Count, *, user: User, note: str = "") -> list[ledger.LedgerEntry]:
    """A planner approves a count above the tolerance: its variance is adjusted now."""
    _may_decide(count, user)
    entries = adjust(session, count, user=user)
    _decided(count, user, "approved", note)
    return entries


def reject(session: Session, count: Count, *, user: User, note: str) -> None:
    """A planner rejects a count (the bin is to be counted again): the books stay as they are."""
    _may_decide(count, user)
    note = (note or "").strip()
    if not note:
        raise CountError("Say why the count is rejected (what to count again).")
    _decided(count, user, "rejected", note)


def _may_decide(count: Count, user: User) -> None:
    if user is None or not user.has_role(*codes.COUNT_APPROVERS):
        raise CountError("Only a planner may approve or reject a count.")
    if count.status != "waiting":
        raise CountError(f"{count.number} does not wait for approval (it is {count.status}).")


def _decided(count: Count, user: User, status: str, note: str) -> None:
    count.status, count.decided_by_id, count.decided_at = status, user.id, utcnow()
    count.decision_note = (note or "").strip()[:2000] or None


def _books_unchanged(session: Session, count: Count, line: CountLine) -> None:
    here = ledger.balance(session, _item(line), ledger.at_location(count.location_id))
    there = (ledger.balance(session, _item(line), ledger.at_location(line.booked_location_id))
             if line.booked_location_id is not None else line.booked_elsewhere)
    if here != line.expected or there != line.booked_elsewhere:
        raise CountError(f"The books of {line.barcode} changed since the count: nothing was adjusted.",
                         f"Reject the count and count {count.location.barcode} again.")


def _item(line: CountLine) -> str:
    return ledger.unit_item(line.stock_unit_id) if line.stock_unit_id is not None else ledger.fg_item(line.fg_lot_id)


def _note(count: Count, line: CountLine, reason: str) -> str:
    counted = "not found" if line.counted is None else f"counted {ledger.format_qty(line.counted)} {line.unit}"
    text = (f"{count.number} of {count.location.barcode}: {codes.COUNT_REASONS[reason].lower()}; books "
            f"{ledger.format_qty(line.expected)} {line.unit} here, {counted}")
    if line.booked_location_id is not None:
        text += f"; the books had it in {line.booked_location.barcode}"
    return text + "."


def variance_words(line: CountLine) -> str:
    """One line of a count's variance as people say it."""
    if line.counted is None:
        return f"{line.barcode} missing ({ledger.format_qty(line.expected)} {line.unit} on the books)"
    if line.booked_location_id is not None:
        return f"{line.barcode} found here, the books had it in {line.booked_location.barcode}"
    if line.expected == 0:
        return f"{line.barcode} found here, the books had it nowhere"
    return (f"{line.barcode} {ledger.format_qty(line.counted)} {line.unit}, the books "
            f"{ledger.format_qty(line.expected)} {line.unit}")


# --- reading -----------------------------------------------------------------------------------

def waiting(session: Session) -> list[Count]:
    return list(session.scalars(select(Count).where(Count.status == "waiting").order_by(Count.finished_at)))


# What a list of counts shows of each: its bin and who counted (one query, not one per row).
_LISTED_WITH = (joinedload(Count.location), joinedload(Count.counted_by))


def unfinished(session: Session, older_than: timedelta) -> list[Count]:
    """The counts still open that were started more than `older_than` ago: left at a station,
    most likely, the oldest first."""
    return list(session.scalars(select(Count).where(Count.status == "counting",
                                                    Count.started_at < utcnow() - older_than)
                                .options(*_LISTED_WITH, joinedload(Count.station), selectinload(Count.lines))
                                .order_by(Count.started_at, Count.id)))


def cancelled(session: Session, limit: int = 50) -> list[Count]:
    return list(session.scalars(select(Count).where(Count.status == CANCELLED)
                                .options(*_LISTED_WITH, joinedload(Count.decided_by))
                                .order_by(Count.id.desc()).limit(limit)))


def finished(session: Session, limit: int = 200) -> list[Count]:
    return list(session.scalars(select(Count).where(Count.status.in_(FINISHED_STATUSES))
                                .order_by(Count.finished_at.desc(), Count.id.desc()).limit(limit)))


def counts_of_unit(session: Session, *, stock_unit_id: int | None = None,
                   fg_lot_id: int | None = None) -> list[CountLine]:
    """The lines of the finished counts a unit was in, newest first."""
    which = CountLine.stock_unit_id == stock_unit_id if stock_unit_id is not None else CountLine.fg_lot_id == fg_lot_id
    return list(session.scalars(select(CountLine).join(Count).where(which, Count.status.in_(FINISHED_STATUSES))
                                .order_by(Count.finished_at.desc(), Count.id.desc())))


class Accuracy(NamedTuple):
    right: int
    lines: int

    @property
    def rate(self) -> float | None:
        return self.right / self.lines if self.lines else None


def accuracy(session: Session, lo: datetime, hi: datetime) -> Accuracy:
    """Count accuracy over [lo, hi): the share of units counted as the books had them, of every unit
    of the counts finished then (a unit missing, found from elsewhere or of another length is wrong)."""
    right = ((CountLine.counted == CountLine.expected) & CountLine.booked_location_id.is_(None))
    row = session.execute(select(func.count(CountLine.id), func.count(CountLine.id).filter(right))
                          .join(Count).where(Count.status.in_(FINISHED_STATUSES), Count.finished_at >= lo,
                                             Count.finished_at < hi)).one()
    return Accuracy(int(row[1] or 0), int(row[0] or 0))

"""Material on the floor: bar and plate pulled to a job, remnants back on the rack."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from spex import ledger
from spex.materials.holds import pull_refusal, reservation_refusal
from spex.models.people import Worker
from spex.models import Job, LedgerEntry, Location, Station, StockUnit, qty
from spex.shopfloor.rules import FloorError, _ids, require_role, amount_of, _job_open


@dataclass(frozen=True)
class Pull:
    """What a pull learned: its entry, what is left of the bar and the place it is in (the place
    stays named when the bar is used up: it is where the last of it was)."""
    entry: ledger.LedgerEntry
    left: Decimal
    place: str


# --- material --------------------------------------------------------------------------------

def _unit_bin(session: Session, unit: StockUnit) -> tuple[str, Decimal]:
    place, amount = ledger.location_of(session, ledger.unit_item(unit.id))
    if place is not None:
        return place, amount
    raise FloorError(f"{unit.barcode} is empty or used up; scan another bar.", "Scan another bar (LOT-…).")


def pull_material(session: Session, unit: StockUnit, job: Job, quantity, *, user: Worker,
                  station: Station | None = None, scan_uid: str | None = None) -> Pull:
    """Issue bar (inches) or plate (pieces) to a job; its heat is then recorded against the job."""
    require_role(user, "pull")
    _job_open(job)
    amount = amount_of(quantity)
    material = unit.lot.material
    wanted = job.part.material
    if wanted is not None and wanted.id != material.id:
        raise FloorError(f"{unit.barcode} is {material.label}; job {job.number} calls for {wanted.label}. "
                         "Scan a bar of the right material.", f"Scan a bar (LOT-…) of {wanted.label}.")
    held = pull_refusal(session, unit.lot)
    if held:
        raise FloorError(held, "Scan a bar (LOT-…) of another lot.")
    reserved = reservation_refusal(session, unit, job)
    if reserved:
        raise FloorError(reserved, "Scan a bar (LOT-…) of shop stock.")
    place, left = _unit_bin(session, unit)
    if amount > left:
        left_words = f"{ledger.format_qty(left)} {material.unit}"
        raise FloorError(f"{unit.barcode} has only {left_words} left; {ledger.format_qty(amount)} asked.",
                         f"Scan or type a length up to {left_words}, or another bar (LOT-…).")
    entry = ledger.move(session, ledger.PULL, ledger.unit_item(unit.id), amount, place, None, unit=material.unit,
                        job_id=job.id, scan_uid=scan_uid, note=f"heat {unit.lot.heat_number}", **_ids(user, station))
    return Pull(entry, left - amount, place)


def too_short_for_remnant(unit: StockUnit, length) -> str | None:
    """Why a drop this long goes to scrap rather than back on the rack, or None when it is a remnant."""
    material = unit.lot.material
    minimum = material.min_remnant_in
    if minimum is None or material.unit not in ("in", "ft"):
        return None
    amount = amount_of(length)
    inches = amount * 12 if material.unit == "ft" else amount
    if inches >= minimum:
        return None
    return (f"A {ledger.format_qty(amount)} {material.unit} drop of {unit.barcode} is shorter than "
            f"{ledger.format_qty(minimum)} in, the shortest usable remnant of {material.code}: put it in the scrap "
            "bin; it gets no remnant label.")


def _last_job_of(session: Session, unit: StockUnit) -> int | None:
    """The job the bar was last pulled to (a pull not undone): the job a remnant from it is credited to."""
    undone = select(LedgerEntry.reverses_id).where(LedgerEntry.reverses_id.is_not(None))
    return session.scalar(select(LedgerEntry.job_id).where(
        LedgerEntry.item == ledger.unit_item(unit.id), LedgerEntry.kind == ledger.PULL,
        LedgerEntry.id.not_in(undone)).order_by(LedgerEntry.id.desc()).limit(1))


def return_remnant(session: Session, unit: StockUnit, length, bin: Location, *, user: Worker,
                   station: Station | None = None, scan_uid: str | None = None) -> StockUnit:
    """A drop goes back on the rack as a stock unit of its own (same lot and heat), with a new label.
    The job the bar was pulled to is credited with it, so its consumption (and yield) is what it cut."""
    require_role(user, "remnant")
    amount = amount_of(length)
    short = too_short_for_remnant(unit, amount)
    if short:
        raise FloorError(short, "Scan CMD-RETURN for a longer drop, or go on with the next scan.")
    if bin.kind not in ("bin", "cart", "receiving") or not bin.active:
        raise FloorError(f"{bin.barcode} is not a bin for material; scan a rack bin.")
    pulled = session.scalar(select(func.sum(LedgerEntry.quantity)).where(
        LedgerEntry.item == ledger.unit_item(unit.id), LedgerEntry.kind == ledger.PULL)) or 0
    undone = session.scalar(select(func.sum(LedgerEntry.quantity)).where(
        LedgerEntry.item == ledger.unit_item(unit.id), LedgerEntry.kind == ledger.REVERSAL,
        LedgerEntry.to_place.is_not(None))) or 0
    returned = session.scalar(select(func.sum(StockUnit.initial_qty)).where(StockUnit.parent_id == unit.id)) or 0
    free = qty(pulled) - qty(undone) - qty(returned)
    if amount > free:
        raise FloorError(f"Only {ledger.format_qty(max(free, qty(0)))} {unit.lot.material.unit} of {unit.barcode} went to jobs; "
                         f"a {ledger.format_qty(amount)} remnant cannot come back from it.")
    count = session.scalar(select(func.count(StockUnit.id)).where(StockUnit.lot_id == unit.lot_id))
    code = f"{unit.lot.number}-{count + 1:02d}"
    while session.scalar(select(StockUnit.id).where(StockUnit.code == code)) is not None:
        count += 1
        code = f"{unit.lot.number}-{count + 1:02d}"
    remnant = StockUnit(code=code, lot_id=unit.lot_id, kind="remnant", initial_qty=amount, parent_id=unit.id)
    session.add(remnant)
    session.flush()
    ledger.move(session, ledger.REMNANT, ledger.unit_item(remnant.id), amount, None, ledger.at_location(bin.id),
                unit=unit.lot.material.unit, scan_uid=scan_uid, note=f"remnant of {unit.barcode}",
                job_id=_last_job_of(session, unit), **_ids(user, station))
    return remnant

"""Stock moves: a bar, plate or remnant, or a finished-goods lot, carried from its bin to another.

A move takes the whole of what is in the bin to the new one as one PUTAWAY entry. Stock that is
not free on the shelf (issued to a job, waiting at inspection, at a vendor, scrapped, shipped) is
not moved, and a place keeps only what it is for.
"""
from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from spex import ledger
from spex.models import LOCATION_KINDS, FinishedGoodsLot, Job, LedgerEntry, Location, Station, StockUnit, User
from spex.shopfloor.rules import FloorError, _ids, require_role

# What each kind of stock may be put in: material on racks, carts and the dock; finished goods in
# the FG area, a general bin or at shipping. Inspection, scrap and vendors are reached by a hold,
# scrap or a ship-out, never by a move.
MATERIAL_PLACES = ("bin", "cart", "receiving")
FINISHED_PLACES = ("fg", "bin", "shipping")
# Why stock in a place of these kinds stays where it is.
NOT_FREE = {
    "inspection": "on hold at inspection ({bin}); an inspector releases it",
    "vendor": "at the vendor ({bin}); it comes back by CMD-RECEIVE",
    "scrap": "scrapped ({bin})",
}


class Moved(NamedTuple):
    """What a move did: its entry, where the stock was and is now, and how much went."""
    entry: LedgerEntry
    came_from: Location
    went_to: Location
    quantity: Decimal
    unit: str


class Whereabouts(NamedTuple):
    """Where a bar or FG lot stands, free to move: its bin and how much of it is there."""
    bin: Location
    quantity: Decimal


def where_unit_is(session: Session, unit: StockUnit) -> Whereabouts:
    """The bin a bar is in, or why it cannot be moved: issued to a job, held, at a vendor, scrapped."""
    place, amount = ledger.location_of(session, ledger.unit_item(unit.id))
    if place is None:
        job = _issued_to(session, unit)
        if job is not None:
            raise FloorError(f"{unit.barcode} is issued to job {job}: nothing of it is left in a bin.",
                             "Scan another bar (LOT-…).")
        raise FloorError(f"{unit.barcode} is empty or used up: nothing of it is in a bin.", "Scan another bar (LOT-…).")
    return Whereabouts(_free_bin(session, place, unit.barcode, "bar"), amount)


def where_fg_is(session: Session, lot: FinishedGoodsLot) -> Whereabouts:
    """The bin a finished-goods lot is in, or why it cannot be moved: shipped or used up, held."""
    place, amount = ledger.location_of(session, ledger.fg_item(lot.id))
    if place is None:
        raise FloorError(f"{lot.barcode} is used up: all of it has shipped.", "Scan another FG lot (FG-…).")
    return Whereabouts(_free_bin(session, place, lot.barcode, "FG lot"), amount)


def may_receive(bin: Location, what: str) -> None:
    """Refuse a bin that cannot take a move at all: inactive, a rack or an area, a vendor, scrap."""
    if not bin.active:
        raise FloorError(f"{bin.barcode} is no longer in use.", "Scan the label of another bin (BIN-…).")
    if bin.kind not in MATERIAL_PLACES + FINISHED_PLACES:
        raise FloorError(f"{bin.barcode} ({_kind(bin)}) cannot hold {what}.", "Scan the label of a bin (BIN-…).")


def move_unit(session: Session, unit: StockUnit, bin: Location, *, user: User, station: Station | None = None,
              scan_uid: str | None = None) -> Moved:
    """Carry a bar, plate or remnant to another bin (all that is left of it)."""
    require_role(user, "move")
    here = where_unit_is(session, unit)
    _may_go(bin, here.bin, unit.barcode, "bar stock", MATERIAL_PLACES)
    return _move(session, ledger.unit_item(unit.id), here, bin, unit.lot.material.unit, user, station, scan_uid)


def move_fg_lot(session: Session, lot: FinishedGoodsLot, bin: Location, *, user: User,
                station: Station | None = None, scan_uid: str | None = None) -> Moved:
    """Carry a finished-goods lot to another bin (every piece of it)."""
    require_role(user, "move")
    here = where_fg_is(session, lot)
    _may_go(bin, here.bin, lot.barcode, "finished goods", FINISHED_PLACES)
    return _move(session, ledger.fg_item(lot.id), here, bin, "pcs", user, station, scan_uid,
                 job_id=lot.job_id)


def _move(session: Session, item: str, here: Whereabouts, bin: Location, unit: str, user: User,
          station: Station | None, scan_uid: str | None, job_id: int | None = None) -> Moved:
    entry = ledger.move(session, ledger.PUTAWAY, item, here.quantity, ledger.at_location(here.bin.id),
                        ledger.at_location(bin.id), unit=unit, job_id=job_id, scan_uid=scan_uid,
                        **_ids(user, station))
    return Moved(entry, here.bin, bin, here.quantity, unit)


def _may_go(bin: Location, current: Location, barcode: str, what: str, kinds: tuple[str, ...]) -> None:
    may_receive(bin, what)
    if bin.kind not in kinds:
        raise FloorError(f"{bin.barcode} ({_kind(bin)}) does not take {what}.",
                         f"Scan a bin for {what} ({', '.join(LOCATION_KINDS[k].lower() for k in kinds)}).")
    if bin.id == current.id:
        raise FloorError(f"{barcode} is already in {bin.barcode}.", "Scan the bin it goes to (BIN-…).")


def _free_bin(session: Session, place: str, barcode: str, what: str) -> Location:
    bin = session.get(Location, ledger.parse_key(place).id)
    why = NOT_FREE.get(bin.kind)
    if why is not None:
        raise FloorError(f"{barcode} is {why.format(bin=bin.barcode)}: a move cannot take it.",
                         f"Scan another {what}.")
    return bin


def _issued_to(session: Session, unit: StockUnit) -> str | None:
    """The job the bar's last pull went to, if it was pulled at all."""
    return session.scalar(select(Job.number).join(LedgerEntry, LedgerEntry.job_id == Job.id)
                          .where(LedgerEntry.stock_unit_id == unit.id, LedgerEntry.kind == ledger.PULL)
                          .order_by(LedgerEntry.id.desc()).limit(1))


def _kind(bin: Location) -> str:
    """The kind of place in a sentence: "rack", "finished goods", "WIP cart"."""
    name = LOCATION_KINDS.get(bin.kind, bin.kind)
    return name if name.split()[0].isupper() else name.lower()

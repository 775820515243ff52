"""Cartons: a finished-goods lot packed into cartons, each a lot of its own with its own FG- label, and
a carton merged back into the lot it came from.

A carton is a finished-goods lot of the same job and part as the lot it was split from (and keeps that
lot's age, so oldest-first still means the oldest pieces): the heats, genealogy and recall read a lot's
job, so they follow a carton as they follow its parent. Both moves go through the ledger, two entries
each (pieces out of one lot, into the other), in the same bin.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from spex import codes, ledger
from spex.models import FinishedGoodsLot, Location, Station
from spex.models.people import Worker
from spex.shipping.shipments import ShippingError
from spex.shopfloor.goods import next_fg_code
from spex.shopfloor.rules import require_role

MAX_CARTONS = 50


def _where(session: Session, lot: FinishedGoodsLot) -> tuple[str | None, int]:
    place, amount = ledger.location_of(session, ledger.fg_item(lot.id))
    return place, int(amount)


def _ids(user: Worker, station: Station | None) -> dict:
    return {"user_id": user.id, "station_id": station.id if station else None}


def split_into_cartons(session: Session, lot: FinishedGoodsLot, sizes: list[int], *, user: Worker,
                       station: Station | None = None) -> list[FinishedGoodsLot]:
    """Pack `sizes` pieces of the lot into new cartons in its bin, or refuse with nothing written."""
    require_role(user, "ship")
    sizes = [int(n) for n in sizes]
    if not sizes:
        raise ShippingError("Enter the pieces of each carton, e.g. 25, 25.")
    if len(sizes) > MAX_CARTONS:
        raise ShippingError(f"At most {MAX_CARTONS} cartons at once; {len(sizes)} asked.")
    if any(not 0 < n <= codes.MAX_SCAN_QUANTITY for n in sizes):
        raise ShippingError("Each carton holds at least one piece.")
    place, on_hand = _where(session, lot)
    if place is None:
        raise ShippingError(f"{lot.barcode} is used up: none of its pieces is in a bin any more.")
    if sum(sizes) > on_hand:
        raise ShippingError(f"{lot.barcode} holds only {on_hand} pcs; cartons of {sum(sizes)} pcs asked.")
    cartons = []
    for pieces in sizes:
        carton = FinishedGoodsLot(code=next_fg_code(session), job_id=lot.job_id, part_id=lot.part_id,
                                  parent_id=lot.id, created_at=lot.created_at)
        session.add(carton)
        session.flush()
        ledger.move(session, ledger.CARTON, ledger.fg_item(lot.id), pieces, place, None, unit="pcs",
                    job_id=lot.job_id, note=f"into carton {carton.barcode}", **_ids(user, station))
        ledger.move(session, ledger.CARTON, ledger.fg_item(carton.id), pieces, None, place, unit="pcs",
                    job_id=lot.job_id, note=f"carton of {lot.barcode}", **_ids(user, station))
        cartons.append(carton)
    return cartons


def merge_back(session: Session, carton: FinishedGoodsLot, *, user: Worker,
               station: Station | None = None) -> tuple[FinishedGoodsLot, int]:
    """Every piece of the carton back into the lot it was split from (into that lot's bin, or the
    carton's when the lot is empty); the lot and the pieces merged."""
    require_role(user, "ship")
    if carton.parent_id is None:
        raise ShippingError(f"{carton.barcode} is not a carton: it was not split from another lot.")
    place, pieces = _where(session, carton)
    if place is None:
        raise ShippingError(f"{carton.barcode} is empty: its pieces shipped or were merged back already.")
    parent = carton.parent
    parent_place, _ = _where(session, parent)
    into = parent_place or place
    ledger.move(session, ledger.CARTON, ledger.fg_item(carton.id), pieces, place, None, unit="pcs",
                job_id=carton.job_id, note=f"merged back into {parent.barcode}", **_ids(user, station))
    ledger.move(session, ledger.CARTON, ledger.fg_item(parent.id), pieces, None, into, unit="pcs",
                job_id=carton.job_id, note=f"from carton {carton.barcode}", **_ids(user, station))
    return parent, pieces


def cartons_of(session: Session, lot: FinishedGoodsLot) -> list[tuple[FinishedGoodsLot, str | None, int]]:
    """The cartons split from the lot, oldest first, each with its bin's barcode and pieces on hand."""
    found = session.scalars(select(FinishedGoodsLot).where(FinishedGoodsLot.parent_id == lot.id)
                            .order_by(FinishedGoodsLot.id)).all()
    rows = []
    for carton in found:
        place, pieces = _where(session, carton)
        key = ledger.parse_key(place)
        bin = session.get(Location, key.id).barcode if key else None
        rows.append((carton, bin, pieces))
    return rows


def find_lot(session: Session, code: str) -> FinishedGoodsLot | None:
    code = (code or "").strip().upper().removeprefix(codes.FG)[:40]
    return session.scalar(select(FinishedGoodsLot).where(FinishedGoodsLot.code == code)) if code else None



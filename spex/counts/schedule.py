"""The count schedule: every bin that holds stock on the shelf gets an ABC class from the value of
what it holds (the metrics' ABC cut-offs: A the bins making the first 80 % of the value, B the next
15 %, C the rest), and is due for counting its class's interval after its last count (at once when
it was never counted)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from spex import ledger, shoptime
from spex.config import DEFAULT_COUNT_DAYS
from spex.counts.counting import COUNTED_PLACES
from spex.metrics.reorder import abc_classes
from spex.models import (FINISHED_STATUSES, Balance, Count, FinishedGoodsLot, Location, Material, MaterialLot, Part,
                         StockUnit)


@dataclass
class BinDue:
    location: Location
    value: Decimal  # what the bin holds, at material cost and part price
    units: int
    abc: str
    last_counted: date | None
    due: date

    @property
    def is_due(self) -> bool:
        return self.due <= shoptime.today()


def bin_values(session: Session) -> dict[int, tuple[Decimal, int]]:
    """Per location id: the value of the bars and FG lots in it, and how many units."""
    values: dict[int, list] = {}
    place_id = ledger.parse_key
    rows = session.execute(
        select(Balance.place, Balance.quantity, Material.unit_cost)
        .join(StockUnit, ledger.key_sql(ledger.UNIT_KEY, StockUnit.id) == Balance.item)
        .join(MaterialLot, MaterialLot.id == StockUnit.lot_id).join(Material, Material.id == MaterialLot.material_id)
        .where(ledger.place_is_location(Balance.place), Balance.quantity > 0)).all()
    rows += session.execute(
        select(Balance.place, Balance.quantity, Part.unit_price)
        .join(FinishedGoodsLot, ledger.key_sql(ledger.FG_KEY, FinishedGoodsLot.id) == Balance.item)
        .join(Part, Part.id == FinishedGoodsLot.part_id)
        .where(ledger.place_is_location(Balance.place), Balance.quantity > 0)).all()
    for place, quantity, price in rows:
        entry = values.setdefault(place_id(place).id, [Decimal(0), 0])
        entry[0] += quantity * (price or 0)
        entry[1] += 1
    return {key: (value, units) for key, (value, units) in values.items()}


def schedule(session: Session, days: dict[str, int] | None = None) -> list[BinDue]:
    """Every counted bin with its class, its last count and when it is due, the most overdue first."""
    days = {**DEFAULT_COUNT_DAYS, **(days or {})}
    bins = session.scalars(select(Location).where(Location.active.is_(True), Location.kind.in_(COUNTED_PLACES))
                           .order_by(Location.code)).all()
    values = bin_values(session)
    classes = abc_classes({bin.id: values.get(bin.id, (Decimal(0), 0))[0] for bin in bins})
    last = dict(session.execute(select(Count.location_id, func.max(Count.finished_at))
                                .where(Count.status.in_(FINISHED_STATUSES)).group_by(Count.location_id)).all())
    today = shoptime.today()
    rows = []
    for bin in bins:
        value, units = values.get(bin.id, (Decimal(0), 0))
        counted = shoptime.local_date(last[bin.id]) if last.get(bin.id) else None
        due = counted + timedelta(days=days[classes[bin.id]]) if counted else today
        rows.append(BinDue(bin, value, units, classes[bin.id], counted, due))
    return sorted(rows, key=lambda row: (row.due, "ABC".index(row.abc), row.location.code))


def due(session: Session, days: dict[str, int] | None = None) -> list[BinDue]:
    return [row for row in schedule(session, days) if row.is_due]

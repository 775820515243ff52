"""Shipping room: finished goods held for customers — what is on the shelf, for whom and why, what it is
worth and what holding it costs — and the customer safety-stock programs that are below their minimum.

Carrying cost = value × SPEX_HOLDING_RATE × days held / 365: the same yearly rate the EOQ uses.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from spex import ledger, shoptime
from spex.config import DEFAULT_HOLDING_RATE, DEFAULT_SHOP_RATE
from spex.metrics import batchcost
from spex.models import (OPEN_STATUSES, Balance, CustomerOrder, FinishedGoodsLot, Job, Location, OrderLine, Part,
                         Release, StockingProgram)

DAYS_PER_YEAR = 365
SAFETY_STOCK = "safety_stock"
CENT = Decimal("0.01")


def carrying_cost(value: Decimal, rate: Decimal, days: int) -> Decimal:
    """Carrying cost = value × yearly holding rate × days / 365, to the cent."""
    return (Decimal(value) * Decimal(rate) * days / DAYS_PER_YEAR).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class HeldLot:
    lot: FinishedGoodsLot
    pieces: int
    place: Location | None
    why: list[str]
    unit_value: Decimal | None
    age_days: int
    carrying: Decimal | None

    @property
    def value(self) -> Decimal | None:
        return None if self.unit_value is None else (self.unit_value * self.pieces).quantize(CENT)


def fg_on_hand(session: Session) -> list[tuple[FinishedGoodsLot, int, int | None]]:
    """Every finished-goods lot with pieces on a shelf: (lot, pieces, location id)."""
    fg_key = ledger.key_sql(ledger.FG_KEY, FinishedGoodsLot.id)
    stmt = (select(FinishedGoodsLot, Balance.quantity, Balance.place)
            .join(Balance, Balance.item == fg_key)
            .where(ledger.place_is_location(Balance.place), Balance.quantity > 0)
            .options(selectinload(FinishedGoodsLot.part).selectinload(Part.customer))
            .order_by(FinishedGoodsLot.created_at, FinishedGoodsLot.id))
    return [(lot, int(pieces), ledger.parse_key(place).id) for lot, pieces, place in session.execute(stmt)]


def _reasons(session: Session, part_ids) -> dict[int, list[str]]:
    """Why a part's finished pieces are kept: the open releases and blankets and programs that want them."""
    why: dict[int, list[str]] = defaultdict(list)
    if not part_ids:
        return why
    open_line = (OrderLine.status != "cancelled", CustomerOrder.status == "open", OrderLine.part_id.in_(part_ids))
    releases = session.execute(
        select(OrderLine.part_id, CustomerOrder.number, Release.due_date, Release.quantity - Release.shipped_qty)
        .join(OrderLine, Release.order_line_id == OrderLine.id).join(CustomerOrder, OrderLine.order_id == CustomerOrder.id)
        .where(*open_line, OrderLine.strategy == "scheduled", Release.shipped_qty < Release.quantity)
        .order_by(Release.due_date))
    for part_id, order, due, left in releases:
        if len([w for w in why[part_id] if w.startswith("release")]) < 3:
            why[part_id].append(f"release of {left} due {due:%a %d %b} on {order}")
    blankets = session.execute(
        select(OrderLine.part_id, CustomerOrder.number, OrderLine.quantity, OrderLine.shipped_qty, OrderLine.due_date)
        .join(CustomerOrder, OrderLine.order_id == CustomerOrder.id)
        .where(*open_line, OrderLine.strategy == "blanket", OrderLine.shipped_qty < OrderLine.quantity))
    for part_id, order, committed, shipped, ends in blankets:
        until = f" to {ends:%d %b %Y}" if ends else ""
        why[part_id].append(f"blanket {order}: {committed - shipped} of {committed} still to call off{until}")
    programs = session.execute(select(StockingProgram.part_id, StockingProgram.quantity).where(
        StockingProgram.kind == SAFETY_STOCK, StockingProgram.active.is_(True), StockingProgram.part_id.in_(part_ids)))
    for part_id, minimum in programs:
        why[part_id].append(f"safety-stock program: hold at least {int(minimum)}")
    return why


def unit_values(parts, *, shop_rate: Decimal = DEFAULT_SHOP_RATE) -> dict[int, Decimal | None]:
    """A piece's value: the part's price, else what making it costs (run and material, spex.metrics.batchcost)."""
    values = {}
    for part in parts:
        if part.unit_price:
            values[part.id] = Decimal(part.unit_price)
        else:
            made = batchcost.inputs_for(part, 0, shop_rate=shop_rate)
            values[part.id] = made.variable.quantize(CENT) if made.variable else None
    return values


def held_goods(session: Session, today: date, *, holding_rate: Decimal = DEFAULT_HOLDING_RATE,
               shop_rate: Decimal = DEFAULT_SHOP_RATE) -> list[HeldLot]:
    """Every finished-goods lot on a shelf, oldest first, with whom it is for, why, its value, age and carrying cost."""
    on_hand = fg_on_hand(session)
    parts = {lot.part_id: lot.part for lot, _, _ in on_hand}
    why = _reasons(session, list(parts))
    values = unit_values(parts.values(), shop_rate=shop_rate)
    places = {loc.id: loc for loc in session.scalars(select(Location).where(
        Location.id.in_({place for _, _, place in on_hand if place})))}
    held = []
    for lot, pieces, place in on_hand:
        age = max((today - shoptime.local_date(lot.created_at)).days, 0)
        value = values.get(lot.part_id)
        total = None if value is None else value * pieces
        held.append(HeldLot(lot=lot, pieces=pieces, place=places.get(place),
                            why=why.get(lot.part_id) or ["no order waiting: made ahead or left over"],
                            unit_value=value, age_days=age,
                            carrying=None if total is None else carrying_cost(total, holding_rate, age)))
    return held


# --- customer safety-stock programs ------------------------------------------------------------------

@dataclass
class SafetyShort:
    program: StockingProgram
    on_hand: int
    in_jobs: int  # pieces still coming in the part's open jobs
    suggested_job: int | None = None  # pieces: the economic batch, at least what is missing
    economic: int | None = None  # the part's economic batch size (spex.metrics.batchcost)
    missing: int = 0  # below the minimum after what is on hand and in open jobs
    notes: list[str] = field(default_factory=list)

    @property
    def minimum(self) -> int:
        return int(self.program.quantity)

    @property
    def short(self) -> int:
        return max(self.minimum - self.on_hand, 0)


def safety_short_count(session: Session) -> int:
    """How many active safety-stock programs are below their minimum: one statement, for the board's summary."""
    fg_key = ledger.key_sql(ledger.FG_KEY, FinishedGoodsLot.id)
    on_hand = (select(func.coalesce(func.sum(Balance.quantity), 0)).select_from(FinishedGoodsLot)
               .join(Balance, Balance.item == fg_key)
               .where(FinishedGoodsLot.part_id == StockingProgram.part_id, ledger.place_is_location(Balance.place))
               .correlate(StockingProgram).scalar_subquery())
    return session.scalar(select(func.count(StockingProgram.id)).where(
        StockingProgram.kind == SAFETY_STOCK, StockingProgram.active.is_(True), StockingProgram.part_id.is_not(None),
        StockingProgram.quantity > on_hand)) or 0


def safety_stock_shorts(session: Session, today: date | None = None, *, with_batch: bool = True,
                        holding_rate: Decimal = DEFAULT_HOLDING_RATE,
                        shop_rate: Decimal = DEFAULT_SHOP_RATE) -> list[SafetyShort]:
    """Active safety-stock programs whose finished pieces on hand are below their minimum; with_batch
    adds the job to start: the part's economic batch size, at least what on hand and open jobs leave missing."""
    programs = session.scalars(select(StockingProgram).where(
        StockingProgram.kind == SAFETY_STOCK, StockingProgram.active.is_(True), StockingProgram.part_id.is_not(None))
        .order_by(StockingProgram.id)).all()
    if not programs:
        return []
    part_ids = [p.part_id for p in programs]
    fg_key = ledger.key_sql(ledger.FG_KEY, FinishedGoodsLot.id)
    on_hand = dict(session.execute(
        select(FinishedGoodsLot.part_id, func.sum(Balance.quantity)).join(Balance, Balance.item == fg_key)
        .where(ledger.place_is_location(Balance.place), FinishedGoodsLot.part_id.in_(part_ids))
        .group_by(FinishedGoodsLot.part_id)).all())
    in_jobs = dict(session.execute(
        select(Job.part_id, func.sum(Job.quantity)).where(Job.status.in_(OPEN_STATUSES), Job.part_id.in_(part_ids))
        .group_by(Job.part_id)).all())
    shorts = []
    for program in programs:
        short = SafetyShort(program, int(on_hand.get(program.part_id) or 0), int(in_jobs.get(program.part_id) or 0))
        if not short.short:
            continue
        missing = short.minimum - short.on_hand - short.in_jobs
        short.missing = max(missing, 0)
        if with_batch and missing > 0:
            economic = batchcost.economic_batch(session, program.part, today or shoptime.today(),
                                                shop_rate=shop_rate, holding_rate=holding_rate)
            short.economic = economic
            short.suggested_job = max(missing, economic or 0)
            if not economic:
                short.notes.append("no economic batch known: suggesting what is missing")
        shorts.append(short)
    return shorts

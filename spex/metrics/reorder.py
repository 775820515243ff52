"""Metrics room: reorder maths — daily usage from the pulls, safety stock, reorder point, EOQ, ABC.

The formulas are the textbook ones, stated where they are used, so a planner can check a figure
by hand; usage comes from the ledger (material pulled to jobs), never from guesses.
"""
from __future__ import annotations

import math
from bisect import bisect_right
import statistics
from dataclasses import dataclass, field
from datetime import date, timedelta, timezone
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from spex import ledger, shoptime
from spex.config import DEFAULT_HOLDING_RATE
from spex.models import CustomerOrder, LedgerEntry, Material, MaterialLot, OrderLine, Part, StockUnit, qty

DAYS_PER_YEAR = 365
# ABC cut-offs: A takes the top 80 % of annual usage value, B the next 15 %, C the rest.
ABC_A, ABC_B = 0.80, 0.95


class ReorderError(ValueError):
    """Parameters a planner typed that the maths cannot use; the message says what to change."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def z_for(service_level: float) -> float:
    """The z of a cycle service level (0.95 → 1.645), from the standard normal distribution."""
    if not 0.5 <= service_level < 1:
        raise ReorderError("The service level must be at least 50 % and below 100 %.")
    return statistics.NormalDist().inv_cdf(service_level)


# --- usage -------------------------------------------------------------------------------------

def daily_usage(session: Session, start: date, end: date) -> dict[int, list[Decimal]]:
    """Per material, the net quantity consumed on each calendar day of [start, end), days without pulls as 0.

    Consumed = pulled to jobs − pulls reversed − remnants returned to the rack. A reversal counts
    on the day of the pull it undoes, so an undone pull leaves no trace in the spread.
    """
    days = (end - start).days
    if days <= 0:
        return {}
    original = aliased(LedgerEntry)
    day_of = func.coalesce(original.created_at, LedgerEntry.created_at)
    lo, hi = shoptime.start_of(start), shoptime.start_of(end)
    stmt = (select(MaterialLot.material_id, LedgerEntry.kind, LedgerEntry.quantity, day_of)
            .select_from(LedgerEntry)
            .join(StockUnit, LedgerEntry.stock_unit_id == StockUnit.id)
            .join(MaterialLot, StockUnit.lot_id == MaterialLot.id)
            .outerjoin(original, LedgerEntry.reverses_id == original.id)
            .where(or_(LedgerEntry.kind.in_((ledger.PULL, ledger.REMNANT)),
                       (LedgerEntry.kind == ledger.REVERSAL) & (original.kind == ledger.PULL)),
                   day_of >= lo, day_of < hi))
    usage: dict[int, list[Decimal]] = {}
    starts = shoptime.day_starts(start, days)  # a moment's day by bisection: no zone sums per entry
    for material_id, kind, amount, when in session.execute(stmt):
        series = usage.get(material_id)
        if series is None:
            series = usage[material_id] = [qty(0)] * days
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        index = bisect_right(starts, when) - 1
        if 0 <= index < days:
            series[index] += amount if kind == ledger.PULL else -amount
    return usage


@dataclass
class Usage:
    mean: float  # d̄: average daily usage
    stdev: float  # σ_d: sample standard deviation of daily usage
    days: int


def usage_of(series: list[Decimal]) -> Usage:
    """d̄ and σ_d of a daily series (sample standard deviation; 0 for fewer than two days).

    Most days of most materials are 0: the sums run over the days with usage, and the zero days add
    n_zero · d̄² to the squared deviations (the same figure as statistics.stdev, without its exact
    fractions, which cost seconds over 2,000 materials and a year of days)."""
    n = len(series)
    if not n:
        return Usage(0.0, 0.0, 0)
    used = [float(v) for v in series if v]
    mean = math.fsum(used) / n
    if n < 2:
        return Usage(mean, 0.0, n)
    squares = math.fsum((v - mean) ** 2 for v in used) + (n - len(used)) * mean * mean
    return Usage(mean, math.sqrt(squares / (n - 1)), n)


# --- the formulas ------------------------------------------------------------------------------

def safety_stock(z: float, stdev_daily: float, lead_days: float, *, mean_daily: float = 0.0,
                 stdev_lead_days: float = 0.0) -> float:
    """Safety stock SS = z · √(L · σ_d² + d̄² · σ_L²).

    With a fixed lead time (σ_L = 0) this is the familiar z · σ_d · √L. The second term covers a
    supplier whose lead time varies: demand during the extra days is d̄ per day. L and σ_L are the
    mean and sample standard deviation of the lead times measured on receipts against purchase
    orders (spex.purchasing.orders.lead_time_of) once there are two; before that L is the
    material's stated lead time and σ_L is 0.
    """
    if lead_days < 0 or stdev_daily < 0 or stdev_lead_days < 0:
        raise ReorderError("Lead time and spreads cannot be negative.")
    return z * math.sqrt(lead_days * stdev_daily ** 2 + mean_daily ** 2 * stdev_lead_days ** 2)


def reorder_point(mean_daily: float, lead_days: float, safety: float) -> float:
    """Reorder point ROP = d̄ · L + SS: what the lead time will eat, plus the buffer."""
    return mean_daily * lead_days + safety


def eoq(annual_demand: float, order_cost: float, holding_cost_per_unit_year: float) -> float | None:
    """Economic order quantity EOQ = √(2 · D · S / H); None when any input is missing or zero.

    For material S is the cost of placing an order; for a part it is the setup cost of a run,
    which makes it the economic batch size.
    """
    if not annual_demand or not order_cost or not holding_cost_per_unit_year:
        return None
    if annual_demand < 0 or order_cost < 0 or holding_cost_per_unit_year < 0:
        return None
    return math.sqrt(2 * annual_demand * order_cost / holding_cost_per_unit_year)


def abc_classes(values: dict, *, a_share: float = ABC_A, b_share: float = ABC_B) -> dict:
    """ABC class per key by annual usage value, largest first.

    A key is A while the value ranked above it adds up to less than 80 % of the total (so A holds
    the items that make up the first 80 %), B below 95 %, C the rest; zero value is always C.
    """
    total = sum(float(v) for v in values.values() if v and v > 0)
    classes = {}
    before = 0.0
    for key, value in sorted(values.items(), key=lambda kv: (-float(kv[1] or 0), str(kv[0]))):
        value = float(value or 0)
        if value <= 0 or total <= 0:
            classes[key] = "C"
            continue
        share = before / total
        classes[key] = "A" if share < a_share else ("B" if share < b_share else "C")
        before += value
    return classes


# --- per material ----------------------------------------------------------------------------

@dataclass
class ReorderLine:
    material: Material
    usage: Usage
    on_hand: Decimal
    required: Decimal  # what open jobs will still pull
    safety_stock: float
    reorder_point: float
    eoq: float | None
    annual_value: float
    abc: str = "C"
    notes: list[str] = field(default_factory=list)
    on_order: Decimal = qty(0)
    lead_days: float = 0.0  # L used
    stdev_lead_days: float = 0.0  # σ_L used
    lead_samples: int = 0  # receipts L and σ_L were measured from (0: the material's stated L)

    @property
    def position(self) -> Decimal:
        """Inventory position: on hand plus on order, less what open jobs will still pull from it."""
        return self.on_hand + self.on_order - self.required

    @property
    def trigger(self) -> float:
        """The level at which to order: the planner's own reorder point when set, else the computed
        one; the planner's minimum is a floor either way."""
        level = float(self.material.reorder_point) if self.material.reorder_point is not None else self.reorder_point
        if self.material.min_qty is not None:
            level = max(level, float(self.material.min_qty))
        return level

    @property
    def order_now(self) -> bool:
        return self.material.stocking == "stocked" and float(self.position) <= self.trigger and (
            self.trigger > 0 or self.position < 0)

    @property
    def suggested_qty(self) -> float | None:
        """How much to order: up to the maximum when one is set, else the EOQ (at least enough to
        get back above the reorder level)."""
        if not self.order_now:
            return None
        short = self.trigger - float(self.position)
        if self.material.max_qty is not None:
            return max(float(self.material.max_qty) - float(self.position), short, 0.0)
        return max(self.eoq or 0.0, short)


def reorder_lines(session: Session, needs, *, start: date, end: date, service_level: float,
                  holding_rate: Decimal = DEFAULT_HOLDING_RATE, lead_times: dict | None = None) -> list[ReorderLine]:
    """Reorder figures per material from usage over [start, end), for the materials in `needs`
    (spex.metrics.material.material_needs); L and σ_L from the lead times measured on purchase
    order receipts (`lead_times`, read from the database when not given)."""
    from spex.purchasing.orders import lead_time_of, lead_times_by_material
    z = z_for(service_level)
    usage_by_material = daily_usage(session, start, end)
    if lead_times is None:
        lead_times = lead_times_by_material(session)
    days = (end - start).days
    lines = []
    for need in needs:
        material = need.material
        series = usage_by_material.get(material.id, [qty(0)] * days)
        usage = usage_of(series)
        measured = lead_time_of(material, lead_times.get(material.id, []))
        lead = measured.days
        ss = safety_stock(z, usage.stdev, lead, mean_daily=usage.mean, stdev_lead_days=measured.stdev)
        rop = reorder_point(usage.mean, lead, ss)
        unit_cost = float(material.unit_cost or 0)
        annual = usage.mean * DAYS_PER_YEAR
        notes = []
        if not material.unit_cost:
            notes.append("no unit cost")
        if not material.order_cost:
            notes.append("no order cost")
        # Bars held for a customer beyond their own jobs are theirs, not the shop's stock.
        line = ReorderLine(material=material, usage=usage, on_hand=need.available, required=need.required,
                           safety_stock=ss, reorder_point=rop,
                           eoq=eoq(annual, float(material.order_cost or 0), unit_cost * float(holding_rate)),
                           annual_value=annual * unit_cost, notes=notes,
                           on_order=getattr(need, "on_order", qty(0)), lead_days=lead,
                           stdev_lead_days=measured.stdev, lead_samples=measured.samples)
        lines.append(line)
    classes = abc_classes({line.material.id: line.annual_value for line in lines})
    for line in lines:
        line.abc = classes[line.material.id]
    return lines


def ordered_last_year(session: Session, today: date, part_ids=None) -> dict[int, int]:
    """Pieces ordered per part over the 365 days to `today` (cancelled orders and lines left out):
    the annual demand D of a part's economic batch size."""
    year_ago = today - timedelta(days=DAYS_PER_YEAR)
    stmt = (select(OrderLine.part_id, func.sum(OrderLine.quantity))
            .join(CustomerOrder, OrderLine.order_id == CustomerOrder.id)
            .where(CustomerOrder.order_date >= year_ago, CustomerOrder.order_date <= today,
                   CustomerOrder.status != "cancelled", OrderLine.status != "cancelled")
            .group_by(OrderLine.part_id))
    if part_ids is not None:
        stmt = stmt.where(OrderLine.part_id.in_(list(part_ids)))
    return {part_id: int(total or 0) for part_id, total in session.execute(stmt)}


@dataclass
class PartBatch:
    part: Part
    annual_demand: int
    unit_value: float | None
    batch: float | None  # EOQ with the setup cost: the economic batch size


def part_batches(session: Session, today: date, *, holding_rate: Decimal = DEFAULT_HOLDING_RATE) -> list[PartBatch]:
    """Economic batch size per part: EOQ with S = the part's setup cost, D = pieces ordered over the
    last year, H = holding rate × the part's value (its price, else the material in one piece)."""
    ordered = ordered_last_year(session, today)
    parts = session.execute(select(Part, Material).outerjoin(Material, Part.material_id == Material.id)
                            .where(Part.active.is_(True)).order_by(Part.number)).all()
    batches = []
    for part, material in parts:
        demand = int(ordered.get(part.id) or 0)
        value = float(part.unit_price) if part.unit_price else None
        if value is None and material is not None and material.unit_cost and part.bar_length_per_piece:
            value = float(material.unit_cost) * float(part.bar_length_per_piece)
        holding = value * float(holding_rate) if value else 0.0
        batches.append(PartBatch(part=part, annual_demand=demand, unit_value=value,
                                 batch=eoq(demand, float(part.setup_cost or 0), holding)))
    return batches

"""Metrics room: the shop's figures over a chosen period [start, end) — inventory turnover, days on hand,
on-time delivery, scrap rate (by part, work center, reason) and material yield.

Everything is read from the ledger with grouped queries; a period is whole UTC days, start
included, end excluded.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session, aliased

from spex import codes, ledger, shoptime
from spex.metrics.material import (RAW_QTY, consumed_by_job, from_raw, material_yield, planned_yield,
                                   weight_per_unit_lb)
from spex.models import (CustomerOrder, Job, JobOperation, LedgerEntry, Material, MaterialLot, OrderLine, Part, Release, StockUnit,
                         Vendor, WorkCenter, qty)

ZERO = qty(0)


class PeriodError(ValueError):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # excluded

    def __post_init__(self):
        if self.end <= self.start:
            raise PeriodError("The period must end after it starts (the end date is not included).")

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def last_day(self) -> date:
        """The last day included, as people say "until Nov 25"."""
        return date.fromordinal(self.end.toordinal() - 1)

    @property
    def lo(self) -> datetime:
        return shoptime.start_of(self.start)

    @property
    def hi(self) -> datetime:
        return shoptime.start_of(self.end)


def _in(period: Period, column):
    return (column >= period.lo) & (column < period.hi)


# --- inventory turnover and days on hand -----------------------------------------------------------

def inventory_value_at(session: Session, moment: datetime) -> Decimal:
    """Raw material in the bins at a moment, at unit cost: the ledger's movements in and out of
    locations before that moment, summed per material."""
    into = case((ledger.place_is_location(LedgerEntry.to_place), RAW_QTY), else_=0)
    out_of = case((ledger.place_is_location(LedgerEntry.from_place), RAW_QTY), else_=0)
    rows = session.execute(
        select(Material.unit_cost, func.sum(into) - func.sum(out_of))
        .select_from(LedgerEntry)
        .join(StockUnit, LedgerEntry.stock_unit_id == StockUnit.id)
        .join(MaterialLot, StockUnit.lot_id == MaterialLot.id)
        .join(Material, MaterialLot.material_id == Material.id)
        .where(LedgerEntry.created_at < moment)
        .group_by(Material.id, Material.unit_cost))
    return sum((Decimal(cost or 0) * from_raw(amount) for cost, amount in rows), ZERO)


def consumed_cost(session: Session, period: Period) -> Decimal:
    """Cost of material consumed in the period: pulls − their reversals − remnants returned, at unit cost."""
    original = aliased(LedgerEntry)
    signed = case((LedgerEntry.kind == ledger.PULL, RAW_QTY), else_=-RAW_QTY)
    rows = session.execute(
        select(Material.unit_cost, func.sum(signed))
        .select_from(LedgerEntry)
        .join(StockUnit, LedgerEntry.stock_unit_id == StockUnit.id)
        .join(MaterialLot, StockUnit.lot_id == MaterialLot.id)
        .join(Material, MaterialLot.material_id == Material.id)
        .outerjoin(original, LedgerEntry.reverses_id == original.id)
        .where(or_(LedgerEntry.kind.in_((ledger.PULL, ledger.REMNANT)),
                   (LedgerEntry.kind == ledger.REVERSAL) & (original.kind == ledger.PULL)),
               _in(period, LedgerEntry.created_at))
        .group_by(Material.id, Material.unit_cost))
    return sum((Decimal(cost or 0) * from_raw(amount) for cost, amount in rows), ZERO)


@dataclass
class Turnover:
    consumed: Decimal  # cost of material consumed in the period
    opening: Decimal  # inventory value at the start
    closing: Decimal  # inventory value at the end
    days: int

    @property
    def average(self) -> Decimal:
        return (self.opening + self.closing) / 2

    @property
    def turns(self) -> Decimal | None:
        """Inventory turnover = cost of material consumed ÷ average inventory value."""
        return self.consumed / self.average if self.average > 0 else None

    @property
    def turns_per_year(self) -> Decimal | None:
        return self.turns * 365 / self.days if self.turns is not None else None

    @property
    def days_on_hand(self) -> Decimal | None:
        """Days of inventory on hand = average inventory value ÷ (consumed per day) = days ÷ turns."""
        return self.average / (self.consumed / self.days) if self.consumed > 0 else None


def turnover(session: Session, period: Period) -> Turnover:
    return Turnover(consumed=consumed_cost(session, period), opening=inventory_value_at(session, period.lo),
                    closing=inventory_value_at(session, period.hi), days=period.days)


# --- on-time delivery ------------------------------------------------------------------------------

@dataclass
class Delivery:
    what: str  # "SO-5101/1 release due Mar 02"
    due: date
    quantity: int
    shipped_by_due: int
    shipped: int

    @property
    def on_time(self) -> bool:
        return self.shipped_by_due >= self.quantity


@dataclass
class OnTime:
    deliveries: list[Delivery] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.deliveries)

    @property
    def on_time(self) -> int:
        return sum(1 for d in self.deliveries if d.on_time)

    @property
    def rate(self) -> Decimal | None:
        """Share of deliveries due in the period that shipped complete on or before their due date."""
        return Decimal(self.on_time) / self.count if self.count else None

    @property
    def late(self) -> list[Delivery]:
        return [d for d in self.deliveries if not d.on_time]


def on_time_delivery(session: Session, period: Period, today: date) -> OnTime:
    """Releases and call-offs, and ship-complete lines, due in the period (and not after today: a
    delivery due tomorrow is not late yet). On time when the shipments recorded on or before the
    due date (net of undone shipments) cover the quantity."""
    last_day = min(period.end, date.fromordinal(today.toordinal() + 1))
    releases = session.execute(
        select(Release, OrderLine, CustomerOrder.number).join(OrderLine, Release.order_line_id == OrderLine.id)
        .join(CustomerOrder, OrderLine.order_id == CustomerOrder.id)
        .where(Release.due_date >= period.start, Release.due_date < last_day)).all()
    lines = session.execute(
        select(OrderLine, CustomerOrder.number).join(CustomerOrder, OrderLine.order_id == CustomerOrder.id)
        .where(OrderLine.strategy == "ship_complete", OrderLine.due_date.is_not(None),
               OrderLine.due_date >= period.start, OrderLine.due_date < last_day)).all()
    release_ids = [r.id for r, _, _ in releases]
    line_ids = [line.id for line, _ in lines]
    shipments: dict[tuple[str, int], list[tuple[datetime, Decimal]]] = {}
    if release_ids or line_ids:
        rows = session.execute(
            select(LedgerEntry.kind, LedgerEntry.release_id, LedgerEntry.order_line_id, LedgerEntry.quantity,
                   LedgerEntry.created_at)
            .where(LedgerEntry.kind.in_((ledger.SHIP, ledger.REVERSAL)),
                   or_(LedgerEntry.release_id.in_(release_ids),
                       LedgerEntry.order_line_id.in_(line_ids) & LedgerEntry.release_id.is_(None))))
        for kind, release_id, line_id, amount, when in rows:
            key = ("release", release_id) if release_id is not None else ("line", line_id)
            shipments.setdefault(key, []).append((when, amount if kind == ledger.SHIP else -amount))

    def tally(key, due: date) -> tuple[int, int]:
        by_due, total = ZERO, ZERO
        for when, amount in shipments.get(key, ()):
            total += amount
            if shoptime.local_date(when) <= due:
                by_due += amount
        return int(by_due), int(total)

    found = OnTime()
    for release, line, order_number in releases:
        by_due, total = tally(("release", release.id), release.due_date)
        label = "call-off" if release.kind == "calloff" else "release"
        found.deliveries.append(Delivery(f"{order_number}/{line.line_no} {label}", release.due_date,
                                         release.quantity, by_due, total))
    for line, order_number in lines:
        by_due, total = tally(("line", line.id), line.due_date)
        found.deliveries.append(Delivery(f"{order_number}/{line.line_no} ship complete", line.due_date,
                                         line.quantity, by_due, total))
    found.deliveries.sort(key=lambda d: (d.due, d.what))
    return found


# --- scrap -------------------------------------------------------------------------------------------

@dataclass
class ScrapRow:
    label: str
    good: int
    scrap: int

    @property
    def rate(self) -> Decimal | None:
        """Scrap rate = scrap ÷ (good + scrap)."""
        total = self.good + self.scrap
        return Decimal(self.scrap) / total if total else None


@dataclass
class Scrap:
    by_part: list[ScrapRow]
    by_work_center: list[ScrapRow]
    by_reason: list[ScrapRow]
    total: ScrapRow


def scrap_rates(session: Session, period: Period) -> Scrap:
    """Scrap rate = pieces scrapped ÷ (good + scrapped), from the ledger's scrap entries and its good
    pieces (completions and receipts back from vendors) in the period, net of undone entries.

    Good pieces are counted at every operation they pass, so a part's rate is per operation pass:
    the share of the work done on it that went into the scrap bin. By reason, each reason's scrap
    is set against all the pieces worked in the period.
    """
    original = aliased(LedgerEntry)
    kind = func.coalesce(original.kind, LedgerEntry.kind)
    sign = case((LedgerEntry.kind == ledger.REVERSAL, -1), else_=1)
    good = func.sum(case((kind.in_(ledger.GOOD_KINDS), RAW_QTY * sign), else_=0))
    scrap = func.sum(case((kind.in_(ledger.SCRAP_KINDS), RAW_QTY * sign), else_=0))
    reason = func.coalesce(original.reason, LedgerEntry.reason)
    counted = (or_(LedgerEntry.kind.in_(ledger.GOOD_KINDS + ledger.SCRAP_KINDS),
                   (LedgerEntry.kind == ledger.REVERSAL) & original.kind.in_(ledger.GOOD_KINDS + ledger.SCRAP_KINDS))
               & _in(period, LedgerEntry.created_at) & LedgerEntry.job_operation_id.is_not(None))

    # One pass over the period's entries, summed per operation and reason, then named by part and
    # work center; the views (all work, by part, by work center, by reason) are sums of its rows.
    # (Four grouped queries, each joining every entry to its job and part, cost four passes over a
    # year of a busy shop's ledger: seconds.)
    per_op = (select(LedgerEntry.job_operation_id.label("op"), reason.label("reason"), good.label("good"),
                     scrap.label("scrap"))
              .select_from(LedgerEntry)
              .outerjoin(original, LedgerEntry.reverses_id == original.id)
              .where(counted)
              .group_by(LedgerEntry.job_operation_id, reason)).subquery()
    stmt = (select(Part.number, Part.rev, WorkCenter.name, Vendor.name, per_op.c.reason,
                   func.sum(per_op.c.good), func.sum(per_op.c.scrap))
            .select_from(per_op)
            .join(JobOperation, per_op.c.op == JobOperation.id)
            .join(Job, JobOperation.job_id == Job.id)
            .join(Part, Job.part_id == Part.id)
            .outerjoin(WorkCenter, JobOperation.work_center_id == WorkCenter.id)
            .outerjoin(Vendor, JobOperation.vendor_id == Vendor.id)
            .group_by(Part.number, Part.rev, WorkCenter.name, Vendor.name, per_op.c.reason))
    fine = [(number, rev, center, vendor, why, int(g or 0), int(sc or 0))
            for number, rev, center, vendor, why, g, sc in session.execute(stmt)]

    def summed(key) -> dict:
        sums: dict = {}
        for row in fine:
            g, sc = sums.get(key(row), (0, 0))
            sums[key(row)] = (g + row[5], sc + row[6])
        return sums

    def rows(sums: dict, label) -> list[ScrapRow]:
        found = [ScrapRow(label(*k), _pieces(g), _pieces(sc)) for k, (g, sc) in sums.items()]
        return sorted(found, key=lambda r: (-(r.rate or 0), -r.scrap, r.label))

    total = ScrapRow("All work", _pieces(sum(r[5] for r in fine)), _pieces(sum(r[6] for r in fine)))
    by_part = rows(summed(lambda r: (r[0], r[1])), lambda number, rev: f"{number} rev {rev}")
    by_center = rows(summed(lambda r: (r[2], r[3])),
                     lambda center, vendor: center or (f"{vendor} (outside)" if vendor else "—"))
    reasons = [(k, g, sc) for k, (g, sc) in summed(lambda r: r[4]).items()]
    by_reason = [ScrapRow(codes.SCRAP_REASONS.get(r, {"NCR": "Quality hold (NCR)",
                                                      "SHORT": "Vendor short count"}.get(r, r or "—")),
                          # the rest of the pieces worked, so that the rate is this reason's share of all of them
                          total.good + total.scrap - _pieces(s), _pieces(s))
                 for r, _g, s in reasons if _pieces(s) > 0]
    by_reason.sort(key=lambda r: (-r.scrap, r.label))
    return Scrap(by_part=by_part, by_work_center=by_center, by_reason=by_reason, total=total)


def _pieces(value) -> int:
    return int(from_raw(value))


# --- material yield ----------------------------------------------------------------------------------

@dataclass
class JobYield:
    job: Job
    part: Part
    pieces: int  # good pieces out of the last operation
    finished_lb: Decimal
    bar_lb: Decimal  # consumed: pulled less remnants returned
    pulled_lb: Decimal = ZERO
    returned_lb: Decimal = ZERO

    @property
    def rate(self) -> Decimal | None:
        return material_yield(self.finished_lb, self.bar_lb)

    @property
    def planned(self) -> Decimal | None:
        return planned_yield(self.part)

    @property
    def plausible(self) -> bool:
        """More finished weight than bar pulled means pulls went unrecorded: such a job says nothing
        about yield and is left out of the period's figure (and shown, so someone finds the pulls)."""
        return self.rate is not None and self.rate <= 1


@dataclass
class Yield:
    jobs: list[JobYield]

    @property
    def rate(self) -> Decimal | None:
        """Yield of the period: total finished weight ÷ total weight of bar the jobs consumed,
        over the jobs whose pulls are plausibly complete."""
        counted = [j for j in self.jobs if j.plausible]
        return material_yield(sum((j.finished_lb for j in counted), ZERO), sum((j.bar_lb for j in counted), ZERO))


def period_yield(session: Session, period: Period) -> Yield:
    """Material yield of the jobs completed in the period: good pieces × finished weight ÷ weight of the
    bar the job consumed: pulled (less undone pulls) less the remnants returned from its bars."""
    last_seq = (select(JobOperation.job_id, func.max(JobOperation.seq).label("seq"))
                .group_by(JobOperation.job_id).subquery())
    last = aliased(JobOperation)
    rows = session.execute(
        select(Job, Part, Material, last.qty_good)
        .join(Part, Job.part_id == Part.id)
        .join(Material, Part.material_id == Material.id)
        .join(last_seq, last_seq.c.job_id == Job.id)
        .join(last, (last.job_id == Job.id) & (last.seq == last_seq.c.seq))
        .where(Job.completed_at.is_not(None), _in(period, Job.completed_at),
               Part.finished_weight_lb.is_not(None))  # a part without a finished weight has no yield
        .order_by(Job.completed_at, Job.number)).all()
    consumed = consumed_by_job(session, [job.id for job, *_ in rows]) if rows else {}
    found = []
    for job, part, material, good in rows:
        per_unit = weight_per_unit_lb(material)
        if per_unit is None or part.finished_weight_lb is None:
            continue
        pulled, returned = consumed.get(job.id, (ZERO, ZERO))
        found.append(JobYield(job=job, part=part, pieces=int(good or 0), finished_lb=Decimal(part.finished_weight_lb) * int(good or 0),
                              bar_lb=(pulled - returned) * per_unit, pulled_lb=pulled * per_unit,
                              returned_lb=returned * per_unit))
    return Yield(found)

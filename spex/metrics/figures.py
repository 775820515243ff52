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
from spex.metrics.material import (RAW_QTY, consumed_by_job, from_raw, material_yield, on_hand_by_material,
                                   planned_yield, weight_per_unit_lb)
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
    """Raw material in the bins at a moment, at unit cost. Whichever side of the moment holds fewer
    ledger entries is read: the movements in and out of locations before it, summed per material;
    or the bins' balances now (always the ledger's sum) less the movements since."""
    if _entries_since_are_fewer(session, moment):
        amounts = {material_id: int(on_hand * 1000) for material_id, on_hand in on_hand_by_material(session).items()}
        for material_id, moved in _moved_per_material(session, LedgerEntry.created_at >= moment):
            amounts[material_id] = amounts.get(material_id, 0) - int(moved or 0)
    else:
        amounts = dict(_moved_per_material(session, LedgerEntry.created_at < moment))
    return _at_cost(session, amounts)


def _moved_per_material(session: Session, when):
    """Thousandths moved into locations less those moved out of them, per material, for the
    entries of stock units that match `when`."""
    into = case((LedgerEntry.to_location_id.is_not(None), RAW_QTY), else_=0)
    out_of = case((LedgerEntry.from_location_id.is_not(None), RAW_QTY), else_=0)
    return session.execute(
        select(MaterialLot.material_id, func.sum(into) - func.sum(out_of))
        .select_from(LedgerEntry)
        .join(StockUnit, LedgerEntry.stock_unit_id == StockUnit.id)
        .join(MaterialLot, StockUnit.lot_id == MaterialLot.id)
        .where(when)
        .group_by(MaterialLot.material_id)).all()


def _entries_since_are_fewer(session: Session, moment: datetime) -> bool:
    """Entries are numbered as they are written: the first number at or after the moment says on
    which side of it most of the ledger lies (two index look-ups, no count)."""
    first_since = session.scalar(select(LedgerEntry.id).where(LedgerEntry.created_at >= moment)
                                 .order_by(LedgerEntry.created_at).limit(1))
    if first_since is None:
        return True  # nothing since: the balances are the value
    last = session.scalar(select(func.max(LedgerEntry.id))) or 0
    return last - first_since < first_since


def consumed_cost(session: Session, period: Period) -> Decimal:
    """Cost of material consumed in the period: pulls − their reversals − remnants returned, at unit cost.
    (Pulls and remnants, then the few reversals of pulls: one OR over both costs a pass over the kinds.)"""
    original = aliased(LedgerEntry)
    signed = case((LedgerEntry.kind == ledger.PULL, RAW_QTY), else_=-RAW_QTY)
    per_material = (select(MaterialLot.material_id, func.sum(signed))
                    .select_from(LedgerEntry)
                    .join(StockUnit, LedgerEntry.stock_unit_id == StockUnit.id)
                    .join(MaterialLot, StockUnit.lot_id == MaterialLot.id)
                    .group_by(MaterialLot.material_id))
    amounts: dict[int, int] = {}
    for stmt in (per_material.where(LedgerEntry.kind.in_((ledger.PULL, ledger.REMNANT)), _in(period, LedgerEntry.created_at)),
                 per_material.join(original, LedgerEntry.reverses_id == original.id)
                 .where(LedgerEntry.kind == ledger.REVERSAL, original.kind == ledger.PULL,
                        _in(period, LedgerEntry.created_at))):
        for material_id, amount in session.execute(stmt):
            amounts[material_id] = amounts.get(material_id, 0) + int(amount or 0)
    return _at_cost(session, amounts)


def _at_cost(session: Session, amounts: dict[int, int]) -> Decimal:
    """Thousandths per material, at each material's unit cost."""
    if not amounts:
        return ZERO
    costs = dict(session.execute(select(Material.id, Material.unit_cost)).all())
    return sum((Decimal(costs.get(material_id) or 0) * from_raw(amount) for material_id, amount in amounts.items()), ZERO)


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
    counted_kinds = ledger.GOOD_KINDS + ledger.SCRAP_KINDS
    in_period = _in(period, LedgerEntry.created_at) & LedgerEntry.job_operation_id.is_not(None)
    # One pass over the period's completions and scrap, summed per kind, operation and reason (read
    # from the ledger's index on just these columns, in its order), plus the few entries that undo
    # one of them, with their original's kind and reason; then named by part and work center. The
    # views (all work, by part, by work center, by reason) are sums of those rows.
    # (Joining each of a busy year's 840,000 entries to its original, job and part took seconds.)
    original = aliased(LedgerEntry)
    done = (select(LedgerEntry.kind.label("kind"), LedgerEntry.job_operation_id.label("op"),
                   LedgerEntry.reason.label("reason"), func.sum(RAW_QTY).label("amount"))
            .where(LedgerEntry.kind.in_(counted_kinds), in_period)
            .group_by(LedgerEntry.kind, LedgerEntry.job_operation_id, LedgerEntry.reason))
    why = func.coalesce(original.reason, LedgerEntry.reason)
    undone = (select(original.kind.label("kind"), LedgerEntry.job_operation_id.label("op"), why.label("reason"),
                     (-func.sum(RAW_QTY)).label("amount"))
              .join(original, LedgerEntry.reverses_id == original.id)
              .where(LedgerEntry.kind == ledger.REVERSAL, original.kind.in_(counted_kinds), in_period)
              .group_by(original.kind, LedgerEntry.job_operation_id, why))
    sums: dict[tuple, list[int]] = {}
    for grouped in (done, undone):
        per_op = grouped.subquery()
        for number, rev, center, vendor, reason, kind_, amount in session.execute(
                select(Part.number, Part.rev, WorkCenter.name, Vendor.name, per_op.c.reason, per_op.c.kind,
                       func.sum(per_op.c.amount))
                .select_from(per_op)
                .join(JobOperation, per_op.c.op == JobOperation.id)
                .join(Job, JobOperation.job_id == Job.id)
                .join(Part, Job.part_id == Part.id)
                .outerjoin(WorkCenter, JobOperation.work_center_id == WorkCenter.id)
                .outerjoin(Vendor, JobOperation.vendor_id == Vendor.id)
                .group_by(Part.number, Part.rev, WorkCenter.name, Vendor.name, per_op.c.reason, per_op.c.kind)):
            pair = sums.setdefault((number, rev, center, vendor, reason), [0, 0])
            pair[0 if kind_ in ledger.GOOD_KINDS else 1] += int(amount or 0)
    fine = [(*key, g, sc) for key, (g, sc) in sums.items()]

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

"""What to buy, in the shop's words: the purchase needs released buy-per-job jobs raise, and the buy
list that turns them and the reorder suggestions into draft purchase orders, one per supplier."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from spex import shoptime
from spex.models import OPEN_STATUSES, Job, Material, PurchaseNeed, Vendor, qty
from spex.models.purchasing import NEED_OPEN, NEED_ORDERED
from spex.purchasing.orders import LineRequest, PurchasingError, buy_unit_of, create_draft

# Hours of work a day the estimate of a job's start assumes when a work center does not say.
HOURS_PER_DAY = 8


def _workdays_before(day: date, days: int) -> date:
    while day.weekday() not in shoptime.WORKDAYS:
        day -= timedelta(days=1)
    while days > 0:
        day -= timedelta(days=1)
        if day.weekday() in shoptime.WORKDAYS:
            days -= 1
    return day


def job_starts(job: Job, today: date) -> date:
    """When the job must start to make its due date: its operations' work (setup + run × pieces over
    the work center's hours, outside turnaround at five working days a week) counted back from the
    due date in working days; never before today."""
    days = 0.0
    for op in job.operations:
        if op.kind == "outside":
            days += op.turnaround_days * 5 / 7
        else:
            hours = float(getattr(op.work_center, "hours_per_day", None) or HOURS_PER_DAY)
            days += (float(op.setup_min) + float(op.run_min_per_piece) * job.quantity) / 60 / hours
    return max(_workdays_before(job.due_date, math.ceil(days)), today)


def needed_by(starts: date, today: date) -> date:
    """Material is wanted at the dock the working day before the job starts (its first cut)."""
    return max(_workdays_before(starts, 1), today)


def raise_need_at_release(session: Session, job: Job) -> PurchaseNeed | None:
    """A released job whose material is bought per job and not on hand (nor on order, nor already
    needed for another job) gets a purchase need for the shortfall, linked to the job."""
    from spex.metrics.material import job_requirements, material_needs
    material = job.part.material if job.part is not None else None
    if material is None or material.stocking != "per_job":
        return None
    session.flush()
    requirements = [r for r in job_requirements(session) if r.material.id == material.id]
    mine = next((r.still_needed for r in requirements if r.job.id == job.id), qty(0))
    need = next((n for n in material_needs(session, requirements) if n.material.id == material.id), None)
    if need is None or mine <= 0:
        return None
    waiting = sum((n.quantity for n in session.scalars(select(PurchaseNeed).join(Job).where(
        PurchaseNeed.material_id == material.id, PurchaseNeed.status == NEED_OPEN,
        Job.status.in_(OPEN_STATUSES), Job.id != job.id))), qty(0))
    short = min(qty(need.to_buy - waiting), mine)
    if short <= 0:
        return None
    today = shoptime.today()
    starts = job_starts(job, today)
    found = PurchaseNeed(job=job, material=material, quantity=short, job_starts=starts,
                         needed_by=needed_by(starts, today), status=NEED_OPEN)
    session.add(found)
    return found


# --- the buy list -------------------------------------------------------------------------------

@dataclass
class BuyItem:
    material: Material
    quantity: Decimal  # material units to order
    buy_unit: str
    each: Decimal
    count: Decimal  # bought units: whole bars, plates
    on_order: Decimal
    reason: str
    needs: list[PurchaseNeed] = field(default_factory=list)
    needed_by: date | None = None
    starts: date | None = None
    for_jobs: Decimal = qty(0)  # open jobs' requirements beyond what they may pull on hand and on order

    @property
    def supplier(self) -> Vendor | None:
        return self.material.supplier

    @property
    def cost(self) -> float | None:
        return float(self.quantity) * float(self.material.unit_cost) if self.material.unit_cost else None

    @property
    def order_words(self) -> str:
        """24 bars × 144 in · 3 plates · 500 lb."""
        from spex.models import BUY_UNITS
        one, many = BUY_UNITS[self.buy_unit]
        count = f"{self.count.normalize():f}"
        name = one if self.count == 1 else many
        if self.buy_unit == "bar":
            return f"{count} {name} × {self.each.normalize():f} {self.material.unit}"
        return f"{count} {name}"

    @property
    def when_words(self) -> str:
        """"needed by Thu 3 Dec for job 24017 (starts Fri)", or the restocking reason."""
        if self.needs and self.needed_by is not None:
            jobs = ", ".join(sorted({n.job.number for n in self.needs}))
            label = "job" if len(self.needs) == 1 else "jobs"
            return (f"needed by {day_words(self.needed_by)} for {label} {jobs} "
                    f"(starts {weekday_words(self.starts, self.needed_by)})")
        return self.reason

    @property
    def words(self) -> str:
        return f"order {self.order_words} of {self.material.label} — {self.when_words}"


def day_words(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b}"


def weekday_words(day: date, after: date) -> str:
    """A day within the week after `after` by its name (Fri), a later one with its date."""
    return f"{day:%a}" if 0 <= (day - after).days < 7 else day_words(day)


@dataclass
class _ToBuy:
    material: Material
    for_jobs: Decimal
    suggested: float  # at least the shortfall, up to max / EOQ for stocked material, plus agreements
    why: str


def _held_words(need) -> str:
    """"; 576 in on hand is held for Acme Corp" — why stock on the racks does not cover the jobs."""
    unit = need.material.unit
    return "".join(f"; {amount:,.0f} {unit} on hand is held for {name}" for name, amount in need.held_for_others)


def _to_buy(needs, lines, stocking) -> list[_ToBuy]:
    """Every shortfall against open jobs, every stocked material at or below its reorder level (whose
    suggestion already covers the open jobs), and every customer stocking agreement holding fewer bars
    than its minimum (its bars are on top of the rest, being reserved for the customer)."""
    by_material = {line.material.id: line for line in lines}
    found = []
    for need in needs:
        line = by_material.get(need.material.id)
        restock = line.suggested_qty if line is not None and line.order_now else None
        if need.to_buy <= 0 and restock is None:
            continue
        if restock is not None:
            why = (f"short {need.to_buy:,.0f} for open jobs; " if need.to_buy > 0 else "") + \
                  f"position {float(line.position):,.0f} at or below the reorder level {line.trigger:,.0f}"
        else:
            why = "open jobs need more than is on hand" + (" (bought per job)" if need.material.stocking == "per_job" else "")
        if need.to_buy > 0:
            why += _held_words(need)
        found.append(_ToBuy(need.material, need.to_buy, max(float(need.to_buy), restock or 0.0), why))
    listed = {line.material.id: line for line in found}
    for_agreements: dict[int, list] = {}
    for short in stocking:
        for_agreements.setdefault(short.material.id, []).append(short)
    for material_id, shorts in for_agreements.items():
        extra = sum(float(short.quantity) for short in shorts)
        why = "; ".join(short.why for short in shorts)
        line = listed.get(material_id)
        if line is None:
            found.append(_ToBuy(shorts[0].material, qty(0), extra, why))
        else:
            line.suggested += extra
            line.why = f"{line.why}; {why}"
    return found


def buy_list(session: Session, *, needs=None, lines=None, service_level: float = 0.95,
             usage_days: int = 90) -> list[BuyItem]:
    """Every material to buy now: the shortfall of open jobs after what they may pull on hand and on
    order (with the released jobs' purchase needs that make it up), the stocked materials at their
    reorder level, and the customer stocking agreements holding fewer bars than their minimum.
    Quantities round up to the unit the material is bought in.

    The one buy list: the purchasing page, its CSV, the start page and the Metrics › Material page
    all read it. `needs` and `lines` (spex.metrics.material.material_needs, reorder_lines) are
    computed here when not given, with usage over the last `usage_days` days up to today."""
    from spex.materials.stocking import shortfalls
    from spex.metrics.material import material_needs
    from spex.metrics.reorder import reorder_lines
    today = shoptime.today()
    if needs is None:
        needs = material_needs(session)
    if lines is None:
        end = today + timedelta(days=1)
        lines = reorder_lines(session, needs, start=end - timedelta(days=usage_days), end=end,
                              service_level=service_level)
    open_needs: dict[int, list[PurchaseNeed]] = {}
    # A need of a job since cancelled or finished is no reason to buy.
    for need in session.scalars(select(PurchaseNeed).join(Job).where(PurchaseNeed.status == NEED_OPEN,
                                                                     Job.status.in_(OPEN_STATUSES))
                                .options(selectinload(PurchaseNeed.job)).order_by(PurchaseNeed.needed_by)):
        open_needs.setdefault(need.material_id, []).append(need)
    by_material = {n.material.id: n for n in needs}
    items = []
    for line in _to_buy(needs, lines, shortfalls(session)):
        material = line.material
        jobs = open_needs.get(material.id, [])
        quantity = max(Decimal(str(line.suggested)), sum((n.quantity for n in jobs), qty(0)))
        unit, each = buy_unit_of(material)
        count = Decimal(math.ceil(quantity / each)) if unit in ("bar", "plate", "pcs") else qty(math.ceil(quantity))
        first = jobs[0] if jobs else None
        items.append(BuyItem(material=material, quantity=qty(quantity), buy_unit=unit, each=each, count=count,
                             on_order=by_material[material.id].on_order if material.id in by_material else qty(0),
                             reason=line.why, needs=jobs, for_jobs=line.for_jobs,
                             needed_by=first.needed_by if first else None, starts=first.job_starts if first else None))
    return sorted(items, key=lambda i: (i.supplier.name if i.supplier else "~", i.needed_by or date.max,
                                        i.material.code))


def by_supplier(items: list[BuyItem]) -> list[tuple[Vendor | None, list[BuyItem]]]:
    groups: dict[int | None, list[BuyItem]] = {}
    for item in items:
        groups.setdefault(item.supplier.id if item.supplier else None, []).append(item)
    return [(group[0].supplier, group) for group in groups.values()]


def order_from_buy_list(session: Session, items: list[BuyItem], *, user_id: int | None = None):
    """One draft PO per supplier for the buy list's items; a material with no supplier is left on the
    list (and named) for the planner to give it one. Returns (the drafts, the materials left)."""
    today = shoptime.today()
    drafts, left = [], []
    for supplier, group in by_supplier(items):
        if supplier is None:
            left.extend(item.material for item in group)
            continue
        requests = [LineRequest(material=item.material, count=item.count, buy_unit=item.buy_unit, each_qty=item.each,
                                price=qty(item.material.unit_cost * item.each) if item.material.unit_cost else None,
                                due_date=item.needed_by or shoptime.add_workdays(today, item.material.lead_time_days or 0))
                    for item in group]
        po = create_draft(session, supplier, requests, user_id=user_id, notes="From the buy list.")
        for line, item in zip(po.lines, group):
            for need in item.needs:
                need.line, need.status = line, NEED_ORDERED
        drafts.append(po)
    if not drafts and not left:
        raise PurchasingError("Nothing to buy: the buy list is empty.")
    return drafts, left

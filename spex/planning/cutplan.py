"""Planning room: a job's cut plan — which bars, remnants or plates it pulls, in what order.

Remnants come first, shortest first among those that still give a piece (a drop that gives
nothing stays on the rack for a shorter part); then full bars. Each line keeps what the unit
gives and the drop it leaves, and whether that drop is long enough to go back as a remnant.
The plan is kept at release, so the traveler and the station name the same units later.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session, selectinload

from spex import ledger
from spex.models import (OPEN_STATUSES, Balance, CutPlanLine, Job, Location, MaterialLot, ReceivingHold,
                         StockUnit, qty)
from spex.planning import bars

ZERO = Decimal(0)


@dataclass
class CutLine:
    seq: int
    unit: StockUnit
    available: Decimal  # in the material's unit: inches (or feet) of bar, whole plates
    pieces: int
    pull: Decimal  # what to pull: the whole bar, or the plates the pieces need
    drop: Decimal  # left after the pieces (bar end included); 0 for plates
    verdict: str  # remnant / scrap / none

    @property
    def is_remnant(self) -> bool:
        return self.unit.kind == "remnant"

    @property
    def words(self) -> str:
        what = "remnant" if self.is_remnant else self.unit.kind
        unit = self.unit.lot.material.unit
        text = f"{self.unit.barcode} ({what}, {ledger.format_qty(self.available)} {unit}): {self.pieces} pcs"
        if self.verdict == "remnant":
            text += f", {ledger.format_qty(self.drop)} {unit} drop back as a remnant"
        elif self.verdict == "scrap":
            text += f", {ledger.format_qty(self.drop)} {unit} drop to scrap"
        return text


@dataclass
class CutPlan:
    job: Job
    missing: str | None = None  # why no plan can be made (a figure the part or material lacks)
    unit: str = "in"
    cut_length: Decimal | None = None
    bar_end: Decimal = ZERO
    per_plate: int | None = None
    lines: list[CutLine] = field(default_factory=list)
    short: int = 0  # pieces no stock on hand covers
    to_buy: int | None = None  # whole bars (or plates) for the short pieces
    stored: bool = False  # kept at release (else a proposal from today's stock)

    @property
    def pieces(self) -> int:
        return sum(line.pieces for line in self.lines)

    @property
    def material_required(self) -> Decimal:
        return sum((line.pull for line in self.lines), ZERO)

    @property
    def summary(self) -> str:
        if self.missing:
            return f"No cut plan: {self.missing}"
        if not self.lines:
            head = "No stock on hand for this job"
        else:
            head = "Pull " + "; then ".join(line.words for line in self.lines)
        if self.short:
            head += f". {self.short} pcs not covered by stock"
            if self.to_buy:
                head += f": buy {self.to_buy} {'plates' if self.per_plate else 'bars'}"
        return head + "."


# --- making a plan ---------------------------------------------------------------------------

def _figures(job: Job) -> tuple[str | None, Decimal | None, Decimal, int | None]:
    """(what is missing, cut length, bar end, blanks per plate) for the job's part."""
    from spex.metrics.material import blanks_per_plate

    part = job.part
    material = part.material
    if material is None:
        return "the part has no material.", None, ZERO, None
    if material.unit == "pcs":
        return None, None, ZERO, blanks_per_plate(material, part)
    if material.unit not in ("in", "ft"):
        return f"{material.code} is stocked in {material.unit}, not by length or plate.", None, ZERO, None
    cut = bars.part_cut_length(part)
    if cut is None:
        return "enter the part's finished length (or bar per piece).", None, ZERO, None
    return None, cut, Decimal(str(material.bar_end_in or 0)), None


def _pieces_from(length_in: Decimal, cut: Decimal, bar_end: Decimal) -> int:
    if length_in <= bar_end:
        return 0
    return bars.pieces_per_bar(length_in - bar_end, cut)


def units_on_hand(session: Session, job: Job) -> list[tuple[StockUnit, Decimal]]:
    """Units of the job's material in the shop's bins that this job may pull: not on a receiving
    hold, not held for another customer, not in another open job's cut plan."""
    part = job.part
    unit_key = ledger.key_sql(ledger.UNIT_KEY, StockUnit.id)
    rows = session.execute(
        select(StockUnit, Balance.quantity, Balance.place)
        .join(Balance, Balance.item == unit_key)
        .join(MaterialLot, StockUnit.lot_id == MaterialLot.id)
        .where(MaterialLot.material_id == part.material_id, MaterialLot.active.is_(True),
               ledger.place_is_location(Balance.place), Balance.quantity > 0)
        .options(selectinload(StockUnit.lot))).all()
    if not rows:
        return []
    held_lots = set(session.scalars(select(ReceivingHold.lot_id).where(ReceivingHold.released_at.is_(None))))
    location_ids = {ledger.parse_key(place).id for _u, _q, place in rows}
    kinds = dict(session.execute(select(Location.id, Location.kind).where(Location.id.in_(location_ids))).all())
    planned_elsewhere = set(session.scalars(
        select(CutPlanLine.stock_unit_id).join(Job, CutPlanLine.job_id == Job.id)
        .where(Job.id != job.id, Job.status.in_(OPEN_STATUSES))))
    found = []
    for unit, amount, place in rows:
        lot = unit.lot
        if lot.id in held_lots or unit.id in planned_elsewhere:
            continue
        if lot.customer_id is not None and lot.customer_id != part.customer_id:
            continue
        if kinds.get(ledger.parse_key(place).id) in ("scrap", "vendor", "shipping", "fg"):
            continue
        found.append((unit, qty(amount)))
    return found


def propose(session: Session, job: Job, on_hand: list[tuple[StockUnit, Decimal]] | None = None) -> CutPlan:
    """The cut plan for a job from the stock on hand now: remnants first (shortest that still gives a
    piece), then full bars (shortest first, so an opened bar is used up before a new one)."""
    missing, cut, bar_end, per_plate = _figures(job)
    material = job.part.material
    plan = CutPlan(job, missing, unit=material.unit if material else "in", cut_length=cut, bar_end=bar_end,
                   per_plate=per_plate)
    if missing:
        return plan
    if on_hand is None:
        on_hand = units_on_hand(session, job)
    to_inches = Decimal(12) if material.unit == "ft" else Decimal(1)
    minimum = material.min_remnant_in or ZERO
    ordered = sorted(on_hand, key=lambda pair: (pair[0].kind != "remnant", pair[1], pair[0].code))
    remaining = job.quantity
    for unit, available in ordered:
        if remaining <= 0:
            break
        if per_plate:
            plates = int(available)
            pieces = min(plates * per_plate, remaining)
            if pieces <= 0:
                continue
            line = CutLine(len(plan.lines) + 1, unit, available, pieces, qty(math.ceil(pieces / per_plate)), ZERO, "none")
        else:
            length = available * to_inches
            gives = _pieces_from(length, cut, bar_end)
            if gives <= 0:
                continue  # a drop too short for this part stays for another
            pieces = min(gives, remaining)
            drop = length - pieces * cut
            verdict = "remnant" if drop > 0 and drop >= minimum else ("scrap" if drop > 0 else "none")
            line = CutLine(len(plan.lines) + 1, unit, available, pieces, available, qty(drop / to_inches), verdict)
        plan.lines.append(line)
        remaining -= line.pieces
    plan.short = max(remaining, 0)
    if plan.short:
        plan.to_buy = _units_to_buy(material, plan.short, cut, bar_end, per_plate)
    return plan


def _units_to_buy(material, short: int, cut: Decimal | None, bar_end: Decimal, per_plate: int | None) -> int | None:
    """Whole new bars (of the material's usual length, less its bar end) or plates for pieces no stock covers."""
    if per_plate:
        return math.ceil(short / per_plate)
    if material.typical_bar_length_in and cut:
        gives = _pieces_from(material.typical_bar_length_in, cut, bar_end)
        return bars.bars_for(short, gives) if gives > 0 else None
    return None


def bought_for_short(job: Job, short: int) -> Decimal | None:
    """What pieces no planned unit covers take in new stock, in the material's unit: whole bars of its
    usual length (the bar end left in each) or whole plates; None when a figure is missing."""
    missing, cut, bar_end, per_plate = _figures(job)
    material = job.part.material
    count = None if missing else _units_to_buy(material, short, cut, bar_end, per_plate)
    if count is None:
        return None
    if per_plate:
        return qty(count)
    return qty(count * Decimal(material.typical_bar_length_in) / (12 if material.unit == "ft" else 1))


def kept_lines(session: Session, job_ids) -> dict[int, list[CutPlanLine]]:
    """The plan lines kept at release, per job, in one query."""
    found: dict[int, list[CutPlanLine]] = {}
    if job_ids:
        for line in session.scalars(select(CutPlanLine).where(CutPlanLine.job_id.in_(list(job_ids)))
                                    .order_by(CutPlanLine.job_id, CutPlanLine.seq)):
            found.setdefault(line.job_id, []).append(line)
    return found


def keep_at_release(session: Session, job: Job) -> CutPlan:
    """Propose the job's plan and keep it, replacing any kept before (a job re-released is re-planned)."""
    plan = propose(session, job)
    session.execute(delete(CutPlanLine).where(CutPlanLine.job_id == job.id))
    for line in plan.lines:
        session.add(CutPlanLine(job_id=job.id, seq=line.seq, stock_unit_id=line.unit.id, available=line.available,
                                pieces=line.pieces, pull=line.pull, drop=line.drop, drop_verdict=line.verdict))
    session.flush()
    plan.stored = True
    return plan


def plan_of(session: Session, job: Job) -> CutPlan:
    """The plan kept at release, or (for a job not yet released, or released before plans were kept)
    a proposal from the stock on hand now."""
    kept = session.scalars(select(CutPlanLine).where(CutPlanLine.job_id == job.id).order_by(CutPlanLine.seq)
                           .options(selectinload(CutPlanLine.stock_unit).selectinload(StockUnit.lot))).all()
    if not kept:
        if job.status == "planned":
            return propose(session, job)
        return CutPlan(job, "none was kept when the job was released.")
    missing, cut, bar_end, per_plate = _figures(job)
    material = job.part.material
    plan = CutPlan(job, None, unit=material.unit if material else "in", cut_length=cut, bar_end=bar_end,
                   per_plate=per_plate, stored=True)
    plan.lines = [CutLine(k.seq, k.stock_unit, k.available, k.pieces, k.pull, k.drop, k.drop_verdict) for k in kept]
    plan.short = max(job.quantity - plan.pieces, 0)
    return plan


# Two questions a pull at the station asks of the job's kept plan, each answered in the database
# whatever the plan's length (a big job's plan names thousands of bars): does it name this unit, and
# which is the first unit it names, in plan order, that is still in a bin.
_NAMES_UNIT = (select(CutPlanLine.id)
               .where(CutPlanLine.job_id == bindparam("job"), CutPlanLine.stock_unit_id == bindparam("unit")).limit(1))
_FIRST_PLANNED_IN_A_BIN = (
    select(CutPlanLine.stock_unit_id, CutPlanLine.pieces, Balance.quantity)
    .join(Balance, Balance.item == ledger.key_sql(ledger.UNIT_KEY, CutPlanLine.stock_unit_id))
    .where(CutPlanLine.job_id == bindparam("job"), ledger.place_is_location(Balance.place), Balance.quantity > 0)
    .order_by(CutPlanLine.seq).limit(1))


def planned_instead(session: Session, job: Job, unit: StockUnit) -> str | None:
    """When a pull takes a unit the job's kept plan does not name, the planned unit(s) still on the rack,
    in words for the station; None when the unit is planned, or nothing planned is left (or no plan)."""
    if session.scalar(_NAMES_UNIT, {"job": job.id, "unit": unit.id}) is not None:
        return None
    first = session.execute(_FIRST_PLANNED_IN_A_BIN, {"job": job.id}).first()
    if first is None:
        return None
    unit_id, pieces, left = first
    planned = session.get(StockUnit, unit_id)
    what = "remnant" if planned.kind == "remnant" else planned.kind
    return (f"The cut plan of job {job.number} pulls {planned.barcode} ({what}, "
            f"{ledger.format_qty(left)} {job.part.material.unit}) for {pieces} pcs")
    for unit_id, pieces in kept:
        place, left = ledger.location_of(session, ledger.unit_item(unit_id))
        if place is not None and left > 0:
            planned = session.get(StockUnit, unit_id)
            what = "remnant" if planned.kind == "remnant" else planned.kind
            return (f"The cut plan of job {job.number} pulls {planned.barcode} ({what}, "
                    f"{ledger.format_qty(left)} {job.part.material.unit}) for {pieces} pcs")
    return None

"""Metrics room: material requirements of open jobs, what is on hand, what must be bought, and yield.

Every function reads the ledger with a fixed number of grouped queries, however many materials
and jobs the shop has.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import BigInteger, case, func, select, type_coerce
from sqlalchemy.orm import Session, aliased

from spex import ledger
from spex.models import (OPEN_STATUSES, Balance, Job, JobOperation, LedgerEntry, Material, MaterialLot, Part,
                         StockUnit, qty)

ZERO = qty(0)
# Quantities as stored (whole thousandths), so sums of signed quantities are plain integer sums in SQL.
RAW_QTY = type_coerce(LedgerEntry.quantity, BigInteger)


def from_raw(value) -> Decimal:
    """A sum of stored thousandths back to a quantity."""
    return qty(Decimal(int(value or 0)) / 1000)
_NUMBER = r"(\d+(?:\.\d+)?)"
_DIMENSIONS = re.compile(rf"{_NUMBER}\s*x\s*{_NUMBER}(?:\s*x\s*{_NUMBER})?", re.IGNORECASE)


# --- weights -----------------------------------------------------------------------------------

def _dimensions(text: str | None) -> list[Decimal]:
    match = _DIMENSIONS.search(text or "")
    if not match:
        return []
    return [Decimal(g) for g in match.groups() if g is not None]


def cross_section_in2(material: Material) -> Decimal | None:
    """Area of a bar's cross-section: round π·(d/2)², hex (across flats d) (√3/2)·d², square d²."""
    if material.diameter_in is None:
        return None
    d = Decimal(material.diameter_in)
    form = (material.form or "").lower()
    if form.startswith("hex"):
        return Decimal(math.sqrt(3)) / 2 * d * d
    if form.startswith("square"):
        return d * d
    return Decimal(math.pi) * (d / 2) ** 2


def weight_per_unit_lb(material: Material) -> Decimal | None:
    """Pounds in one unit of the material (an inch or foot of bar, a plate, a pound); None if unknown.

    A bar's stated weight per inch wins over density × cross-section (a hex or tube is not a solid round)."""
    if material.unit == "lb":
        return Decimal(1)
    if material.unit in ("in", "ft") and material.weight_per_in_lb:
        return Decimal(material.weight_per_in_lb) * (12 if material.unit == "ft" else 1)
    density = material.density_lb_per_in3
    if density is None:
        return None
    if material.unit in ("in", "ft"):
        area = cross_section_in2(material)
        if area is None:
            return None
        return area * Decimal(density) * (12 if material.unit == "ft" else 1)
    if material.unit == "pcs":
        # A plate's size reads "thickness x width x length" (inches).
        dims = _dimensions(material.size)
        if len(dims) == 3:
            return dims[0] * dims[1] * dims[2] * Decimal(density)
    return None


def blanks_per_plate(material: Material, part: Part) -> int:
    """How many of a part's blanks one plate gives, from "W x L" sizes; 1 when either size does not read.

    Blanks are laid out in a plain grid of blank size + saw kerf (the part's cutoff width, else the
    material's kerf), trying both turns of the blank (spex.planning.bars.blanks_per_plate).
    """
    plate = _dimensions(material.size)
    blank = _dimensions(part.blank_size)
    if len(plate) != 3 or len(blank) < 2:
        return 1
    width, length = plate[1], plate[2]
    a, b = blank[-2], blank[-1]
    if a <= 0 or b <= 0:
        return 1
    from spex.planning import bars  # the planning room's arithmetic (imported late: it imports this room's pages)

    kerf = part.cutoff_width_in if part.cutoff_width_in is not None else (material.kerf_in or Decimal(0))
    return max(bars.blanks_per_plate(width, length, a, b, Decimal(kerf)), 1)


@dataclass(frozen=True)
class PlannedYield:
    """Per piece: the finished weight against the weight of the bar (or share of a plate) it takes."""
    finished_lb: Decimal
    stock_lb: Decimal
    cut_length: Decimal | None  # bar parts: the cut length it is figured from
    per_plate: int | None  # plate parts: blanks a plate gives

    @property
    def rate(self) -> Decimal | None:
        return material_yield(self.finished_lb, self.stock_lb)

    @property
    def loss_lb(self) -> Decimal:
        return self.stock_lb - self.finished_lb


def planned_part_yield(part: Part) -> PlannedYield | None:
    """Planned yield of one piece: finished weight ÷ (cut length × weight per length), or of a blank:
    finished weight ÷ (plate weight ÷ blanks per plate). None when a figure is missing."""
    material = part.material
    if material is None or part.finished_weight_lb is None:
        return None
    per_unit = weight_per_unit_lb(material)
    if per_unit is None:
        return None
    if material.unit == "pcs":
        per_plate = blanks_per_plate(material, part)
        return PlannedYield(Decimal(part.finished_weight_lb), per_unit / per_plate, None, per_plate)
    if material.unit not in ("in", "ft"):
        return None
    from spex.planning import bars

    cut = bars.part_cut_length(part)
    if cut is None:
        return None
    length = Decimal(cut) / (12 if material.unit == "ft" else 1)
    return PlannedYield(Decimal(part.finished_weight_lb), per_unit * length, Decimal(cut), None)


def planned_yield(part: Part) -> Decimal | None:
    """Finished weight ÷ weight of the bar one piece takes (a fraction, e.g. 0.25 for 25 %)."""
    found = planned_part_yield(part)
    return found.rate if found is not None else None


def material_yield(finished_weight_lb: Decimal, bar_weight_lb: Decimal) -> Decimal | None:
    """Material yield: finished weight ÷ weight of bar consumed; None when no bar was consumed."""
    if not bar_weight_lb or bar_weight_lb <= 0:
        return None
    return Decimal(finished_weight_lb) / Decimal(bar_weight_lb)


# --- reading the ledger, grouped -------------------------------------------------------------

def _net_pulls(*by):
    """Net pulls (pulls less the reversals that undo them), summed per the given columns of the entry."""
    original = aliased(LedgerEntry)
    signed = case((LedgerEntry.kind == ledger.PULL, RAW_QTY), else_=-RAW_QTY)
    return (select(*by, func.sum(signed))
            .outerjoin(original, LedgerEntry.reverses_id == original.id)
            .where(LedgerEntry.job_id.is_not(None),
                   (LedgerEntry.kind == ledger.PULL)
                   | ((LedgerEntry.kind == ledger.REVERSAL) & (original.kind == ledger.PULL)))
            .group_by(*by))


def pulled_by_job(session: Session, job_ids=None) -> dict[int, Decimal]:
    """Material pulled to each job, less the pulls that were reversed (undone)."""
    stmt = _net_pulls(LedgerEntry.job_id)
    if job_ids is not None:
        stmt = stmt.where(LedgerEntry.job_id.in_(list(job_ids)))
    return {job_id: from_raw(total) for job_id, total in session.execute(stmt)}


def pulled_by_job_and_unit(session: Session, job_ids) -> dict[tuple[int, int], Decimal]:
    """Net pulls per (job, stock unit): what of each bar or plate went to each job."""
    stmt = _net_pulls(LedgerEntry.job_id, LedgerEntry.stock_unit_id).where(LedgerEntry.job_id.in_(list(job_ids)))
    return {(job_id, unit_id): from_raw(total) for job_id, unit_id, total in session.execute(stmt)}


def consumed_by_job(session: Session, job_ids=None) -> dict[int, tuple[Decimal, Decimal]]:
    """Per job: (material pulled less undone pulls, remnants returned from it less undone returns).
    What the job consumed is the first less the second."""
    original = aliased(LedgerEntry)
    kind = func.coalesce(original.kind, LedgerEntry.kind)
    sign = case((LedgerEntry.kind == ledger.REVERSAL, -1), else_=1)
    stmt = (select(LedgerEntry.job_id, kind, func.sum(sign * RAW_QTY))
            .outerjoin(original, LedgerEntry.reverses_id == original.id)
            .where(LedgerEntry.job_id.is_not(None), kind.in_((ledger.PULL, ledger.REMNANT)),
                   LedgerEntry.kind.in_((ledger.PULL, ledger.REMNANT, ledger.REVERSAL)))
            .group_by(LedgerEntry.job_id, kind))
    if job_ids is not None:
        stmt = stmt.where(LedgerEntry.job_id.in_(list(job_ids)))
    found: dict[int, list[Decimal]] = {}
    for job_id, what, total in session.execute(stmt):
        pair = found.setdefault(job_id, [ZERO, ZERO])
        pair[0 if what == ledger.PULL else 1] = from_raw(total)
    return {job_id: (pulled, returned) for job_id, (pulled, returned) in found.items()}


@dataclass(frozen=True)
class ActualYield:
    """A job's yield as it ran: good pieces' finished weight against the bar it consumed — what was
    pulled less the remnants that came back to the rack."""
    pieces: int
    finished_lb: Decimal
    pulled: Decimal  # in the material's unit
    returned: Decimal
    unit: str
    per_unit_lb: Decimal

    @property
    def consumed(self) -> Decimal:
        return self.pulled - self.returned

    @property
    def pulled_lb(self) -> Decimal:
        return self.pulled * self.per_unit_lb

    @property
    def returned_lb(self) -> Decimal:
        return self.returned * self.per_unit_lb

    @property
    def consumed_lb(self) -> Decimal:
        return self.consumed * self.per_unit_lb

    @property
    def rate(self) -> Decimal | None:
        return material_yield(self.finished_lb, self.consumed_lb)


def actual_job_yield(session: Session, job: Job) -> ActualYield | None:
    """The job's actual yield so far; None when its part or material lacks a weight."""
    part, material = job.part, job.part.material
    per_unit = weight_per_unit_lb(material) if material is not None else None
    if per_unit is None or part.finished_weight_lb is None:
        return None
    last = max(job.operations, key=lambda op: op.seq, default=None)
    good = int(last.qty_good or 0) if last is not None else 0
    pulled, returned = consumed_by_job(session, [job.id]).get(job.id, (ZERO, ZERO))
    return ActualYield(good, Decimal(part.finished_weight_lb) * good, pulled, returned, material.unit, per_unit)


def on_hand_by_material(session: Session) -> dict[int, Decimal]:
    """What is in the shop's bins per material: production.material_on_hand for all materials at once."""
    unit_key = ledger.key_sql(ledger.UNIT_KEY, StockUnit.id)
    stmt = (select(MaterialLot.material_id, func.sum(Balance.quantity))
            .select_from(Balance)
            .join(StockUnit, Balance.item == unit_key)
            .join(MaterialLot, StockUnit.lot_id == MaterialLot.id)
            .where(ledger.place_is_location(Balance.place))
            .group_by(MaterialLot.material_id))
    return {material_id: qty(total or 0) for material_id, total in session.execute(stmt)}


# --- requirements ------------------------------------------------------------------------------

@dataclass
class JobRequirement:
    job: Job
    part: Part
    material: Material
    remaining_pieces: int  # pieces not yet started at the first operation
    per_piece: Decimal  # material units one piece takes
    pulled: Decimal  # net pulled to the job so far
    still_needed: Decimal  # what the job will still pull
    # A job with a cut plan kept at release: what its plan has still to pull of each planned unit (by
    # id); still_needed follows the plan. None for a job with no kept plan (bar per piece).
    planned_pulls: dict[int, Decimal] | None = None

    @property
    def unit(self) -> str:
        return self.material.unit


def _units_for(material: Material, part: Part, pieces: int) -> Decimal:
    """Material one batch of pieces takes: bar length × pieces, or whole plates for plate parts."""
    if material.unit == "pcs":
        per_plate = blanks_per_plate(material, part)
        return qty(-(-pieces // per_plate))  # whole plates: a part-used plate is still bought whole
    length = Decimal(part.bar_length_per_piece or 0)
    if material.unit == "ft":
        length = length / 12
    return qty(length * pieces)


def _plan_still_needed(job: Job, part: Part, material: Material, lines, pulled: dict,
                       remaining: int) -> tuple[Decimal, dict[int, Decimal]]:
    """What a job with a kept cut plan will still pull: each planned bar, remnant or plate's pull less
    what of it was already pulled to the job, plus whole new bars (or plates) for the pieces no planned
    unit covers, less what was pulled to the job off the plan; nothing once every piece is started."""
    from spex.planning.cutplan import bought_for_short  # the planning room's arithmetic

    if remaining <= 0:
        return ZERO, {}
    to_pull = {line.stock_unit_id: max(line.pull - pulled.get((job.id, line.stock_unit_id), ZERO), ZERO)
               for line in lines}
    off_plan = sum((amount for (job_id, unit_id), amount in pulled.items()
                    if job_id == job.id and unit_id not in to_pull), ZERO)
    short = max(job.quantity - sum(line.pieces for line in lines), 0)
    for_short = ZERO
    if short:
        for_short = bought_for_short(job, short)
        if for_short is None:
            for_short = _units_for(material, part, short)
    return max(sum(to_pull.values(), ZERO) + for_short - off_plan, ZERO), to_pull


def job_requirements(session: Session) -> list[JobRequirement]:
    """What each open job still needs from the racks.

    A released job with a cut plan kept at release needs what its plan has still to pull (whole
    bars, remnants and plates as planned, with bar end, kerf and facing in them) and new whole bars
    for the pieces the plan leaves short (_plan_still_needed). Any other job: bar per piece × pieces
    not yet started, less what was pulled to the job but is not yet in started pieces: pulled − bar
    per piece × pieces started (never below zero). A job that pulled its whole bar at release
    therefore needs nothing more; a job that pulled nothing needs the bar for every piece not yet
    started. Plate parts count whole plates (unit pcs).
    """
    from spex.planning.cutplan import kept_lines

    first_seq = (select(JobOperation.job_id, func.min(JobOperation.seq).label("seq"))
                 .group_by(JobOperation.job_id).subquery())
    first = aliased(JobOperation)
    rows = session.execute(
        select(Job, Part, Material, first.qty_good + first.qty_scrap)
        .join(Part, Job.part_id == Part.id)
        .join(Material, Part.material_id == Material.id)
        .outerjoin(first_seq, first_seq.c.job_id == Job.id)
        .outerjoin(first, (first.job_id == Job.id) & (first.seq == first_seq.c.seq))
        .where(Job.status.in_(OPEN_STATUSES))
        .order_by(Job.due_date, Job.number)).all()
    job_ids = [job.id for job, *_ in rows]
    pulled = pulled_by_job(session, job_ids) if rows else {}
    plans = kept_lines(session, [job.id for job, *_ in rows if job.status != "planned"])
    by_unit = pulled_by_job_and_unit(session, list(plans)) if plans else {}
    found = []
    for job, part, material, started in rows:
        started = min(int(started or 0), job.quantity) if job.status != "planned" else 0
        remaining = job.quantity - started
        already = pulled.get(job.id, ZERO)
        lines = plans.get(job.id)
        planned_pulls = None
        if lines:
            needed, planned_pulls = _plan_still_needed(job, part, material, lines, by_unit, remaining)
        else:
            in_started = _units_for(material, part, started)
            unused = max(already - in_started, ZERO)
            needed = max(_units_for(material, part, remaining) - unused, ZERO)
        per_piece = qty(_units_for(material, part, 1)) if material.unit != "pcs" else qty(
            Decimal(1) / blanks_per_plate(material, part))
        found.append(JobRequirement(job=job, part=part, material=material, remaining_pieces=remaining, per_piece=per_piece,
                                    pulled=already, still_needed=qty(needed), planned_pulls=planned_pulls))
    return found


@dataclass
class MaterialNeed:
    material: Material
    required: Decimal  # what open jobs will still pull
    on_hand: Decimal  # everything in the shop's bins
    jobs: int
    on_order: Decimal = ZERO  # open purchase order lines not yet received
    # On hand but held for a customer (stocking agreement, bar not released) beyond what that
    # customer's own open jobs need: no other customer's job may pull it. (customer name, quantity)
    held_for_others: list[tuple[str, Decimal]] = field(default_factory=list)

    @property
    def reserved(self) -> Decimal:
        return qty(sum((amount for _name, amount in self.held_for_others), ZERO))

    @property
    def available(self) -> Decimal:
        """On hand that the open jobs may pull: all of it but the bars held for other customers."""
        return self.on_hand - self.reserved

    @property
    def to_buy(self) -> Decimal:
        """What must be bought: requirements − on hand the jobs may pull − on order, never below zero."""
        return max(self.required - self.available - self.on_order, ZERO)


def held_beyond_own_jobs(session: Session, requirements: list[JobRequirement]) -> dict[int, list[tuple[str, Decimal]]]:
    """Per material, what each customer's held bars hold beyond their own open jobs' requirements.

    A customer's jobs pull their own held bars first (a job with a kept cut plan, only the held bars
    its plan names); the rest of those bars is no use to anyone else's job, so it is left out of the
    on hand that covers the other jobs."""
    from spex.materials.stocking import held_bars
    from spex.models import Customer
    bars = held_bars(session)
    if not bars:
        return {}
    held = {key: sum((bar.left for bar in found), ZERO) for key, found in bars.items()}
    wanted: dict[tuple[int, int], Decimal] = {}
    for req in requirements:
        key = (req.part.customer_id, req.material.id)
        if req.planned_pulls is None:
            from_held = req.still_needed
        else:
            units = {bar.unit.id for bar in bars.get(key, [])}
            from_held = sum((left for unit_id, left in req.planned_pulls.items() if unit_id in units), ZERO)
        wanted[key] = wanted.get(key, ZERO) + from_held
    spare = {key: amount - wanted.get(key, ZERO) for key, amount in held.items() if amount > wanted.get(key, ZERO)}
    names = dict(session.execute(select(Customer.id, Customer.name)
                                 .where(Customer.id.in_({c for c, _m in spare}))).all()) if spare else {}
    found: dict[int, list[tuple[str, Decimal]]] = {}
    for (customer_id, material_id), amount in sorted(spare.items(), key=lambda kv: names.get(kv[0][0], "")):
        found.setdefault(material_id, []).append((names.get(customer_id, ""), qty(amount)))
    return found


def material_needs(session: Session, requirements: list[JobRequirement] | None = None) -> list[MaterialNeed]:
    """Per material: open jobs' requirements, on hand, on order, and what must be bought.

    Every active material is listed (a stocked material with no open job still has stock to show).
    """
    from spex.purchasing.orders import on_order_by_material  # purchasing reads these needs too
    if requirements is None:
        requirements = job_requirements(session)
    on_hand = on_hand_by_material(session)
    on_order = on_order_by_material(session)
    required: dict[int, Decimal] = {}
    jobs: dict[int, int] = {}
    for req in requirements:
        required[req.material.id] = required.get(req.material.id, ZERO) + req.still_needed
        jobs[req.material.id] = jobs.get(req.material.id, 0) + 1
    materials = session.scalars(select(Material).where(
        Material.active.is_(True) | Material.id.in_(list(required)) | Material.id.in_(list(on_order)))
        .order_by(Material.code)).all()
    held = held_beyond_own_jobs(session, requirements)
    return [MaterialNeed(material=m, required=qty(required.get(m.id, ZERO)), on_hand=on_hand.get(m.id, ZERO),
                         jobs=jobs.get(m.id, 0), on_order=on_order.get(m.id, ZERO), held_for_others=held.get(m.id, []))
            for m in materials]

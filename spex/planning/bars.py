"""Planning room: bar arithmetic — how much bar one piece takes, how many pieces a bar gives, how
many whole bars a job needs and what drop each bar leaves. Pure functions of lengths in inches.

cut length   = finished length + facing allowance + cutoff (kerf) width
usable bar   = bar length - chuck/bar-end length (what the bar feeder or chuck cannot use)
pieces/bar   = whole cut lengths in the usable bar
bars/job     = whole bars for the quantity
drop per bar = bar length - pieces/bar x cut length (the bar end included)
blanks/plate = a plain grid: whole (blank + kerf) across the plate's width, times along its length,
               the blank turned whichever way gives more
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal


class BarPlanError(ValueError):
    pass


def cut_length(finished: Decimal, facing: Decimal, kerf: Decimal) -> Decimal:
    if finished <= 0:
        raise BarPlanError("A part needs a finished length above zero.")
    if facing < 0 or kerf < 0:
        raise BarPlanError("Facing allowance and cutoff width cannot be negative.")
    return finished + facing + kerf


def usable_length(bar: Decimal, bar_end: Decimal) -> Decimal:
    if bar_end < 0:
        raise BarPlanError("The chuck/bar-end length cannot be negative.")
    if bar_end >= bar:
        raise BarPlanError(f"A {bar} in bar less {bar_end} in of bar end leaves nothing to cut.")
    return bar - bar_end


def pieces_per_bar(usable: Decimal, cut: Decimal) -> int:
    if cut <= 0:
        raise BarPlanError("The cut length must be above zero.")
    return int((usable / cut).to_integral_value(rounding=ROUND_FLOOR))


def blanks_per_plate(width: Decimal, length: Decimal, blank_a: Decimal, blank_b: Decimal,
                     kerf: Decimal = Decimal(0)) -> int:
    """Blanks a plate gives in a grid, each blank taking its size plus one saw cut each way."""
    if blank_a <= 0 or blank_b <= 0:
        raise BarPlanError("A blank needs a size above zero each way.")
    if kerf < 0:
        raise BarPlanError("The saw kerf cannot be negative.")
    step_a, step_b = blank_a + kerf, blank_b + kerf
    along = int(width // step_a) * int(length // step_b)
    turned = int(width // step_b) * int(length // step_a)
    return max(along, turned)


def kerf_of(part) -> Decimal:
    """The part's own cutoff width, else its material's saw kerf, else none."""
    if part.cutoff_width_in is not None:
        return part.cutoff_width_in
    material = part.material
    return (material.kerf_in if material is not None else None) or Decimal(0)


def part_cut_length(part) -> Decimal | None:
    """Bar one piece of the part takes: from its finished length when known, else its stored bar per piece."""
    if part.finished_length_in:
        try:
            return cut_length(Decimal(str(part.finished_length_in)), Decimal(str(part.facing_allowance_in or 0)),
                              Decimal(str(kerf_of(part))))
        except BarPlanError:
            return None
    stored = part.bar_length_per_piece
    # Decimal(str()): a part made in code and not yet reloaded may hold a float or int here.
    return Decimal(str(stored)) if stored and stored > 0 else None


def bars_for(quantity: int, per_bar: int) -> int:
    if per_bar <= 0:
        raise BarPlanError("Not one piece fits in the usable bar.")
    return -(-quantity // per_bar)


@dataclass(frozen=True)
class BarPlan:
    cut_length: Decimal
    usable_length: Decimal
    pieces_per_bar: int
    bars: int
    material_required: Decimal  # whole bars, in inches
    drop_per_bar: Decimal  # a full bar's drop
    last_bar_drop: Decimal  # the last bar cuts only what is left of the quantity


def plan(quantity: int, *, finished: Decimal, facing: Decimal, kerf: Decimal, bar: Decimal,
         bar_end: Decimal) -> BarPlan:
    """The whole arithmetic for a quantity of one part from bars of one length."""
    if quantity <= 0:
        raise BarPlanError("Plan at least one piece.")
    cut = cut_length(finished, facing, kerf)
    usable = usable_length(bar, bar_end)
    per_bar = pieces_per_bar(usable, cut)
    bars = bars_for(quantity, per_bar)
    on_last = quantity - (bars - 1) * per_bar
    return BarPlan(cut, usable, per_bar, bars, bars * bar, bar - per_bar * cut, bar - on_last * cut)


PAGE_QUANTITIES = (10, 50, 100, 500)


@dataclass(frozen=True)
class PartBars:
    """What the part page shows: the arithmetic for its bar, or what is missing for it."""

    missing: str | None = None
    cut_length: Decimal | None = None
    bar_length: Decimal | None = None
    bar_end: Decimal | None = None
    usable_length: Decimal | None = None
    pieces_per_bar: int | None = None
    drop_per_bar: Decimal | None = None
    stored_differs: bool = False
    rows: tuple = ()  # (quantity, bars, material required, last bar's drop)
    kerf: Decimal | None = None  # the cutoff width used: the part's own, else its material's kerf


def for_part(part, quantities=PAGE_QUANTITIES) -> PartBars:
    """The bar plan of a part from its finished length, facing, cutoff width and its material's bar."""
    material = part.material
    if material is not None and material.unit == "pcs":
        from spex.metrics.material import blanks_per_plate  # late: the metrics room imports this one

        per_plate = blanks_per_plate(material, part)
        return PartBars(missing=f"Plate stock: {per_plate} blank{'s' if per_plate != 1 else ''} of "
                                f"{part.blank_size or 'a size not entered'} from a {material.size} plate "
                                f"(a grid of blank size + {kerf_of(part).normalize():f} in kerf).")
    if material is None or material.unit not in ("in", "ft"):
        return PartBars(missing="The part's material is not bar stock.")
    if not part.finished_length_in:
        return PartBars(missing="Enter the finished length (and facing allowance and cutoff width) to see the bar plan.")
    if not material.typical_bar_length_in:
        return PartBars(missing=f"Enter the typical bar length of {material.code} to see the bar plan.")
    figures = dict(finished=part.finished_length_in, facing=part.facing_allowance_in or Decimal(0),
                   kerf=kerf_of(part), bar=material.typical_bar_length_in,
                   bar_end=material.bar_end_in or Decimal(0))
    try:
        plans = [(q, plan(q, **figures)) for q in quantities]
    except BarPlanError as exc:
        return PartBars(missing=str(exc))
    first = plans[0][1]
    return PartBars(None, first.cut_length, figures["bar"], figures["bar_end"], first.usable_length,
                    first.pieces_per_bar, first.drop_per_bar,
                    part.bar_length_per_piece != first.cut_length,
                    tuple((q, p.bars, p.material_required, p.last_bar_drop) for q, p in plans),
                    kerf=figures["kerf"])

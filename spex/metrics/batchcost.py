"""Metrics room: what a piece costs by batch size — the setup spread over the batch, plus run and
material per piece — with the economic batch size marked and batches the demand cannot absorb set apart.

A planner quoting 10 pieces sees what 50 would cost: the seed's "asking for 10 pieces when the setup
cost alone makes 50 pieces nearly the same total price is a missed opportunity".
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.orm import Session

from spex.config import DEFAULT_HOLDING_RATE, DEFAULT_SHOP_RATE
from spex.metrics.material import blanks_per_plate
from spex.metrics.reorder import eoq, ordered_last_year
from spex.models import Part

CENT = Decimal("0.01")
MINUTES_PER_HOUR = Decimal(60)
# The batch sizes a planner is usually asked for; the EOQ and a year's demand are added to them.
LADDER = (1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)
QUOTE_DEFAULT = 10
# Without a demand figure the table stops here: nothing says what more pieces would be for.
NO_DEMAND_TOP = 500


def money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def total_cost(setup: Decimal, variable: Decimal, pieces: int) -> Decimal:
    """Total cost of a batch T(Q) = S + Q · v: one setup, then run and material for every piece."""
    return money(setup + variable * pieces)


def cost_per_piece(setup: Decimal, variable: Decimal, pieces: int) -> Decimal:
    """Cost per piece c(Q) = S / Q + v: the setup spread over the batch, plus run and material."""
    return money(setup / pieces + variable)


@dataclass
class CostInputs:
    setup: Decimal  # S: the cost of one setup ($)
    run: Decimal  # run cost per piece ($): in-house run minutes × shop rate
    material: Decimal  # material cost per piece ($)
    annual_demand: int  # D: pieces a year
    piece_value: Decimal | None  # what a held piece is worth, for the holding cost H
    holding_rate: Decimal
    notes: list[str] = field(default_factory=list)

    @property
    def variable(self) -> Decimal:
        """v: what every further piece adds."""
        return self.run + self.material


@dataclass
class BatchRow:
    pieces: int
    total: Decimal
    per_piece: Decimal
    beyond_demand: bool  # more than a year's demand: the rest would sit on the shelf
    marks: list[str] = field(default_factory=list)  # "EOQ", "a year's demand"


@dataclass
class Quote:
    """The line a planner reads when quoting: the batch asked for beside a larger one."""
    pieces: int
    total: Decimal
    per_piece: Decimal
    other: int | None = None
    other_total: Decimal | None = None
    other_per_piece: Decimal | None = None

    @property
    def text(self) -> str:
        line = f"{self.pieces:,} pcs: ${self.total:,.2f} total, ${self.per_piece:,.2f}/pc"
        if self.other is None:
            return line
        more = self.other_total - self.total
        return (line + f" · {self.other:,} pcs: ${self.other_total:,.2f} total, ${self.other_per_piece:,.2f}/pc"
                f" — {self.other - self.pieces:,} more pieces for ${more:,.2f} more")


@dataclass
class Curve:
    """The per-piece cost curve as plain geometry for an inline SVG (log scale of pieces)."""
    width: int
    height: int
    left: int
    top: int
    plot_width: int
    plot_height: int
    points: str  # the polyline
    x_ticks: list[tuple[float, str]]
    y_ticks: list[tuple[float, str]]
    eoq_x: float | None
    cap_x: float | None  # where a year's demand ends: the part right of it is shaded


@dataclass
class BatchCost:
    inputs: CostInputs
    rows: list[BatchRow]
    eoq: int | None  # √(2DS/H), to the nearest piece
    cap: int | None  # a year's demand, when known
    curve: Curve | None

    @property
    def economic(self) -> int | None:
        """The batch to suggest: the EOQ, but never more than a year's demand."""
        if self.eoq is None:
            return None
        return min(self.eoq, self.cap) if self.cap else self.eoq

    def quote(self, pieces: int) -> Quote:
        """`pieces` beside the economic batch, or five times as many when the economic batch is no
        larger, kept within a year's demand."""
        inputs = self.inputs
        quote = Quote(pieces, total_cost(inputs.setup, inputs.variable, pieces),
                      cost_per_piece(inputs.setup, inputs.variable, pieces))
        other = self.economic if self.economic and self.economic > pieces else pieces * 5
        if self.cap:
            other = min(other, self.cap)
        if other > pieces:
            quote.other = other
            quote.other_total = total_cost(inputs.setup, inputs.variable, other)
            quote.other_per_piece = cost_per_piece(inputs.setup, inputs.variable, other)
        return quote


def batch_cost(inputs: CostInputs) -> BatchCost:
    """The table, EOQ and curve for one part's costs.

    EOQ = √(2 · D · S / H) with H = holding rate × the value of a piece (spex.metrics.reorder.eoq):
    where the setup saved by a bigger batch equals the cost of carrying the pieces it makes early.
    """
    demand = inputs.annual_demand
    holding = float(inputs.piece_value * inputs.holding_rate) if inputs.piece_value else 0.0
    found = eoq(demand, float(inputs.setup), holding)
    economic_q = max(1, round(found)) if found else None
    cap = demand or None
    top = cap if cap else NO_DEMAND_TOP
    sizes = {q for q in LADDER if q <= top}
    beyond = next((q for q in LADDER if q > top), None)
    if beyond is not None:
        sizes.add(beyond)  # one row past the demand, so the planner sees where it stops
    if economic_q:
        sizes.add(economic_q)
    if cap:
        sizes.add(cap)
    rows = []
    for q in sorted(sizes):
        marks = (["EOQ"] if q == economic_q else []) + (["a year's demand"] if q == cap else [])
        rows.append(BatchRow(q, total_cost(inputs.setup, inputs.variable, q),
                             cost_per_piece(inputs.setup, inputs.variable, q),
                             beyond_demand=bool(cap) and q > cap, marks=marks))
    result = BatchCost(inputs=inputs, rows=rows, eoq=economic_q, cap=cap, curve=None)
    if inputs.setup > 0 or inputs.variable > 0:
        result.curve = _curve(inputs, rows[-1].pieces, economic_q, cap)
    return result


# --- a part's figures ---------------------------------------------------------------------------

def material_per_piece(part: Part) -> tuple[Decimal, str | None]:
    """Material cost of one piece, and what is missing when it cannot be told."""
    material = part.material
    if material is None:
        return Decimal(0), "no material"
    if not material.unit_cost:
        return Decimal(0), "the material has no unit cost"
    cost = Decimal(material.unit_cost)
    if material.unit in ("in", "ft"):
        if not part.bar_length_per_piece:
            return Decimal(0), "no bar per piece"
        length = Decimal(part.bar_length_per_piece)
        return cost * (length / 12 if material.unit == "ft" else length), None
    if material.unit == "pcs":
        return cost / blanks_per_plate(material, part), None
    return Decimal(0), f"material bought by {material.unit}: not costed per piece"


def inputs_for(part: Part, annual_demand: int, *, shop_rate: Decimal = DEFAULT_SHOP_RATE,
               holding_rate: Decimal = DEFAULT_HOLDING_RATE) -> CostInputs:
    """S from the part's setup cost (else its in-house setup minutes at the shop rate), run from its
    in-house run minutes at the shop rate, material from its bar per piece at the material's cost."""
    notes = []
    inhouse = [step for step in part.routing if step.kind == "inhouse"]
    per_minute = Decimal(shop_rate) / MINUTES_PER_HOUR
    if part.setup_cost is not None:
        setup = Decimal(part.setup_cost)
    else:
        setup = sum((Decimal(s.setup_min) for s in inhouse), Decimal(0)) * per_minute
        notes.append(f"setup from the routing's setup minutes at ${shop_rate:,.2f}/h")
    run = sum((Decimal(s.run_min_per_piece) for s in inhouse), Decimal(0)) * per_minute
    material, missing = material_per_piece(part)
    if missing:
        notes.append(missing)
    if any(step.kind == "outside" for step in part.routing):
        notes.append("outside processing not costed")
    variable = run + material
    value = Decimal(part.unit_price) if part.unit_price else (variable or None)
    if not annual_demand:
        notes.append("no orders in the last year: no EOQ")
    return CostInputs(setup=setup, run=run, material=material, annual_demand=annual_demand,
                      piece_value=value, holding_rate=Decimal(holding_rate), notes=notes)


def for_part(session: Session, part: Part, today: date, *, shop_rate: Decimal = DEFAULT_SHOP_RATE,
             holding_rate: Decimal = DEFAULT_HOLDING_RATE) -> BatchCost:
    demand = ordered_last_year(session, today, [part.id]).get(part.id, 0)
    return batch_cost(inputs_for(part, demand, shop_rate=shop_rate, holding_rate=holding_rate))


def economic_batch(session: Session, part: Part, today: date, **rates) -> int | None:
    return for_part(session, part, today, **rates).economic


# --- the curve ------------------------------------------------------------------------------------

WIDTH, HEIGHT, LEFT, TOP, RIGHT, BOTTOM = 640, 260, 64, 16, 16, 36
SAMPLES = 60


def _curve(inputs: CostInputs, top_pieces: int, economic_q: int | None, cap: int | None) -> Curve:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top_pieces = max(top_pieces, 2)
    log_top = math.log(top_pieces)

    def x_of(q: float) -> float:
        return round(LEFT + plot_w * math.log(q) / log_top, 1)

    # The axis runs from $0 to the cost of a single piece (which carries the whole setup).
    y_max = float(cost_per_piece(inputs.setup, inputs.variable, 1)) or 1.0
    y_min = 0.0

    def y_of(cost: float) -> float:
        return round(TOP + plot_h * (1 - (cost - y_min) / (y_max - y_min)), 1)

    points = []
    for i in range(SAMPLES + 1):
        q = math.exp(log_top * i / SAMPLES)
        cost = float(inputs.setup) / q + float(inputs.variable)
        points.append(f"{x_of(q)},{y_of(cost)}")
    x_ticks = [(x_of(q), f"{q:,}") for q in LADDER if q <= top_pieces]
    step = _nice_step(y_max / 4)
    y_ticks = [(y_of(v), f"${v:,.0f}") for v in _frange(0, y_max, step)]
    return Curve(width=WIDTH, height=HEIGHT, left=LEFT, top=TOP, plot_width=plot_w, plot_height=plot_h,
                 points=" ".join(points), x_ticks=x_ticks, y_ticks=y_ticks,
                 eoq_x=x_of(economic_q) if economic_q and economic_q <= top_pieces else None,
                 cap_x=x_of(cap) if cap and 1 < cap < top_pieces else None)


def _nice_step(raw: float) -> float:
    if raw <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power


def _frange(start: float, stop: float, step: float):
    value = start
    while value <= stop + 1e-9:
        yield value
        value += step

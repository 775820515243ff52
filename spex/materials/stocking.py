"""Material in: customer material-stocking agreements — hold at least N bars of a material for a customer.

A lot received (or later marked) as held for a customer is reserved for that customer's jobs; the
station refuses its bars to anyone else's (spex.materials.holds.reservation_refusal) until a planner
releases a bar, which is kept with who, when and why. An agreement holding fewer bars than its
minimum is on the buy list.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from spex import ledger
from spex.masters import history
from spex.models import (Balance, Customer, Material, MaterialLot, StockingProgram, StockingRelease, StockUnit,
                         qty)

MATERIAL = "material"
HISTORY_KIND = "stocking"  # the agreements' changes in the masters' history
REASON_MOST = 500
MINIMUM_MOST = 10_000


class StockingError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


@dataclass
class HeldBar:
    unit: StockUnit
    left: Decimal  # what is left of it, in the material's unit


@dataclass
class Agreement:
    program: StockingProgram
    bars: list[HeldBar] = field(default_factory=list)
    releases: list[StockingRelease] = field(default_factory=list)

    @property
    def minimum(self) -> int:
        return int(self.program.quantity)

    @property
    def held(self) -> int:
        """Bars (and remnants) of the customer's lots with anything left, not released."""
        return len(self.bars)

    @property
    def held_quantity(self) -> Decimal:
        return qty(sum((bar.left for bar in self.bars), Decimal(0)))

    @property
    def short(self) -> int:
        return max(self.minimum - self.held, 0)


@dataclass
class StockingShort:
    """What the buy list needs of an agreement below its minimum."""
    material: Material
    quantity: Decimal  # in the material's unit
    why: str


def held_bars(session: Session) -> dict[tuple[int, int], list[HeldBar]]:
    """Per (customer, material), the bars on hand in lots held for the customer and not released."""
    unit_key = ledger.key_sql(ledger.UNIT_KEY, StockUnit.id)
    stmt = (select(StockUnit, MaterialLot.customer_id, MaterialLot.material_id, Balance.quantity)
            .join(MaterialLot, StockUnit.lot_id == MaterialLot.id)
            .join(Balance, Balance.item == unit_key)
            .outerjoin(StockingRelease, StockingRelease.stock_unit_id == StockUnit.id)
            .where(MaterialLot.customer_id.is_not(None), StockingRelease.id.is_(None),
                   ledger.place_is_location(Balance.place), Balance.quantity > 0)
            .order_by(StockUnit.code))
    found: dict[tuple[int, int], list[HeldBar]] = {}
    for unit, customer_id, material_id, left in session.execute(stmt):
        found.setdefault((customer_id, material_id), []).append(HeldBar(unit, qty(left)))
    return found


def agreements(session: Session) -> list[Agreement]:
    """Every active material stocking agreement with the bars held under it and its releases."""
    programs = session.scalars(select(StockingProgram).where(StockingProgram.kind == MATERIAL,
                                                             StockingProgram.active.is_(True))
                               .order_by(StockingProgram.id)).all()
    bars = held_bars(session)
    releases: dict[int, list[StockingRelease]] = {}
    for release in session.scalars(select(StockingRelease).order_by(StockingRelease.released_at.desc())):
        releases.setdefault(release.program_id, []).append(release)
    return [Agreement(p, bars.get((p.customer_id, p.material_id), []), releases.get(p.id, [])) for p in programs]


def shortfalls(session: Session) -> list[StockingShort]:
    """Agreements below their minimum, in the material's unit (bars × the material's bar length)."""
    found = []
    for agreement in agreements(session):
        if not agreement.short:
            continue
        material = agreement.program.material
        per_bar = Decimal(material.typical_bar_length_in or 0)
        if material.unit == "ft":
            per_bar = per_bar / 12
        amount = agreement.short * per_bar if material.unit in ("in", "ft") and per_bar else Decimal(agreement.short)
        found.append(StockingShort(material=material, quantity=qty(amount),
                                   why=f"stocking agreement with {agreement.program.customer.name}: hold "
                                       f"{agreement.minimum} bars, {agreement.held} held"))
    return found


def save_agreement(session: Session, customer: Customer | None, material: Material | None, minimum: int, *,
                   user) -> StockingProgram:
    """A new agreement, or the minimum of the customer's agreement for the material changed."""
    if customer is None or not customer.active:
        raise StockingError("customer_id", "Choose the customer from the list.")
    if material is None or not material.active:
        raise StockingError("material_id", "Choose the material from the list.")
    if not 1 <= minimum <= MINIMUM_MOST:
        raise StockingError("minimum", f"The minimum must be between 1 and {MINIMUM_MOST:,} bars.")
    program = session.scalar(select(StockingProgram).where(
        StockingProgram.kind == MATERIAL, StockingProgram.customer_id == customer.id,
        StockingProgram.material_id == material.id, StockingProgram.active.is_(True)))
    if program is None:
        program = StockingProgram(customer_id=customer.id, material_id=material.id, kind=MATERIAL,
                                  quantity=Decimal(minimum), active=True)
        session.add(program)
        session.flush()
        history.note(session, HISTORY_KIND, program.id, history.CREATED,
                     field=f"{customer.name}: {material.code}", new=f"{minimum} bars", actor=user)
    elif int(program.quantity) != minimum:
        history.note(session, HISTORY_KIND, program.id, history.CHANGED, field="Minimum bars",
                     old=str(int(program.quantity)), new=str(minimum), actor=user)
        program.quantity = Decimal(minimum)
    return program


def end_agreement(session: Session, program: StockingProgram, *, user) -> None:
    program.active = False
    history.note(session, HISTORY_KIND, program.id, history.DEACTIVATED, field="Agreement", actor=user)


def release_bar(session: Session, unit: StockUnit | None, reason: str, *, user) -> StockingRelease:
    """Let one held bar go to other customers' jobs; refused (nothing written) unless it is held and a reason given."""
    if unit is None:
        raise StockingError("unit", "There is no such bar; scan or type its LOT- code.")
    customer_id = unit.lot.customer_id
    if customer_id is None:
        raise StockingError("unit", f"{unit.barcode} is shop stock: it is not held for a customer.")
    if session.scalar(select(StockingRelease.id).where(StockingRelease.stock_unit_id == unit.id)) is not None:
        raise StockingError("unit", f"{unit.barcode} was released already.")
    reason = (reason or "").strip()
    if not reason:
        raise StockingError("reason", "Say why the bar is released (e.g. the customer agreed, job 24017 is urgent).")
    if len(reason) > REASON_MOST:
        raise StockingError("reason", f"Keep the reason under {REASON_MOST} characters.")
    program_id = session.scalar(select(StockingProgram.id).where(
        StockingProgram.kind == MATERIAL, StockingProgram.customer_id == customer_id,
        StockingProgram.material_id == unit.lot.material_id, StockingProgram.active.is_(True)))
    release = StockingRelease(stock_unit_id=unit.id, customer_id=customer_id, program_id=program_id,
                              reason=reason, user_id=getattr(user, "id", None))
    session.add(release)
    session.flush()
    return release

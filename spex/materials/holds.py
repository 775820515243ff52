"""Material in: whether a lot may be pulled — the questions the shop floor asks of a receiving hold
and of a bar held for a customer under a material stocking agreement.

Kept apart from the rest of the room so the floor's pull imports nothing but the models."""
from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from spex import codes
from spex.models import Customer, Job, MaterialLot, Part, ReceivingHold, StockingRelease, StockUnit


# Asked at every pull: written once (building a statement costs more than running it).
_OPEN_HOLDS = (select(ReceivingHold).where(ReceivingHold.lot_id == bindparam("lot"), ReceivingHold.released_at.is_(None))
               .order_by(ReceivingHold.id))


def open_holds(session: Session, lot_id: int) -> list[ReceivingHold]:
    return list(session.scalars(_OPEN_HOLDS, {"lot": lot_id}))


def pull_refusal(session: Session, lot: MaterialLot) -> str | None:
    """Why this lot's bars may not go to a job now, or None."""
    holds = open_holds(session, lot.id)
    if not holds:
        return None
    reasons = "; ".join(hold.reason for hold in holds)
    return (f"Lot {codes.LOT}{lot.number} is on receiving hold: {reasons} — an inspector must release it "
            "on the lot's page.")


_RELEASED = select(StockingRelease.id).where(StockingRelease.stock_unit_id == bindparam("unit"))
_CUSTOMER_OF_JOB = select(Part.customer_id).where(Part.id == bindparam("part"))


def reservation_refusal(session: Session, unit: StockUnit, job: Job) -> str | None:
    """Why this bar may not go to this job: its lot is held for another customer (a material
    stocking agreement) and no planner has released the bar; or None."""
    held_for = unit.lot.customer_id
    if held_for is None:
        return None
    if session.scalar(_CUSTOMER_OF_JOB, {"part": job.part_id}) == held_for:
        return None
    if session.scalar(_RELEASED, {"unit": unit.id}) is not None:
        return None
    customer = session.get(Customer, held_for)
    job_customer = job.part.customer
    return (f"{unit.barcode} is held for {customer.name} under their material stocking agreement; job "
            f"{job.number} is for {job_customer.name} — a planner must release the bar on the stocking "
            "agreements page.")

"""Material in: whether a lot may be pulled — the one question the shop floor asks of a receiving hold.

Kept apart from the rest of the room so the floor's pull imports nothing but the models."""
from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from spex import codes
from spex.models import MaterialLot, ReceivingHold


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

"""Material in: whether a lot may be pulled — the one question the shop floor asks of a receiving hold.

Kept apart from the rest of the room so the floor's pull imports nothing but the models."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from spex import codes
from spex.models import MaterialLot, ReceivingHold


def open_holds(session: Session, lot_id: int) -> list[ReceivingHold]:
    return list(session.scalars(select(ReceivingHold).where(ReceivingHold.lot_id == lot_id,
                                                            ReceivingHold.released_at.is_(None))
                                .order_by(ReceivingHold.id)))


def pull_refusal(session: Session, lot: MaterialLot) -> str | None:
    """Why this lot's bars may not go to a job now, or None."""
    holds = open_holds(session, lot.id)
    if not holds:
        return None
    reasons = "; ".join(hold.reason for hold in holds)
    return (f"Lot {codes.LOT}{lot.number} is on receiving hold: {reasons} — an inspector must release it "
            "on the lot's page.")

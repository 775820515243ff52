"""Shipping's start page: the releases, call-offs and ship-complete lines due this week or overdue, the
finished goods ready to ship for each (oldest first), and the outside shipments due back this week."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from spex import codes
from spex.models import CustomerOrder, OrderLine, OutsideShipment, Release
from spex.shipping.shipments import LotOnHand, lots_on_hand


@dataclass
class Due:
    """One delivery due: what, how many still to ship, and the finished goods free to ship it."""
    line: OrderLine
    release: Release | None
    due: date
    left: int
    overdue: bool
    ready: list[LotOnHand] = field(default_factory=list)

    @property
    def code(self) -> str:
        """What the shipper scans at the bench to ship it."""
        return f"{codes.REL}{self.release.id}" if self.release else f"{codes.LINE}{self.line.id}"

    @property
    def kind(self) -> str:
        if self.release is None:
            return "Ship complete"
        return "Call-off" if self.release.kind == "calloff" else "Release"

    @property
    def ready_pieces(self) -> int:
        return sum(held.on_hand for held in self.ready)

    @property
    def can_ship(self) -> bool:
        """Enough is ready: all of it for a ship-complete line, anything for a release."""
        return self.ready_pieces >= self.left if self.release is None else self.ready_pieces > 0


def week_end(today: date) -> date:
    """The last day of the shop's week (Sunday) that today is in."""
    return today + timedelta(days=6 - today.weekday())


def deliveries_due(session: Session, today: date) -> list[Due]:
    """Releases, call-offs and ship-complete lines of open orders due by the week's end, earliest first."""
    until = week_end(today)
    open_line = (CustomerOrder.status == "open", OrderLine.status == "open")
    releases = session.scalars(
        select(Release).join(OrderLine).join(CustomerOrder)
        .where(*open_line, Release.shipped_qty < Release.quantity, Release.due_date <= until)
        .options(selectinload(Release.line).selectinload(OrderLine.order).selectinload(CustomerOrder.customer),
                 selectinload(Release.line).selectinload(OrderLine.part))).all()
    lines = session.scalars(
        select(OrderLine).join(CustomerOrder)
        .where(*open_line, OrderLine.strategy == "ship_complete", OrderLine.shipped_qty < OrderLine.quantity,
               OrderLine.due_date <= until)
        .options(selectinload(OrderLine.order).selectinload(CustomerOrder.customer),
                 selectinload(OrderLine.part))).all()
    due = [Due(r.line, r, r.due_date, min(r.quantity - r.shipped_qty, r.line.quantity - r.line.shipped_qty),
               r.due_date < today) for r in releases]
    due += [Due(line, None, line.due_date, line.quantity - line.shipped_qty, line.due_date < today) for line in lines]
    due.sort(key=lambda d: (d.due, d.line.order.number, d.line.line_no))
    stock = lots_on_hand(session, [d.line.part_id for d in due])
    for d in due:
        d.ready = [held for held in stock.get(d.line.part_id, []) if not held.held_because]
    return due


def due_back(session: Session, today: date) -> list[OutsideShipment]:
    """Outside shipments still out and due back by the week's end (or with no date given)."""
    shipments = session.scalars(
        select(OutsideShipment)
        .where(OutsideShipment.closed.is_(False), OutsideShipment.quantity_back < OutsideShipment.quantity_out,
               or_(OutsideShipment.expected_back <= week_end(today), OutsideShipment.expected_back.is_(None)))
        .options(selectinload(OutsideShipment.job), selectinload(OutsideShipment.operation),
                 selectinload(OutsideShipment.vendor))
        .order_by(OutsideShipment.expected_back, OutsideShipment.id)).all()
    return list(shipments)


def shipper_work(session: Session, today: date) -> dict:
    due = deliveries_due(session, today)
    return {"today": today, "week_end": week_end(today), "due": due,
            "overdue": [d for d in due if d.overdue], "due_back": due_back(session, today)}

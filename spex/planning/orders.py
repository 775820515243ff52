"""Customer orders as the planner enters them: a PO's lines with their delivery strategy and releases."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from spex import ledger, shoptime
from spex.models import Customer, CustomerOrder, LedgerEntry, OrderLine, Part, Release, STRATEGIES
from spex.production import PlanningError


@dataclass
class LineRequest:
    part_id: int
    quantity: int
    strategy: str
    due_date: date | None = None
    # scheduled: equal releases every `every_days`; blanket: call-offs are added later
    releases: int = 1
    every_days: int = 30
    release_dates: list[date] = field(default_factory=list)


def next_order_number(session: Session) -> str:
    numbers = session.scalars(select(CustomerOrder.number)).all()
    highest = max((int(n.removeprefix("SO-")) for n in numbers if n.removeprefix("SO-").isdecimal()), default=5100)
    return f"SO-{highest + 1}"


def create_order(session: Session, customer: Customer, po_number: str, lines: list[LineRequest]) -> CustomerOrder:
    po_number = (po_number or "").strip()
    if not po_number:
        raise PlanningError("Enter the customer's PO number.")
    if not lines:
        raise PlanningError("An order needs at least one line.")
    order = CustomerOrder(number=next_order_number(session), customer=customer, po_number=po_number,
                          order_date=shoptime.today())
    for number, request in enumerate(lines, start=1):
        part = session.get(Part, request.part_id)
        if part is None or part.customer_id != customer.id:
            raise PlanningError(f"Line {number}: choose a part of {customer.name}.")
        if request.strategy not in STRATEGIES:
            raise PlanningError(f"Line {number}: choose a delivery strategy.")
        if request.quantity <= 0:
            raise PlanningError(f"Line {number}: the quantity must be at least 1.")
        if request.strategy != "blanket" and request.due_date is None:
            raise PlanningError(f"Line {number}: enter the due date.")
        line = OrderLine(line_no=number, part=part, quantity=request.quantity, strategy=request.strategy,
                         due_date=request.due_date, unit_price=part.unit_price,
                         period_start=shoptime.today() if request.strategy == "blanket" else None)
        if request.strategy == "scheduled":
            if not 1 <= request.releases <= 60:
                raise PlanningError(f"Line {number}: between 1 and 60 releases.")
            if request.quantity % request.releases:
                raise PlanningError(f"Line {number}: {request.quantity} pcs do not split evenly into "
                                    f"{request.releases} releases.")
            each = request.quantity // request.releases
            for k in range(request.releases):
                line.releases.append(Release(kind="release", quantity=each,
                                             due_date=request.due_date + timedelta(days=request.every_days * k)))
        order.lines.append(line)
    session.add(order)
    session.flush()
    return order


def add_calloff(session: Session, line: OrderLine, quantity: int, due_date: date) -> Release:
    """A call-off against a blanket order: never more than what is left of the committed total."""
    if line.strategy != "blanket":
        raise PlanningError("Call-offs are for blanket orders.")
    called = sum(r.quantity for r in line.releases)
    if quantity <= 0:
        raise PlanningError("The call-off quantity must be at least 1.")
    if called + quantity > line.quantity:
        raise PlanningError(f"Only {line.quantity - called} pcs of the blanket's {line.quantity} are left to call off.")
    release = Release(line=line, kind="calloff", quantity=quantity, due_date=due_date)
    session.add(release)
    session.flush()
    return release


# --- how each delivery stands, for the orders page ---------------------------------------------

DELIVERY_SHIPPED = "shipped"        # shipped complete on or before its due date
DELIVERY_SHIPPED_LATE = "shipped_late"
DELIVERY_OVERDUE = "overdue"        # not shipped complete and its due date has passed
DELIVERY_OPEN = "open"              # not shipped complete, not due yet


@dataclass
class Delivery:
    """One release, call-off or ship-complete line as the planner reads it: due, shipped, late or not."""
    due: date
    quantity: int
    shipped_qty: int
    shipped_on: date | None  # the shop's day the last piece went (when shipped complete)
    state: str
    days_late: int = 0       # shipped this many days after the due date, or this many days past it now

    @property
    def words(self) -> str:
        if self.state == DELIVERY_SHIPPED_LATE:
            return f"shipped {self.shipped_on:%b %d}, late by {_days(self.days_late)}"
        if self.state == DELIVERY_SHIPPED:
            return f"shipped {self.shipped_on:%b %d}"
        if self.state == DELIVERY_OVERDUE:
            return f"PAST DUE by {_days(self.days_late)}, {self.quantity - self.shipped_qty} pcs to ship"
        return "not shipped yet" if not self.shipped_qty else f"{self.quantity - self.shipped_qty} pcs to ship"


def _days(n: int) -> str:
    return f"{n} day{'' if n == 1 else 's'}"


def delivery(due: date, quantity: int, shipped_qty: int, shipped_at, today: date) -> Delivery:
    """Calendar days on the shop's clock: a release due Monday that leaves Tuesday is a day late."""
    if shipped_qty >= quantity and shipped_at is not None:
        shipped_on = shoptime.local_date(shipped_at)
        late = (shipped_on - due).days
        return Delivery(due, quantity, shipped_qty, shipped_on,
                        DELIVERY_SHIPPED_LATE if late > 0 else DELIVERY_SHIPPED, max(0, late))
    if due < today:
        return Delivery(due, quantity, shipped_qty, None, DELIVERY_OVERDUE, (today - due).days)
    return Delivery(due, quantity, shipped_qty, None, DELIVERY_OPEN)


def deliveries(session: Session, orders: list[CustomerOrder], today: date) -> dict[tuple[str, int], Delivery]:
    """How every release and call-off, and every ship-complete line, of these orders stands, keyed
    ("release", id) or ("line", id). A release keeps the moment it shipped complete; a ship-complete
    line's is its last shipment, read for all the page's lines in one query."""
    lines = [line for order in orders for line in order.lines]
    complete = [line.id for line in lines if line.strategy == "ship_complete" and line.due_date is not None
                and line.shipped_qty >= line.quantity]
    last_shipped = dict(session.execute(
        select(LedgerEntry.order_line_id, func.max(LedgerEntry.created_at))
        .where(LedgerEntry.kind == ledger.SHIP, LedgerEntry.order_line_id.in_(complete),
               LedgerEntry.release_id.is_(None))
        .group_by(LedgerEntry.order_line_id)).all()) if complete else {}
    found: dict[tuple[str, int], Delivery] = {}
    for line in lines:
        for release in line.releases:
            found[("release", release.id)] = delivery(release.due_date, release.quantity, release.shipped_qty,
                                                      release.shipped_at, today)
        if line.strategy == "ship_complete" and line.due_date is not None:
            found[("line", line.id)] = delivery(line.due_date, line.quantity, line.shipped_qty,
                                                last_shipped.get(line.id), today)
    return found

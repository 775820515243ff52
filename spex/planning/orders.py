"""Customer orders as the planner enters them: a PO's lines with their delivery strategy and releases."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from spex import shoptime
from spex.models import Customer, CustomerOrder, OrderLine, Part, Release, STRATEGIES
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

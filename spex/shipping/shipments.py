"""Shipping room: a shipment of lines against order lines and releases, filled from finished-goods lots.

Every check comes before anything is written; then the shipment, its lines and lots and the ledger's
ship entries go in the caller's one transaction, so a refusal leaves nothing behind.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from spex import codes, ledger
from spex.database import next_number
from spex.ledger import LedgerError
from spex.models import (SHP, Balance, Customer, CustomerOrder, FinishedGoodsLot, Location, OrderLine, QualityHold,
                         Release, Shipment, ShipmentLine, ShipmentLot, User, utcnow)
from spex.shopfloor import require_role

FIRST_SHIPMENT_NUMBER = 7000
# Finished goods in these places are held back from shipping (quarantine, scrap).
HELD_PLACES = ("inspection", "scrap")


class ShippingError(LedgerError):
    """A shipment refused: the message says which line or lot and why; nothing was written."""


@dataclass
class Pick:
    fg_lot_id: int
    quantity: int


@dataclass
class LineRequest:
    """What the person filled in for one delivery: the order line, its release if any, the lots."""
    order_line_id: int
    release_id: int | None = None
    picks: list[Pick] = field(default_factory=list)

    @property
    def quantity(self) -> int:
        return sum(p.quantity for p in self.picks)


@dataclass
class LotOnHand:
    """A finished-goods lot as shipping sees it: where it is, how many, and whether it may go."""
    lot: FinishedGoodsLot
    location: Location
    on_hand: int
    held_because: str | None = None


@dataclass
class Delivery:
    """Something due to a customer: a ship-complete line, or a release or call-off of a line."""
    line: OrderLine
    release: Release | None
    lots: list[LotOnHand] = field(default_factory=list)
    suggested: dict[int, int] = field(default_factory=dict)  # fg lot id -> pieces, oldest first

    @property
    def key(self) -> str:
        return f"R{self.release.id}" if self.release else f"L{self.line.id}"

    @property
    def bench_code(self) -> str:
        """What a shipper scans at the shipping bench to ship this delivery."""
        return f"{codes.REL}{self.release.id}" if self.release else f"{codes.LINE}{self.line.id}"

    @property
    def left(self) -> int:
        if self.release is not None:
            return self.release.quantity - self.release.shipped_qty
        return self.line.quantity - self.line.shipped_qty

    @property
    def ships_complete(self) -> bool:
        return self.release is None and self.line.strategy == "ship_complete"


# --- reading: what is due and what could fill it ----------------------------------------------

def lots_on_hand(session: Session, part_ids) -> dict[int, list[LotOnHand]]:
    """Every finished-goods lot of these parts with pieces in a bin, oldest first, per part."""
    part_ids = list(set(part_ids))
    if not part_ids:
        return {}
    rows = session.execute(
        select(FinishedGoodsLot, Location, Balance.quantity)
        .join(Balance, Balance.item == ledger.key_sql(ledger.FG_KEY, FinishedGoodsLot.id))
        .join(Location, ledger.key_sql(ledger.LOCATION_KEY, Location.id) == Balance.place)
        .where(FinishedGoodsLot.part_id.in_(part_ids), Balance.quantity > 0)
        .options(selectinload(FinishedGoodsLot.job))
        .order_by(FinishedGoodsLot.created_at, FinishedGoodsLot.id)).all()
    held_jobs = _jobs_with_open_holds(session, {lot.job_id for lot, _, _ in rows})
    found: dict[int, list[LotOnHand]] = {}
    for lot, location, amount in rows:
        found.setdefault(lot.part_id, []).append(
            LotOnHand(lot, location, int(amount), _held_because(lot, location, held_jobs)))
    return found


def _jobs_with_open_holds(session: Session, job_ids) -> set[int]:
    if not job_ids:
        return set()
    return set(session.scalars(select(QualityHold.job_id).where(
        QualityHold.job_id.in_(list(job_ids)), QualityHold.released_at.is_(None))).all())


def _held_because(lot: FinishedGoodsLot, location: Location, held_jobs: set[int]) -> str | None:
    if location.kind in HELD_PLACES:
        return f"{lot.barcode} is on hold: it sits in {location.barcode} ({location.kind}), not in finished goods."
    if lot.job_id in held_jobs:
        return (f"{lot.barcode} is on hold: job {lot.job.number} it was made by has an open quality hold; "
                "an inspector must give its disposition before its pieces ship.")
    return None


def open_deliveries(session: Session, customer: Customer) -> list[Delivery]:
    """What the customer is still owed, earliest due first, each with the lots that could fill it."""
    lines = session.scalars(
        select(OrderLine).join(CustomerOrder)
        .where(CustomerOrder.customer_id == customer.id, CustomerOrder.status == "open",
               OrderLine.status == "open", OrderLine.shipped_qty < OrderLine.quantity)
        .options(selectinload(OrderLine.order), selectinload(OrderLine.part), selectinload(OrderLine.releases))
        .order_by(CustomerOrder.number, OrderLine.line_no)).all()
    deliveries = []
    for line in lines:
        if line.strategy == "ship_complete":
            deliveries.append(Delivery(line, None))
        deliveries += [Delivery(line, r) for r in line.releases if r.shipped_qty < r.quantity]
    stock = lots_on_hand(session, [d.line.part_id for d in deliveries])
    promised: dict[int, int] = {}
    for delivery in sorted(deliveries, key=_due):
        delivery.lots = stock.get(delivery.line.part_id, [])
        delivery.suggested = _oldest_first(delivery, promised)
    return deliveries


def _due(delivery: Delivery) -> tuple:
    due = delivery.release.due_date if delivery.release else delivery.line.due_date
    return (due or date.max, delivery.line.id, delivery.release.id if delivery.release else 0)


def _oldest_first(delivery: Delivery, promised: dict[int, int]) -> dict[int, int]:
    """Fill from the oldest lots that may ship; a ship-complete line only when it can go whole."""
    wanted, picks = delivery.left, {}
    for held in delivery.lots:
        if wanted == 0:
            break
        free = held.on_hand - promised.get(held.lot.id, 0)
        if held.held_because or free <= 0:
            continue
        picks[held.lot.id] = min(free, wanted)
        wanted -= picks[held.lot.id]
    if delivery.ships_complete and wanted:
        return {}
    for lot_id, pieces in picks.items():
        promised[lot_id] = promised.get(lot_id, 0) + pieces
    return picks


# --- writing: the shipment ------------------------------------------------------------------------

def next_shipment_number(session: Session) -> str:
    return next_number(session, Shipment.number, after=FIRST_SHIPMENT_NUMBER)


def make_shipment(session: Session, customer: Customer, requests: list[LineRequest], *, user: User,
                  ship_date: date, ship_to: str = "", carrier: str = "", tracking: str = "",
                  station_id: int | None = None, scan_uid: str | None = None) -> Shipment:
    """Ship the requested lines from the chosen lots, or refuse the whole shipment saying why. Made by
    a scan at the shipping bench, its ledger entries carry the station and the scan that made it."""
    require_role(user, "ship")
    requests = [r for r in requests if r.picks]
    if not requests:
        raise ShippingError("Nothing to ship: enter the pieces to take from at least one FG lot.")
    checked = [_check_line(session, customer, request) for request in requests]
    _check_totals(checked)
    _check_lots(session, checked)
    shipment = Shipment(number=next_shipment_number(session), customer_id=customer.id, ship_to=ship_to.strip(),
                        ship_date=ship_date, carrier=carrier.strip(), tracking=tracking.strip(),
                        shipped_by_id=user.id, created_at=utcnow())
    session.add(shipment)
    session.flush()
    scan = {"station_id": station_id, "scan_uid": scan_uid}
    for line_no, (request, line, release) in enumerate(checked, start=1):
        _ship_line(session, shipment, line_no, request, line, release, user, scan)
    return shipment


def _check_line(session: Session, customer: Customer, request: LineRequest):
    # Locked (on PostgreSQL) until the commit: two shipments of one line or release at once cannot
    # both pass the over-shipping check and both add their pieces.
    line = session.get(OrderLine, request.order_line_id, with_for_update=True, populate_existing=True)
    if line is None or line.order.customer_id != customer.id:
        raise ShippingError(f"That order line is not one of {customer.name}'s; choose the delivery again.")
    if line.order.status != "open":
        raise ShippingError(f"Order {line.order.number} is {line.order.status}; nothing ships against it.")
    if line.status != "open":
        raise ShippingError(f"Line {line.line_no} of order {line.order.number} was {line.status}; nothing ships against it.")
    release = None
    if request.release_id is not None:
        release = session.get(Release, request.release_id, with_for_update=True, populate_existing=True)
        if release is None or release.order_line_id != line.id:
            raise ShippingError(f"That release is not one of {line.order.number} line {line.line_no}'s.")
    elif line.strategy != "ship_complete":
        raise ShippingError(f"{line.order.number} line {line.line_no} ships in releases or call-offs: "
                            "choose the release it is for.")
    for pick in request.picks:
        if not 0 < pick.quantity <= codes.MAX_SCAN_QUANTITY:
            raise ShippingError(f"{pick.quantity} is not a number of pieces to ship.")
    return request, line, release


def _what(line: OrderLine, release: Release | None) -> str:
    where = f"{line.order.number} line {line.line_no}"
    if release is None:
        return where
    return f"{where}, {'call-off' if release.kind == 'calloff' else 'release'} due {release.due_date:%b %d}"


def _check_totals(checked) -> None:
    """Over-shipping refused, per release and per line, counting every line of this shipment."""
    by_release: dict[int, int] = {}
    by_line: dict[int, int] = {}
    for request, line, release in checked:
        by_line[line.id] = by_line.get(line.id, 0) + request.quantity
        if release is not None:
            by_release[release.id] = by_release.get(release.id, 0) + request.quantity
            left = release.quantity - release.shipped_qty
            if by_release[release.id] > left:
                raise ShippingError(f"{_what(line, release)} wants {left} more pcs; "
                                    f"{by_release[release.id]} would ship over it.")
        left = line.quantity - line.shipped_qty
        if by_line[line.id] > left:
            raise ShippingError(f"{_what(line, None)} has {left} pcs left to ship; "
                                f"{by_line[line.id]} would ship over it.")
    for request, line, release in checked:
        if line.strategy == "ship_complete" and release is None and by_line[line.id] != line.quantity - line.shipped_qty:
            raise ShippingError(f"{_what(line, None)} ships complete: all {line.quantity - line.shipped_qty} pcs "
                                f"in one shipment, not {by_line[line.id]}.")


def _check_lots(session: Session, checked) -> None:
    """Each lot exists, is of the line's part, may ship, and holds what is taken from it in all."""
    part_ids = {line.part_id for _, line, _ in checked}
    on_hand = {held.lot.id: held for held_lots in lots_on_hand(session, part_ids).values() for held in held_lots}
    taken: dict[int, int] = {}
    for request, line, release in checked:
        for pick in request.picks:
            lot = session.get(FinishedGoodsLot, pick.fg_lot_id)
            if lot is None:
                raise ShippingError("That FG lot does not exist; reload the page and choose again.")
            if lot.part_id != line.part_id:
                raise ShippingError(f"{lot.barcode} is part {lot.part.label}; {_what(line, release)} is for "
                                    f"{line.part.label}.")
            held = on_hand.get(lot.id)
            if held is None:
                raise ShippingError(f"{lot.barcode} is used up: none of its pieces is in a bin any more.")
            if held.held_because:
                raise ShippingError(held.held_because)
            taken[lot.id] = taken.get(lot.id, 0) + pick.quantity
            if taken[lot.id] > held.on_hand:
                raise ShippingError(f"{lot.barcode} holds only {held.on_hand} pcs; {taken[lot.id]} asked.")


def _ship_line(session: Session, shipment: Shipment, line_no: int, request: LineRequest, line: OrderLine,
               release: Release | None, user: User, scan: dict) -> ShipmentLine:
    row = ShipmentLine(shipment_id=shipment.id, line_no=line_no, order_line_id=line.id,
                       release_id=release.id if release else None, quantity=request.quantity)
    session.add(row)
    session.flush()
    for pick in request.picks:
        lot = session.get(FinishedGoodsLot, pick.fg_lot_id)
        place, _ = ledger.location_of(session, ledger.fg_item(lot.id))
        entry = ledger.move(session, ledger.SHIP, ledger.fg_item(lot.id), pick.quantity, place, None, unit="pcs",
                            job_id=lot.job_id, order_line_id=line.id, release_id=release.id if release else None,
                            user_id=user.id, note=f"on {shipment.barcode}", station_id=scan["station_id"],
                            scan_uid=scan["scan_uid"], scan_seq=scan.setdefault("seq", 0))
        scan["seq"] += 1
        session.add(ShipmentLot(shipment_line_id=row.id, fg_lot_id=lot.id, quantity=pick.quantity,
                                ledger_entry_id=entry.id))
    line.shipped_qty += request.quantity
    if release is not None:
        release.shipped_qty += request.quantity
        if release.shipped_qty == release.quantity:
            release.shipped_at = utcnow()
    session.flush()
    return row


def find_shipment(session: Session, number: str) -> Shipment | None:
    number = (number or "").strip().upper().removeprefix(SHP)[:40]
    return session.scalar(select(Shipment).where(Shipment.number == number).options(
        selectinload(Shipment.lines).selectinload(ShipmentLine.lots).selectinload(ShipmentLot.fg_lot),
        selectinload(Shipment.lines).selectinload(ShipmentLine.order_line).selectinload(OrderLine.order),
        selectinload(Shipment.lines).selectinload(ShipmentLine.release)))


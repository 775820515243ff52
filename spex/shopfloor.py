"""What happens on the shop floor: pulls, completions, scrap, holds, outside processing, finished goods.

Each function is one thing a person does, checks the shop's rules, and writes through the ledger in
the caller's transaction. A refusal raises FloorError with a message for the person who scanned,
before anything is written (or the caller rolls the whole scan back). Nothing here commits.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import Integer, and_, bindparam, case, desc, func, select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from spex import codes, ledger, shoptime
from spex.ledger import LedgerError
from spex.models import (Balance, FinishedGoodsLot, Job, JobOperation, LedgerEntry, Location,
                         OrderLine, OutsideReceipt, OutsideShipment, PrintJob, QualityHold, Release, Station, StockUnit,
                         User, qty, utcnow)
from spex.database import next_number
from spex.prepared import Prepared
from spex.production import next_operation


class FloorError(LedgerError):
    """A shop-floor action refused: the message says why; next_step, when the remedy is another
    scan than the one refused, says what to do now (a station shows it as its next step)."""

    def __init__(self, message: str, next_step: str = ""):
        super().__init__(message)
        self.next_step = next_step


def _ids(user: User | None, station: Station | None) -> dict:
    return {"user_id": user.id if user else None, "station_id": station.id if station else None}


def require_role(user: User | None, action: str) -> None:
    if user is None:
        raise FloorError("Nobody is signed in at this station: scan your badge first.")
    if not user.active:
        raise FloorError(f"{user.name}'s badge is deactivated; see the office.")
    allowed = codes.ACTION_ROLES[action]
    if not user.has_role(*allowed):
        who = " or ".join(codes.ROLE_NOUNS[r] for r in allowed)
        article = "an" if who[0] in "aeiou" else "a"
        raise FloorError(f"Only {article} {who} may {codes.ACTION_NAMES[action]}; {user.name} is signed in as "
                         f"{codes.ROLE_NOUNS[user.role]}.",
                         f"Ask {article} {who} to scan their badge (EMP-…) here and do it.")


def _pieces(quantity) -> int:
    """A piece count from a scan: a whole number between 1 and the largest sane scan."""
    try:
        value = Decimal(str(quantity))
    except Exception:  # noqa: BLE001 - any unparsable input is a refusal, not an error
        raise FloorError(f"{quantity!r} is not a number of pieces.") from None
    if not value.is_finite() or value != value.to_integral_value():
        raise FloorError("Pieces are counted in whole numbers.")
    value = int(value)
    if value <= 0:
        raise FloorError("The quantity must be at least 1.")
    if value > codes.MAX_SCAN_QUANTITY:
        raise FloorError(f"{value} is more than any job here; check the quantity and scan again.")
    return value


def _length(quantity) -> Decimal:
    try:
        value = qty(quantity)
    except Exception:  # noqa: BLE001
        raise FloorError(f"{quantity!r} is not a quantity.") from None
    if not value.is_finite() or value <= 0:
        raise FloorError("The quantity must be more than zero.")
    if value > codes.MAX_SCAN_QUANTITY:
        raise FloorError(f"{value} is more than any bar or lot here; check the quantity and scan again.")
    return value


def _reason(code: str | None, reasons: dict[str, str], what: str) -> str:
    reason = (code or "").upper().strip()
    if reason not in reasons:
        raise FloorError(f"Scan a {what} reason: " + ", ".join(f"{k} ({v})" for k, v in reasons.items()))
    return reason


# Statements every scan of an operation runs, built once (building one costs more than running it).
_FIRST_TIME = and_(JobOperation.id == bindparam("b_op"), JobOperation.started_at.is_(None))
# The operation and the next one (b_next is NULL at the last operation, and matches nothing).
_STAMP = Prepared(update(JobOperation)
                  .where(JobOperation.id.in_([bindparam("b_op"), bindparam("b_next", type_=Integer)]))
                  .values(last_activity_at=bindparam("b_when"),
                          started_at=case((_FIRST_TIME, bindparam("b_when")), else_=JobOperation.started_at)))
_OPEN_HOLDS = (select(QualityHold).where(QualityHold.job_id == bindparam("b_job"), QualityHold.released_at.is_(None))
               .order_by(QualityHold.placed_at))
_FOLLOWING = Prepared(select(JobOperation.id, JobOperation.seq)
                      .where(JobOperation.job_id == bindparam("b_job"), JobOperation.seq > bindparam("b_seq"))
                      .order_by(JobOperation.seq).limit(1))
_ANY_OPEN_HOLD = Prepared(select(QualityHold.id).where(QualityHold.job_id == bindparam("b_job"),
                                                        QualityHold.released_at.is_(None)).limit(1))
_OPEN_HOLDS_AT = select(func.count(QualityHold.id)).where(QualityHold.job_operation_id == bindparam("b_op"),
                                                          QualityHold.released_at.is_(None))
_AT_VENDOR = (select(func.sum(OutsideShipment.quantity_out - OutsideShipment.quantity_back))
              .where(OutsideShipment.job_operation_id == bindparam("b_op"), OutsideShipment.closed.is_(False)))
_VENDOR_LOCATION = select(Location).where(Location.vendor_id == bindparam("b_vendor"))
_SCRAP_LOCATION = (select(Location).where(Location.kind == "scrap", Location.active.is_(True))
                   .order_by(Location.id).limit(1))
_SCRAP_PLACES = select(Location.id).where(Location.kind == "scrap")
_LEFT_OF_JOB = select(func.sum(Balance.quantity)).where(
    Balance.item == bindparam("b_item"), Balance.quantity > 0,
    Balance.place.not_in(bindparam("b_scrap", expanding=True)))


class Step(NamedTuple):
    """An operation of a job's routing, as far as knowing where pieces go next needs."""
    id: int
    seq: int


def following_step(session: Session, op: JobOperation) -> Step | None:
    """The operation after this one in its job's routing (None after the last), by one look-up
    rather than loading the job's whole routing."""
    row = _FOLLOWING.first(session, {"b_job": op.job_id, "b_seq": op.seq})
    return Step._make(row) if row is not None else None


def _onward(op: JobOperation, following: Step | None) -> str:
    """Where good pieces of an operation go: the next operation's queue, or finished."""
    return ledger.at_operation(following.id) if following is not None else ledger.finished(op.job_id)


def _stamp_activity(session: Session, op: JobOperation, following: Step | None, when: datetime) -> None:
    """One UPDATE: the operation has started (if it had not) and it and the next one saw work now.

    Loaded objects are kept in step, so showing them afterwards needs no refresh.
    """
    following_id = following.id if following is not None else None
    _STAMP.write(session, {"b_op": op.id, "b_next": following_id, "b_when": when})
    if op.started_at is None:
        set_committed_value(op, "started_at", when)
    set_committed_value(op, "last_activity_at", when)
    loaded = session.identity_map.get(identity_key(JobOperation, following_id)) if following_id else None
    if loaded is not None:
        set_committed_value(loaded, "last_activity_at", when)


def _touch(session: Session, op_id: int, **values) -> None:
    session.execute(update(JobOperation).where(JobOperation.id == op_id).values(**values)
                    .execution_options(synchronize_session=False))


# --- reading the floor -----------------------------------------------------------------------

def available_at(session: Session, op: JobOperation) -> int:
    """Pieces at an operation that may be worked: passed on by the one before, not done, not held."""
    return int(ledger.balance(session, ledger.job_item(op.job_id), ledger.at_operation(op.id)))


def open_holds(session: Session, job: Job) -> list[QualityHold]:
    """A job's open holds, oldest first. Most jobs have none: one light query says so, and the
    holds themselves are loaded only when there are some."""
    if _ANY_OPEN_HOLD.scalar(session, {"b_job": job.id}) is None:
        return []
    return list(session.scalars(_OPEN_HOLDS, {"b_job": job.id}))


def at_vendor(session: Session, op: JobOperation) -> int:
    """Pieces of an outside operation still at the vendor."""
    total = session.scalar(_AT_VENDOR, {"b_op": op.id})
    return int(total or 0)


def _vendor_location(session: Session, vendor_id: int) -> Location:
    location = session.scalar(_VENDOR_LOCATION, {"b_vendor": vendor_id})
    if location is None:
        raise FloorError("This vendor has no location in Spex yet; ask the office to save the vendor again.")
    return location


def _scrap_location(session: Session) -> Location | None:
    return session.scalar(_SCRAP_LOCATION)


_ANOTHER_JOB = "Scan the traveler of another job (JOB-…)."


def _job_open(job: Job) -> None:
    if job.status == "planned":
        raise FloorError(f"Job {job.number} is not released to the floor yet; ask the planner.", _ANOTHER_JOB)
    if job.status in ("complete", "closed"):
        raise FloorError(f"Job {job.number} is {job.status}: it takes no more pieces or material.", _ANOTHER_JOB)
    if job.status == "cancelled":
        raise FloorError(f"Job {job.number} was cancelled.", _ANOTHER_JOB)


def _not_on_hold(session: Session, job: Job) -> None:
    holds = open_holds(session, job)
    if holds:
        pieces = sum(h.quantity for h in holds)
        reason = codes.HOLD_REASONS.get(holds[0].reason_code, holds[0].reason_code)
        raise FloorError(f"Job {job.number} is on quality hold ({pieces} pcs, {reason}); "
                         "an inspector must release it first.",
                         "Ask an inspector to release the hold (badge, the job, CMD-RELEASE); meanwhile scan another "
                         "job (JOB-…).")


def _enough(session: Session, op: JobOperation, quantity: int, available: int | None = None) -> int:
    """Refuse more pieces than are at the operation; returns how many are there."""
    if available is None:
        available = available_at(session, op)
    if quantity > available:
        before = next((o for o in reversed(op.job.operations) if o.seq < op.seq), None)
        where = (f" (op {before.seq} has passed on {before.qty_good} of {op.job.quantity})" if before else "")
        raise FloorError(f"Only {available} pcs are at op {op.seq}{where}; {quantity} asked.",
                         "Count again and scan the quantity.")
    return available


def _settle_operation(session: Session, op: JobOperation, when: datetime) -> None:
    """Mark an operation complete once nothing is left at it or before it."""
    job = op.job
    earlier_done = all(o.completed_at is not None for o in job.operations if o.seq < op.seq)
    held = session.scalar(_OPEN_HOLDS_AT, {"b_op": op.id})
    if earlier_done and not held and available_at(session, op) == 0 and at_vendor(session, op) == 0:
        if op.completed_at is None:
            _touch(session, op.id, completed_at=when)
            op.completed_at = when
        following = next_operation(job, op)
        if following is not None:
            _settle_operation(session, following, when)


def _settle_job(session: Session, job: Job, when: datetime) -> None:
    """A job is complete when no piece of it is anywhere but shipped, scrapped or put away."""
    scrap_places = [ledger.at_location(i) for i in session.scalars(_SCRAP_PLACES)]
    remaining = session.scalar(_LEFT_OF_JOB, {"b_item": ledger.job_item(job.id), "b_scrap": scrap_places})
    if not remaining and job.status == "released":
        job.status = "complete"
        job.completed_at = when


# --- material --------------------------------------------------------------------------------

def _unit_bin(session: Session, unit: StockUnit) -> tuple[str, Decimal]:
    places = ledger.balances_of(session, ledger.unit_item(unit.id))
    for place, amount in places.items():
        if place.startswith("loc:"):
            return place, amount
    raise FloorError(f"{unit.barcode} is empty or used up; scan another bar.", "Scan another bar (LOT-…).")


def pull_material(session: Session, unit: StockUnit, job: Job, quantity, *, user: User,
                  station: Station | None = None, scan_uid: str | None = None) -> ledger.LedgerEntry:
    """Issue bar (inches) or plate (pieces) to a job; its heat is then recorded against the job."""
    require_role(user, "pull")
    _job_open(job)
    amount = _length(quantity)
    material = unit.lot.material
    wanted = job.part.material
    if wanted is not None and wanted.id != material.id:
        raise FloorError(f"{unit.barcode} is {material.label}; job {job.number} calls for {wanted.label}. "
                         "Scan a bar of the right material.", f"Scan a bar (LOT-…) of {wanted.label}.")
    place, left = _unit_bin(session, unit)
    if amount > left:
        left_words = f"{ledger.format_qty(left)} {material.unit}"
        raise FloorError(f"{unit.barcode} has only {left_words} left; {ledger.format_qty(amount)} asked.",
                         f"Scan or type a length up to {left_words}, or another bar (LOT-…).")
    return ledger.move(session, ledger.PULL, ledger.unit_item(unit.id), amount, place, None, unit=material.unit,
                       job_id=job.id, scan_uid=scan_uid, note=f"heat {unit.lot.heat_number}", **_ids(user, station))


def return_remnant(session: Session, unit: StockUnit, length, bin: Location, *, user: User,
                   station: Station | None = None, scan_uid: str | None = None) -> StockUnit:
    """A drop goes back on the rack as a stock unit of its own (same lot and heat), with a new label."""
    require_role(user, "remnant")
    amount = _length(length)
    if bin.kind not in ("bin", "cart", "receiving") or not bin.active:
        raise FloorError(f"{bin.barcode} is not a bin for material; scan a rack bin.")
    pulled = session.scalar(select(func.sum(LedgerEntry.quantity)).where(
        LedgerEntry.item == ledger.unit_item(unit.id), LedgerEntry.kind == ledger.PULL)) or 0
    undone = session.scalar(select(func.sum(LedgerEntry.quantity)).where(
        LedgerEntry.item == ledger.unit_item(unit.id), LedgerEntry.kind == ledger.REVERSAL,
        LedgerEntry.to_place.is_not(None))) or 0
    returned = session.scalar(select(func.sum(StockUnit.initial_qty)).where(StockUnit.parent_id == unit.id)) or 0
    free = qty(pulled) - qty(undone) - qty(returned)
    if amount > free:
        raise FloorError(f"Only {ledger.format_qty(max(free, qty(0)))} {unit.lot.material.unit} of {unit.barcode} went to jobs; "
                         f"a {ledger.format_qty(amount)} remnant cannot come back from it.")
    count = session.scalar(select(func.count(StockUnit.id)).where(StockUnit.lot_id == unit.lot_id))
    code = f"{unit.lot.number}-{count + 1:02d}"
    while session.scalar(select(StockUnit.id).where(StockUnit.code == code)) is not None:
        count += 1
        code = f"{unit.lot.number}-{count + 1:02d}"
    remnant = StockUnit(code=code, lot_id=unit.lot_id, kind="remnant", initial_qty=amount, parent_id=unit.id)
    session.add(remnant)
    session.flush()
    ledger.move(session, ledger.REMNANT, ledger.unit_item(remnant.id), amount, None, ledger.at_location(bin.id),
                unit=unit.lot.material.unit, scan_uid=scan_uid, note=f"remnant of {unit.barcode}",
                **_ids(user, station))
    return remnant


# --- operations --------------------------------------------------------------------------------

def start_operation(session: Session, op: JobOperation, *, user: User, station: Station | None = None) -> None:
    require_role(user, "complete")
    _job_open(op.job)
    if op.is_outside:
        raise FloorError(f"Op {op.seq} is an outside process ({op.description}); ship it out with {codes.CMD_SHIP_OUT}.")
    if op.started_at is None:
        op.started_at = utcnow()


def complete_operation(session: Session, op: JobOperation, good, *, user: User, station: Station | None = None,
                       scan_uid: str | None = None, available: int | None = None) -> ledger.LedgerEntry:
    """Good pieces done at an in-house operation pass on to the next (partial completions are normal).

    A caller that has just counted the pieces at the operation in this transaction may pass that
    count as `available` to spare the query; the ledger refuses an overdraw in any case.
    """
    require_role(user, "complete")
    job = op.job
    _job_open(job)
    if op.is_outside:
        vendor = op.vendor.name if op.vendor else "a vendor"
        raise FloorError(f"Op {op.seq} is an outside process ({op.description} at {vendor}): "
                         f"ship it out with {codes.CMD_SHIP_OUT} and receive it with {codes.CMD_RECEIVE}.")
    _not_on_hold(session, job)
    pieces = _pieces(good)
    available = _enough(session, op, pieces, available)
    now = utcnow()
    following = following_step(session, op)
    entry = ledger.move(session, ledger.COMPLETE, ledger.job_item(job.id), pieces, ledger.at_operation(op.id),
                        _onward(op, following), unit="pcs", job_operation_id=op.id, scan_uid=scan_uid,
                        **_ids(user, station))
    _stamp_activity(session, op, following, now)
    if available == pieces:  # the last pieces waiting here: the operation may now be complete
        _settle_operation(session, op, now)
    return entry


def scrap_pieces(session: Session, op: JobOperation, quantity, reason_code: str, *, user: User,
                 station: Station | None = None, scan_uid: str | None = None) -> ledger.LedgerEntry:
    require_role(user, "scrap")
    job = op.job
    _job_open(job)
    reason = _reason(reason_code, codes.SCRAP_REASONS, "scrap")
    pieces = _pieces(quantity)
    _enough(session, op, pieces)
    scrap_bin = _scrap_location(session)
    now = utcnow()
    entry = ledger.move(session, ledger.SCRAP, ledger.job_item(job.id), pieces, ledger.at_operation(op.id),
                        ledger.at_location(scrap_bin.id) if scrap_bin else None, unit="pcs",
                        job_operation_id=op.id, reason=reason, scan_uid=scan_uid, **_ids(user, station))
    _stamp_activity(session, op, None, now)
    _settle_operation(session, op, now)
    _settle_job(session, job, now)
    return entry


# --- quality holds ---------------------------------------------------------------------------------

def place_hold(session: Session, op: JobOperation, quantity, reason_code: str, *, user: User, note: str | None = None,
               station: Station | None = None, scan_uid: str | None = None) -> QualityHold:
    require_role(user, "hold")
    job = op.job
    _job_open(job)
    reason = _reason(reason_code, codes.HOLD_REASONS, "hold")
    pieces = _pieces(quantity)
    _enough(session, op, pieces)
    hold = QualityHold(job_id=job.id, job_operation_id=op.id, quantity=pieces, reason_code=reason, note=note,
                       placed_by_id=user.id, placed_at=utcnow())
    session.add(hold)
    session.flush()
    ledger.move(session, ledger.HOLD, ledger.job_item(job.id), pieces, ledger.at_operation(op.id),
                ledger.on_hold(op.id), unit="pcs", job_operation_id=op.id, reason=reason, note=note,
                hold_id=hold.id, scan_uid=scan_uid, **_ids(user, station))
    return hold


def release_hold(session: Session, hold: QualityHold, disposition: str, *, user: User, note: str | None = None,
                 station: Station | None = None, scan_uid: str | None = None) -> QualityHold:
    """An inspector's disposition: use as is or rework (back to the operation), scrap, or return to vendor."""
    require_role(user, "release_hold")
    if not hold.is_open:
        raise FloorError("That hold was already released.")
    if disposition not in codes.DISPOSITIONS:
        raise FloorError("Choose a disposition: " + ", ".join(codes.DISPOSITIONS.values()) + ".")
    op, job = hold.operation, hold.job
    item, src = ledger.job_item(job.id), ledger.on_hold(op.id)
    common = dict(unit="pcs", job_operation_id=op.id, hold_id=hold.id, note=note, scan_uid=scan_uid,
                  **_ids(user, station))
    now = utcnow()
    if disposition in (codes.USE_AS_IS, codes.REWORK):
        ledger.move(session, ledger.HOLD_RELEASE, item, hold.quantity, src, ledger.at_operation(op.id),
                    reason=disposition, **common)
    elif disposition == codes.SCRAP:
        scrap_bin = _scrap_location(session)
        ledger.move(session, ledger.SCRAP, item, hold.quantity, src,
                    ledger.at_location(scrap_bin.id) if scrap_bin else None, reason="NCR", **common)
    else:
        outside = next((o for o in sorted(job.operations, key=lambda o: -o.seq)
                        if o.seq <= op.seq and o.is_outside), None)
        if outside is None or outside.vendor_id is None:
            raise FloorError("No outside process comes before this operation, so there is no vendor to "
                             "return to; choose rework or scrap.")
        vendor_loc = _vendor_location(session, outside.vendor_id)
        shipment = OutsideShipment(job_id=job.id, job_operation_id=outside.id, vendor_id=outside.vendor_id,
                                   quantity_out=hold.quantity, shipped_at=now,
                                   expected_back=shoptime.today() + timedelta(days=outside.turnaround_days or 5),
                                   packing_slip=f"RTV hold {hold.id}")
        session.add(shipment)
        session.flush()
        common["shipment_id"] = shipment.id
        ledger.move(session, ledger.HOLD_RELEASE, item, hold.quantity, src, ledger.at_location(vendor_loc.id),
                    reason=disposition, **common)
    hold.released_at = now
    hold.released_by_id = user.id
    hold.disposition = disposition
    hold.disposition_note = note
    session.flush()
    session.refresh(op)
    _settle_operation(session, op, now)
    _settle_job(session, job, now)
    return hold


# --- outside processing ------------------------------------------------------------------------------

def _outside(op: JobOperation) -> None:
    if not op.is_outside:
        where = op.work_center.name if op.work_center else "in house"
        raise FloorError(f"Op {op.seq} ({op.description}) is done in house at {where}; "
                         "scan the quantity to complete it instead of shipping it out.")


def ship_out(session: Session, op: JobOperation, quantity, *, user: User, expected_back: date | None = None,
             packing_slip: str | None = None, po_number: str | None = None, station: Station | None = None,
             scan_uid: str | None = None) -> OutsideShipment:
    require_role(user, "ship_out")
    job = op.job
    _job_open(job)
    _outside(op)
    _not_on_hold(session, job)
    pieces = _pieces(quantity)
    _enough(session, op, pieces)
    vendor_loc = _vendor_location(session, op.vendor_id)
    now = utcnow()
    shipment = OutsideShipment(job_id=job.id, job_operation_id=op.id, vendor_id=op.vendor_id, quantity_out=pieces,
                               shipped_at=now, packing_slip=packing_slip, po_number=po_number,
                               expected_back=expected_back or shoptime.today() + timedelta(days=op.turnaround_days or 5))
    session.add(shipment)
    session.flush()
    ledger.move(session, ledger.SHIP_OUT, ledger.job_item(job.id), pieces, ledger.at_operation(op.id),
                ledger.at_location(vendor_loc.id), unit="pcs", job_operation_id=op.id, shipment_id=shipment.id,
                scan_uid=scan_uid, **_ids(user, station))
    _stamp_activity(session, op, None, now)
    return shipment


def receive_back(session: Session, op: JobOperation, quantity, *, user: User, close_short: bool = False,
                 coc_filename: str | None = None, station: Station | None = None,
                 scan_uid: str | None = None) -> OutsideReceipt:
    """Pieces back from the vendor complete the outside operation; partial receipts are normal.

    With close_short the vendor's count is final: pieces still missing are recorded as short
    (scrapped at that operation) and the shipment closes, flagged.
    """
    require_role(user, "receive_back")
    job = op.job
    _job_open(job)
    _outside(op)
    pieces = _pieces(quantity)
    out = at_vendor(session, op)
    if out == 0:
        raise FloorError(f"Nothing of job {job.number} op {op.seq} is out at the vendor.")
    if pieces > out:
        raise FloorError(f"Only {out} pcs of job {job.number} op {op.seq} are at the vendor; {pieces} counted. "
                         "Count again, or tell the office about the overage.")
    vendor_loc = _vendor_location(session, op.vendor_id)
    shipments = list(session.scalars(select(OutsideShipment).where(
        OutsideShipment.job_operation_id == op.id, OutsideShipment.closed.is_(False)).order_by(OutsideShipment.id)))
    now = utcnow()
    first = shipments[0]
    receipt = OutsideReceipt(shipment_id=first.id, quantity=pieces, received_at=now, received_by_id=user.id,
                             coc_filename=coc_filename)
    session.add(receipt)
    following = following_step(session, op)
    ledger.move(session, ledger.RECEIVE_BACK, ledger.job_item(job.id), pieces, ledger.at_location(vendor_loc.id),
                _onward(op, following), unit="pcs", job_operation_id=op.id, shipment_id=first.id,
                scan_uid=scan_uid, **_ids(user, station))
    left = pieces
    for shipment in shipments:  # oldest shipment first
        take = min(left, shipment.outstanding)
        shipment.quantity_back += take
        left -= take
        if shipment.outstanding == 0:
            shipment.closed = True
    if close_short:
        seq = 1
        for shipment in shipments:
            if shipment.closed or shipment.outstanding == 0:
                continue
            shipment.short_count = shipment.outstanding
            ledger.move(session, ledger.SCRAP, ledger.job_item(job.id), shipment.outstanding,
                        ledger.at_location(vendor_loc.id), None, unit="pcs", job_operation_id=op.id,
                        shipment_id=shipment.id, reason="SHORT", scan_uid=scan_uid, scan_seq=seq,
                        note=f"vendor returned {shipment.outstanding} short", **_ids(user, station))
            seq += 1
            shipment.closed = True
    _stamp_activity(session, op, following, now)
    session.flush()
    session.refresh(op)
    _settle_operation(session, op, now)
    _settle_job(session, job, now)
    return receipt


# --- finished goods -----------------------------------------------------------------------------------

def next_fg_code(session: Session) -> str:
    return next_number(session, FinishedGoodsLot.code, after=5500)


def receive_finished_goods(session: Session, job: Job, quantity, bin: Location, *, user: User,
                           station: Station | None = None, scan_uid: str | None = None) -> FinishedGoodsLot:
    """Pieces past the last operation go to a bin as a finished-goods lot."""
    require_role(user, "fg_receipt")
    if job.status not in ("released", "complete"):
        _job_open(job)
    pieces = _pieces(quantity)
    if bin.kind not in ("fg", "bin", "shipping") or not bin.active:
        raise FloorError(f"{bin.barcode} is not a finished-goods bin; scan an FG or shipping bin.")
    waiting = int(ledger.balance(session, ledger.job_item(job.id), ledger.finished(job.id)))
    if waiting == 0:
        raise FloorError(f"No finished pieces of job {job.number} are waiting: complete its last operation first.")
    if pieces > waiting:
        raise FloorError(f"Only {waiting} finished pcs of job {job.number} are waiting; {pieces} asked.")
    lot = FinishedGoodsLot(code=next_fg_code(session), job_id=job.id, part_id=job.part_id, created_at=utcnow())
    session.add(lot)
    session.flush()
    ledger.move(session, ledger.FG_RECEIPT, ledger.job_item(job.id), pieces, ledger.finished(job.id), None,
                unit="pcs", scan_uid=scan_uid, scan_seq=0, note=f"to {lot.barcode}", **_ids(user, station))
    ledger.move(session, ledger.FG_RECEIPT, ledger.fg_item(lot.id), pieces, None, ledger.at_location(bin.id),
                unit="pcs", job_id=job.id, scan_uid=scan_uid, scan_seq=1, **_ids(user, station))
    _settle_job(session, job, utcnow())
    return lot


def fg_location(session: Session, lot: FinishedGoodsLot) -> tuple[str | None, int]:
    for place, amount in ledger.balances_of(session, ledger.fg_item(lot.id)).items():
        if place.startswith("loc:"):
            return place, int(amount)
    return None, 0


def ship_finished_goods(session: Session, fg_lot: FinishedGoodsLot, quantity, *, user: User,
                        release: Release | None = None, order_line: OrderLine | None = None,
                        station: Station | None = None, scan_uid: str | None = None) -> ledger.LedgerEntry:
    """Ship finished pieces against an order line, a scheduled release or a blanket call-off."""
    require_role(user, "ship")
    pieces = _pieces(quantity)
    if release is not None:
        order_line = release.line
        if pieces > release.quantity - release.shipped_qty:
            raise FloorError(f"The release due {release.due_date:%b %d} wants {release.quantity - release.shipped_qty} "
                             f"more pcs; {pieces} would ship over it.")
    if order_line is None:
        raise FloorError("Scan or choose the order release or call-off this shipment is for.")
    if order_line.part_id != fg_lot.part_id:
        raise FloorError(f"{fg_lot.barcode} is part {fg_lot.part.label}; that order line is for "
                         f"{order_line.part.label}.")
    if order_line.strategy != "ship_complete" and release is None:
        raise FloorError("This order ships in releases or call-offs: scan the release it is for.")
    if order_line.strategy == "ship_complete" and pieces != order_line.quantity - order_line.shipped_qty:
        raise FloorError(f"Order line {order_line.line_no} ships complete: all "
                         f"{order_line.quantity - order_line.shipped_qty} pcs in one shipment.")
    if pieces > order_line.quantity - order_line.shipped_qty:
        raise FloorError(f"Order line {order_line.line_no} has {order_line.quantity - order_line.shipped_qty} pcs "
                         f"left to ship; {pieces} would ship over it.")
    place, on_hand = fg_location(session, fg_lot)
    if place is None:
        raise FloorError(f"{fg_lot.barcode} is empty: it was shipped already.")
    if pieces > on_hand:
        raise FloorError(f"{fg_lot.barcode} holds only {on_hand} pcs; {pieces} asked.")
    entry = ledger.move(session, ledger.SHIP, ledger.fg_item(fg_lot.id), pieces, place, None, unit="pcs",
                        job_id=fg_lot.job_id, order_line_id=order_line.id,
                        release_id=release.id if release else None, scan_uid=scan_uid, **_ids(user, station))
    order_line.shipped_qty += pieces
    if release is not None:
        release.shipped_qty += pieces
        if release.shipped_qty == release.quantity:
            release.shipped_at = entry.created_at
    return entry


# --- undo --------------------------------------------------------------------------------------------

UNDOABLE = (ledger.PULL, ledger.COMPLETE, ledger.SCRAP, ledger.HOLD, ledger.REMNANT, ledger.SHIP_OUT,
            ledger.RECEIVE_BACK, ledger.FG_RECEIPT, ledger.SHIP)


def undo_last(session: Session, *, user: User, station: Station | None = None, window_seconds: int = 300,
              scan_uid: str | None = None) -> list[ledger.LedgerEntry]:
    """Reverse the user's own last scan (all its entries), if it is recent and nothing moved on since."""
    if user is None:
        raise FloorError("Nobody is signed in at this station: scan your badge first.")
    last = session.scalar(select(LedgerEntry).where(LedgerEntry.user_id == user.id)
                          .order_by(desc(LedgerEntry.id)).limit(1))
    if last is None:
        raise FloorError("You have nothing to undo.")
    if last.kind == ledger.REVERSAL:
        raise FloorError("Your last entry was already undone; only the last scan can be undone.")
    age = (utcnow() - last.created_at).total_seconds()
    if age > window_seconds:
        raise FloorError(f"Your last entry is {int(age // 60)} min old; undo works for {window_seconds // 60} min. "
                         "Ask an inspector or the office to correct it.")
    if last.kind not in UNDOABLE:
        raise FloorError("That kind of entry cannot be undone at a station; ask an inspector or the office.")
    group = [last]
    if last.scan_uid:
        group = list(session.scalars(select(LedgerEntry).where(LedgerEntry.scan_uid == last.scan_uid)
                                     .order_by(desc(LedgerEntry.scan_seq))))
    # The reversals take the rows the scan's entries put to and put to the rows they took from:
    # lock them all first, in the ledger's one order, as the scans that meet this undo do.
    ledger.lock_balances(session, [(e.item, place) for e in group for place in (e.from_place, e.to_place)
                                   if place is not None])
    reversals = []
    for seq, entry in enumerate(group):
        try:
            reversals.append(ledger.reverse(session, entry, scan_uid=scan_uid, scan_seq=seq,
                                            note="undo", **_ids(user, station)))
        except ledger.NotReversible as exc:
            raise FloorError(exc.message) from None
    _undo_side_records(session, group)
    return reversals


def _undo_side_records(session: Session, entries: list[LedgerEntry]) -> None:
    """Keep holds, shipments, receipts, releases and job status in step with the reversed entries."""
    now = utcnow()
    for entry in entries:
        if entry.kind == ledger.REMNANT and entry.stock_unit_id:
            # The drop is no longer on the rack: its label must not print.
            remnant = session.get(StockUnit, entry.stock_unit_id)
            session.execute(update(PrintJob).where(PrintJob.code == remnant.barcode,
                                                   PrintJob.status.in_(("queued", "failed")))
                            .values(status="cancelled", last_error="remnant return undone")
                            .execution_options(synchronize_session=False))
        elif entry.kind == ledger.HOLD and entry.hold_id:
            hold = session.get(QualityHold, entry.hold_id)
            hold.released_at, hold.released_by_id = now, entry.user_id
            hold.disposition_note = "placed in error (undone)"
        elif entry.kind == ledger.SHIP_OUT and entry.shipment_id:
            shipment = session.get(OutsideShipment, entry.shipment_id)
            shipment.closed = True  # shipped in error: nothing is out any more
        elif entry.kind == ledger.RECEIVE_BACK and entry.shipment_id:
            left = int(entry.quantity)
            shipments = session.scalars(select(OutsideShipment).where(
                OutsideShipment.job_operation_id == entry.job_operation_id).order_by(desc(OutsideShipment.id)))
            for shipment in shipments:
                give = min(left, shipment.quantity_back)
                shipment.quantity_back -= give
                if give:
                    shipment.closed = False
                left -= give
        elif entry.kind == ledger.SHIP and entry.order_line_id:
            line = session.get(OrderLine, entry.order_line_id)
            line.shipped_qty -= int(entry.quantity)
            if entry.release_id:
                release = session.get(Release, entry.release_id)
                release.shipped_qty -= int(entry.quantity)
                release.shipped_at = None
        if entry.job_operation_id and entry.kind in (ledger.COMPLETE, ledger.SCRAP, ledger.RECEIVE_BACK):
            op = session.get(JobOperation, entry.job_operation_id)
            session.refresh(op)
            for later in op.job.operations:
                if later.seq >= op.seq:
                    later.completed_at = None
        job_id = entry.job_id
        if job_id:
            job = session.get(Job, job_id)
            if job.status == "complete":
                job.status, job.completed_at = "released", None

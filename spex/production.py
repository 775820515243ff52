"""Planning a job and bringing material in: the domain functions that start every flow.

Jobs are instantiated from their part's routing; releasing a job puts its pieces at the first
operation through the ledger; receiving a lot puts each bar in a bin through the ledger.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from spex import ledger
from spex.database import next_number
from spex.models import (Job, JobOperation, Location, Material, MaterialLot, Part, StockUnit, qty, utcnow)


class PlanningError(ledger.LedgerError):
    pass


def next_job_number(session: Session) -> str:
    return next_number(session, Job.number, after=24000)


def create_job(session: Session, part: Part, quantity: int, due_date: date, *, number: str | None = None,
               order_lines=(), notes: str | None = None) -> Job:
    """A planned job for a part, with its operations copied from the part's routing."""
    if quantity <= 0:
        raise PlanningError("A job needs a quantity of at least one piece.")
    if not part.routing:
        raise PlanningError(f"Part {part.label} has no routing; add its operations first.")
    number = number or next_job_number(session)
    if session.scalar(select(Job.id).where(Job.number == number)) is not None:
        raise PlanningError(f"Job {number} already exists.")
    job = Job(number=number, part=part, quantity=quantity, due_date=due_date, status="planned", notes=notes)
    job.order_lines = list(order_lines)
    job.operations = [operation_like(step) for step in part.routing]
    session.add(job)
    session.flush()
    return job


def operation_like(step) -> JobOperation:
    """A new, unworked operation doing what `step` says: a routing step, or another job's operation."""
    return JobOperation(seq=step.seq, kind=step.kind, description=step.description,
                        work_center_id=step.work_center_id, vendor_id=step.vendor_id, setup_min=step.setup_min,
                        run_min_per_piece=step.run_min_per_piece, turnaround_days=step.turnaround_days,
                        qty_good=0, qty_scrap=0)


def release_job(session: Session, job: Job, *, user_id: int | None = None, station_id: int | None = None,
                scan_uid: str | None = None) -> ledger.LedgerEntry:
    """Release a planned job to the floor: its pieces wait at the first operation, and its cut plan
    (the bars and remnants it is to pull) is kept from the stock on hand now."""
    from spex.planning.cutplan import keep_at_release

    if job.status != "planned":
        raise PlanningError(f"Job {job.number} is already {job.status}.")
    first = job.operations[0]
    entry = ledger.move(session, ledger.RELEASE, ledger.job_item(job.id), job.quantity, None,
                        ledger.at_operation(first.id), unit="pcs", user_id=user_id, station_id=station_id,
                        scan_uid=scan_uid, job_operation_id=first.id)
    job.status = "released"
    job.released_at = entry.created_at
    first.last_activity_at = entry.created_at
    keep_at_release(session, job)
    from spex.purchasing.needs import raise_need_at_release  # buying reads the jobs; jobs only call it
    raise_need_at_release(session, job)
    return entry


def next_operation(job: Job, op: JobOperation) -> JobOperation | None:
    """The next operation of the routing; rework operations added to the job are not in its flow."""
    later = [o for o in job.operations if o.seq > op.seq and o.rework_of_id is None]
    return min(later, key=lambda o: o.seq) if later else None


def next_lot_number(session: Session) -> str:
    return next_number(session, MaterialLot.number, after=1100)


def receive_lot(session: Session, material: Material, heat_number: str, quantities: list, bin: Location, *,
                supplier: str = "", po_number: str | None = None, number: str | None = None,
                kind: str = "bar", cert_reference: str | None = None, customer_id: int | None = None,
                user_id: int | None = None, station_id: int | None = None, scan_uid: str | None = None) -> MaterialLot:
    """Receive one heat's bars (or plates) into a bin: a lot with one stock unit and one ledger entry each."""
    heat_number = (heat_number or "").strip()
    if not heat_number:
        raise PlanningError("A material receipt needs the heat number from the mill cert.")
    if not quantities:
        raise PlanningError("Receive at least one bar or plate.")
    if bin.kind not in ("bin", "receiving", "cart"):
        raise PlanningError(f"{bin.barcode} is not a bin that can hold material.")
    number = number or next_lot_number(session)
    lot = MaterialLot(number=number, material=material, heat_number=heat_number, supplier=supplier,
                      po_number=po_number, cert_reference=cert_reference, customer_id=customer_id,
                      received_at=utcnow())
    session.add(lot)
    session.flush()
    for index, amount in enumerate(quantities, start=1):
        unit = StockUnit(code=f"{number}-{index:02d}", lot=lot, kind=kind, initial_qty=qty(amount))
        session.add(unit)
        session.flush()
        ledger.move(session, ledger.RECEIVE, ledger.unit_item(unit.id), amount, None, ledger.at_location(bin.id),
                    unit=material.unit, user_id=user_id, station_id=station_id, scan_uid=scan_uid,
                    scan_seq=index - 1, note=f"heat {heat_number}")
    return lot


def where_are(session: Session, units) -> dict[int, tuple[Location | None, Decimal]]:
    """The bin each stock unit is in and what is left of it, in one query (a unit is in one place)."""
    from spex.models import Balance
    keys = {ledger.unit_item(unit.id): unit.id for unit in units}
    found = {unit_id: (None, qty(0)) for unit_id in keys.values()}
    rows = session.execute(select(Balance.item, Balance.place, Balance.quantity)
                           .where(Balance.item.in_(list(keys)), Balance.quantity > 0, ledger.place_is_location(Balance.place)))
    places = {(item, ledger.parse_key(place).id, amount) for item, place, amount in rows}
    bins = {loc.id: loc for loc in session.scalars(select(Location).where(
        Location.id.in_({location_id for _, location_id, _ in places})))}
    for item, location_id, amount in places:
        found[keys[item]] = (bins[location_id], amount)
    return found


def where_is(session: Session, unit: StockUnit) -> tuple[Location | None, Decimal]:
    return where_are(session, [unit])[unit.id]


def material_on_hand(session: Session, material_id: int) -> Decimal:
    """Total of a material in the shop's bins (every stock unit of every lot)."""
    from spex.models import Balance
    items = (select(ledger.key_sql(ledger.UNIT_KEY, StockUnit.id))
             .join(MaterialLot).where(MaterialLot.material_id == material_id))
    total = session.scalar(select(func.sum(Balance.quantity))
                           .where(Balance.item.in_(items), ledger.place_is_location(Balance.place)))
    return qty(total or 0)

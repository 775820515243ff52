"""Plans that can change: a planner edits, splits, cancels or closes short a job, and edits or cancels
an order line's releases. Every change is a PlanChange row (who, when, old → new, why); every piece
that moves because of it moves by a ledger entry. A refusal raises PlanningError before anything is
written (the caller rolls back); nothing here commits."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from spex import codes, ledger
from spex.models import Job, JobOperation, Location, OrderLine, PlanChange, QualityHold, Release, User, utcnow
from spex.production import PlanningError, next_job_number, operation_like
from spex.shopfloor.rules import _scrap_location, _settle_job, _settle_operation, at_vendor

OPEN = ("planned", "released")
CLOSE_SCRAP, CLOSE_RETURN = "scrap", "return"
CLOSE_DISPOSALS = {CLOSE_SCRAP: "Scrap them", CLOSE_RETURN: "Return them to a bin"}
MAX_PRIORITY = 99


def _planner(user: User | None) -> None:
    if user is None or not user.has_role(codes.PLANNER):
        raise PlanningError("Only a planner may change a job or an order.")


def _reason(reason: str | None, *, required: bool, what: str) -> str | None:
    text = (reason or "").strip()[:500]
    if required and not text:
        raise PlanningError(f"Say why the job is {what}: the reason is kept with the change.")
    return text or None


def record(session: Session, user: User, what: str, old, new, *, reason: str | None = None, job: Job | None = None,
           line: OrderLine | None = None, release: Release | None = None) -> PlanChange:
    change = PlanChange(job_id=job.id if job else None, order_line_id=line.id if line else None,
                        release_id=release.id if release else None, what=what,
                        old_value=None if old is None else str(old)[:200],
                        new_value=None if new is None else str(new)[:200], reason=reason, user_id=user.id,
                        changed_at=utcnow())
    session.add(change)
    return change


def _open(job: Job) -> None:
    if job.status not in OPEN:
        raise PlanningError(f"Job {job.number} is {job.status}; only a planned or released job can change.")


def _pieces_of(session: Session, job: Job) -> dict[str, int]:
    """Where the job's pieces are now: place key → pieces (scrapped pieces in the scrap bin left out)."""
    scrap = _scrap_location(session)
    scrap_place = ledger.at_location(scrap.id) if scrap else None
    return {place: int(amount) for place, amount in ledger.balances_of(session, ledger.job_item(job.id)).items()
            if place != scrap_place}


def _first(job: Job) -> JobOperation:
    return job.operations[0]


def _common(user: User, job: Job, op: JobOperation | None, note: str) -> dict:
    return dict(unit="pcs", user_id=user.id, job_id=job.id, job_operation_id=op.id if op else None, note=note[:500])


# --- editing a job -------------------------------------------------------------------------------

def edit_job(session: Session, job: Job, *, user: User, quantity: int | None = None, due_date: date | None = None,
             priority: int | None = None, reason: str | None = None) -> list[PlanChange]:
    """Change a job's quantity, due date or priority; a released job's first operation gains or gives
    back the pieces its quantity changes by."""
    _planner(user)
    _open(job)
    reason = _reason(reason, required=False, what="changed")
    changes = []
    if priority is not None and priority != (job.priority or 0):
        if not 0 <= priority <= MAX_PRIORITY:
            raise PlanningError(f"Priority runs from 0 (normal) to {MAX_PRIORITY} (most urgent).")
        changes.append(record(session, user, "priority", job.priority or 0, priority, reason=reason, job=job))
        job.priority = priority
    if due_date is not None and due_date != job.due_date:
        changes.append(record(session, user, "due date", job.due_date.isoformat(), due_date.isoformat(),
                              reason=reason, job=job))
        job.due_date = due_date
    if quantity is not None and quantity != job.quantity:
        changes.append(_change_quantity(session, job, quantity, user=user, reason=reason))
    return changes


def _change_quantity(session: Session, job: Job, quantity: int, *, user: User, reason: str | None) -> PlanChange:
    if quantity < 1:
        raise PlanningError("A job needs a quantity of at least one piece.")
    old = job.quantity
    if job.status == "released":
        first = _first(job)
        waiting = int(ledger.balance(session, ledger.job_item(job.id), ledger.at_operation(first.id)))
        started = old - waiting
        if quantity < started:
            raise PlanningError(f"{started} pcs of job {job.number} are already past the queue of op {first.seq} "
                                f"(made, held, scrapped or further on); the quantity cannot go below {started}.")
        note = f"quantity {old} → {quantity}"
        if quantity > old:
            ledger.move(session, ledger.REPLAN, ledger.job_item(job.id), quantity - old, None,
                        ledger.at_operation(first.id), **_common(user, job, first, note))
            for op in job.operations:
                op.completed_at = None
        else:
            ledger.move(session, ledger.REPLAN, ledger.job_item(job.id), old - quantity,
                        ledger.at_operation(first.id), None, **_common(user, job, first, note))
    job.quantity = quantity
    change = record(session, user, "quantity", old, quantity, reason=reason, job=job)
    if job.status == "released":
        session.flush()
        _settle(session, job)
    return change


def _settle(session: Session, job: Job) -> None:
    now = utcnow()
    for op in job.operations:
        session.refresh(op)
    _settle_operation(session, _first(job), now)
    _settle_job(session, job, now)


# --- splitting a job -----------------------------------------------------------------------------

def split_job(session: Session, job: Job, pieces: int, *, user: User, seq: int | None = None,
              due_date: date | None = None, reason: str | None = None) -> Job:
    """A new job for `pieces` of this one. A released job gives pieces waiting at operation `seq`:
    each leaves this job and arrives at the same operation of the new one by a ledger entry, and the
    good counts of the operations before it go with them.

    The new job has the routing's operations only: a rework operation added to this job is the
    record of its report's pieces and stays here (with its count), and the pieces waiting at one
    are not split off: they go back to the operation they were held at first."""
    _planner(user)
    _open(job)
    reason = _reason(reason, required=True, what="split")
    if pieces < 1 or pieces >= job.quantity:
        raise PlanningError(f"Split between 1 and {job.quantity - 1} pcs off job {job.number} "
                            f"(it keeps at least one).")
    op = None
    if job.status == "released":
        op = next((o for o in job.operations if o.seq == seq), None)
        if op is None:
            raise PlanningError("Choose the operation whose waiting pieces go to the new job.")
        if op.is_rework:
            raise PlanningError(_rework_not_split(session, op))
        waiting = int(ledger.balance(session, ledger.job_item(job.id), ledger.at_operation(op.id)))
        if pieces > waiting:
            raise PlanningError(f"Only {waiting} pcs of job {job.number} are waiting at op {op.seq}; "
                                f"{pieces} asked.")
    new = Job(number=next_job_number(session), part_id=job.part_id, quantity=pieces,
              due_date=due_date or job.due_date, status=job.status, priority=job.priority,
              notes=f"Split from job {job.number}", released_at=utcnow() if job.status == "released" else None)
    new.order_lines = list(job.order_lines)
    new.operations = [operation_like(o) for o in job.operations if not o.is_rework]
    session.add(new)
    session.flush()
    if op is not None:
        _move_split_pieces(session, job, new, op, pieces, user)
    old_quantity = job.quantity
    job.quantity -= pieces
    record(session, user, "split", f"{old_quantity} pcs", f"{job.quantity} pcs; {pieces} pcs to job {new.number}",
           reason=reason, job=job)
    record(session, user, "split from", f"job {job.number}", f"{pieces} pcs", reason=reason, job=new)
    if op is not None:
        session.flush()
        now = utcnow()
        for o in job.operations:
            session.refresh(o)
        _settle_operation(session, _first(job), now)
        _settle_job(session, job, now)
    return new


def _rework_not_split(session: Session, op: JobOperation) -> str:
    hold = session.scalar(select(QualityHold).where(QualityHold.rework_operation_id == op.id)
                          .order_by(QualityHold.id).limit(1))
    whose = hold.ncr.number if hold is not None and hold.ncr is not None else "a quality hold"
    return (f"Op {op.seq} reworks the pieces of {whose} held at op {op.rework_of.seq}; they go back to op "
            f"{op.rework_of.seq} when reworked. Split pieces waiting at an operation of the routing.")


def _move_split_pieces(session: Session, job: Job, new: Job, op: JobOperation, pieces: int, user: User) -> None:
    twins = {o.seq: o for o in new.operations}
    twin = twins[op.seq]
    now = utcnow()
    ledger.move(session, ledger.SPLIT, ledger.job_item(job.id), pieces, ledger.at_operation(op.id), None,
                **_common(user, job, op, f"to job {new.number}"))
    ledger.move(session, ledger.SPLIT, ledger.job_item(new.id), pieces, None, ledger.at_operation(twin.id),
                **_common(user, new, twin, f"from job {job.number}"))
    # The pieces passed the routing's operations before this one under the old job: their good counts
    # go with them, each to the operation of the same number (a rework operation's count stays).
    for before in job.operations:
        if before.seq >= op.seq:
            break
        if before.is_rework:
            continue
        before.qty_good -= pieces
        twins[before.seq].qty_good = pieces
        twins[before.seq].completed_at = now
    twin.last_activity_at = now


# --- cancelling and closing short ----------------------------------------------------------------

def cancel_job(session: Session, job: Job, *, user: User, reason: str | None) -> Job:
    """A job nobody has worked on: a planned one, or a released one whose pieces all still wait at the
    first operation (they are taken back by one ledger entry)."""
    _planner(user)
    _open(job)
    reason = _reason(reason, required=True, what="cancelled")
    if job.status == "released":
        first = _first(job)
        where = _pieces_of(session, job)
        worked = any(o.qty_good or o.qty_scrap for o in job.operations)
        if worked or set(where) - {ledger.at_operation(first.id)}:
            raise PlanningError(f"Job {job.number} has pieces in the flow past op {first.seq}'s queue; "
                                "close it short instead (the pieces are scrapped or returned).")
        if where:
            ledger.move(session, ledger.REPLAN, ledger.job_item(job.id), where[ledger.at_operation(first.id)],
                        ledger.at_operation(first.id), None, **_common(user, job, first, "job cancelled"))
    record(session, user, "status", job.status, "cancelled", reason=reason, job=job)
    job.status = "cancelled"
    job.completed_at = utcnow()
    return job


def close_short(session: Session, job: Job, *, user: User, disposal: str, reason: str | None,
                bin: Location | None = None) -> Job:
    """Close a released job before all its pieces are made: the pieces still in the flow are scrapped,
    or returned to a bin, each place's pieces by one ledger entry."""
    _planner(user)
    if job.status != "released":
        raise PlanningError(f"Job {job.number} is {job.status}; only a released job is closed short.")
    reason = _reason(reason, required=True, what="closed short")
    if disposal not in CLOSE_DISPOSALS:
        raise PlanningError("Choose what happens to the pieces still in the flow: scrap or return to a bin.")
    held = session.scalar(select(QualityHold.id).where(QualityHold.job_id == job.id,
                                                       QualityHold.released_at.is_(None)).limit(1))
    if held is not None:
        raise PlanningError(f"Job {job.number} has pieces on quality hold; an inspector gives them a disposition "
                            "before the job is closed.")
    out = [o for o in job.operations if o.is_outside and at_vendor(session, o)]
    if out:
        raise PlanningError(f"Job {job.number} has pieces at a vendor (op {out[0].seq}); receive them back first.")
    finished = int(ledger.balance(session, ledger.job_item(job.id), ledger.finished(job.id)))
    if finished:
        raise PlanningError(f"{finished} finished pcs of job {job.number} are past the last operation; put them away "
                            "as finished goods (CMD-FG) before the job is closed.")
    if disposal == CLOSE_RETURN:
        if bin is None or not bin.active or bin.kind not in ("bin", "cart", "inspection", "fg"):
            raise PlanningError("Choose the bin the pieces are returned to.")
        to_place = ledger.at_location(bin.id)
    else:
        scrap_bin = _scrap_location(session)
        to_place = ledger.at_location(scrap_bin.id) if scrap_bin else None
    op_by_place = {ledger.at_operation(o.id): o for o in job.operations}
    for place, pieces in sorted(_pieces_of(session, job).items()):
        op = op_by_place.get(place)
        if op is None:
            continue  # only pieces waiting at an operation are in the flow; the rest were refused above
        kind = ledger.SCRAP if disposal == CLOSE_SCRAP else ledger.REPLAN
        ledger.move(session, kind, ledger.job_item(job.id), pieces, place, to_place,
                    reason="SHORT" if disposal == CLOSE_SCRAP else None,
                    **_common(user, job, op, f"job closed short: {reason}"))
    record(session, user, "status", job.status, f"closed short ({CLOSE_DISPOSALS[disposal].lower()})",
           reason=reason, job=job)
    job.status = "closed"
    job.completed_at = utcnow()
    return job


# --- order lines ---------------------------------------------------------------------------------

def _line_open(line: OrderLine) -> None:
    if line.status != "open":
        raise PlanningError(f"Line {line.line_no} of {line.order.number} is {line.status}.")


def edit_release(session: Session, release: Release, *, user: User, quantity: int, due_date: date,
                 reason: str | None = None) -> list[PlanChange]:
    """A release's or call-off's date and quantity; a scheduled line's quantity follows its releases."""
    _planner(user)
    line = release.line
    _line_open(line)
    reason = _reason(reason, required=False, what="changed")
    label = f"{'call-off' if release.kind == 'calloff' else 'release'} due {release.due_date:%b %d}"
    if quantity < max(1, release.shipped_qty):
        raise PlanningError(f"{release.shipped_qty} pcs of that {label} have shipped; the quantity cannot go below "
                            f"{max(1, release.shipped_qty)}.")
    others = sum(r.quantity for r in line.releases if r.id != release.id)
    if line.strategy == "blanket" and others + quantity > line.quantity:
        raise PlanningError(f"The blanket commits {line.quantity} pcs; the call-offs would come to "
                            f"{others + quantity}.")
    changes = []
    if due_date != release.due_date:
        changes.append(record(session, user, f"{label}: date", release.due_date.isoformat(), due_date.isoformat(),
                              reason=reason, line=line, release=release))
        release.due_date = due_date
    if quantity != release.quantity:
        changes.append(record(session, user, f"{label}: quantity", release.quantity, quantity, reason=reason,
                              line=line, release=release))
        release.quantity = quantity
        if line.strategy == "scheduled":
            total = others + quantity
            changes.append(record(session, user, "line quantity", line.quantity, total, reason=reason, line=line))
            line.quantity = total
    return changes


def cancel_line(session: Session, line: OrderLine, *, user: User, reason: str | None) -> OrderLine:
    _planner(user)
    _line_open(line)
    text = (reason or "").strip()[:500]
    if not text:
        raise PlanningError("Say why the line is cancelled: the reason is kept with the change.")
    if line.shipped_qty:
        raise PlanningError(f"{line.shipped_qty} pcs of line {line.line_no} have shipped; lower its releases to "
                            "what shipped instead of cancelling it.")
    record(session, user, "status", line.status, "cancelled", reason=text, line=line)
    line.status = "cancelled"
    return line


def changes_of_job(session: Session, job: Job) -> list[PlanChange]:
    return list(session.scalars(select(PlanChange).where(PlanChange.job_id == job.id)
                                .order_by(PlanChange.changed_at.desc(), PlanChange.id.desc())))

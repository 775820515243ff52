"""The shop floor's rules and shared reads: who may do what, sane quantities, where pieces are,
and when an operation or a job is done. Every verb of the floor checks through these."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from spex import codes, ledger
from spex.ledger import LedgerError
from spex.models.people import Worker
from spex.models import (Balance, Job, JobOperation, Location, NonConformance, OutsideShipment, QualityHold, Station,
                         qty)
from spex.production import next_operation


class FloorError(LedgerError):
    """A shop-floor action refused: the message says why; next_step, when the remedy is another
    scan than the one refused, says what to do now (a station shows it as its next step)."""

    def __init__(self, message: str, next_step: str = ""):
        super().__init__(message)
        self.next_step = next_step


def _ids(user: Worker | None, station: Station | None) -> dict:
    return {"user_id": user.id if user else None, "station_id": station.id if station else None}


def require_role(user: Worker | None, action: str) -> None:
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


def piece_count(quantity) -> int:
    """A piece count, as a person scans or types it: a whole number between 1 and the largest sane
    quantity. The one check of a count, for the station and every verb of the floor."""
    try:
        value = Decimal(str(quantity))
    except Exception:  # noqa: BLE001 - any unparsable input is a refusal, not an error
        raise FloorError(f"{quantity!r} is not a number of pieces.", _COUNT_AGAIN) from None
    if not value.is_finite():
        raise FloorError(f"{quantity!r} is not a number of pieces.", _COUNT_AGAIN)
    if value <= 0:
        raise FloorError("A quantity of zero records nothing.", "Scan or type the real quantity.")
    if value != value.to_integral_value():
        raise FloorError(f"{_shown(value)}: pieces are counted in whole numbers.",
                         "Scan or type a whole number of pieces.")
    return int(_at_most_sane(value))


def amount_of(quantity) -> Decimal:
    """A length of bar (or an amount of any material), as a person scans or types it: more than
    zero, no more than the largest sane quantity."""
    try:
        value = Decimal(str(quantity))
    except Exception:  # noqa: BLE001
        raise FloorError(f"{quantity!r} is not a quantity.", _COUNT_AGAIN) from None
    if not value.is_finite():
        raise FloorError(f"{quantity!r} is not a quantity.", _COUNT_AGAIN)
    if value <= 0:
        raise FloorError("A quantity of zero records nothing.", "Scan or type the real quantity.")
    return qty(_at_most_sane(value))


_COUNT_AGAIN = "Check the quantity and scan again."


def _shown(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _at_most_sane(value: Decimal) -> Decimal:
    if value > codes.MAX_SCAN_QUANTITY:
        raise FloorError(f"{_shown(value)} is more than any job or bar here.", _COUNT_AGAIN)
    return value


def _reason(code: str | None, reasons: dict[str, str], what: str) -> str:
    reason = (code or "").upper().strip()
    if reason not in reasons:
        raise FloorError(f"Scan a {what} reason: " + ", ".join(f"{k} ({v})" for k, v in reasons.items()))
    return reason


# The statements every scan of an operation runs, written once: building a statement costs
# SQLAlchemy more than running it (measured: bench/README.md, "Scan station").
_FOLLOWING = (select(JobOperation.id, JobOperation.seq)
              .where(JobOperation.job_id == bindparam("job"), JobOperation.seq > bindparam("seq"),
                     JobOperation.rework_of_id.is_(None))
              .order_by(JobOperation.seq).limit(1))
_OPERATIONS = JobOperation.__table__
# The operation and the next one (the same id twice when there is none): two fixed parameters, so the
# statement compiles once rather than for each list of ids.
_STAMP = (update(_OPERATIONS).where(or_(_OPERATIONS.c.id == bindparam("op"), _OPERATIONS.c.id == bindparam("next")))
          .values(last_activity_at=bindparam("when")))
_ANY_OPEN_HOLD = (select(QualityHold.id)
                  .where(QualityHold.job_id == bindparam("job"), QualityHold.released_at.is_(None)).limit(1))
_OPEN_HOLDS = (select(QualityHold).where(QualityHold.job_id == bindparam("job"), QualityHold.released_at.is_(None))
               .order_by(QualityHold.placed_at))
_VENDOR_LOCATION = select(Location).where(Location.vendor_id == bindparam("vendor"))
_SCRAP_LOCATION = (select(Location).where(Location.kind == "scrap", Location.active.is_(True))
                   .order_by(Location.id).limit(1))
_SCRAP_LOCATION_IDS = select(Location.id).where(Location.kind == "scrap")
_HELD_AT_OPERATION = (select(func.count(QualityHold.id))
                      .where(QualityHold.job_operation_id == bindparam("op"), QualityHold.released_at.is_(None)))
_NCRS_HELD_AT = (select(NonConformance.number)
                 .join(QualityHold, QualityHold.id == NonConformance.hold_id)
                 .where(QualityHold.job_operation_id == bindparam("op"), QualityHold.released_at.is_(None))
                 .order_by(QualityHold.placed_at, QualityHold.id))
_AT_VENDOR = (select(func.sum(OutsideShipment.quantity_out - OutsideShipment.quantity_back))
              .where(OutsideShipment.job_operation_id == bindparam("op"), OutsideShipment.closed.is_(False)))


class Step(NamedTuple):
    """An operation of a job's routing, as far as knowing where pieces go next needs."""
    id: int
    seq: int


def following_step(session: Session, op: JobOperation) -> Step | None:
    """The operation after this one in its job's routing (None after the last), by one look-up
    rather than loading the job's whole routing. Rework operations added to a job are not in the
    routing's flow: pieces pass over them, and a rework operation's own pieces go back to the
    operation they were held at."""
    if op.rework_of_id is not None:
        return Step(op.rework_of_id, op.rework_of.seq)
    # On the session's connection: a routing is not changed by a scan, so nothing waits to be flushed
    # first, and the ORM's execution path costs as much again as the look-up.
    row = session.connection().execute(_FOLLOWING, {"job": op.job_id, "seq": op.seq}).first()
    return Step._make(row) if row is not None else None


def _onward(op: JobOperation, following: Step | None) -> str:
    """Where good pieces of an operation go: the next operation's queue, or finished."""
    return ledger.at_operation(following.id) if following is not None else ledger.finished(op.job_id)


def _stamp_activity(session: Session, op: JobOperation, following: Step | None, when: datetime) -> None:
    """The operation has started (if it had not), and it and the next one saw work now: one UPDATE of
    the table (the ORM's bulk update, which keeps loaded objects in step, cost three times as much),
    and the operation in hand kept in step with its row."""
    if op.started_at is None:
        op.started_at = when
    session.execute(_STAMP, {"op": op.id, "next": op.id if following is None else following.id, "when": when})
    set_committed_value(op, "last_activity_at", when)


# --- reading the floor -----------------------------------------------------------------------

def available_at(session: Session, op: JobOperation) -> int:
    """Pieces at an operation that may be worked: passed on by the one before, not done, not held."""
    return int(ledger.balance(session, ledger.job_item(op.job_id), ledger.at_operation(op.id)))


def held_at(session: Session, op: JobOperation) -> int:
    """Pieces of an operation on quality hold there: out of the flow until an inspector's disposition."""
    return int(ledger.balance(session, ledger.job_item(op.job_id), ledger.on_hold(op.id)))


def ncrs_held_at(session: Session, op: JobOperation) -> list[str]:
    """The numbers of the open holds' reports at an operation, oldest first."""
    return list(session.scalars(_NCRS_HELD_AT, {"op": op.id}))


def held_words(session: Session, op: JobOperation, held: int | None = None) -> str:
    """"4 held (NCR-0001)": the held pieces of an operation as the floor says them; empty when none."""
    held = held_at(session, op) if held is None else held
    if not held:
        return ""
    numbers = ncrs_held_at(session, op)
    return f"{held} held" + (f" ({', '.join(numbers)})" if numbers else "")


def open_holds(session: Session, job: Job) -> list[QualityHold]:
    """A job's open holds, oldest first. Most jobs have none: one light query says so, and the
    holds themselves are loaded only when there are some."""
    if session.scalar(_ANY_OPEN_HOLD, {"job": job.id}) is None:
        return []
    return list(session.scalars(_OPEN_HOLDS, {"job": job.id}))


def at_vendor(session: Session, op: JobOperation) -> int:
    """Pieces of an outside operation still at the vendor."""
    total = session.scalar(_AT_VENDOR, {"op": op.id})
    return int(total or 0)


def _vendor_location(session: Session, vendor_id: int) -> Location:
    location = session.scalar(_VENDOR_LOCATION, {"vendor": vendor_id})
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


_ASK_INSPECTOR = ("Ask an inspector to release the hold (badge, the job, CMD-RELEASE); meanwhile scan another "
                  "job (JOB-…).")


def _enough(session: Session, op: JobOperation, quantity: int, available: int | None = None) -> int:
    """Refuse more pieces than are at the operation; returns how many are there."""
    if available is None:
        available = available_at(session, op)
    if quantity > available:
        held = held_at(session, op)
        if held:
            # A hold takes only its pieces out of the flow: the rest may be worked, the held ones wait.
            raise FloorError(f"Only {available} pcs at op {op.seq} are free to work: {held_words(session, op, held)} "
                             f"on quality hold; {quantity} asked.",
                             _ASK_INSPECTOR if available == 0 else
                             f"Scan at most {available}; the held pieces wait for an inspector's disposition.")
        before = next((o for o in reversed(op.job.operations) if o.seq < op.seq and not o.is_rework), None)
        where = (f" (op {before.seq} has passed on {before.qty_good} of {op.job.quantity})" if before else "")
        raise FloorError(f"Only {available} pcs are at op {op.seq}{where}; {quantity} asked.",
                         "Count again and scan the quantity.")
    return available


def _pieces_with_reason(session: Session, op: JobOperation, quantity, reason_code: str | None, *,
                        user: Worker | None, action: str, reasons: dict[str, str]) -> tuple[str, int, int]:
    """The checks before pieces at an operation are held or scrapped: who may, an open job, a known
    reason, a sane count and no more than are there. Returns the reason, the pieces and how many
    were there."""
    require_role(user, action)
    _job_open(op.job)
    reason = _reason(reason_code, reasons, action)
    pieces = piece_count(quantity)
    return reason, pieces, _enough(session, op, pieces)


def _settle_operation(session: Session, op: JobOperation, when: datetime) -> None:
    """Mark an operation complete once nothing is left at it or before it. A rework operation added
    to the job is complete once nothing is left at it; its pieces went back to the operation they
    were held at, which settles next."""
    # The cheapest question first: pieces still here (the usual answer) settle nothing, and the
    # routing, the holds and the vendor are not asked.
    if available_at(session, op) != 0:
        return
    job = op.job
    earlier_done = op.is_rework or all(o.completed_at is not None for o in job.operations if o.seq < op.seq)
    held = session.scalar(_HELD_AT_OPERATION, {"op": op.id})
    if earlier_done and not held and at_vendor(session, op) == 0:
        if op.completed_at is None:
            op.completed_at = when
        following = op.rework_of if op.is_rework else next_operation(job, op)
        if following is not None:
            _settle_operation(session, following, when)


def reopen(session: Session, ops) -> None:
    """Pieces came back to these operations (rework): they are not complete until those pieces pass."""
    for op in ops:
        op.completed_at = None


def _settle_job(session: Session, job: Job, when: datetime) -> None:
    """A job is complete when no piece of it is anywhere but shipped, scrapped or put away."""
    scrap_places = [ledger.at_location(i) for i in session.scalars(_SCRAP_LOCATION_IDS)]
    remaining = session.scalar(select(func.sum(Balance.quantity)).where(
        Balance.item == ledger.job_item(job.id), Balance.quantity > 0, Balance.place.not_in(scrap_places)))
    if not remaining and job.status == "released":
        job.status = "complete"
        job.completed_at = when

"""The WIP board's room: every open job, where its pieces are, and whether it will make its due date.

load_board() reads the whole open shop in a fixed handful of queries (jobs, operations, piece
balances, open holds, open outside shipments) however many jobs there are, and schedules the
remaining work forward on each work center's hours to flag late risk (spex/wip/schedule.py).
board_version() is one cheap query whose answer changes whenever anything the board shows can have
changed.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import BigInteger, false, func, select, type_coerce
from sqlalchemy.orm import Session

from spex import codes, ledger, shoptime
# The working calendar is the shop clock's; its names stay readable here, where the board uses them.
from spex.shoptime import WORKDAYS, add_workdays, workdays_between, working_hours_between  # noqa: F401
# Late risk is worked out in its own room; its names stay importable from the board, which uses them.
from spex.wip.schedule import (RISK_AT_RISK, RISK_LATE, RISK_OK, RISK_SLACK_DAYS, RISK_TEXT,  # noqa: F401
                               op_work_days, risk_words, schedule)
from spex.models import (Balance, Customer, Job, JobOperation, LedgerEntry, NonConformance, OPEN_STATUSES,
                         OutsideShipment, Part, PlanChange, QualityHold, Vendor, WorkCenter, utcnow)

# Ageing of pieces at their current station, in working hours (weekends left out) since they
# arrived or were last worked.
FRESH_HOURS = 8      # within a shift: green
STALE_HOURS = 48     # two days untouched: red; in between amber
# A work center with no hours set is assumed to run one shift.
DEFAULT_HOURS_PER_DAY = 8.0

STATE_DONE = "done"            # every expected piece passed on
STATE_ACTIVE = "active"        # pieces waiting, held or out at this operation now
STATE_STARTED = "started"      # some done, none here now (the rest are still upstream)
STATE_TODO = "todo"            # nothing done yet, nothing here yet


@dataclass
class BoardOp:
    id: int
    seq: int
    kind: str
    description: str
    work_center_code: str | None
    work_center_name: str | None
    vendor_code: str | None
    vendor_name: str | None
    hours_per_day: float
    setup_min: float
    run_min_per_piece: float
    turnaround_days: int
    good: int
    scrap: int
    expected: int = 0        # pieces this operation should still pass on: quantity less scrap so far
    remaining: int = 0
    waiting: int = 0
    held: int = 0
    at_vendor: int = 0
    last_activity_at: datetime | None = None
    rework: bool = False     # a rework operation added to the job for held pieces, outside the routing's flow
    ncrs: list[str] = field(default_factory=list)  # the reports of the open holds here
    state: str = STATE_TODO
    projected_start: date | None = None
    projected_finish: date | None = None
    finish_offset: float = 0.0  # the schedule's finish in working days from today (spex/wip/incremental.py)

    @property
    def where(self) -> str:
        """The station's name as the floor says it: the work center, or the vendor for outside work."""
        if self.kind == "outside":
            return self.vendor_name or self.vendor_code or "Outside"
        return self.work_center_name or self.work_center_code or "Unassigned"

    @property
    def short_where(self) -> str:
        """For the wall: the work center's code (LATHE-2, INSPECT) is what the floor calls it."""
        if self.kind == "outside":
            return self.vendor_name or self.vendor_code or "Outside"
        return self.work_center_code or "Unassigned"

    @property
    def group_key(self) -> str:
        if self.kind == "outside":
            return f"vendor:{self.vendor_code or '-'}"
        return f"wc:{self.work_center_code or '-'}"

    @property
    def pieces_text(self) -> str:
        """The pieces here, those free to work apart from those held: "161 at op 20 · 4 held (NCR-0001)"."""
        text = f"{self.waiting} at op {self.seq}"
        if self.held:
            text += f" · {self.held} held" + (f" ({', '.join(self.ncrs)})" if self.ncrs else "")
        if self.at_vendor:
            text += f" · {self.at_vendor} out"
        return text

    @property
    def done_fraction(self) -> float:
        return min(1.0, self.good / self.expected) if self.expected else 1.0


@dataclass
class BoardHold:
    seq: int
    quantity: int
    reason_code: str
    reason: str
    placed_at: datetime
    ncr: str | None = None


@dataclass
class BoardShipment:
    seq: int
    vendor_code: str
    vendor_name: str
    outstanding: int
    expected_back: date | None
    overdue: bool


@dataclass
class BoardJob:
    id: int
    number: str
    status: str
    priority: int
    part_number: str
    part_rev: str
    part_description: str
    customer_code: str
    customer_name: str
    quantity: int
    due_date: date
    ops: list[BoardOp] = field(default_factory=list)
    holds: list[BoardHold] = field(default_factory=list)
    shipments: list[BoardShipment] = field(default_factory=list)
    finished: int = 0
    age_hours: float | None = None
    age_class: str = "fresh"
    projected_finish: date | None = None
    slack_days: int | None = None
    risk: str = RISK_OK
    past_due: bool = False

    @property
    def current_ops(self) -> list[BoardOp]:
        return [op for op in self.ops if op.state == STATE_ACTIVE]

    @property
    def next_op(self) -> BoardOp | None:
        """The first operation not finished: where the job's next work is."""
        return next((op for op in self.ops if op.state != STATE_DONE), None)

    @property
    def held_line(self) -> str:
        """For a job with pieces held at an operation, that operation's pieces, held apart from free."""
        op = next((op for op in self.current_ops if op.held), None)
        return op.pieces_text if op is not None else ""

    @property
    def held_total(self) -> int:
        return sum(h.quantity for h in self.holds)

    @property
    def at_vendor_total(self) -> int:
        return sum(s.outstanding for s in self.shipments)

    @property
    def alerts(self) -> list[tuple[str, str]]:
        """At most two short alert lines for the wall (css class, text); the rest is counted, not hidden."""
        lines = [("alert-hold", f"{h.ncr + ' ' if h.ncr else ''}HOLD {h.quantity} · {h.reason_code}")
                 for h in self.holds]
        for s in self.shipments:
            back = s.expected_back.strftime("%d %b") if s.expected_back else "no date"
            lines.append(("alert-vendor is-overdue", f"{s.outstanding} LATE {back}") if s.overdue
                         else ("alert-vendor", f"{s.outstanding} out · back {back}"))
        if len(lines) > 2:
            lines = lines[:1] + [("alert-more", f"+{len(lines) - 1} more")]
        return lines

    @property
    def risk_text(self) -> str:
        return risk_words(self.risk, self.slack_days, self.past_due)

    @property
    def age_text(self) -> str:
        return age_text(self.age_hours)


def age_text(hours: float | None) -> str:
    if hours is None:
        return ""
    if hours < 1:
        return f"{max(0, int(hours * 60))}m"
    if hours < 48:
        return f"{int(hours)}h"
    return f"{int(hours // 24)}d"


def age_class(hours: float | None) -> str:
    if hours is None or hours < FRESH_HOURS:
        return "fresh"
    return "ageing" if hours < STALE_HOURS else "stale"


# --- the version: one query, changes whenever the board can have changed -----------------

def _version_statement():
    open_holds = select(func.count(QualityHold.id)).where(QualityHold.released_at.is_(None)).scalar_subquery()
    open_shipments = select(func.count(OutsideShipment.id)).where(OutsideShipment.closed == false()).scalar_subquery()
    return select(
        select(func.max(LedgerEntry.id)).scalar_subquery(),
        select(func.max(Job.id)).scalar_subquery(),
        select(func.count(Job.id)).where(Job.status.in_(OPEN_STATUSES)).scalar_subquery(),
        select(func.max(QualityHold.id)).scalar_subquery(),
        open_holds,
        select(func.max(OutsideShipment.id)).scalar_subquery(),
        open_shipments,
        select(func.max(PlanChange.id)).scalar_subquery(),
        select(func.count(WorkCenter.id)).scalar_subquery(),
        select(func.sum(_thousandths(WorkCenter.hours_per_day))).scalar_subquery(),
    )


def board_version(session: Session) -> str:
    """A short token for the state the board shows.

    Every piece movement is a ledger entry (max id); a job released, closed or added changes the
    open-job count or the highest job id; holds and outside shipments placed or closed change their
    counts; a planner's edit of a job (due date, priority, quantity) is a plan change (max id); a
    work center's hours move their sum. The kept schedule (spex/wip/cache.py) is keyed on it, so
    everything the schedule reads must move it. Master data shown but not scheduled (a customer's
    name) shows on the next change of the shop.
    """
    row = session.execute(_VERSION).one()
    return "-".join(str(v or 0) for v in row)


def etag_for(*parts) -> str:
    return hashlib.blake2s("|".join(str(p) for p in parts).encode(), digest_size=8).hexdigest()


# --- loading ---------------------------------------------------------------------------------

def _thousandths(column):
    """A quantity column read as its stored whole thousandths: the schedule wants floats, and
    skipping 60,000 Decimal conversions is a third of the board's time at 5,000 jobs."""
    return type_coerce(column, BigInteger)


# Built once: every poll of every screen asks it, and building its ten sub-selects cost more than
# running them (about 1 ms of a 3 ms poll at 5,000 jobs).
_VERSION = _version_statement()


def _job_filter(statuses, only):
    conditions = [Job.status.in_(statuses)]
    if only is not None:
        conditions.append(Job.id.in_(list(only)))
    return conditions


def load_board(session: Session, *, now: datetime | None = None,
               statuses=OPEN_STATUSES, job_ids=None, only=None, ages: bool = True,
               scheduled: bool = True) -> list[BoardJob]:
    """Every open job with its operations, pieces, holds and vendors, scheduled; sorted by urgency.

    Always five queries, whatever the number of jobs. job_ids narrows the jobs returned but the
    schedule still sees the whole shop (a job waits behind the others at each work center);
    only narrows what is read (for a closed job's page, where no schedule matters). ages=False leaves
    how long pieces have sat to be worked out later, for the jobs a screen shows (spex/wip/cache.py).
    scheduled=False gives the jobs read, settled but neither scheduled nor sorted (spex/wip/incremental.py).
    """
    now = now or utcnow()
    today = shoptime.local_date(now)
    conditions = _job_filter(statuses, only)
    open_ids = select(Job.id).where(*conditions)

    jobs: dict[int, BoardJob] = {}
    rows = session.execute(
        select(Job.id, Job.number, Job.status, Job.priority, Job.quantity, Job.due_date,
               Part.number, Part.rev, Part.description, Customer.code, Customer.name)
        .join(Part, Part.id == Job.part_id).join(Customer, Customer.id == Part.customer_id)
        .where(*conditions))
    for (jid, number, status, priority, quantity, due, pnum, prev, pdesc, ccode, cname) in rows:
        jobs[jid] = BoardJob(id=jid, number=number, status=status, priority=priority or 0,
                             part_number=pnum, part_rev=prev, part_description=pdesc or "",
                             customer_code=ccode, customer_name=cname, quantity=quantity, due_date=due)

    ops: dict[int, BoardOp] = {}
    rows = session.execute(
        select(JobOperation.id, JobOperation.job_id, JobOperation.seq, JobOperation.kind,
               JobOperation.description, WorkCenter.code, WorkCenter.name, _thousandths(WorkCenter.hours_per_day),
               Vendor.code, Vendor.name, _thousandths(JobOperation.setup_min),
               _thousandths(JobOperation.run_min_per_piece),
               JobOperation.turnaround_days, JobOperation.qty_good, JobOperation.qty_scrap,
               JobOperation.last_activity_at, JobOperation.rework_of_id)
        .outerjoin(WorkCenter, WorkCenter.id == JobOperation.work_center_id)
        .outerjoin(Vendor, Vendor.id == JobOperation.vendor_id)
        .where(JobOperation.job_id.in_(open_ids))
        .order_by(JobOperation.job_id, JobOperation.seq))
    for (oid, jid, seq, kind, desc, wcc, wcn, hours, vc, vn, setup, run, turn, good, scrap, last, rework_of) in rows:
        if jid not in jobs:
            # On PostgreSQL each statement sees the latest commits: a job released a moment
            # ago can show up here before it did above. It will be on the next poll.
            continue
        op = BoardOp(id=oid, seq=seq, kind=kind, description=desc or "", work_center_code=wcc,
                     work_center_name=wcn, vendor_code=vc, vendor_name=vn,
                     hours_per_day=hours / 1000 if hours and hours > 0 else DEFAULT_HOURS_PER_DAY,
                     setup_min=(setup or 0) / 1000, run_min_per_piece=(run or 0) / 1000,
                     turnaround_days=turn or 0, good=good or 0, scrap=scrap or 0, last_activity_at=last,
                     rework=rework_of is not None)
        ops[oid] = op
        jobs[jid].ops.append(op)

    # Pieces of each job by place: the job's item at an operation, on hold there, or finished.
    job_item = ledger.key_sql(ledger.JOB_KEY, Job.id)
    rows = session.execute(
        select(Balance.item, Balance.place, Balance.quantity)
        .join(Job, Balance.item == job_item)
        .where(*conditions, Balance.quantity > 0))
    for item, place, quantity in rows:
        kind, _, ident = place.partition(":")
        pieces = int(quantity)
        if kind == ledger.OPERATION_KEY and int(ident) in ops:
            ops[int(ident)].waiting += pieces
        elif kind == ledger.HOLD_KEY and int(ident) in ops:
            ops[int(ident)].held += pieces
        elif kind == ledger.DONE_KEY:
            jid = int(item.partition(":")[2])
            if jid in jobs:
                jobs[jid].finished += pieces

    seq_of = {oid: op.seq for oid, op in ops.items()}
    rows = session.execute(
        select(QualityHold.job_id, QualityHold.job_operation_id, QualityHold.quantity, QualityHold.reason_code,
               QualityHold.placed_at, NonConformance.number)
        .outerjoin(NonConformance, NonConformance.hold_id == QualityHold.id)
        .where(QualityHold.released_at.is_(None), QualityHold.job_id.in_(open_ids))
        .order_by(QualityHold.placed_at))
    for jid, oid, quantity, reason, placed, ncr in rows:
        if jid not in jobs:
            continue
        if oid in ops and ncr:
            ops[oid].ncrs.append(ncr)
        jobs[jid].holds.append(BoardHold(seq=seq_of.get(oid, 0), quantity=quantity, reason_code=reason,
                                         reason=codes.HOLD_REASONS.get(reason, reason), placed_at=placed, ncr=ncr))

    rows = session.execute(
        select(OutsideShipment.job_id, OutsideShipment.job_operation_id, Vendor.code, Vendor.name,
               OutsideShipment.quantity_out, OutsideShipment.quantity_back, OutsideShipment.expected_back)
        .join(Vendor, Vendor.id == OutsideShipment.vendor_id)
        .where(OutsideShipment.closed == false(), OutsideShipment.job_id.in_(open_ids))
        .order_by(OutsideShipment.shipped_at))
    for jid, oid, vcode, vname, out, back, expected in rows:
        outstanding = (out or 0) - (back or 0)
        if outstanding <= 0 or jid not in jobs:
            continue
        if oid in ops:
            ops[oid].at_vendor += outstanding
        jobs[jid].shipments.append(BoardShipment(
            seq=seq_of.get(oid, 0), vendor_code=vcode, vendor_name=vname, outstanding=outstanding,
            expected_back=expected, overdue=expected is not None and expected < today))

    for job in jobs.values():
        _settle(job, now if ages else None)
    if not scheduled:
        return list(jobs.values())
    # A planner's priority comes before the due date: a rush job is scheduled ahead of earlier-due work.
    board = sorted(jobs.values(), key=lambda j: (-j.priority, j.due_date, j.number))
    schedule(board, today)
    if job_ids is not None:
        wanted = set(job_ids)
        board = [j for j in board if j.id in wanted]
    order = {RISK_LATE: 0, RISK_AT_RISK: 1, RISK_OK: 2}
    board.sort(key=lambda j: (order[j.risk], -j.priority, j.due_date, j.number))
    return board


def _settle(job: BoardJob, now: datetime | None) -> None:
    """Each operation's expected, remaining and state, and how long the job's pieces have sat."""
    scrapped_before = 0
    for op in job.ops:
        if op.rework:
            # A rework operation expects only the pieces sent to it, not the job's quantity.
            op.expected = op.good + op.waiting + op.held + op.at_vendor
        else:
            op.expected = max(0, job.quantity - scrapped_before - op.scrap)
        op.remaining = max(0, op.expected - op.good)
        scrapped_before += op.scrap
        if op.waiting or op.held or op.at_vendor:
            op.state = STATE_ACTIVE
        elif op.remaining == 0:
            op.state = STATE_DONE
        elif op.good:
            op.state = STATE_STARTED
        else:
            op.state = STATE_TODO
    if now is None:
        return
    times = [op.last_activity_at for op in job.current_ops if op.last_activity_at is not None]
    if times:
        # Working hours: pieces left on Friday afternoon are not two days old on Monday morning.
        job.age_hours = working_hours_between(min(times), now)
    job.age_class = age_class(job.age_hours)


# --- what the wall shows: filters, groups, pages ------------------------------------------

@dataclass
class BoardRow:
    """One line of the board: a group heading or a job."""
    heading: str | None = None
    job: BoardJob | None = None


def filter_jobs(jobs: list[BoardJob], *, work_center: str | None = None, customer: str | None = None) -> list[BoardJob]:
    if work_center:
        wanted = work_center.upper()
        jobs = [j for j in jobs if any((op.work_center_code or "").upper() == wanted or
                                       (op.vendor_code or "").upper() == wanted for op in j.current_ops)]
    if customer:
        wanted = customer.upper()
        jobs = [j for j in jobs if j.customer_code.upper() == wanted]
    return jobs


def split_unreleased(jobs: list[BoardJob]) -> tuple[list[BoardJob], list[BoardJob]]:
    """The jobs on the floor (in the board's order) and the planned ones. A planned job has nothing
    on the floor to show, so the wall names it on a line of its own instead of spending a row (or a
    whole page of the rotation) on it."""
    released = [j for j in jobs if j.status != "planned"]
    planned = sorted((j for j in jobs if j.status == "planned"), key=lambda j: (j.due_date, j.number))
    return released, planned


def group_rows(jobs: list[BoardJob], group: str | None) -> list[BoardRow]:
    """Rows with headings: by the work center (or vendor) where a job's pieces are, or by customer.

    A job with pieces at two work centers shows under both: each area's screen must see it.
    """
    if group == "customer":
        buckets: dict[str, list[BoardJob]] = {}
        for job in jobs:
            buckets.setdefault(job.customer_name, []).append(job)
    elif group == "wc":
        buckets = {}
        for job in jobs:
            places = [op.where for op in job.current_ops] or ["Finishing"]
            for place in dict.fromkeys(places):
                buckets.setdefault(place, []).append(job)
    else:
        return [BoardRow(job=j) for j in jobs]
    rows: list[BoardRow] = []
    for name in sorted(buckets):
        rows.append(BoardRow(heading=f"{name} · {len(buckets[name])}"))
        rows.extend(BoardRow(job=j) for j in buckets[name])
    return rows


def paginate(rows: list[BoardRow], per_page: int) -> list[list[BoardRow]]:
    """Split rows into screens of at most per_page rows, as few screens as that allows, and evened
    out: 25 jobs at 8 a screen are 7/6/6/6, not 8/8/8/1 (a wall would spend a quarter of its
    rotation on one row). A heading never ends a screen alone; a continued group is re-headed."""
    per_page = max(1, per_page)
    pages = _fill(rows, lambda placed, done: per_page)
    if len(pages) > 1:
        wanted = len(pages)
        # Each screen takes its share of what is left, so the rounding lands on the first screens.
        even = _fill(rows, lambda placed, done: min(per_page, -(-(len(rows) - placed) // max(1, wanted - done))))
        if len(even) <= wanted:
            return even
    return pages


def _fill(rows: list[BoardRow], capacity) -> list[list[BoardRow]]:
    """Fill screens in order; capacity(rows placed so far, screens done) is the next screen's size."""
    pages: list[list[BoardRow]] = []
    current: list[BoardRow] = []
    heading: BoardRow | None = None
    limit = capacity(0, 0)
    for placed, row in enumerate(rows):
        if row.heading is not None:
            heading = row
            if current and len(current) >= limit - 1:
                pages.append(current)
                current = []
                limit = capacity(placed, len(pages))
            current.append(row)
            continue
        if len(current) >= limit:
            pages.append(current)
            limit = capacity(placed, len(pages))
            current = [BoardRow(heading=heading.heading + " (cont.)")] if heading else []
        current.append(row)
    if current or not pages:
        pages.append(current)
    return pages

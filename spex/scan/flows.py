"""The scan station's state machine: a station's sequence of scans becomes one shop-floor action.

Each station's context (operator, job, operation, bar, FG lot, pending command and the values
collected so far) lives in its StationState row, so a reload, a second tab or a server restart
loses nothing. One scan is handled in one transaction: the caller has already taken the write
lock (spex.ledger.begin_write); a refusal rolls the transaction back so nothing of it is written,
and the scan itself is remembered in ScanRecord with the answer it got, so a resent request
gets the same answer and records nothing new.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import bindparam, desc, func, insert, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased, joinedload

from spex import codes, ledger, shopfloor, shoptime, transactions
from spex.models import (FinishedGoodsLot, Job, JobOperation, Location, MaterialLot, QualityHold, Release, ScanRecord,
                         Station, StationState, StockUnit, User, utcnow)
from spex.models.people import role_allows
from spex.prepared import Prepared
from spex.scan import grammar
from spex.scan.answers import DONE, REFUSED, WAITING, Answer, Context, Refused
from spex.scan.grammar import Scan
from spex.scan.steps import STEPS, pieces_of, stored_moment
from spex.scan.steps.goods import FG_QTY, SHIP_FG, SHIP_QTY, release_words
from spex.scan.steps.holds import HOLD_QTY, RELEASE_DISPOSITION
from spex.scan.steps.material import PULL_JOB, RETURN_LOT
from spex.scan.steps.operations import SCRAP_QTY
from spex.scan.steps.outside import RECEIVE_QTY, SHIP_OUT_QTY
# PIN_WAIT and PIN_LOCKOUT are named here too, as the station's rules the tests read.
from spex.scan.steps.sign_in import (BADGE_AGAIN_AT, KEPT_BY_CLEAR, MAY_BE_A_PIN, PIN_LOCKOUT, PIN_MASK, PIN_WAIT,
                                     SIGN_IN_PIN, scan_badge, sign_out)

UNREGISTERED = "This browser is not registered as a station."
UNREGISTERED_NEXT = "Ask an administrator to register it; nothing was recorded."
UNKNOWN_HINT = "Scan a label (EMP-, JOB-, LOT-, BIN-, FG-, CMD-) or type a quantity and press Enter."
READ_TWICE = "Read twice, counted once"


class ScanLine(NamedTuple):
    """A scan as the station's list of recent scans shows it."""
    uid: str
    created_at: datetime
    raw: str
    outcome: str
    message: str


@dataclass
class StationView:
    """The station's context as the page shows it."""
    station: StationRef | Station
    operator: Person | User | None
    job: Job | None
    operation: JobOperation | None
    unit: StockUnit | None
    fg_lot: FinishedGoodsLot | None
    pending: str | None
    pending_name: str | None
    collected: dict
    expected: str
    available: int | None


# --- the statements a scan runs, built once ----------------------------------------------------
# Building a statement (and its cache key) costs SQLAlchemy several times what running it does, and
# every scan runs a handful of these inside the write lock; so they are built here, once, with
# parameters bound at each run.

def _by(model, column, *options):
    return select(model).where(column == bindparam("b_value")).options(*options)


_STATE_FIELDS = ("operator_id", "job_id", "job_operation_id", "stock_unit_id", "fg_lot_id", "pending", "data")
_STATION_FIELDS = ("id", "code", "name")
_PERSON_FIELDS = ("id", "name", "badge", "role", "active")
_LAST_SCAN_FIELDS = ("raw", "outcome", "created_at", "response")


def _station_state_and_last_scan(last_scan_columns, join_last_scan):
    """The station (by its browser's token), its state, its signed-in operator and its last scan (to
    tell a scanner's double read), in one query, as plain rows; on PostgreSQL the station's row is
    locked for the scan, so one station's scans take turns."""
    query = (select(*(getattr(Station, f) for f in _STATION_FIELDS), StationState.station_id,
                    *(getattr(StationState, f) for f in _STATE_FIELDS), StationState.updated_at,
                    *(getattr(User, f) for f in _PERSON_FIELDS), *last_scan_columns)
             .select_from(Station)
             .outerjoin(StationState, StationState.station_id == Station.id)
             .outerjoin(User, User.id == StationState.operator_id))
    return (join_last_scan(query).where(Station.token == bindparam("b_token"), Station.active.is_(True))
            .with_for_update(of=Station))


# The last scan is one step down the scans' (station_id, id) index. SQLite finds it by its id, the
# highest of the station's; PostgreSQL, which plans that join as a hash of the whole table when the
# table is small, by a lateral look-up of the station's newest scan.
_EARLIER_SCAN = aliased(ScanRecord)
_LAST_SCAN_ID = (select(func.max(_EARLIER_SCAN.id)).where(_EARLIER_SCAN.station_id == Station.id)
                 .correlate(Station).scalar_subquery())
_LAST_SCAN = (select(*(getattr(ScanRecord, f) for f in _LAST_SCAN_FIELDS))
              .where(ScanRecord.station_id == Station.id).order_by(desc(ScanRecord.id)).limit(1)
              .correlate(Station).lateral("last_scan"))
_STATE = Prepared(
    _station_state_and_last_scan([getattr(ScanRecord, f) for f in _LAST_SCAN_FIELDS],
                                 lambda query: query.outerjoin(ScanRecord, ScanRecord.id == _LAST_SCAN_ID)),
    postgresql=_station_state_and_last_scan([_LAST_SCAN.c[f] for f in _LAST_SCAN_FIELDS],
                                            lambda query: query.outerjoin(_LAST_SCAN, true())))
# Where each part sits in a row of _STATE (the state's part: station_id, its fields, updated_at).
_STATION_COLUMNS = slice(0, len(_STATION_FIELDS))
_STATE_COLUMNS = slice(_STATION_COLUMNS.stop, _STATION_COLUMNS.stop + len(_STATE_FIELDS) + 2)
_PERSON_COLUMNS = slice(_STATE_COLUMNS.stop, _STATE_COLUMNS.stop + len(_PERSON_FIELDS))
_LAST_SCAN_COLUMNS = slice(_PERSON_COLUMNS.stop, None)
_STATE_BINDS = tuple("b_" + f for f in _STATE_FIELDS)
_SAVE_STATE = Prepared(update(StationState).where(StationState.station_id == bindparam("b_station"))
                       .values({**{f: bindparam(b) for f, b in zip(_STATE_FIELDS, _STATE_BINDS)},
                                "updated_at": bindparam("b_now")}))


def _new_state(dialect_insert):
    # A station's first scan makes its state row. Two first scans of a new station may race to make
    # it: the loser's insert does nothing and it reads the winner's.
    return (dialect_insert(StationState).values(station_id=bindparam("b_station"), updated_at=bindparam("b_now"))
            .on_conflict_do_nothing(index_elements=["station_id"]))


_NEW_STATE = Prepared(_new_state(sqlite.insert), postgresql=_new_state(postgresql.insert))
_SCAN_FIELDS = ("uid", "station_id", "user_id", "raw", "outcome", "message", "response", "created_at")
_SCAN_RECORD = Prepared(insert(ScanRecord).values({f: bindparam("b_" + f) for f in _SCAN_FIELDS}))
# An operation comes with its job and part (every answer about it names them) and, for an outside
# process, its vendor (named too; a lazy load of it cost more than the join on every operation).
_OPERATION_WITH = (joinedload(JobOperation.job).joinedload(Job.part), joinedload(JobOperation.vendor))
# What each record of the context is loaded with: what every answer about it names.
_SHOWN_WITH = {
    Job: (joinedload(Job.part),),
    JobOperation: _OPERATION_WITH,
    StockUnit: (joinedload(StockUnit.lot).joinedload(MaterialLot.material),),
    FinishedGoodsLot: (),
}
_PERSON_BY_BADGE = Prepared(select(*(getattr(User, f) for f in _PERSON_FIELDS))
                            .where(User.badge == bindparam("b_value")))
# A person and, last, their PIN's hash: read only for a person who signs in with a PIN.
_PERSON_WITH_PIN = Prepared(select(*(getattr(User, f) for f in _PERSON_FIELDS), User.pin_hash)
                            .where(User.id == bindparam("b_value")))
_JOB_BY_NUMBER = _by(Job, Job.number, joinedload(Job.part))
_OPERATION = (select(JobOperation).join(Job)
              .where(Job.number == bindparam("b_number"), JobOperation.seq == bindparam("b_seq"))
              .options(*_OPERATION_WITH))
_UNIT_BY_CODE = _by(StockUnit, StockUnit.code, joinedload(StockUnit.lot).joinedload(MaterialLot.material))
_BIN_BY_CODE = _by(Location, Location.code)
_BIN_CODE = Prepared(select(Location.code).where(Location.id == bindparam("b_value")))  # a bar's bin, to name it
_FG_BY_CODE = _by(FinishedGoodsLot, FinishedGoodsLot.code)
_SCAN_BY_UID = _by(ScanRecord, ScanRecord.uid)
_RECENT = Prepared(select(*(getattr(ScanRecord, f) for f in ScanLine._fields))
                   .where(ScanRecord.station_id == bindparam("b_value"))
                   .order_by(desc(ScanRecord.id)).limit(bindparam("b_limit")))


def _one(session: Session, statement, value):
    return session.scalar(statement, {"b_value": value})


# --- the station's state ---------------------------------------------------------------------

@dataclass
class State:
    """A station's state row as one scan reads and changes it: plain values, written back with one
    UPDATE when the scan changed them (the ORM's unit of work costs more than the whole statement)."""
    station_id: int
    operator_id: int | None
    job_id: int | None
    job_operation_id: int | None
    stock_unit_id: int | None
    fg_lot_id: int | None
    pending: str | None
    data: str | None
    updated_at: object
    as_read: tuple = field(default=(), repr=False, compare=False)
    last_scan: LastScan | None = field(default=None, repr=False, compare=False)  # the station's scan before this one

    def values(self) -> tuple:
        return (self.operator_id, self.job_id, self.job_operation_id, self.stock_unit_id, self.fg_lot_id,
                self.pending, self.data)

    def restore(self) -> None:
        """Back to the state as it was read: what a refused scan leaves."""
        (self.operator_id, self.job_id, self.job_operation_id, self.stock_unit_id, self.fg_lot_id,
         self.pending, self.data) = self.as_read


class LastScan(NamedTuple):
    """The station's previous scan, read with its state."""
    raw: str
    outcome: str
    created_at: datetime
    response: str | None


class StationRef(NamedTuple):
    """The station a scan came from, read with its state in the scan's first query: what recording
    and showing the scan need (loading it as a Station object would cost more than the query)."""
    id: int
    code: str
    name: str


class Person(NamedTuple):
    """Who is signed in at the station, read with its state: what the shop floor's checks and the
    answer ask of a user."""
    id: int
    name: str
    badge: str
    role: str
    active: bool

    def has_role(self, *roles: str) -> bool:
        return role_allows(self.role, roles)


def _load_state(session: Session, token: str) -> tuple[StationRef | None, State | None, Person | None]:
    """The active station registered with this token, its state and its signed-in operator, locked
    for this scan (PostgreSQL row lock; SQLite holds the write lock). All None for no such station."""
    row = _STATE.first(session, {"b_token": token})
    if row is None:
        return None, None, None
    if row[_STATE_COLUMNS.start] is None:  # the station's first scan
        _NEW_STATE.write(session, {"b_station": row[0], "b_now": utcnow()})
        row = _STATE.first(session, {"b_token": token})
    state = State(*row[_STATE_COLUMNS])
    state.as_read = state.values()
    if row[_LAST_SCAN_COLUMNS.start] is not None:
        state.last_scan = LastScan._make(row[_LAST_SCAN_COLUMNS])
    operator = Person._make(row[_PERSON_COLUMNS]) if row[_PERSON_COLUMNS.start] is not None else None
    return StationRef._make(row[_STATION_COLUMNS]), state, operator


def _save_state(session: Session, state: State) -> None:
    """Write the state back if the scan changed it; updated_at follows only a real change."""
    if state.values() == state.as_read:
        return
    state.updated_at = utcnow()
    _SAVE_STATE.write(session, {"b_station": state.station_id, "b_now": state.updated_at,
                                **dict(zip(_STATE_BINDS, state.values()))})
    state.as_read = state.values()


def read_state(session: Session, station: StationRef | Station) -> StationState | None:
    return session.get(StationState, station.id)


class _Flow:
    """One scan's work on one station's state."""

    def __init__(self, session: Session, station: StationRef, state: State, operator: Person | None,
                 scan_uid: str, undo_window: int):
        self.session = session
        self.station = station
        self.state = state
        self.scan_uid = scan_uid
        self.undo_window = undo_window
        self.data = _decode(state.data)
        self.operator = operator
        # The records in context (job, operation, bar, FG lot), each loaded once in the scan: its
        # steps and the answer's panels, rendered after the commit, show the same objects.
        self.context: dict[type, object] = {}

    def _get(self, model, ident):
        if ident is None:
            return None
        found = self.context.get(model)
        if found is None or found.id != ident:
            found = self.context[model] = self.session.get(model, ident, options=_SHOWN_WITH[model])
        return found

    # context helpers
    @property
    def job(self) -> Job | None:
        return self._get(Job, self.state.job_id)

    @property
    def op(self) -> JobOperation | None:
        return self._get(JobOperation, self.state.job_operation_id)

    @property
    def unit(self) -> StockUnit | None:
        return self._get(StockUnit, self.state.stock_unit_id)

    @property
    def fg_lot(self) -> FinishedGoodsLot | None:
        return self._get(FinishedGoodsLot, self.state.fg_lot_id)

    def expect(self, pending: str | None, **collected) -> None:
        self.state.pending = pending
        if pending is None:
            # Attachments chosen beside the scan field wait for the receipt or ship-out they belong to.
            self.data = {k: v for k, v in self.data.items() if k in ("coc", "expected_back", *KEPT_BY_CLEAR)}
        self.data.update({k: str(v) for k, v in collected.items()})

    def clear(self, keep_operator: bool = True) -> None:
        self.state.job_id = self.state.job_operation_id = None
        self.state.stock_unit_id = self.state.fg_lot_id = None
        self.state.pending = None
        # Wrong PINs are counted at the station whoever signs in or out meanwhile.
        self.data = {k: v for k, v in self.data.items() if k in KEPT_BY_CLEAR}
        if not keep_operator:
            self.state.operator_id = None
            self.operator = None

    def save(self) -> None:
        self.state.data = json.dumps(self.data) if self.data else None
        _save_state(self.session, self.state)

    def person_with_pin(self, user_id: int) -> tuple[Person | None, str | None]:
        """The person and their PIN's hash (None when they have none), for the PIN step."""
        row = _PERSON_WITH_PIN.first(self.session, {"b_value": user_id})
        return (Person._make(row[:-1]), row[-1]) if row is not None else (None, None)

    def person_by_badge(self, badge: str) -> Person | None:
        row = _PERSON_BY_BADGE.first(self.session, {"b_value": badge})
        return Person._make(row) if row is not None else None

    def who(self) -> dict:
        return {"user": self.operator, "station": self.station}

    def may(self, action: str) -> None:
        shopfloor.require_role(self.operator, action)

    # the scan
    def handle(self, scan: Scan) -> Answer:
        # "Already signed in" is remembered for the very next scan only.
        badge_again_at = stored_moment(self.data.pop(BADGE_AGAIN_AT, None))
        if scan.kind == grammar.EMPTY:
            return Answer(WAITING, "Nothing was scanned", next_step=expected_next(self.session, self.state, self.data))
        if scan.kind == grammar.BADGE:
            return scan_badge(self, scan, badge_again_at)
        if self.state.pending == SIGN_IN_PIN:  # before anything that would repeat what was typed
            return STEPS[SIGN_IN_PIN].handle(self, scan)
        if scan.kind == grammar.UNKNOWN:
            raise Refused(f"{scan.code or 'That'} is not a code Spex knows.", UNKNOWN_HINT)
        if self.operator is None:
            raise Refused("Nobody is signed in at this station.", "Scan your badge (EMP-…) first.")
        if scan.kind == grammar.COMMAND:
            if scan.code == codes.CMD_CANCEL:
                self.clear()
                return Answer(WAITING, "Cleared", "Job, bar and pending command are cleared.",
                              next_step=expected_next(self.session, self.state, self.data))
            if scan.code == codes.CMD_SIGN_OUT:
                return sign_out(self)
            if scan.code == codes.CMD_UNDO:
                return self.undo()
        if self.state.pending:
            answer = self.continue_pending(scan)
            if answer is not None:
                return answer
            if not _starts_something(scan):
                raise _out_of_place(scan, expected_next(self.session, self.state, self.data)
                                    + " — or CMD-CANCEL to start over.")
            # A new job, bar, lot or command starts over: the half-finished one is dropped.
            self.expect(None)
        return self.start(scan)

    def undo(self) -> Answer:
        reversals = shopfloor.undo_last(self.session, user=self.operator, station=self.station,
                                        window_seconds=self.undo_window, scan_uid=self.scan_uid)
        self.expect(None)
        return Answer(DONE, "Taken back: " + _taken_back(self.session, reversals),
                      "Undone by a reversing entry; the first one stays in the ledger beside it.",
                      next_step=expected_next(self.session, self.state, self.data))

    def read_twice(self, last: LastScan) -> Answer:
        """A scanner's second read of the same label: nothing is done again, and the answer says what
        the first read did."""
        first = _decode(last.response)
        if first.get("headline") == READ_TWICE:  # a third read: the first read's words, as the second said them
            counted = first.get("detail", "")
        else:
            counted = f"Counted once: {first.get('headline') or grammar.clean(last.raw)}."
        return Answer(WAITING, READ_TWICE, counted, next_step=expected_next(self.session, self.state, self.data))

    # a scan that begins something
    def start(self, scan: Scan) -> Answer:
        kind = scan.kind
        if kind == grammar.LOT:
            return self.start_pull(scan)
        if kind == grammar.OPERATION:
            op = self.find_operation(scan)
            if op is not None:
                return self.take_operation(op)
            return self.take_job(self.find_job(f"{scan.value}-{scan.op_seq}", scan.code))
        if kind == grammar.JOB:
            return self.take_job(self.find_job(scan.value, scan.code))
        if kind == grammar.FG:
            self.may("ship")
            lot = self.find_fg(scan)
            return self.take_fg(lot)
        if kind == grammar.QUANTITY:
            return self.quantity_at_operation(scan)
        if kind == grammar.COMMAND:
            return self.command(scan)
        if kind == grammar.BIN:
            raise Refused(f"{scan.code} on its own does nothing.",
                          "To put finished pieces away scan CMD-FG first; to return a remnant, CMD-RETURN.")
        if kind == grammar.VENDOR:
            raise Refused(f"{scan.code}: the vendor comes from the job's routing.",
                          "Scan the outside operation (JOB-…-op), then CMD-SHIP-OUT or CMD-RECEIVE.")
        raise _out_of_place(scan, expected_next(self.session, self.state, self.data))

    def command(self, scan: Scan) -> Answer:
        code = scan.code
        if code == codes.CMD_DONE:
            job = self.job
            self.clear()
            return Answer(WAITING, f"Finished with job {job.number}" if job else "Ready",
                          next_step=expected_next(self.session, self.state, self.data))
        if code == codes.CMD_RETURN:
            self.may("remnant")
            self.state.stock_unit_id = None
            self.expect(RETURN_LOT)
            return self.waiting("Remnant return")
        if code == codes.CMD_SHIP:
            self.may("ship")
            fg = self.fg_lot
            self.expect(SHIP_QTY if fg else SHIP_FG)
            return self.waiting("Ship finished goods")
        if code == codes.CMD_FG:
            self.may("fg_receipt")
            job = self.need_job("put finished pieces away")
            waiting = int(ledger.balance(self.session, ledger.job_item(job.id), ledger.finished(job.id)))
            if waiting == 0:
                raise Refused(f"No finished pieces of job {job.number} are waiting.",
                              "Complete its last operation first.")
            self.expect(FG_QTY)
            return self.waiting(f"To finished goods: job {job.number}", f"{waiting} finished pcs waiting.")
        if code == codes.CMD_RELEASE:
            self.may("release_hold")
            job = self.need_job("release a hold")
            hold = self.open_hold(job)
            self.expect(RELEASE_DISPOSITION, hold=hold.id)
            reason = codes.HOLD_REASONS.get(hold.reason_code, hold.reason_code)
            return self.waiting(f"Release hold: {hold.quantity} pcs of job {job.number} at op {hold.operation.seq}",
                                f"Held for: {reason}.")
        if code == codes.CMD_HOLD:
            self.may("hold")
            op = self.hold_operation()
            self.state.job_operation_id = op.id
            self.expect(HOLD_QTY)
            return self.waiting(f"Quality hold at op {op.seq} of job {op.job.number}",
                                f"{shopfloor.available_at(self.session, op)} pcs at this operation.")
        if code == codes.CMD_SCRAP:
            self.may("scrap")
            op = self.need_operation("report scrap")
            self.expect(SCRAP_QTY)
            return self.waiting(f"Scrap at op {op.seq} of job {op.job.number}")
        if code in (codes.CMD_SHIP_OUT, codes.CMD_RECEIVE):
            action = "ship_out" if code == codes.CMD_SHIP_OUT else "receive_back"
            self.may(action)
            op = self.need_operation("ship out" if action == "ship_out" else "receive back")
            if not op.is_outside:
                where = op.work_center.name if op.work_center else "in house"
                raise Refused(f"Op {op.seq} of job {op.job.number} ({op.description}) is done in house at {where}.",
                              "Scan the outside operation of the job (JOB-…-op), or the good quantity here.")
            vendor = op.vendor.name if op.vendor else "the vendor"
            if action == "ship_out":
                self.expect(SHIP_OUT_QTY)
                back = self.expected_back(op)
                return self.waiting(f"Ship out op {op.seq} of job {op.job.number} to {vendor}",
                                    f"{shopfloor.available_at(self.session, op)} pcs ready to go; expected back "
                                    f"{back:%a %d %b} (change it beside the scan field if the vendor said otherwise).")
            out = shopfloor.at_vendor(self.session, op)
            if out == 0:
                raise Refused(f"Nothing of job {op.job.number} op {op.seq} is out at {vendor}.",
                              "Ship it out first (CMD-SHIP-OUT), or scan another job.")
            self.expect(RECEIVE_QTY)
            return self.waiting(f"Receive op {op.seq} of job {op.job.number} back from {vendor}",
                                f"{out} pcs are at the vendor. Scan CMD-DONE first to close the shipment short.")
        raise Refused(f"{code} does not fit here.", expected_next(self.session, self.state, self.data))

    def expected_back(self, op: JobOperation) -> date:
        """When the pieces should come back: as set at the station, or the routing's turnaround."""
        chosen = self.data.get("expected_back")
        if chosen:
            return date.fromisoformat(chosen)
        return shopfloor.due_back(op)

    def waiting(self, headline: str, detail: str = "") -> Answer:
        return Answer(WAITING, headline, detail, next_step=self.next_step())

    def next_step(self) -> str:
        """In words, the scan the station now waits for."""
        return expected_next(self.session, self.state, self.data)

    # pending steps: None means "not a scan this step takes"
    def continue_pending(self, scan: Scan) -> Answer | None:
        step = STEPS.get(self.state.pending)
        if step is None:  # a pending command this version does not know: start over with this scan
            self.expect(None)
            return self.start(scan)
        return step.handle(self, scan)

    # starting points
    def start_pull(self, scan: Scan) -> Answer:
        self.may("pull")
        unit = self.find_unit(scan)
        place, left = ledger.location_of(self.session, ledger.unit_item(unit.id))
        if place is None:
            raise Refused(f"{unit.barcode} is empty or used up.", "Scan another bar (LOT-…).")
        self.clear()
        self.state.stock_unit_id = unit.id
        self.expect(PULL_JOB)
        bin = Location.barcode_of(_BIN_CODE.scalar(self.session, {"b_value": ledger.parse_key(place).id}))
        return self.waiting(f"Bar {unit.barcode}: {ledger.format_qty(left)} {unit.lot.material.unit} left",
                            f"{unit.lot.material.label}, heat {unit.lot.heat_number}, in {bin}.")

    def take_operation(self, op: JobOperation) -> Answer:
        job = op.job
        self.state.job_id, self.state.job_operation_id = job.id, op.id
        self.state.stock_unit_id = self.state.fg_lot_id = None
        self.expect(None)
        if op.is_outside:
            vendor = op.vendor.name if op.vendor else "a vendor"
            return self.waiting(f"Job {job.number} op {op.seq}: {op.description} at {vendor}",
                                f"{shopfloor.available_at(self.session, op)} pcs ready to ship, "
                                f"{shopfloor.at_vendor(self.session, op)} at the vendor.")
        if self.operator.has_role(*codes.ACTION_ROLES["complete"]):
            shopfloor.start_operation(self.session, op, **self.who())
        available = shopfloor.available_at(self.session, op)
        answer = self.waiting(f"Job {job.number} op {op.seq}: {op.description}",
                              f"Part {job.part.label}. {available} pcs here; {op.qty_good} of {job.quantity} done.")
        answer.available = available
        holds = shopfloor.open_holds(self.session, job)
        if holds:
            answer.warnings.append(f"Job {job.number} has {len(holds)} open quality hold(s): "
                                   "completions wait for an inspector's release.")
        return answer

    def take_job(self, job: Job) -> Answer:
        self.state.job_id, self.state.job_operation_id = job.id, None
        self.state.stock_unit_id = self.state.fg_lot_id = None
        self.expect(None)
        finished = int(ledger.balance(self.session, ledger.job_item(job.id), ledger.finished(job.id)))
        detail = f"Part {job.part.label}, {job.quantity} pcs, {job.status}."
        if finished:
            detail += f" {finished} finished pcs waiting for CMD-FG."
        return self.waiting(f"Job {job.number}", detail)

    def take_fg(self, lot: FinishedGoodsLot) -> Answer:
        place, on_hand = shopfloor.fg_location(self.session, lot)
        if place is None:
            raise Refused(f"{lot.barcode} is empty: it was shipped already.", "Scan another FG lot.")
        release, line = self.release_for(lot)
        self.clear()
        self.state.fg_lot_id = lot.id
        self.expect(SHIP_QTY)
        return self.waiting(f"Ship {lot.barcode}: {on_hand} pcs of {lot.part.label}",
                            f"Next due: {release_words(release, line)}.")

    def quantity_at_operation(self, scan: Scan) -> Answer:
        op = self.op
        if op is None:
            if self.job is not None:
                raise Refused(f"{scan.code}: which operation of job {self.job.number}?",
                              "Scan the operation line of the traveler (JOB-…-op) first.")
            raise Refused(f"A quantity ({scan.code}) on its own records nothing.",
                          "Scan a job operation (JOB-…-op) or a bar (LOT-…) first.")
        if op.is_outside:
            vendor = op.vendor.name if op.vendor else "a vendor"
            raise Refused(f"Op {op.seq} of job {op.job.number} is an outside process at {vendor}.",
                          "Scan CMD-SHIP-OUT or CMD-RECEIVE before the quantity.")
        pieces = pieces_of(scan)
        done = shopfloor.complete_operation(self.session, op, pieces, scan_uid=self.scan_uid, **self.who())
        job = op.job
        onward = f"on to op {done.following.seq}" if done.following else "finished: put them away with CMD-FG"
        return Answer(DONE, f"{pieces} good at op {op.seq} of job {job.number}",
                      f"{op.qty_good} of {job.quantity} done at op {op.seq}, {done.left_here} still here; "
                      f"pieces go {onward}.",
                      next_step=expected_next(self.session, self.state, self.data), available=done.left_here)

    # look-ups and requirements
    def find_job(self, number: str, code: str) -> Job:
        job = _one(self.session, _JOB_BY_NUMBER, number)
        if job is None:
            raise Refused(f"There is no job {code}.", "Check the traveler and scan again.")
        self.context[Job] = job
        return job

    def find_operation(self, scan: Scan) -> JobOperation | None:
        # The job and part come in the same query: every answer about an operation names them.
        op = self.session.scalar(_OPERATION, {"b_number": scan.value, "b_seq": scan.op_seq})
        if op is not None:
            self.context[JobOperation], self.context[Job] = op, op.job
        return op

    def find_unit(self, scan: Scan) -> StockUnit:
        unit = _one(self.session, _UNIT_BY_CODE, scan.value)
        if unit is None:
            raise Refused(f"There is no bar or plate {scan.code}.", "Check the label, or scan another bar.")
        self.context[StockUnit] = unit
        return unit

    def find_bin(self, scan: Scan) -> Location:
        bin = _one(self.session, _BIN_BY_CODE, scan.value)
        if bin is None or not bin.active:
            raise Refused(f"There is no bin {scan.code}.", "Scan the label on the bin.")
        return bin

    def find_fg(self, scan: Scan) -> FinishedGoodsLot:
        lot = _one(self.session, _FG_BY_CODE, scan.value)
        if lot is None:
            raise Refused(f"There is no finished-goods lot {scan.code}.", "Check the carton label.")
        self.context[FinishedGoodsLot] = lot
        return lot

    def need_job(self, doing: str) -> Job:
        job = self.job
        if job is None:
            raise Refused(f"Which job? Scan it to {doing}.", "Scan the job traveler (JOB-…) first.")
        return job

    def need_operation(self, doing: str) -> JobOperation:
        op = self.op
        if op is None:
            raise Refused(f"Which operation? Scan it to {doing}.",
                          "Scan the operation line of the traveler (JOB-…-op) first.")
        return op

    def hold_operation(self) -> JobOperation:
        """The operation in context, or for a whole job the first operation with pieces waiting."""
        op = self.op
        if op is not None:
            return op
        job = self.need_job("place a hold")
        places = ledger.balances_of(self.session, ledger.job_item(job.id))
        for candidate in job.operations:
            if places.get(ledger.at_operation(candidate.id), 0) > 0:
                return candidate
        raise Refused(f"No pieces of job {job.number} are waiting at an operation.",
                      "Scan the operation line (JOB-…-op) where the pieces are.")

    def open_hold(self, job: Job) -> QualityHold:
        holds = shopfloor.open_holds(self.session, job)
        op = self.op
        if op is not None:
            holds = [h for h in holds if h.job_operation_id == op.id] or holds
        if not holds:
            raise Refused(f"Job {job.number} has no open quality hold.", "Scan the job that is on hold.")
        return holds[0]

    def release_for(self, lot: FinishedGoodsLot) -> tuple[Release | None, object]:
        """What a shipment of this lot goes against: the earliest open release or call-off of the
        job's order lines for this part, or a ship-complete line."""
        lines = [line for line in lot.job.order_lines if line.part_id == lot.part_id]
        releases = [r for line in lines for r in line.releases if r.shipped_qty < r.quantity]
        if releases:
            release = min(releases, key=lambda r: (r.due_date, r.id))
            return release, release.line
        open_lines = [line for line in lines if line.shipped_qty < line.quantity and line.strategy == "ship_complete"]
        if open_lines:
            return None, open_lines[0]
        raise Refused(f"{lot.barcode} has no open order release or call-off to ship against.",
                      "Ask the office to add the release or call-off to the order.")


# --- the entry points the route calls ---------------------------------------------------------

def earlier_answer(session: Session, scan_uid: str) -> ScanRecord | None:
    """The record of a scan already handled, when a request is resent."""
    return _one(session, _SCAN_BY_UID, scan_uid)


def is_resend(record: ScanRecord, station: StationRef | Station, raw: str) -> bool:
    """Whether a request carrying a recorded scan's id is that scan sent again: the same code
    (as the grammar reads it) from the same station. Anything else only reused the id. A PIN is kept
    only as a mask, so a resent PIN is known by its station alone."""
    if record.station_id != station.id:
        return False
    return record.raw == PIN_MASK or grammar.clean(record.raw) == grammar.clean(grammar.printable(raw))


def is_read_twice(last: LastScan | None, raw: str, window_ms: int, gap_ms: int | None) -> bool:
    """A scanner's double read: the station's previous scan was the same code, less than the window
    before. The gap is the station script's own, between the two reads, when it sends one (a scan
    that waited in its queue, offline or behind a slow answer, was still read when it was read);
    otherwise the shop clock's, since the previous scan was recorded. A refused scan read twice is
    simply refused again: its refusal stays on screen."""
    if last is None or window_ms <= 0 or last.outcome == REFUSED:
        return False
    if grammar.clean(last.raw) != grammar.clean(grammar.printable(raw)):
        return False
    if gap_ms is None:
        gap_ms = (utcnow() - last.created_at).total_seconds() * 1000
    return 0 <= gap_ms < window_ms


def interpret(session: Session, station_token: str, raw: str, scan_uid: str, *, undo_window: int,
              double_read_ms: int = 0, read_gap_ms: int | None = None) -> Answer:
    """Handle one scan at the station registered with this token: change its context and record
    through the shop floor, or refuse with nothing written. The answer names the station; an answer
    without one means no active station has that token. The same code read again within
    double_read_ms (a scanner's double read) does nothing and says so. Raises
    spex.ledger.DuplicateScan when the same scan id raced past the check; the caller rolls back and
    replays the first answer."""
    station, state, operator = _load_state(session, station_token)
    if station is None:
        return Answer(REFUSED, UNREGISTERED, next_step=UNREGISTERED_NEXT)
    scan = grammar.parse(raw)
    flow = _Flow(session, station, state, operator, scan_uid, undo_window)
    signed_in = state.operator_id
    # What may be a PIN is not kept: anything typed while one is awaited, and digits typed while
    # nobody is signed in (a PIN typed after a refused badge or after the wait ran out).
    secret = ((state.pending == SIGN_IN_PIN and scan.kind in MAY_BE_A_PIN)
              or (state.operator_id is None and scan.kind == grammar.QUANTITY))
    try:
        if is_read_twice(state.last_scan, raw, double_read_ms, read_gap_ms):
            answer = flow.read_twice(state.last_scan)
        else:
            answer = flow.handle(scan)
        flow.save()
        session.flush()
    except ledger.DuplicateScan:
        raise
    except (Refused, ledger.LedgerError) as refusal:
        # Nothing of a refused scan stays: roll the whole transaction back, then take the write
        # lock again for the record of the refusal (a savepoint on every scan would cost more).
        session.rollback()
        ledger.begin_write(session)
        state.restore()
        return Answer(REFUSED, refusal.message, next_step=_after_refusal(session, state, refusal),
                      operator_id=signed_in, station=station, state=state, operator=operator, secret=secret)
    answer.secret = secret
    answer.operator_id = state.operator_id
    answer.operator = flow.operator
    answer.context = Context(flow.job, flow.op, flow.unit, flow.fg_lot)
    answer.state = state
    answer.station = station
    if answer.available is None and state.job_operation_id is not None:
        # The panels show the pieces at the operation in context: counted now, in this transaction,
        # rather than in another one after the commit.
        answer.available = shopfloor.available_at(session, flow.op)
    return answer


def remember(session: Session, station: StationRef | Station, raw: str, scan_uid: str, answer: Answer) -> ScanLine:
    """Keep the scan and its answer: a resent request finds it and gets the same answer."""
    shown_raw = PIN_MASK if answer.secret else (grammar.printable(raw) or "(empty)")
    line = ScanLine(scan_uid, utcnow(), shown_raw, answer.outcome,
                    (answer.headline + (f" — {answer.detail}" if answer.detail else ""))[:2000])
    shown = {"headline": answer.headline, "detail": answer.detail, "next_step": answer.next_step,
             "warnings": answer.warnings}
    # One INSERT; a resent scan id meets the unique key here, and the caller replays the first answer.
    _SCAN_RECORD.insert(session, {"b_uid": line.uid, "b_station_id": station.id, "b_user_id": answer.operator_id,
                                  "b_raw": line.raw, "b_outcome": line.outcome, "b_message": line.message,
                                  "b_response": json.dumps(shown), "b_created_at": line.created_at})
    return line


def stored_answer(record: ScanRecord) -> Answer:
    """The answer a recorded scan was given, to show again when its request is resent."""
    shown = _decode(record.response)
    return Answer(record.outcome, shown.get("headline", record.message), shown.get("detail", ""),
                  next_step=shown.get("next_step", ""), warnings=list(shown.get("warnings", [])),
                  operator_id=record.user_id)


def attach_coc(session: Session, station: Station, filename: str) -> Answer:
    """A vendor's certificate of conformance goes with the station's next receipt."""
    _, state, _ = _load_state(session, station.token)
    if state is None or state.operator_id is None:
        return Answer(REFUSED, "Nobody is signed in at this station.", next_step="Scan your badge (EMP-…) first.")
    data = _decode(state.data)
    data["coc"] = filename
    state.data = json.dumps(data)
    _save_state(session, state)
    return Answer(WAITING, "CoC attached", "It goes with the next receipt at this station.",
                  next_step=expected_next(session, state, data))


def set_expected_back(session: Session, station: Station, text: str) -> Answer:
    """The vendor's promised return date for the station's next ship-out, instead of the routing's."""
    _, state, _ = _load_state(session, station.token)
    if state is None or state.operator_id is None:
        return Answer(REFUSED, "Nobody is signed in at this station.", next_step="Scan your badge (EMP-…) first.")
    try:
        chosen = date.fromisoformat((text or "").strip())
    except ValueError:
        return Answer(REFUSED, "That is not a date.", next_step="Choose the date the vendor promised.")
    today = shoptime.today()
    if not today <= chosen <= today + timedelta(days=366):
        return Answer(REFUSED, "The expected return must be between today and a year from now.",
                      next_step="Choose the date the vendor promised.")
    data = _decode(state.data)
    data["expected_back"] = chosen.isoformat()
    state.data = json.dumps(data)
    _save_state(session, state)
    return Answer(WAITING, f"Expected back {chosen:%a %d %b}", "It goes with the next ship-out at this station.",
                  next_step=expected_next(session, state, data))


RECENT_SCANS = 10


def recent_scans(session: Session, station: StationRef | Station, limit: int = RECENT_SCANS) -> list[ScanLine]:
    """The station's last scans: time, what was scanned, outcome and message (no stored answers)."""
    return [ScanLine._make(row) for row in _RECENT.rows(session, {"b_value": station.id, "b_limit": limit})]


def describe(session: Session, station: StationRef | Station, answer: Answer | None = None) -> StationView:
    """The station's context for the page. After a scan, what the scan read and left (its state, who
    is signed in, the pieces it counted at the operation) is shown as it is, not read again."""
    refused_step = None
    context = answer.context if answer is not None else None
    if answer is not None and answer.state is not None:
        state, operator, available = answer.state, answer.operator, answer.available
        if answer.outcome == REFUSED:
            # The station's one next step after a refusal: what to do now, the answer's.
            refused_step = answer.next_step or None
    else:
        state = read_state(session, station)
        operator = session.get(User, state.operator_id) if state is not None and state.operator_id else None
        available = None
    if state is None:
        return StationView(station, None, None, None, None, None, None, None, {}, "Scan your badge (EMP-…) to sign in.",
                           None)
    data = _decode(state.data)
    if context is None:
        context = Context(*(session.get(model, ident) if ident else None for model, ident in (
            (Job, state.job_id), (JobOperation, state.job_operation_id), (StockUnit, state.stock_unit_id),
            (FinishedGoodsLot, state.fg_lot_id))))
    op = context.operation
    if available is None and op is not None:
        available = shopfloor.available_at(session, op)
    return StationView(
        station=station,
        operator=operator,
        job=context.job,
        operation=op,
        unit=context.unit,
        fg_lot=context.fg_lot,
        pending=state.pending,
        pending_name=STEPS[state.pending].name if state.pending in STEPS else None,
        collected={k: v for k, v in data.items()
                   if k in ("quantity", "length", "coc", "close_short", "expected_back")},
        expected=refused_step or expected_next(session, state, data),
        available=available,
    )


def expected_next(session: Session, state: State | StationState, data: dict) -> str:
    """In words, the scan the station waits for."""
    if state.operator_id is None:
        if state.pending == SIGN_IN_PIN:
            return STEPS[SIGN_IN_PIN].prompt
        return "Scan your badge (EMP-…) to sign in."
    step = STEPS.get(state.pending)
    if step is not None:
        return step.prompt
    if state.job_operation_id:
        op = session.get(JobOperation, state.job_operation_id)
        if op is not None and op.is_outside:
            return "Scan CMD-SHIP-OUT or CMD-RECEIVE, or the next job."
        return "Scan the good quantity, or CMD-SCRAP / CMD-HOLD, or the next job."
    if state.job_id:
        return "Scan an operation of the job (JOB-…-op), or CMD-HOLD, CMD-RELEASE, CMD-FG."
    return "Scan a job operation (JOB-…-op), a bar (LOT-…), an FG lot (FG-…) or a command."


# --- small helpers ------------------------------------------------------------------------------

def _after_refusal(session: Session, state: State, refusal: Exception) -> str:
    """What to do now, after a refused scan changed nothing: the refusal's own remedy when it has one
    (another bar, an inspector's badge...), else the step the station still waits for; and while a
    command is half done, how to drop it, since it still waits."""
    remedy = getattr(refusal, "next_step", "") or expected_next(session, state, _decode(state.data))
    step = STEPS.get(state.pending)
    if state.operator_id is not None and step is not None and codes.CMD_CANCEL not in remedy:
        remedy = f"{remedy.rstrip('.')}, or {codes.CMD_CANCEL} to drop the {step.name.lower()}."
    return remedy


def _decode(text: str | None) -> dict:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _starts_something(scan: Scan) -> bool:
    return scan.kind in (grammar.LOT, grammar.JOB, grammar.OPERATION, grammar.FG) or (
        scan.kind == grammar.COMMAND and scan.code != codes.CMD_DONE)


def _out_of_place(scan: Scan, next_step: str) -> Refused:
    """The refusal for a scan the station does not wait for: a word that names no reason or
    disposition is a code Spex does not know, whatever the station waits for."""
    if scan.kind == grammar.WORD and not grammar.is_known_word(scan.value):
        return Refused(f"{scan.code} is not a code Spex knows.", UNKNOWN_HINT)
    return Refused(f"{_describe_scan(scan)} does not fit here.", next_step)


def _describe_scan(scan: Scan) -> str:
    names = {grammar.QUANTITY: "A quantity", grammar.BIN: "A bin", grammar.LOT: "A bar", grammar.JOB: "A job",
             grammar.OPERATION: "A job operation", grammar.FG: "An FG lot", grammar.VENDOR: "A vendor code",
             grammar.REASON: "A reason code", grammar.DISPOSITION: "A disposition", grammar.COMMAND: scan.code}
    name = names.get(scan.kind)
    return f"{name} ({scan.code})" if name and name != scan.code else (name or scan.code)


def _taken_back(session: Session, reversals: list) -> str:
    """What an undo took back, in the shop's words: "10 good at op 20 of job 24014"."""
    undone = sorted((r.reverses for r in reversals), key=lambda e: e.scan_seq)

    def fg_receipt_of(entry, kind: str) -> bool:
        return entry.kind == ledger.FG_RECEIPT and ledger.parse_key(entry.item).kind == kind

    # A finished-goods receipt is two entries (off the job, into the lot): the lot's says it all.
    if any(fg_receipt_of(e, "fg") for e in undone):
        undone = [e for e in undone if not fg_receipt_of(e, "job")]
    return "; ".join(_undone_words(session, e) for e in undone)


def _undone_words(session: Session, entry) -> str:
    amount = ledger.format_qty(entry.quantity)
    kind = entry.kind
    op = session.get(JobOperation, entry.job_operation_id) if entry.job_operation_id else None
    at = f"op {op.seq} of job {op.job.number}" if op is not None else ""
    if kind == ledger.COMPLETE:
        return f"{amount} good at {at}"
    if kind == ledger.SCRAP:
        return f"{amount} short at {at}" if entry.reason == "SHORT" else f"{amount} scrapped at {at}"
    if kind == ledger.HOLD:
        return f"the hold on {amount} pcs at {at}"
    if kind == ledger.SHIP_OUT:
        vendor = op.vendor.name if op is not None and op.vendor else "the vendor"
        return f"{amount} pcs shipped out to {vendor} from {at}"
    if kind == ledger.RECEIVE_BACK:
        return f"{amount} pcs received back at {at}"
    item = ledger.parse_key(entry.item)
    if kind == ledger.PULL:
        unit = session.get(StockUnit, item.id)
        job = session.get(Job, entry.job_id) if entry.job_id else None
        return f"{amount} {entry.unit} of {unit.barcode}" + (f" from job {job.number}" if job else "")
    if kind == ledger.REMNANT:
        return f"remnant {session.get(StockUnit, item.id).barcode} ({amount} {entry.unit})"
    if kind == ledger.FG_RECEIPT:
        if item.kind == "fg":
            lot = session.get(FinishedGoodsLot, item.id)
            return f"{amount} pcs of job {lot.job.number} into {lot.barcode}"
        return f"{amount} finished pcs of job {session.get(Job, item.id).number}"
    if kind == ledger.SHIP:
        return f"{amount} pcs of {session.get(FinishedGoodsLot, item.id).barcode} shipped"
    return f"{kind.replace('_', ' ')} of {amount} {entry.unit}"


class Recorded(NamedTuple):
    """What became of a scan: its answer and the line it added (the answer names no station when no
    active station has the token), or the earlier record that carries its scan id."""
    answer: Answer | None = None
    record: ScanLine | None = None
    earlier: ScanRecord | None = None


def record_scan(session: Session, station_token: str, raw: str, scan_uid: str, *, undo_window: int,
                double_read_ms: int = 0, read_gap_ms: int | None = None) -> Recorded:
    """Handle and keep one scan in one writer's transaction (spex.transactions: the write lock, the
    commit, one retry). Nothing is read before the write lock: every station queues on it, and the
    scan's first query finds the station by its token together with its state. A resent scan id is
    not looked up first either: the unique scan id of the scan record (and of its ledger entries)
    refuses it, the whole transaction rolls back, and the earlier record is returned for the caller
    to answer as the first time. Resends are rare; the look-up was on every scan. Raises
    spex.transactions.LostTheRace when another station's write met this one twice."""
    def work(session: Session) -> Recorded:
        answer = interpret(session, station_token, raw, scan_uid, undo_window=undo_window,
                           double_read_ms=double_read_ms, read_gap_ms=read_gap_ms)
        if answer.station is None:  # the token names no active station
            session.rollback()
            return Recorded(answer)
        return Recorded(answer, remember(session, answer.station, raw, scan_uid, answer))

    def resent(session: Session) -> Recorded | None:
        earlier = earlier_answer(session, scan_uid)
        return None if earlier is None else Recorded(earlier=earlier)

    return transactions.write_transaction(session, work, resent=resent)

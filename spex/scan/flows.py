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
from datetime import date, timedelta
from typing import NamedTuple

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from spex import codes, ledger, shopfloor, shoptime, transactions
from spex.models import (FinishedGoodsLot, Job, JobOperation, Location, MaterialLot, QualityHold, Release, ScanRecord,
                         Station, StockUnit, utcnow)
from spex.scan import grammar, starts
from spex.scan.starts import UNKNOWN_HINT
from spex.scan.answers import REFUSED, WAITING, Answer, Context, Refused
from spex.scan.grammar import Scan
# Names the station's routes and tests know from here.
from spex.scan.state import (LastScan, Person, ScanLine, State, StationRef, decode, load_state,  # noqa: F401
                             person_by_badge, person_with_pin, read_state, save_state, scan_by_uid, write_scan_record)
from spex.scan.steps import STEPS, stored_moment
from spex.scan.steps.count import COUNT_CANCELLED, COUNTING, leave as leave_count
from spex.scan.steps.goods import SHIP_QTY, release_words
# PIN_WAIT and PIN_LOCKOUT are named here too, as the station's rules the tests read.
from spex.scan.steps.sign_in import (BADGE_AGAIN_AT, KEPT_BY_CLEAR, MAY_BE_A_PIN, PIN_LOCKOUT, PIN_MASK, PIN_WAIT,
                                     SIGN_IN_PIN, refused_badge, scan_badge, sign_out)
from spex.scan.steps.undo import undo
from spex.scan.view import RECENT_SCANS, StationView, describe, expected_next, recent_scans  # noqa: F401

UNREGISTERED = "This browser is not registered as a station."
UNREGISTERED_NEXT = "Ask an administrator to register it; nothing was recorded."
READ_TWICE = "Read twice, counted once"

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
# The look-ups of what a scan names, written once (building a statement costs more than running it).
_JOB_BY_NUMBER = select(Job).where(Job.number == bindparam("code")).options(*_SHOWN_WITH[Job])
_OPERATION = (select(JobOperation).join(Job)
              .where(Job.number == bindparam("number"), JobOperation.seq == bindparam("seq"))
              .options(*_OPERATION_WITH))
_UNIT_BY_CODE = select(StockUnit).where(StockUnit.code == bindparam("code")).options(*_SHOWN_WITH[StockUnit])
_BIN_BY_CODE = select(Location).where(Location.code == bindparam("code"))
_FG_BY_CODE = select(FinishedGoodsLot).where(FinishedGoodsLot.code == bindparam("code"))
# The context's records by id, with what they are shown with, written once too: `session.get` with
# options builds its statement and cache key on every call (about a third of a scan's ORM time).
_BY_ID = {model: select(model).where(model.id == bindparam("id")).options(*options)
          for model, options in _SHOWN_WITH.items()}


class _Flow:
    """One scan's work on one station's state."""

    def __init__(self, session: Session, station: StationRef, state: State, operator: Person | None,
                 scan_uid: str, undo_window: int):
        self.session = session
        self.station = station
        self.state = state
        self.scan_uid = scan_uid
        self.undo_window = undo_window
        self.data = decode(state.data)
        self.operator = operator
        # The records in context (job, operation, bar, FG lot), each loaded once in the scan: its
        # steps and the answer's panels, rendered after the commit, show the same objects.
        self.context: dict[type, object] = {}
        self.scan: Scan | None = None  # the scan being handled
        self.notices: list[str] = []  # what the scan ended on the way (a count left unfinished), for its answer

    def _get(self, model, ident):
        if ident is None:
            return None
        found = self.context.get(model)
        if found is None or found.id != ident:
            found = self.context[model] = self.session.scalar(_BY_ID[model], {"id": ident})
            if model is JobOperation and found is not None:
                self.context.setdefault(Job, found.job)  # loaded with it
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
        if pending is None:
            self.leave_count()
        self.state.pending = pending
        if pending is None:
            # Attachments chosen beside the scan field wait for the receipt or ship-out they belong to.
            self.data = {k: v for k, v in self.data.items() if k in ("coc", "expected_back", *KEPT_BY_CLEAR)}
        self.data.update({k: str(v) for k, v in collected.items()})

    def clear(self, keep_operator: bool = True) -> None:
        self.leave_count()
        self.state.job_id = self.state.job_operation_id = None
        self.state.stock_unit_id = self.state.fg_lot_id = None
        self.state.pending = None
        # Wrong PINs are counted at the station whoever signs in or out meanwhile.
        self.data = {k: v for k, v in self.data.items() if k in KEPT_BY_CLEAR}
        if not keep_operator:
            self.state.operator_id = None
            self.operator = None

    def leave_count(self) -> None:
        """A count the station is in ends cancelled when the station leaves it; its answer says so."""
        if self.state.pending in COUNTING and self.scan is not None:
            self.notices += filter(None, [leave_count(self, self.scan)])

    def save(self) -> None:
        self.state.data = json.dumps(self.data) if self.data else None
        save_state(self.session, self.state)

    def person_with_pin(self, user_id: int) -> tuple[Person | None, str | None]:
        return person_with_pin(self.session, user_id)

    def person_by_badge(self, badge: str) -> Person | None:
        return person_by_badge(self.session, badge)

    def who(self) -> dict:
        return {"user": self.operator, "station": self.station}

    def may(self, action: str) -> None:
        shopfloor.require_role(self.operator, action)

    # the scan
    def handle(self, scan: Scan) -> Answer:
        self.scan = scan
        answer = self._handle(scan)
        answer.warnings[:0] = [f"{words}. {COUNT_CANCELLED}" for words in self.notices]  # a count it left
        return answer

    def _handle(self, scan: Scan) -> Answer:
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
                headline, detail = ((self.notices.pop(), COUNT_CANCELLED) if self.notices  # the count it cancelled
                                    else ("Cleared", "Job, bar and pending command are cleared."))
                return Answer(WAITING, headline, detail, next_step=expected_next(self.session, self.state, self.data))
            if scan.code == codes.CMD_SIGN_OUT:
                return sign_out(self)
            if scan.code == codes.CMD_UNDO:
                return undo(self)
        if self.state.pending:
            answer = self.continue_pending(scan)
            if answer is not None:
                return answer
            if not _starts_something(scan):
                raise starts.out_of_place(scan, expected_next(self.session, self.state, self.data)
                                    + " — or CMD-CANCEL to start over.")
            # A new job, bar, lot or command starts over: the half-finished one is dropped.
            self.expect(None)
        return starts.start(self, scan)

    def read_twice(self, last: LastScan) -> Answer:
        """A scanner's second read of the same label: nothing is done again, and the answer says what
        the first read did."""
        first = decode(last.response)
        if first.get("headline") == READ_TWICE:  # a third read: the first read's words, as the second said them
            counted = first.get("detail", "")
        else:
            counted = f"Counted once: {first.get('headline') or grammar.clean(last.raw)}."
        return Answer(WAITING, READ_TWICE, counted, next_step=expected_next(self.session, self.state, self.data))

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
            return starts.start(self, scan)
        return step.handle(self, scan)

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

    # look-ups and requirements
    def find_job(self, number: str, code: str) -> Job:
        job = self.session.scalar(_JOB_BY_NUMBER, {"code": number})
        if job is None:
            raise Refused(f"There is no job {code}.", "Check the traveler and scan again.")
        self.context[Job] = job
        return job

    def find_operation(self, scan: Scan) -> JobOperation | None:
        # The job and part come in the same query: every answer about an operation names them.
        op = self.session.scalar(_OPERATION, {"number": scan.value, "seq": scan.op_seq})
        if op is not None:
            self.context[JobOperation], self.context[Job] = op, op.job
        return op

    def find_unit(self, scan: Scan) -> StockUnit:
        unit = self.session.scalar(_UNIT_BY_CODE, {"code": scan.value})
        if unit is None:
            raise Refused(f"There is no bar or plate {scan.code}.", "Check the label, or scan another bar.")
        self.context[StockUnit] = unit
        return unit

    def find_bin(self, scan: Scan) -> Location:
        bin = self.session.scalar(_BIN_BY_CODE, {"code": scan.value})
        if bin is None or not bin.active:
            raise Refused(f"There is no bin {scan.code}.", "Scan the label on the bin.")
        return bin

    def find_fg(self, scan: Scan) -> FinishedGoodsLot:
        lot = self.session.scalar(_FG_BY_CODE, {"code": scan.value})
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
    return scan_by_uid(session, scan_uid)


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
    station, state, operator = load_state(session, station_token)
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
        if scan.kind == grammar.BADGE and (state.operator_id is not None or state.pending is not None):
            return refused_badge(flow, refusal, signed_in)
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
    write_scan_record(session, line, station.id, answer.operator_id, json.dumps(shown))
    return line


def stored_answer(record: ScanRecord) -> Answer:
    """The answer a recorded scan was given, to show again when its request is resent."""
    shown = decode(record.response)
    return Answer(record.outcome, shown.get("headline", record.message), shown.get("detail", ""),
                  next_step=shown.get("next_step", ""), warnings=list(shown.get("warnings", [])),
                  operator_id=record.user_id)


def attach_coc(session: Session, station: Station, filename: str) -> Answer:
    """A vendor's certificate of conformance goes with the station's next receipt."""
    _, state, _ = load_state(session, station.token)
    if state is None or state.operator_id is None:
        return Answer(REFUSED, "Nobody is signed in at this station.", next_step="Scan your badge (EMP-…) first.")
    data = decode(state.data)
    data["coc"] = filename
    state.data = json.dumps(data)
    save_state(session, state)
    return Answer(WAITING, "CoC attached", "It goes with the next receipt at this station.",
                  next_step=expected_next(session, state, data))


def set_expected_back(session: Session, station: Station, text: str) -> Answer:
    """The vendor's promised return date for the station's next ship-out, instead of the routing's."""
    _, state, _ = load_state(session, station.token)
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
    data = decode(state.data)
    data["expected_back"] = chosen.isoformat()
    state.data = json.dumps(data)
    save_state(session, state)
    return Answer(WAITING, f"Expected back {chosen:%a %d %b}", "It goes with the next ship-out at this station.",
                  next_step=expected_next(session, state, data))


# --- small helpers ------------------------------------------------------------------------------

def _after_refusal(session: Session, state: State, refusal: Exception) -> str:
    """What to do now, after a refused scan changed nothing: the refusal's own remedy when it has one
    (another bar, an inspector's badge...), else the step the station still waits for; and while a
    command is half done, how to drop it, since it still waits."""
    remedy = getattr(refusal, "next_step", "") or expected_next(session, state, decode(state.data))
    step = STEPS.get(state.pending)
    if state.operator_id is not None and step is not None and codes.CMD_CANCEL not in remedy:
        remedy = f"{remedy.rstrip('.')}, or {codes.CMD_CANCEL} to drop the {step.name.lower()}."
    return remedy


def _starts_something(scan: Scan) -> bool:
    return scan.kind in (grammar.LOT, grammar.JOB, grammar.OPERATION, grammar.FG, grammar.RELEASE,
                         grammar.ORDER_LINE) or (
        scan.kind == grammar.COMMAND and scan.code != codes.CMD_DONE)


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

"""What the station page shows: its context (who, which job, operation, bar or lot, what it waits
for) and its last scans."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from spex import shopfloor
from spex.models import FinishedGoodsLot, Job, JobOperation, Station, StationState, StockUnit, User
from spex.scan.answers import REFUSED, Answer, Context
from spex.scan.state import Person, ScanLine, State, StationRef, decode, read_state, recent_lines
from spex.scan.steps import STEPS
from spex.scan.steps.sign_in import SIGN_IN_PIN


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


RECENT_SCANS = 10


def recent_scans(session: Session, station: StationRef | Station, limit: int = RECENT_SCANS) -> list[ScanLine]:
    """The station's last scans: time, what was scanned, outcome and message (no stored answers)."""
    return recent_lines(session, station.id, limit)


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
    data = decode(state.data)
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
    return ("Scan a job operation (JOB-…-op), a bar (LOT-…), an FG lot (FG-…), a release or order line to ship "
            "(REL-… or LINE-…) or a command.")


"""Masters room: a part's routing template — its operations in order, moved and removed.

Jobs copy the routing into their own operations when they are created, so nothing in the ledger
points at a routing step: a step may really be deleted, and edits do not change running jobs.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from spex.masters.catalog import STEP_KINDS
from spex.masters.fields import shown
from spex.models import Part, RoutingStep

SEQ_STEP = 10


@dataclass
class StepLine:
    """One operation as the part page lists it."""

    id: int
    seq: int
    kind: str
    description: str
    place: str
    times: str
    first: bool
    last: bool


def steps_of(session: Session, part: Part) -> list[RoutingStep]:
    return list(session.scalars(select(RoutingStep).where(RoutingStep.part_id == part.id)
                                .options(selectinload(RoutingStep.work_center), selectinload(RoutingStep.vendor))
                                .order_by(RoutingStep.seq)))


def step_lines(session: Session, part: Part) -> list[StepLine]:
    steps = steps_of(session, part)
    lines = []
    for index, step in enumerate(steps):
        if step.kind == "outside":
            place = f"{step.vendor.code} · {step.vendor.name}" if step.vendor else ""
            times = f"{step.turnaround_days} days turnaround"
        else:
            place = f"{step.work_center.code} · {step.work_center.name}" if step.work_center else ""
            times = f"setup {shown(step.setup_min)} min, run {shown(step.run_min_per_piece)} min/pc"
        lines.append(StepLine(step.id, step.seq, STEP_KINDS.get(step.kind, step.kind), step.description, place, times,
                              index == 0, index == len(steps) - 1))
    return lines


def next_seq(session: Session, part: Part) -> int:
    highest = session.scalar(select(func.max(RoutingStep.seq)).where(RoutingStep.part_id == part.id)) or 0
    return (highest // SEQ_STEP + 1) * SEQ_STEP


def move_step(session: Session, part: Part, step: RoutingStep, direction: str) -> bool:
    """Swap an operation with its neighbour above or below; the numbers 10, 20, 30 stay in order."""
    steps = steps_of(session, part)
    index = next(i for i, s in enumerate(steps) if s.id == step.id)
    other_index = index - 1 if direction == "up" else index + 1
    if not 0 <= other_index < len(steps):
        return False
    other = steps[other_index]
    mine, theirs = step.seq, other.seq
    # (part, seq) is unique and checked per statement, so one of them steps aside first.
    step.seq = -mine
    session.flush()
    other.seq = mine
    session.flush()
    step.seq = theirs
    session.flush()
    return True


def remove_step(session: Session, step: RoutingStep) -> None:
    session.delete(step)
    session.flush()

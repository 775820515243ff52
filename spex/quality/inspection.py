"""The inspector's bench: a disposition given on an NCR's page, and the inspector's work list
(open holds and NCRs, and jobs waiting at an inspection operation)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from spex import codes, ledger, shopfloor
from spex.models import Balance, Job, JobOperation, NonConformance, OPEN_STATUSES, Part, User, WorkCenter
from spex.quality import ncrs


# Where a rework goes, as the NCR page's form says it: the operation held at, op:<id> of one before
# it, or a new rework operation added to the job.
REWORK_HERE, REWORK_NEW = "", "new"


def rework_targets(ncr: NonConformance) -> list[tuple[str, str]]:
    """The choices of where reworked pieces go, (form value, words), the operation held at first."""
    hold = ncr.hold
    choices = [(REWORK_HERE, f"Op {hold.operation.seq} {hold.operation.description} (where they were held)")]
    choices += [(f"op:{o.id}", f"Op {o.seq} {o.description}") for o in reversed(shopfloor.rework_choices(hold))
                if o.id != hold.job_operation_id]
    return choices + [(REWORK_NEW, f"A new rework operation after op {hold.operation.seq}")]


def decide(session: Session, ncr: NonConformance, disposition: str, note: str | None, *, user: User,
           rework_target: str | None = None) -> None:
    """The inspector's disposition on the NCR: the hold is released through the floor's own verb, so
    the pieces go where the disposition says (and the NCR records who decided)."""
    if not ncr.is_open:
        raise ncrs.NcrError(f"{ncr.number} is closed.")
    if not ncr.hold.is_open:
        raise ncrs.NcrError(f"The hold of {ncr.number} was already released "
                            f"({ncr.disposition or ncr.hold.disposition or 'undone'}).")
    target = (rework_target or "").strip()
    rework_to, add_rework = None, False
    if disposition == codes.REWORK and target:
        if target not in {value for value, _ in rework_targets(ncr)}:
            raise ncrs.NcrError("Choose where the pieces are reworked from the list.")
        add_rework = target == REWORK_NEW
        if not add_rework:
            rework_to = session.get(JobOperation, int(target.partition(":")[2]))
    shopfloor.release_hold(session, ncr.hold, disposition, user=user, note=(note or "").strip()[:2000] or None,
                           rework_to=rework_to, add_rework=add_rework)


@dataclass
class WaitingAtInspection:
    job: str
    part: str
    seq: int
    description: str
    work_center: str
    pieces: int


def waiting_at_inspection(session: Session, limit: int = 50) -> list[WaitingAtInspection]:
    """Open jobs with pieces waiting at an operation of an inspection work center, most pieces first."""
    rows = session.execute(
        select(Job.number, Part.number, JobOperation.seq, JobOperation.description, WorkCenter.name,
               Balance.quantity)
        .join(JobOperation, JobOperation.job_id == Job.id)
        .join(WorkCenter, WorkCenter.id == JobOperation.work_center_id)
        .join(Part, Part.id == Job.part_id)
        .join(Balance, (Balance.item == ledger.key_sql(ledger.JOB_KEY, Job.id))
              & (Balance.place == ledger.key_sql(ledger.OPERATION_KEY, JobOperation.id)))
        .where(WorkCenter.kind == "inspection", Job.status.in_(OPEN_STATUSES), Balance.quantity > 0)
        .order_by(Balance.quantity.desc(), Job.number).limit(limit)).all()
    return [WaitingAtInspection(job, part, seq, description, center, int(pieces))
            for job, part, seq, description, center, pieces in rows]


def inspector_work(session: Session) -> dict:
    open_reports = ncrs.listed(session, ncrs.Filters(status="open"), limit=100)
    return {"ncrs": open_reports, "awaiting_disposition": [n for n in open_reports if n.hold.is_open],
            "waiting": waiting_at_inspection(session)}

"""The kept board brought up to date by reading again only the jobs a change touched.

Most changes of the shop are a scan: a few new ledger entries, each naming its job. When the board's
version (spex/wip/board.py, board_version()) moved only in its highest ledger entry, the jobs those
entries name, and any job that joined or left the open shop, are read again (load_board(only=...),
the same queries narrowed to them); every other job is the kept one. The whole shop is then
scheduled again, most urgent first, exactly as a fresh load does: one job's new pieces move every
job behind it at its work centers. Anything else moving in the version (a job added, a hold, a
shipment, a plan change, a work center's hours) or the shop's day turning means a full load.
"""
from __future__ import annotations

import gc
from contextlib import contextmanager
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from spex.models import Job, LedgerEntry, OPEN_STATUSES
from spex.wip.board import BoardJob, RISK_AT_RISK, RISK_LATE, RISK_OK, load_board
from spex.wip.schedule import schedule

_ORDER = {RISK_LATE: 0, RISK_AT_RISK: 1, RISK_OK: 2}


def ledger_only(old: str, new: str) -> tuple[int, int] | None:
    """(old, new) highest ledger entry id if only that part of the version moved (forward), else None."""
    before, after = old.split("-"), new.split("-")
    if len(before) != len(after) or before[1:] != after[1:]:
        return None
    low, high = int(before[0]), int(after[0])
    return (low, high) if high > low else None


def touched_jobs(session: Session, low: int, high: int, kept_ids: set[int]) -> set[int]:
    """The jobs named by the ledger entries after `low` up to `high`, and those that joined or left
    the open shop since the kept load."""
    touched: set[int] = set()
    rows = session.execute(select(LedgerEntry.job_id, LedgerEntry.item)
                           .where(LedgerEntry.id > low, LedgerEntry.id <= high))
    for job_id, item in rows:
        if job_id is not None:
            touched.add(job_id)
        elif item and item.startswith("job:"):
            touched.add(int(item.partition(":")[2]))
    open_ids = set(session.scalars(select(Job.id).where(Job.status.in_(OPEN_STATUSES))))
    return touched | (open_ids ^ kept_ids)


def _copy(job: BoardJob) -> BoardJob:
    """A copy of a kept job whose operations the schedule may write (the kept ones are shared)."""
    new = object.__new__(BoardJob)
    new.__dict__ = job.__dict__.copy()  # five times as fast as dataclasses.replace() or update()
    ops = []
    for op in job.ops:
        if op.remaining <= 0:
            ops.append(op)  # no work left: the schedule does not touch it
            continue
        copied = object.__new__(type(op))
        copied.__dict__ = op.__dict__.copy()
        ops.append(copied)
    new.ops = ops
    return new


@contextmanager
def no_collection():
    """The cyclic garbage collector paused while a board's tens of thousands of objects are made:
    none of them is garbage yet, and its passes over the growing heap were half the time of a refresh."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def free_after(jobs: list[BoardJob]) -> dict[str, float]:
    """When each work center is free once these (scheduled) jobs' work is done: a work center's
    finishes only grow as the schedule goes down the jobs, so its last is its latest."""
    free: dict[str, float] = {}
    for job in jobs:
        for op in job.ops:
            if op.remaining > 0 and op.kind != "outside":
                key = op.group_key
                free[key] = max(free.get(key, 0.0), op.finish_offset)
    return free


def _urgency(job: BoardJob) -> tuple:
    # A planner's priority comes before the due date, as in load_board().
    return (-job.priority, job.due_date, job.number)


def refresh(session: Session, kept: list[BoardJob], changed: set[int], *, now: datetime,
            today: date) -> list[BoardJob]:
    """The kept board with the `changed` jobs read again and the shop scheduled again from the most
    urgent changed job on: the same jobs, schedule and order as load_board(ages=False) at `now`.

    The jobs more urgent than every changed one keep their kept schedule (nothing ahead of them
    moved; the schedule goes down the jobs in order); the rest are scheduled again, as copies (the
    kept jobs are shared with the requests reading them), starting from when each work center is
    free after the unchanged ones."""
    fresh = {j.id: j for j in load_board(session, now=now, only=changed, ages=False, scheduled=False)} if changed else {}
    before = sorted(kept, key=_urgency)
    known = {j.id for j in kept}
    jobs = [fresh.get(j.id, j) for j in before if j.id not in changed or j.id in fresh]
    jobs.extend(j for jid, j in fresh.items() if jid not in known)
    jobs.sort(key=_urgency)
    same = 0
    while same < len(jobs) and same < len(before) and jobs[same] is before[same]:
        same += 1
    rest = [j if j.id in fresh else _copy(j) for j in jobs[same:]]
    # Every field the schedule writes is written again for every job and every operation with work
    # left; an operation without work left keeps the empty projection it was loaded with.
    schedule(rest, today, free_after(jobs[:same]))
    jobs[same:] = rest
    jobs.sort(key=lambda j: (_ORDER[j.risk], *_urgency(j)))
    return jobs

"""Late risk on the WIP board: the open shop's remaining work scheduled forward on each work
center's hours, most urgent job first, and the words a person reads for the outcome."""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from spex.shoptime import add_workdays, workdays_between

if TYPE_CHECKING:  # the board's rows; the board imports this module
    from spex.wip.board import BoardJob, BoardOp

# Slack (working days between projected finish and due date) below which a job is "at risk".
RISK_SLACK_DAYS = 2

RISK_LATE = "late"
RISK_AT_RISK = "at_risk"
RISK_OK = "ok"
RISK_TEXT = {RISK_LATE: "LATE", RISK_AT_RISK: "AT RISK", RISK_OK: "ON TIME"}


def risk_words(risk: str, slack_days: int | None, past_due: bool) -> str:
    """What a person reads: already past its due date, or due later but projected to miss it by N
    working days, or at risk, or on time. (The job JSON keeps the plain level and its fixed text.)"""
    if past_due:
        return "PAST DUE"
    if risk == RISK_LATE and slack_days is not None and slack_days < 0:
        return f"LATE +{-slack_days}d"
    return RISK_TEXT[risk]


def op_work_days(op: BoardOp) -> float:
    """Working days the rest of an operation needs: setup unless already started, run for what remains."""
    if op.remaining <= 0:
        return 0.0
    if op.kind == "outside":
        # Turnaround is in calendar days; five working days make a week.
        return op.turnaround_days * 5 / 7
    minutes = (op.setup_min if op.good == 0 else 0) + op.run_min_per_piece * op.remaining
    return minutes / 60 / op.hours_per_day


_CALENDARS: dict[date, tuple[dict[int, date], dict[tuple[date, date], int]]] = {}


def _calendar(today: date) -> tuple[dict[int, date], dict[tuple[date, date], int]]:
    """The working days counted from `today` so far, kept between schedules of the same day (the
    calendar is fixed; the shop is scheduled again after every change): the last day's only."""
    kept = _CALENDARS.get(today)
    if kept is None:
        _CALENDARS.clear()
        kept = _CALENDARS[today] = ({}, {})
    return kept


def schedule(jobs: list[BoardJob], today: date, free_at: dict[str, float] | None = None) -> None:
    """Forward-schedule the remaining work, most urgent job first, one job at a time per work center.

    A deliberately simple finite-capacity model: a job's operations run one after another, each
    in-house operation waits for its work center to finish the more urgent jobs' work, outside
    operations take their turnaround (or until the promised return date when pieces are out).
    Good enough to say "op 20 starts Tuesday" and to flag jobs that cannot make their date.
    free_at: when each work center is free (working days from today) after the more urgent jobs
    already scheduled, when only the rest of the shop is scheduled again (spex/wip/incremental.py).
    """
    free_at = dict(free_at or {})
    dates, counts = _calendar(today)

    def between(start: date, end: date) -> int:
        # Five thousand jobs' finishes and due dates are a few hundred distinct pairs.
        found = counts.get((start, end))
        if found is None:
            found = counts[start, end] = workdays_between(start, end)
        return found

    def day(offset: float) -> date:
        # Thousands of operations land on a few hundred distinct days.
        whole = int(offset)
        found = dates.get(whole)
        if found is None:
            found = dates[whole] = add_workdays(today, whole)
        return found

    for job in jobs:
        t = 0.0
        for op in job.ops:
            if op.remaining <= 0:
                continue
            if op.kind == "outside":
                start = t
                finish = start + op_work_days(op)
                promised = [s.expected_back for s in job.shipments if s.seq == op.seq and s.expected_back]
                if promised:
                    finish = max(start, float(max(0, between(today, max(promised)))))
            else:
                key = "wc:" + (op.work_center_code or "-")  # op.group_key, without its call
                start = max(t, free_at.get(key, 0.0))
                finish = start + op_work_days(op)
                free_at[key] = finish
            op.projected_start = day(start)
            op.projected_finish = day(finish)
            op.finish_offset = finish
            t = finish
        job.projected_finish = day(t)
        job.slack_days = between(job.projected_finish, job.due_date)
        job.past_due = job.due_date < today
        if job.projected_finish > job.due_date:
            job.risk = RISK_LATE
        elif job.slack_days < RISK_SLACK_DAYS:
            job.risk = RISK_AT_RISK
        else:
            job.risk = RISK_OK

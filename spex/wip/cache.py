"""The open shop as the board sees it, loaded and scheduled once per change of the shop.

Late risk is a forward schedule of every open job (a job waits behind the more urgent ones at each
work center), so it cannot be worked out for one screen's jobs alone; at a few thousand open jobs it
is most of a board render. board_version() is one cheap query whose answer moves with every ledger
entry, job, hold, shipment, plan change and work center's hours: the schedule is kept under that
token (and the shop's date) and worked out again only when it moves. When only new ledger entries
moved it (a scan), only the jobs they name are read again and the shop is scheduled again from the
most urgent of them on (spex/wip/incremental.py); anything else is a full load.

Kept per application, so per process: each gunicorn worker holds its own copy and reads the version
from the database at every render, so no worker serves another's stale board. The jobs kept are
shared between requests and never changed after they are made; the one thing about them that moves
with the clock alone, how long pieces have sat, is worked out again for the rows a screen shows
(aged()).
"""
from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime

from flask import current_app
from sqlalchemy.orm import Session

from spex import shoptime
from spex.shoptime import working_hours_between
from spex.wip.board import BoardJob, age_class, board_version, load_board
from spex.wip.incremental import ledger_only, no_collection, refresh, touched_jobs

EXTENSION = "spex.open_board"
# On PostgreSQL an entry may commit after one with a higher id (scans in flight at once): a refresh
# also reads again the jobs of this many entries before the last kept one, more than the requests in
# flight at once write; and every so many refreshes the shop is read whole.
LATE_ENTRIES = 32
FULL_EVERY = 50


class OpenBoard:
    """The last loaded board and the (version, date) it was loaded for; swapped whole under a lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple | None = None
        self._jobs: list[BoardJob] = []
        self.loads = 0  # how many times the shop was read and scheduled (tests and the bench read it)
        self.refreshes = 0  # how many of those read again only the jobs a change touched
        self.chain = 0  # refreshes since the last full load

    def get(self, key: tuple) -> list[BoardJob] | None:
        with self._lock:
            return self._jobs if self._key == key else None

    def last(self) -> tuple[tuple | None, list[BoardJob]]:
        with self._lock:
            return self._key, self._jobs

    def put(self, key: tuple, jobs: list[BoardJob], *, refreshed: bool = False) -> None:
        with self._lock:
            self._key, self._jobs = key, jobs
            self.loads += 1
            self.refreshes += refreshed
            self.chain = self.chain + 1 if refreshed else 0


def kept() -> OpenBoard:
    """This application's kept board (made on first use)."""
    return current_app.extensions.setdefault(EXTENSION, OpenBoard())


def open_board(session: Session, *, now: datetime, version: str | None = None) -> list[BoardJob]:
    """Every open job, scheduled and in the board's order, as load_board() gives them — read from
    the database only when the shop has changed since the last time (or the shop's day has turned).

    The jobs kept carry no ages (an age moves with the clock alone): use aged() on the jobs a screen shows."""
    version = version if version is not None else board_version(session)
    key = (version, shoptime.local_date(now))
    board = kept()
    jobs = board.get(key)
    if jobs is None:
        # Two requests may both load after a change; either answer is right, the later one is kept.
        last_key, last_jobs = board.last()
        moved = ledger_only(last_key[0], version) if last_key is not None and last_key[1] == key[1] else None
        if moved is not None and board.chain < FULL_EVERY:
            # Only new ledger entries: read again the jobs they name, keep the rest (spex/wip/incremental.py).
            with no_collection():
                changed = touched_jobs(session, moved[0] - LATE_ENTRIES, moved[1], {j.id for j in last_jobs})
                jobs = refresh(session, last_jobs, changed, now=now, today=key[1])
            board.put(key, jobs, refreshed=True)
        else:
            with no_collection():
                jobs = load_board(session, now=now, ages=False)
            board.put(key, jobs)
    return jobs


def aged(job: BoardJob, now: datetime) -> BoardJob:
    """The job with its pieces' age at `now` (a copy: the kept job is shared between requests)."""
    times = [op.last_activity_at for op in job.current_ops if op.last_activity_at is not None]
    hours = working_hours_between(min(times), now) if times else None
    return replace(job, age_hours=hours, age_class=age_class(hours))


def risk_by_job(session: Session, *, now: datetime) -> dict[int, BoardJob]:
    """Each open job's place in the kept schedule, by job id: what a list of jobs shows its risk badge
    from (spex/templates/_risk.html), so "late" means on every list what it means on the board."""
    return {job.id: job for job in open_board(session, now=now)}

"""A scan's write transaction: the queue for the write lock, the writer's BEGIN, the commit, the lock
let go the moment the database has committed, one retry when another station's write met this one,
and a resent scan handed back to the caller, which answers it as the first time."""
from __future__ import annotations

import fcntl
import logging
import os
from typing import Callable, TypeVar

from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from spex import database, ledger

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

# Where the session keeps the handle of the scan lock it holds (Session.info is its own per session).
_LOCK = "spex_scan_lock"


class LostTheRace(Exception):
    """Both attempts met another station's write at the same moment; nothing of the work stayed."""


def write_transaction(session: Session, work: Callable[[Session], T], *,
                      resent: Callable[[Session], R | None]) -> T | R:
    """Run work(session) as one writer's transaction and commit it; return what the work returned.

    On a unique key the work met (or spex.ledger.DuplicateScan), everything is rolled back and
    resent(session) is asked whether the request was already handled: what it returns (not None) is
    returned instead. Otherwise, and when PostgreSQL ended the transaction to let another one through
    (a deadlock or a serialization conflict), the work is done again, once; a second such collision
    raises LostTheRace. The work may roll back itself to write nothing.

    What the work loaded and wrote stays loaded after the commit (the session does not expire it):
    the caller's answer shows it without reading it all again.
    """
    session.expire_on_commit = False
    for attempt in (1, 2):
        if session.in_transaction():
            session.commit()  # no read may span the wait for the lock
        try:
            _queue_for_the_write_lock(session)
            ledger.begin_write(session)
            try:
                result = work(session)
                if session.in_transaction():
                    session.commit()  # the lock goes as the commit returns (_release_once_committed)
                return result
            except (IntegrityError, ledger.DuplicateScan):
                session.rollback()
                release_write_lock(session)
                earlier = resent(session)
                if earlier is not None:
                    return earlier
                # Not a resend: another station's write met this one on a unique key (PostgreSQL,
                # where scans of different stations run side by side), say both chose the next
                # finished-goods lot number. Nothing of this work stayed, so it is simply done again.
                log.warning("write met a unique key (attempt %d)", attempt, exc_info=True)
            except DBAPIError as error:
                if not database.lost_a_race(error):
                    raise
                # PostgreSQL ended this transaction to let another station's through. Nothing of it
                # stayed: it is done again, once, as above.
                session.rollback()
                log.warning("write lost a race (attempt %d): %s", attempt, error.orig)
        finally:
            release_write_lock(session)  # at the latest: an unexpected error must not keep the queue waiting
    raise LostTheRace()


def _queue_for_the_write_lock(session: Session) -> None:
    """On SQLite, writers wait their turn on a kernel file lock before the database's write lock.

    SQLite makes a writer that finds the database locked poll with growing sleeps (1, 2, 5, 10...
    up to 100 ms), which gives busy stations long, unfair waits; a file lock wakes the next one
    the moment the previous one commits. PostgreSQL needs none of this (row locks queue fairly).
    """
    path = database.sqlite_file(session.get_bind())
    if path is None:
        return
    # The pool's connection and SQLAlchemy's side of the transaction are taken while this writer
    # waits, not while it holds the lock; the database's BEGIN comes once its turn has come.
    connection = session.connection(execution_options={database.BEGIN_WHEN_QUEUED: True})
    handle = os.open(path + ".scan-lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(handle, fcntl.LOCK_EX)
    session.info[_LOCK] = handle
    database.begin_immediate(connection)


def release_write_lock(session: Session) -> None:
    """Let the next writer in, if this session holds the file lock."""
    handle = session.info.pop(_LOCK, None)
    if handle is not None:
        fcntl.flock(handle, fcntl.LOCK_UN)
        os.close(handle)


@event.listens_for(Session, "after_commit")
def _release_once_committed(session: Session) -> None:
    # After the database has committed and before the session hands its connection back to the pool
    # (a reset on every return): the next station need not wait for that. A savepoint's commit (a
    # remnant's label, say) is announced too, while the transaction goes on: the lock stays then.
    if _LOCK in session.info and not session.in_nested_transaction():
        release_write_lock(session)

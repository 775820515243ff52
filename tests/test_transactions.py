"""The scan's write transaction below the route: one retry on a collision, a resend handed back, and
the write lock free for the next station on every way out, on the real database."""
import fcntl
import os

import pytest
from sqlalchemy import event, func, select

from spex import database, transactions
from spex.extensions import db
from spex.models import Location


def _bins(session) -> list[str]:
    return sorted(session.scalars(select(Location.code)))


def _add_bin(code):
    def work(session):
        session.add(Location(code=code, name=code, kind="bin"))
        session.flush()
        return code
    return work


def test_a_unique_key_met_once_is_done_again_and_kept_once(session):
    session.add(Location(code="R1-A01", name="taken", kind="bin"))
    session.commit()
    tries = []

    def work(s):
        tries.append(1)
        # The first try meets another station's row on the unique key; the second chooses anew.
        return _add_bin("R1-A01" if len(tries) == 1 else "R1-A02")(s)

    assert transactions.write_transaction(session(), work, resent=lambda s: None) == "R1-A02"
    assert _bins(session) == ["R1-A01", "R1-A02"]


def test_a_resend_gets_the_earlier_record_and_writes_nothing(session):
    session.add(Location(code="R1-A01", name="first", kind="bin"))
    session.commit()
    earlier = transactions.write_transaction(
        session(), _add_bin("R1-A01"),
        resent=lambda s: s.scalar(select(Location.name).where(Location.code == "R1-A01")))
    assert earlier == "first"
    assert session.scalar(select(func.count()).select_from(Location)) == 1


def test_two_collisions_are_refused_with_nothing_kept(session):
    session.add(Location(code="R1-A01", name="taken", kind="bin"))
    session.commit()
    with pytest.raises(transactions.LostTheRace):
        transactions.write_transaction(session(), _add_bin("R1-A01"), resent=lambda s: None)
    assert _bins(session) == ["R1-A01"]


def test_an_unforeseen_error_leaves_the_next_write_free_to_go(app, session):
    def breaks(s):
        _add_bin("R1-A01")(s)
        raise RuntimeError("a fault nobody foresaw")

    with pytest.raises(RuntimeError):
        transactions.write_transaction(session(), breaks, resent=lambda s: None)
    db.session.remove()  # as the request's end does
    lock_file = database.sqlite_file(db.engine)
    if lock_file is not None:  # SQLite: the stations' queue is free (asked without waiting on it)
        handle = os.open(lock_file + ".scan-lock", os.O_RDWR)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(handle, fcntl.LOCK_UN)
        finally:
            os.close(handle)
    # Another station's scan, in its own session: it neither waits forever nor finds the row.
    other = db.session()
    assert transactions.write_transaction(other, _add_bin("R1-A02"), resent=lambda s: None) == "R1-A02"
    assert _bins(db.session) == ["R1-A02"]


def _queue_is_free(lock_file: str) -> bool:
    handle = os.open(lock_file + ".scan-lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    else:
        fcntl.flock(handle, fcntl.LOCK_UN)
        return True
    finally:
        os.close(handle)


def test_the_next_station_may_go_once_the_database_has_committed(app, session):
    lock_file = database.sqlite_file(db.engine)
    if lock_file is None:
        pytest.skip("PostgreSQL queues writers on row locks, not on a file")
    free_at_checkin = []

    def checked_in(dbapi_connection, record):
        free_at_checkin.append(_queue_is_free(lock_file))

    def work(s):
        with s.begin_nested():  # a savepoint's commit, as a remnant's label makes, is not the end
            s.add(Location(code="R1-A00", name="savepoint", kind="bin"))
        assert not _queue_is_free(lock_file)  # held while the work writes
        return _add_bin("R1-A01")(s)

    event.listen(db.engine, "checkin", checked_in)
    try:
        transactions.write_transaction(session(), work, resent=lambda s: None)
    finally:
        event.remove(db.engine, "checkin", checked_in)
    # Committed, and the lock already gone when the connection went back to the pool.
    assert free_at_checkin and all(free_at_checkin)
    assert _bins(session) == ["R1-A00", "R1-A01"]


def test_the_work_holds_the_databases_write_lock_from_its_first_read(app, session):
    """The work reads and then writes on what it read: no other writer may commit in between, so the
    transaction is SQLite's writer (BEGIN IMMEDIATE) before the work's first statement."""
    import sqlite3

    lock_file = database.sqlite_file(db.engine)
    if lock_file is None:
        pytest.skip("PostgreSQL locks the rows the work changes instead")
    answers = []

    def work(s):
        answers.append(s.scalar(select(func.count()).select_from(Location)))
        other = sqlite3.connect(lock_file, timeout=0, isolation_level=None)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        finally:
            other.close()
        return _add_bin("R1-A01")(s)

    transactions.write_transaction(session(), work, resent=lambda s: None)
    assert answers == [0]
    assert _bins(session) == ["R1-A01"]

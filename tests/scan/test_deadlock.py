"""Deadlocks on PostgreSQL. Two servers on one database, two stations on the same operation: one
station completes pieces at the very moment the other undoes its own completion; neither may be
answered 500, and the balances stay equal to the ledger. And when PostgreSQL does end a scan or an
office save to break a deadlock (here one a rival connection makes on purpose), the scan is done
again and recorded, and the office gets a clear "save again" rather than an error page."""
import threading
import time

import pytest
from sqlalchemy import create_engine, func, select, text

from spex import codes, create_app, ledger
from spex.extensions import db
from spex.models import Job, LedgerEntry
from tests.scan.conftest import HttpStation, pieces_at

PAIRS = 25


@pytest.fixture
def rival(app, request):
    """Another connection to the test's PostgreSQL database, for making a deadlock with a request:
    it takes one lock, waits until the request waits for it, then asks for one the request holds.
    Its deadlock_timeout is long, so PostgreSQL's check runs first in the request's backend and the
    request is the one ended."""
    if request.config.getoption("--db") != "postgresql":
        pytest.skip("SQLite has one write lock, not row locks: there is no deadlock to break")
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    watcher = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], isolation_level="AUTOCOMMIT")
    connection = engine.connect()
    connection.execute(text("SET deadlock_timeout = '20s'"))
    connection.commit()
    pid = connection.execute(text("SELECT pg_backend_pid()")).scalar()

    def wait_for_a_waiter(timeout=10.0):
        deadline = time.monotonic() + timeout
        with watcher.connect() as look:
            while time.monotonic() < deadline:
                waiting = look.execute(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND pid <> :pid"), {"pid": pid}).scalar()
                if waiting:
                    return
                time.sleep(0.02)
        raise AssertionError("the request never waited for the rival's lock")

    def then(statement, params):
        """In a thread: once the request waits for the rival, run the statement (it waits for the
        request in turn: a deadlock), then roll the rival back."""
        def run():
            try:
                wait_for_a_waiter()
                connection.execute(text(statement), params)
            finally:
                connection.rollback()

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    connection.then = then
    yield connection
    connection.close()
    engine.dispose()
    watcher.dispose()


def test_a_scan_ended_to_break_a_deadlock_is_done_again_and_recorded(rival, session, make, shop, scan):
    op10, op20 = shop.job.operations[0], shop.job.operations[1]
    scan(shop.operator.barcode)
    scan(f"{shop.job.barcode}-10")
    assert scan("1").outcome == "done"  # both balance rows of the completion exist now
    item = ledger.job_item(shop.job.id)
    first, second = sorted([ledger.at_operation(op10.id), ledger.at_operation(op20.id)])
    # The rival holds the row the completion locks second, and asks for the one it locks first.
    lock = "SELECT 1 FROM balances WHERE item = :item AND place = :place FOR UPDATE"
    rival.execute(text(lock), {"item": item, "place": second})
    thread = rival.then(lock, {"item": item, "place": first})
    answer = scan("4")
    thread.join(timeout=30)
    assert answer.status == 200 and answer.headline == f"4 good at op 10 of job {shop.job.number}"
    session.rollback()
    assert op10.qty_good == 5 and pieces_at(session, op10) == 95
    assert ledger.audit(session) == []


def test_an_office_save_ended_to_break_a_deadlock_says_save_again(rival, client, session, make, login_as):
    login_as(codes.PLANNER)
    job = make.job(release=False)
    make.commit()
    first_op = ledger.at_operation(job.operations[0].id)
    # The rival changes the job's row; the release makes the job's first balance row and then waits
    # to change the job's row; the rival then makes the same balance row: each waits for the other.
    rival.execute(text("UPDATE jobs SET notes = 'rival' WHERE id = :id"), {"id": job.id})
    thread = rival.then("INSERT INTO balances (item, place, quantity, unit, updated_at) "
                        "VALUES (:item, :place, 0, 'pcs', now())",
                        {"item": ledger.job_item(job.id), "place": first_op})
    answer = client.post(f"/plan/jobs/{job.number}/release", headers={"HX-Request": "true"})
    thread.join(timeout=30)
    assert answer.status_code == 409
    assert "nothing of yours was saved" in answer.get_data(as_text=True)
    session.rollback()
    assert session.get(Job, job.id).status == "planned"
    assert session.scalar(select(func.count(LedgerEntry.id)).where(LedgerEntry.job_id == job.id)) == 0
    again = client.post(f"/plan/jobs/{job.number}/release", headers={"HX-Request": "true"})
    assert again.status_code == 200 and "100 pcs wait at op 10" in again.get_data(as_text=True)
    assert ledger.audit(session) == []


@pytest.fixture
def second_server(app, request, start_server):
    """Another Spex server process's worth: its own app, engine and pool, on the same database."""
    if request.config.getoption("--db") != "postgresql":
        pytest.skip("on SQLite every write waits for the one write lock: two scans cannot deadlock")
    other = create_app({key: app.config[key] for key in
                        ("TESTING", "SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "SPEX_UPLOAD_DIR", "SPEX_TIMEZONE")})
    server = start_server(other)
    yield server
    server.stop()
    with other.app_context():
        db.engine.dispose()


def fire_together(*calls):
    """Run the calls in threads released by one barrier; their answers in order."""
    answers = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def run(n):
        barrier.wait()
        answers[n] = calls[n]()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def test_a_completion_and_an_undo_at_once_on_two_servers_never_deadlock(live_server, second_server, session,
                                                                        make, shop):
    op10 = shop.job.operations[0]
    other_operator = make.user(codes.OPERATOR)
    station_a, station_b = make.station(), make.station()
    make.commit()
    a = HttpStation(live_server.url, station_a.token)
    b = HttpStation(second_server.url, station_b.token)
    operation = f"{shop.job.barcode}-10"
    for station, badge in ((a, shop.operator.barcode), (b, other_operator.barcode)):
        assert station(badge).outcome == "done"
        assert station(operation).outcome == "waiting"

    for _ in range(PAIRS):
        assert b("1", gap_ms=2_000).outcome == "done"
        completed, undone = fire_together(lambda: a("1", gap_ms=2_000), lambda: b(codes.CMD_UNDO))
        assert completed.status != 500 and undone.status != 500, (completed.html, undone.html)
        # Each is recorded: the two take their rows in one order, so neither is ended (nor refused).
        assert (completed.status, completed.outcome, undone.status, undone.outcome) == (200, "done", 200, "done")

    session.rollback()  # the servers wrote since this session last read
    assert op10.qty_good == PAIRS and pieces_at(session, op10) == 100 - PAIRS
    assert ledger.audit(session) == []

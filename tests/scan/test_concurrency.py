"""Many stations at once against a real server: what is accepted is what is recorded, nothing goes
negative, no request is answered 500, and one scan id is recorded once however often it arrives."""
import re
import threading
import uuid
from decimal import Decimal

from sqlalchemy import func, select

from spex import codes, ledger
from spex.models import LedgerEntry
from tests.scan.conftest import HttpStation, pieces_at

THREADS = 8
ROUNDS = 12


def test_eight_stations_complete_and_pull_on_the_same_op_and_bar(live_server, session, make, shop):
    job, bar = shop.job, shop.lot.units[0]
    op10 = job.operations[0]
    stations = [make.station() for _ in range(THREADS)]
    operators = [make.user(codes.OPERATOR) for _ in range(THREADS)]
    make.commit()
    clients = [HttpStation(live_server.url, s.token) for s in stations]
    # Codes read here: the worker threads have no application context to load model attributes in.
    badges = [o.barcode for o in operators]
    job_code, op_code, bar_code = job.barcode, f"{job.barcode}-10", bar.barcode
    accepted = {"pieces": 0, "inches": Decimal(0)}
    statuses, problems = [], []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def work(n: int):
        station = clients[n]
        try:
            assert station(badges[n]).outcome == "done"
            start.wait()
            for round_ in range(ROUNDS):
                # 8 stations x 12 rounds x 3 pcs = 288 asked of 100: most of the late ones must be refused.
                answers = [station(op_code), station("3")]
                answers += [station(bar_code), station(job_code), station("2.5")]
                with lock:
                    statuses.extend(a.status for a in answers)
                    if answers[1].outcome == "done":
                        accepted["pieces"] += 3
                    if answers[4].outcome == "done":
                        accepted["inches"] += Decimal("2.5")
        except Exception as exc:  # noqa: BLE001 - reported below with the thread's number
            problems.append(f"station {n}: {exc!r}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    assert not problems, problems
    assert 500 not in statuses and set(statuses) <= {200, 422}
    session.rollback()  # end the test thread's read snapshot: the server wrote since
    assert op10.qty_good == accepted["pieces"] <= 100
    assert pieces_at(session, op10) == 100 - accepted["pieces"]
    pulled = session.scalar(select(func.sum(LedgerEntry.quantity)).where(LedgerEntry.kind == ledger.PULL)) or 0
    assert pulled == accepted["inches"] <= 144
    assert ledger.balance(session, ledger.unit_item(bar.id), ledger.at_location(shop.rack.id)) == 144 - pulled
    assert ledger.audit(session) == []


def test_the_same_scan_id_sent_twice_at_once_records_once(live_server, session, make, shop):
    station = make.station()
    make.commit()
    clients = [HttpStation(live_server.url, station.token) for _ in range(2)]
    assert clients[0](shop.operator.barcode).outcome == "done"
    assert clients[0](f"{shop.job.barcode}-10").outcome == "waiting"
    for attempt in range(5):
        scan_id = f"twice-{attempt}-{uuid.uuid4().hex[:8]}"
        answers = [None, None]
        together = threading.Barrier(2)

        def send(n):
            together.wait()
            # Each round is a new scan of the "4" card, read seconds after the last (not a double read).
            answers[n] = clients[n]("4", scan_id=scan_id, gap_ms=2_000)

        threads = [threading.Thread(target=send, args=(n,)) for n in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert [a.status for a in answers] == [200, 200]
        assert answers[0].headline == answers[1].headline
        assert sorted(a.replayed for a in answers) == [False, True]
        session.rollback()
        assert session.scalar(select(func.count(LedgerEntry.id)).where(LedgerEntry.scan_uid == scan_id)) == 1
    session.rollback()  # end the test thread's read snapshot: the server wrote since
    assert shop.job.operations[0].qty_good == 20
    assert re.search(r"20 of 100 done", answers[0].html)

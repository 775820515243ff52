"""The deadlock pair on PostgreSQL: two gunicorn servers on one database, stations A and B on the same
operation; B completes a piece, then at the same instant A completes one and B undoes its own. Run
from the repository root against a PostgreSQL server (it makes a database of its own and drops it):

    python bench/deadlock_pair.py [--pairs 100] [--workers 2] [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

Passes when no request is answered 500 and the balances equal the ledger; prints the answers, the
scans the servers did again after losing a race (a deadlock PostgreSQL broke), and the slowest pair.
Figures go in bench/README.md, section "Deadlock pair".
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_scan import free_port, stop, wait_until_serving  # noqa: E402  (one way to start and stop a server)

STATION_COOKIE = "spex_station"


def start_gunicorn(env: dict, workers: int, log) -> tuple[subprocess.Popen, str]:
    """Spex under gunicorn as `spex serve` runs it, on a free loopback port; its log to `log`."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "--config", "python:spex.gunicorn_conf",
                                "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
                                "--log-level", "warning", "app:app"],
                               cwd=ROOT, env={**os.environ, **env}, stderr=log)
    return process, wait_until_serving(process, port)


def build_shop(url: str, pieces: int) -> dict:
    """One job of `pieces` pcs with two in-house operations, released; two operators, two stations."""
    from spex import codes, create_app, production
    from spex.cli import upgrade_schema
    from spex.extensions import db
    from spex.models import Customer, Material, Part, RoutingStep, Station, User, WorkCenter

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade_schema()
        s = db.session
        customer = Customer(code="ACME", name="Acme Instruments")
        material = Material(code="303-RD-1.000", grade="303 stainless", form="round bar", size="1.000 dia", unit="in")
        lathe = WorkCenter(code="LATHE1", name="Lathe 1", kind="lathe")
        mill = WorkCenter(code="MILL1", name="Mill 1", kind="mill")
        s.add_all([customer, material, lathe, mill])
        s.flush()
        part = Part(customer=customer, number="P-100", rev="A", material=material, bar_length_per_piece=1.25)
        part.routing = [RoutingStep(seq=10, kind="inhouse", work_center=lathe, description="Turn"),
                        RoutingStep(seq=20, kind="inhouse", work_center=mill, description="Mill flats")]
        s.add(part)
        s.flush()
        job = production.create_job(s, part, pieces, date.today() + timedelta(days=21))
        production.release_job(s, job)
        people = [User(name=f"Operator {n}", badge=f"1{n:03d}", role=codes.OPERATOR) for n in range(2)]
        stations = [Station(code=f"ST{n}", name=f"Station {n}", token=uuid.uuid4().hex) for n in range(2)]
        s.add_all(people + stations)
        s.commit()
        shop = {"operation": f"{job.barcode}-10", "badges": [p.barcode for p in people],
                "tokens": [st.token for st in stations]}
        db.engine.dispose()
    return shop


def audit(url: str) -> list[str]:
    from spex import create_app, ledger
    from spex.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        problems = ledger.audit(db.session)
        db.engine.dispose()
    return problems


class Station:
    """A station browser over HTTP: its station cookie, session and CSRF token."""

    def __init__(self, base: str, token: str):
        import requests

        self.base = base
        self.http = requests.Session()
        self.http.cookies.set(STATION_COOKIE, token, domain="127.0.0.1", path="/")
        page = self.http.get(base + "/station", timeout=30).text
        self.csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)

    def __call__(self, code: str) -> tuple[int, str]:
        response = self.http.post(self.base + "/station/scan", data={"code": code, "scan_id": uuid.uuid4().hex, "gap_ms": "2000"},
                                  headers={"HX-Request": "true", "X-CSRFToken": self.csrf}, timeout=60)
        found = re.search(r'data-outcome="(\w+)"', response.text)
        return response.status_code, found.group(1) if found else ""


def together(*calls):
    answers = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def run(n):
        barrier.wait()
        answers[n] = calls[n]()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2, help="sync workers per server")
    parser.add_argument("--pg-url", default=os.environ.get("SPEX_TEST_PG_URL",
                                                           "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()

    from sqlalchemy import create_engine, text

    admin = create_engine(args.pg_url, isolation_level="AUTOCOMMIT")
    name = f"spex_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = args.pg_url.rsplit("/", 1)[0] + "/" + name
    servers = []
    logs = []
    try:
        shop = build_shop(url, pieces=args.pairs + 20)
        env = {"DATABASE_URL": url, "SPEX_SECRET_KEY": "bench", "SPEX_TIMEZONE": "UTC", "PYTHONUNBUFFERED": "1"}
        for n in range(2):
            log = tempfile.NamedTemporaryFile("w+", prefix=f"deadlock-pair-server{n}-", suffix=".log", delete=False)
            logs.append(log)
            servers.append(start_gunicorn(env, args.workers, log))
        a, b = Station(servers[0][1], shop["tokens"][0]), Station(servers[1][1], shop["tokens"][1])
        for station, badge in ((a, shop["badges"][0]), (b, shop["badges"][1])):
            assert station(badge)[1] == "done"
            assert station(shop["operation"])[1] == "waiting"

        statuses, outcomes, slowest = Counter(), Counter(), 0.0
        started = time.perf_counter()
        for _ in range(args.pairs):
            status, outcome = b("1")
            statuses[status] += 1
            outcomes[f"B completes: {outcome}"] += 1
            begun = time.perf_counter()
            (status_a, outcome_a), (status_b, outcome_b) = together(lambda: a("1"), lambda: b("CMD-UNDO"))
            slowest = max(slowest, time.perf_counter() - begun)
            statuses.update([status_a, status_b])
            outcomes[f"A completes: {outcome_a}"] += 1
            outcomes[f"B undoes: {outcome_b}"] += 1
            if outcome_b != "done":
                b("CMD-UNDO")
        wall = time.perf_counter() - started
    finally:
        for process, _ in servers:
            stop(process)
    retried = deadlocks = 0
    for log in logs:
        log.flush()
        log.seek(0)
        written = log.read()
        retried += written.count("lost a race")
        deadlocks += written.count("deadlock detected")
        log.close()
        os.unlink(log.name)
    problems = audit(url)
    with admin.connect() as conn:
        conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()

    print(f"{args.pairs} pairs on two gunicorn servers ({args.workers} sync workers each), PostgreSQL, "
          f"{wall:.1f} s")
    print("answers: " + ", ".join(f"{status} x {n}" for status, n in sorted(statuses.items())))
    print("outcomes: " + ", ".join(f"{what} {n}" for what, n in sorted(outcomes.items())))
    print(f"'deadlock detected' in the servers' logs: {deadlocks}; scans done again after a lost race: {retried}")
    print(f"slowest pair: {slowest * 1000:.0f} ms")
    print("audit: " + ("balances equal the ledger" if not problems else "; ".join(problems[:5])))
    if statuses.get(500) or problems:
        raise SystemExit(1)


if __name__ == "__main__":
    main()

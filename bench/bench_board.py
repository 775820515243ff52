"""WIP board benchmark: a full board render with 100, 1,000 and 5,000 open jobs, and an unchanged refresh.
Run from the repository root: python bench/bench_board.py [--jobs 100 1000 5000] [--pg-admin-url URL]
Targets: full render under 150 ms at 1,000 open jobs; unchanged refresh (204 / 304) under 5 ms.
Figures go in bench/README.md, section "WIP board".

The shop is written with bulk inserts (4 operations per job, pieces at their current operation,
some holds and vendor shipments) so seeding 5,000 jobs takes seconds; the board reads it through
the real routes with Flask's test client (WSGI, Jinja, SQL; no network)."""
from __future__ import annotations

import argparse
import html
import os
import random
import re
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, insert, text  # noqa: E402

from spex import create_app, shoptime  # noqa: E402
from spex.extensions import db  # noqa: E402
from spex.models import (Balance, Customer, Job, JobOperation, LedgerEntry, Location, OutsideShipment,  # noqa: E402
                         Part, QualityHold, Vendor, WorkCenter, utcnow)

TOKEN = "bench-board"


def seed(jobs: int, rng: random.Random) -> None:
    now = utcnow()
    today = shoptime.today()
    s = db.session
    s.execute(insert(Customer), [{"id": i, "code": f"CUST{i}", "name": f"Customer {i}"} for i in range(1, 11)])
    s.execute(insert(WorkCenter), [{"id": i, "code": f"WC-{i}", "name": f"Lathe {i}", "kind": "lathe",
                                    "hours_per_day": 16} for i in range(1, 9)])
    s.execute(insert(Vendor), [{"id": i, "code": f"VEND-{i}", "name": f"Vendor {i}", "turnaround_days": 5}
                               for i in range(1, 4)])
    s.execute(insert(Location), [{"id": i, "code": f"VND-VEND-{i}", "name": f"Vendor {i}", "kind": "vendor",
                                  "vendor_id": i} for i in range(1, 4)])
    s.execute(insert(Part), [{"id": i, "customer_id": 1 + i % 10, "number": f"P-{i:04d}", "rev": "A",
                              "description": f"Part {i}"} for i in range(1, 51)])
    job_rows, op_rows, balance_rows, hold_rows, ship_rows, entry_rows = [], [], [], [], [], []
    op_id = 0
    for j in range(1, jobs + 1):
        quantity = rng.choice((50, 100, 250, 500))
        planned = j % 10 == 0
        job_rows.append({"id": j, "number": str(30000 + j), "part_id": 1 + j % 50, "quantity": quantity,
                         "due_date": today + timedelta(days=rng.randint(-3, 40)),
                         "status": "planned" if planned else "released", "priority": 0})
        current = 0 if planned else rng.randint(0, 3)
        for k in range(4):
            op_id += 1
            outside = k == 2
            good = quantity if k < current else (rng.randint(0, quantity // 2) if k == current and not planned else 0)
            op_rows.append({"id": op_id, "job_id": j, "seq": 10 * (k + 1), "kind": "outside" if outside else "inhouse",
                            "description": "Anodize" if outside else "Turn", "work_center_id": None if outside else
                            1 + (j + k) % 8, "vendor_id": 1 + j % 3 if outside else None, "setup_min": 30,
                            "run_min_per_piece": 1.5, "turnaround_days": 5 if outside else 0, "qty_good": good,
                            "qty_scrap": 0, "last_activity_at": now - timedelta(hours=rng.randint(0, 96))})
            if planned or k != current:
                continue
            waiting = quantity - good
            if outside:
                ship_rows.append({"job_id": j, "job_operation_id": op_id, "vendor_id": 1 + j % 3,
                                  "quantity_out": waiting, "quantity_back": 0, "shipped_at": now,
                                  "expected_back": today + timedelta(days=rng.randint(-2, 6)), "closed": False,
                                  "short_count": 0})
                balance_rows.append({"item": f"job:{j}", "place": f"loc:{1 + j % 3}", "quantity": waiting,
                                     "unit": "pcs", "updated_at": now})
            elif j % 20 == 1 and waiting > 5:
                hold_rows.append({"job_id": j, "job_operation_id": op_id, "quantity": 5, "reason_code": "DIM",
                                  "placed_at": now})
                balance_rows.append({"item": f"job:{j}", "place": f"hold:{op_id}", "quantity": 5, "unit": "pcs",
                                     "updated_at": now})
                balance_rows.append({"item": f"job:{j}", "place": f"op:{op_id}", "quantity": waiting - 5,
                                     "unit": "pcs", "updated_at": now})
            elif waiting:
                balance_rows.append({"item": f"job:{j}", "place": f"op:{op_id}", "quantity": waiting, "unit": "pcs",
                                     "updated_at": now})
        if not planned:
            entry_rows.append({"kind": "release", "item": f"job:{j}", "quantity": quantity, "unit": "pcs",
                               "to_place": f"op:{op_id - 3}", "job_id": j, "scan_seq": 0, "created_at": now})
    for table, rows in ((Job, job_rows), (JobOperation, op_rows), (Balance, balance_rows),
                        (QualityHold, hold_rows), (OutsideShipment, ship_rows), (LedgerEntry, entry_rows)):
        if rows:
            s.execute(insert(table), rows)
    s.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()


def timed(client, url, runs, headers=None, expect=200):
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url, headers=headers or {})
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == expect, (url, response.status_code)
    return statistics.median(times), sorted(times)[int(len(times) * 0.95) - 1], len(response.data)


def run(jobs: int, pg_admin_url: str | None, runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, _database(pg_admin_url, tmp) as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "SPEX_BOARD_TOKEN": TOKEN,
                          "SPEX_UPLOAD_DIR": tmp})
        with app.app_context():
            from spex.cli import upgrade_schema
            upgrade_schema()
            seed(jobs, random.Random(jobs))
            client = app.test_client()
            full_url = f"/board/rows?token={TOKEN}&page=1"
            client.get(full_url)  # warm the template cache, as a running server has it
            full_ms, full_p95, full_bytes = timed(client, full_url, runs)
            kiosk_ms, _, _ = timed(client, f"/board/kiosk?token={TOKEN}&page=1", max(3, runs // 2))
            first = client.get(full_url)
            poll_url = html.unescape(re.search(r'hx-get="([^"]+)"', first.get_data(as_text=True)).group(1))
            etag = first.headers["ETag"]
            same_ms, same_p95, same_bytes = timed(client, poll_url, runs * 10, expect=204)
            cond_url = re.sub(r"([?&])v=[^&]*&?", r"\1", poll_url).rstrip("&?")
            cond_ms, cond_p95, cond_bytes = timed(client, cond_url, runs * 10, headers={"If-None-Match": etag},
                                                  expect=304)
            print(f"{jobs:>6} open jobs  full fragment {full_ms:7.1f} ms (p95 {full_p95:6.1f}, {full_bytes // 1024} KiB)"
                  f"  kiosk page {kiosk_ms:7.1f} ms  unchanged 204 {same_ms:5.2f} ms (p95 {same_p95:5.2f}, "
                  f"{same_bytes} B)  304 {cond_ms:5.2f} ms (p95 {cond_p95:5.2f}, {cond_bytes} B)")
            db.session.remove()
            db.engine.dispose()


@contextmanager
def _database(pg_admin_url: str | None, tmp: str):
    """A temporary SQLite file, or a PostgreSQL database of our own created and dropped around the run."""
    if not pg_admin_url:
        yield f"sqlite:///{tmp}/bench.db"
        return
    name = f"spex_bench_board_{os.getpid()}"
    admin = create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield pg_admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--pg-admin-url", help="run on PostgreSQL: a server URL whose user may create "
                                               "databases, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    for jobs in args.jobs:
        run(jobs, args.pg_admin_url, args.runs)


if __name__ == "__main__":
    main()

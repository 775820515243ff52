"""WIP board benchmark: a full board render with 1,000 and 5,000 open jobs, and an unchanged refresh.
Run from the repository root:

    python bench/bench_board.py [--jobs 1000 5000] [--runs 20] [--compare REV] [--pg-admin-url URL]

--compare REV also measures the Spex code of git revision REV (checked out beside this one for the
run, each shop built by its own code's schema in a process of its own), the two taking turns at each
size, and prints them side by side.

"Full" is a board fragment answered in full on a shop that has not changed since the last render;
"after a change" is the first render after a ledger entry (the shop read and scheduled again);
"unchanged" is the 3-second poll when nothing moved (204 for htmx, 304 for If-None-Match).
Targets on a 2-core machine: full under 150 ms at 5,000 open jobs and under 50 ms at 1,000;
unchanged about 1 ms. Figures go in bench/README.md, section "WIP board".

The shop is written with bulk inserts (4 operations per job, pieces at their current operation,
some holds and vendor shipments) so seeding 5,000 jobs takes seconds; the board reads it through
the real routes with Flask's test client (WSGI, Jinja, SQL; no network)."""
from __future__ import annotations

import argparse
import html
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The spex package of the code being measured: this checkout, or another revision's (revisions.py).
sys.path.insert(0, os.environ.get("BENCH_CODE", str(ROOT)))

import revisions  # noqa: E402  (beside this file)

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


def after_a_change(client, url, runs, entry):
    """The first render after each of `runs` ledger entries: the shop is read and scheduled again."""
    times = []
    for _ in range(runs):
        db.session.execute(insert(LedgerEntry), [entry])
        db.session.commit()
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(times), sorted(times)[max(0, int(len(times) * 0.95) - 1)]


def measure(jobs: int, pg_admin_url: str | None, runs: int, profile: bool = False) -> dict:
    """One shop of `jobs` open jobs, written and read by the spex package on the path; its figures."""
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
            if profile:
                import cProfile
                import pstats
                profiler = cProfile.Profile()
                profiler.enable()
                for _ in range(runs):
                    client.get(full_url)
                profiler.disable()
                pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(30)
            full_ms, full_p95, full_bytes = timed(client, full_url, runs)
            entry = {"kind": "release", "item": "job:1", "quantity": 1, "unit": "pcs", "to_place": "op:1",
                     "job_id": 1, "scan_seq": 0, "created_at": utcnow()}
            change_ms, change_p95 = after_a_change(client, full_url, max(3, runs // 2), entry)
            kiosk_ms, _, _ = timed(client, f"/board/kiosk?token={TOKEN}&page=1", max(3, runs // 2))
            for attempt in range(3):
                # The ETag carries the minute (ageing colours): a minute turning mid-way repaints, so start again.
                try:
                    first = client.get(full_url)
                    poll_url = html.unescape(re.search(r'hx-get="([^"]+)"', first.get_data(as_text=True)).group(1))
                    etag = first.headers["ETag"]
                    same_ms, same_p95, same_bytes = timed(client, poll_url, runs * 10, expect=204)
                    cond_url = re.sub(r"([?&])v=[^&]*&?", r"\1", poll_url).rstrip("&?")
                    cond_ms, cond_p95, cond_bytes = timed(client, cond_url, runs * 10,
                                                          headers={"If-None-Match": etag}, expect=304)
                    break
                except AssertionError:
                    if attempt == 2:
                        raise
            db.session.remove()
            db.engine.dispose()
    return {"jobs": jobs, "full": full_ms, "full_p95": full_p95, "full_kib": full_bytes // 1024,
            "change": change_ms, "change_p95": change_p95, "kiosk": kiosk_ms,
            "same": same_ms, "same_p95": same_p95, "cond": cond_ms, "cond_p95": cond_p95}


def measure_with(code: Path, jobs: int, args) -> dict:
    """measure() in a process of its own whose spex package is the one in `code`."""
    command = [sys.executable, str(Path(__file__).resolve()), "--measure", str(jobs), "--runs", str(args.runs)]
    if args.pg_admin_url:
        command += ["--pg-admin-url", args.pg_admin_url]
    done = subprocess.run(command, env={**os.environ, **revisions.code_env(code)}, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"measuring the code in {code} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def line(name: str, f: dict) -> str:
    return (f"{name:>16} {f['jobs']:>6} open jobs  full {f['full']:7.1f} ms (p95 {f['full_p95']:6.1f}, "
            f"{f['full_kib']} KiB)  after a change {f['change']:7.1f} ms (p95 {f['change_p95']:6.1f})  "
            f"kiosk page {f['kiosk']:6.1f} ms  unchanged 204 {f['same']:5.2f} ms (p95 {f['same_p95']:5.2f})  "
            f"304 {f['cond']:5.2f} ms (p95 {f['cond_p95']:5.2f})")


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
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--compare", metavar="REV", help="also measure the Spex code at this git revision")
    parser.add_argument("--pg-admin-url", help="run on PostgreSQL: a server URL whose user may create "
                                               "databases, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--profile", action="store_true", help="print a profile of the full renders (this code only)")
    parser.add_argument("--measure", type=int, help=argparse.SUPPRESS)  # a child process of measure_with
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.pg_admin_url, args.runs)))
        return
    if args.profile:
        for jobs in args.jobs:
            print(line(revisions.short_name(ROOT, "HEAD"), measure(jobs, args.pg_admin_url, args.runs, profile=True)))
        return
    with tempfile.TemporaryDirectory(prefix="spex-bench-") as tmp:
        codes_ = {revisions.short_name(ROOT, "HEAD"): ROOT}
        if args.compare:
            with revisions.checkout(ROOT, args.compare, Path(tmp) / "rev") as code:
                codes_[revisions.short_name(ROOT, args.compare)] = code
                report(codes_, args)
        else:
            report(codes_, args)


def report(codes_: dict[str, Path], args) -> None:
    """Each size measured with each code in turn (the first code alternates), then side by side."""
    figures: dict[int, dict[str, dict]] = {}
    order = list(codes_)
    for jobs in args.jobs:
        for name in order:
            figures.setdefault(jobs, {})[name] = measure_with(codes_[name], jobs, args)
            print(line(name, figures[jobs][name]), flush=True)
        order = order[1:] + order[:1]
    if len(codes_) > 1:
        mine, other = list(codes_)
        print(f"\nFor bench/README.md (open jobs | code | full | after a change | unchanged 204 | 304), {os.cpu_count()} CPUs:")
        for jobs, by_code in figures.items():
            for name in (mine, other):
                f = by_code[name]
                print(f"| {jobs:,} | {name} | {f['full']:.1f} ms ({f['full_p95']:.1f}) | {f['change']:.1f} ms "
                      f"({f['change_p95']:.1f}) | {f['same']:.2f} ms ({f['same_p95']:.2f}) | "
                      f"{f['cond']:.2f} ms ({f['cond_p95']:.2f}) |")


if __name__ == "__main__":
    main()

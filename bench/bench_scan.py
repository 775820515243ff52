"""Scan station benchmark: a realistic scan mix over HTTP against gunicorn on SQLite, beside a bare
Flask endpoint doing one SQLite insert under the same gunicorn settings (the ratio is the figure
that counts). Run from the repository root:

    python bench/bench_scan.py [--clients 4] [--rounds 30] [--segments 3] [--workers 2]
                               [--worker-class sync|gthread] [--threads 4]
                               [--compare REV] [--prefill N [--beside-fresh]]

--compare REV also runs the Spex code of git revision REV (checked out beside this one for the run,
with a shop built by its own schema), its segments taking turns with this code's and the baseline's.
--prefill N first writes about N ledger entries of past jobs, and their scans, into each shop;
with --beside-fresh a fresh shop of this code takes its turns too.

Targets on a 2-core machine: mix throughput >= 1/4 of the baseline, p99 < 25 ms.
Figures go in bench/README.md, section "Scan station".
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
# The spex package of the code being measured: this checkout, or another revision's (revisions.py).
sys.path.insert(0, os.environ.get("BENCH_CODE", str(ROOT)))

import history  # noqa: E402  (beside this file)
import revisions  # noqa: E402

STATION_COOKIE = "spex_station"


# --- the baseline: a bare Flask endpoint, one SQLite insert per request -----------------------------

def baseline_app():
    """What a request costs with no Spex in it: Flask, one BEGIN IMMEDIATE / INSERT / COMMIT on SQLite (WAL)."""
    from flask import Flask, request

    app = Flask("baseline")
    path = os.environ["BENCH_BASELINE_DB"]
    local = threading.local()

    def connection():
        if not hasattr(local, "db"):
            local.db = sqlite3.connect(path, isolation_level=None, timeout=10)
            local.db.execute("PRAGMA journal_mode=WAL")
            local.db.execute("PRAGMA synchronous=NORMAL")
        return local.db

    @app.post("/scan")
    def scan():
        db = connection()
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO scans (uid, code) VALUES (?, ?)", (request.form["scan_id"], request.form["code"]))
        db.execute("COMMIT")
        return "<div data-outcome=\"done\">ok</div>"

    return app


# --- the shop the mix scans against --------------------------------------------------------------

def build_shop(url: str, clients: int, prefill: int = 0) -> dict:
    """Per client: an operator, a shipper, a station; a job to complete and pull for, a job to hold,
    a job whose outside op is ready to ship; plenty of bar stock. With `prefill`, about that many
    ledger entries of past jobs (and their scans) are written first, by the same people and stations."""
    from spex import codes, create_app, production, shopfloor, shoptime
    from spex.cli import upgrade_schema
    from spex.extensions import db
    from spex.models import (Customer, Location, Material, Part, RoutingStep, Station, User, Vendor, WorkCenter)

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade_schema()
        s = db.session
        customer = Customer(code="ACME", name="Acme Instruments")
        material = Material(code="303-RD-1.000", grade="303 stainless", form="round bar", size="1.000 dia", unit="in")
        lathe = WorkCenter(code="LATHE1", name="Lathe 1", kind="lathe")
        mill = WorkCenter(code="MILL1", name="Mill 1", kind="mill")
        vendor = Vendor(code="ANOD", name="Bright Anodizing", process="anodize", turnaround_days=5)
        s.add_all([customer, material, lathe, mill, vendor])
        s.flush()
        vendor_loc = Location(code="VND-ANOD", name=vendor.name, kind="vendor", vendor_id=vendor.id)
        rack = Location(code="R1-A01", name="Rack 1 A01", kind="bin")
        scrap = Location(code="SCRAP", name="Scrap", kind="scrap")
        old_rack = Location(code="R2-A01", name="Rack 2 A01", kind="bin")
        fg_bin = Location(code="FG-A01", name="Finished goods A01", kind="bin")
        s.add_all([vendor_loc, rack, scrap, old_rack, fg_bin])
        part = Part(customer=customer, number="P-100", rev="A", material=material, bar_length_per_piece=1.25)
        part.routing = [RoutingStep(seq=10, kind="inhouse", work_center=lathe, description="Turn"),
                        RoutingStep(seq=20, kind="inhouse", work_center=mill, description="Mill flats"),
                        RoutingStep(seq=30, kind="outside", vendor=vendor, description="Anodize", turnaround_days=5)]
        s.add(part)
        people = []
        for n in range(clients):
            operator = User(name=f"Operator {n}", badge=f"1{n:03d}", role=codes.OPERATOR)
            shipper = User(name=f"Shipper {n}", badge=f"2{n:03d}", role=codes.SHIPPING)
            station = Station(code=f"ST{n}", name=f"Station {n}", token=uuid.uuid4().hex)
            people.append((operator, shipper, station))
            s.add_all([operator, shipper, station])
        s.flush()
        filled = None
        if prefill:
            started = time.perf_counter()
            counts = history.prefill(s.connection(), prefill, {
                "part": part.id, "material": material.id, "rack": old_rack.id, "vendor": vendor.id, "vendor_loc": vendor_loc.id,
                "scrap": scrap.id, "fg_bin": fg_bin.id, "shipper": people[0][1].id,
                "operators": [operator.id for operator, _, _ in people],
                "stations": [station.id for _, _, station in people],
                "routing": [("Turn", lathe.id, None), ("Mill flats", mill.id, None), ("Anodize", None, vendor.id)],
            }, shoptime.today(), shoptime.start_of)
            s.commit()
            filled = {**counts, "seconds": round(time.perf_counter() - started, 1)}
            # A shop's database has long been checkpointed: the fill's WAL goes into the file first.
            s.connection().exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            s.commit()
        lot = production.receive_lot(s, material, "H90210", [144] * (clients * 12), rack, supplier="Bench Metals")
        shop = {"clients": [], "prefill": filled}
        due = shoptime.today() + timedelta(days=21)
        for n, (operator, shipper, station) in enumerate(people):
            work, held, outside = (production.create_job(s, part, 50_000, due) for _ in range(3))
            for job in (work, held, outside):
                production.release_job(s, job)
            for op in outside.operations[:2]:
                shopfloor.complete_operation(s, op, 50_000, user=operator)
            shop["clients"].append({
                "token": station.token, "operator": operator.barcode, "shipper": shipper.barcode,
                "work": work.barcode, "held": held.barcode, "outside": outside.barcode,
                "bars": [u.barcode for u in lot.units[n * 12:(n + 1) * 12]],
            })
        s.commit()
        db.engine.dispose()
    return shop


def scan_script(client: dict, rounds: int, start: int = 0):
    """A realistic day in miniature: sign in, completions with the odd scrap, bar pulls, a hold,
    then the shipper sends the outside op out. Yields the codes in the order a station scans them
    (rounds start .. start + rounds - 1 of the day)."""
    bars = client["bars"]
    for r in range(start, start + rounds):
        yield client["operator"]
        yield f"{client['work']}-10"
        yield "3"
        yield "2"
        if r % 3 == 0:
            yield "CMD-SCRAP"
            yield "1"
            yield "CMD-R-DIM"
        yield bars[r % len(bars)]
        yield client["work"]
        yield "2.5"
        if r % 2 == 0:
            yield client["held"]
            yield "CMD-HOLD"
            yield "2"
            yield "CMD-R-FIN"
        yield client["shipper"]
        yield f"{client['outside']}-30"
        yield "CMD-SHIP-OUT"
        yield "4"
        yield "CMD-SIGN-OUT"


# --- driving a server -------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(target: str, env: dict, args, chdir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "--config", "python:spex.gunicorn_conf",
               "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
               "--worker-class", args.worker_class, "--log-level", "warning", "--chdir", str(chdir), target]
    if args.worker_class == "gthread":
        command[-1:-1] = ["--threads", str(args.threads)]
    # Started in its code's directory: `python -m` puts the working directory first on the path, so a
    # server started elsewhere would import the spex found there rather than its own.
    process = subprocess.Popen(command, env={**os.environ, **env}, cwd=str(chdir))
    return process, wait_until_serving(process, port)


def wait_until_serving(process: subprocess.Popen, port: int) -> str:
    """The server's base URL once it accepts connections on its loopback port; stops it if it never does."""
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=10):
                return f"http://127.0.0.1:{port}"
        except OSError:
            # Not up yet (or still importing the app on a busy machine).
            if process.poll() is not None:
                raise SystemExit(f"gunicorn exited with {process.returncode}")
            time.sleep(0.2)
    stop(process)
    raise SystemExit("gunicorn did not start")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def run_clients(scripts: list, send_factory) -> tuple[list[float], float, dict]:
    """Each client replays its script in order; returns every request's latency, the wall time, outcomes."""
    latencies: list[float] = []
    outcomes: dict[str, int] = {}
    lock = threading.Lock()
    ready = threading.Barrier(len(scripts) + 1)
    errors = []

    def run(index: int, codes_):
        try:
            send = send_factory(index)
            ready.wait()
            mine, counts = [], {}
            for code in codes_:
                started = time.perf_counter()
                status, outcome = send(code)
                mine.append(time.perf_counter() - started)
                if status >= 500:
                    errors.append(f"{code}: HTTP {status}")
                counts[outcome] = counts.get(outcome, 0) + 1
            with lock:
                latencies.extend(mine)
                for key, value in counts.items():
                    outcomes[key] = outcomes.get(key, 0) + value
        except Exception as exc:  # noqa: BLE001 - reported by the caller
            errors.append(repr(exc))
            ready.abort()

    threads = [threading.Thread(target=run, args=(i, list(script))) for i, script in enumerate(scripts)]
    for thread in threads:
        thread.start()
    ready.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if errors:
        raise SystemExit("errors: " + "; ".join(errors[:5]))
    return latencies, wall, outcomes


def report(label: str, latencies: list[float], wall: float) -> dict:
    ms = sorted(x * 1000 for x in latencies)
    q = statistics.quantiles(ms, n=100, method="inclusive")
    rate = len(ms) / wall
    print(f"{label:<40} {len(ms):6d} req  {rate:8.1f} req/s   p50 {q[49]:6.2f} ms   p95 {q[94]:6.2f} ms   "
          f"p99 {q[98]:6.2f} ms   max {ms[-1]:6.2f} ms")
    return {"rate": rate, "p50": q[49], "p95": q[94], "p99": q[98]}


class Connection:
    """A lean HTTP/1.1 client on one kept-alive connection (reopened when the server closes it).

    The client's own cost is kept small on purpose: it shares the two cores with the server, and a
    heavy client (the `requests` library costs ~0.7 ms of CPU a request) would cap the baseline at
    what the client can send rather than at what the server can answer."""

    def __init__(self, base: str, headers: dict[str, str], cookies: dict[str, str] | None = None):
        parts = urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.headers = headers
        # Kept as a browser keeps them: a cookie the server sets is sent from the next request on.
        self.cookies = dict(cookies or {})
        self.http: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, bytes, http.client.HTTPResponse]:
        body = urlencode(form) if form is not None else None
        headers = dict(self.headers)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            if self.http is None:
                self.http = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                self.http.request(method, path, body=body, headers=headers)
                response = self.http.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionError):
                # A kept-alive connection the server had already closed: open a new one, once.
                self.http.close()
                self.http = None
                if attempt == 2:
                    raise
                continue
            for key, value in response.getheaders():
                if key.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    self.cookies[name.strip()] = rest.split(";")[0]
            if response.will_close:
                self.http.close()
                self.http = None
            return response.status, data, response
        raise AssertionError("unreachable")


def station_sender(base: str, client: dict):
    connection = Connection(base, {}, {STATION_COOKIE: client["token"]})
    _, page, _ = connection.request("GET", "/station")
    # The CSRF token lives in the signed session cookie the station page set.
    connection.headers = {"HX-Request": "true",
                          "X-CSRFToken": re.search(rb'name="csrf-token" content="([^"]+)"', page).group(1).decode()}

    def send(code: str):
        # gap_ms: the station script's time since the last read; at an operator's pace no scan is a double read.
        fields = {"code": code, "scan_id": uuid.uuid4().hex, "gap_ms": "2000"}
        status, body, _ = connection.request("POST", "/station/scan", fields)
        match = re.search(rb'data-outcome="(\w+)"', body)
        return status, match.group(1).decode() if match else f"http {status}"

    return send


def baseline_sender(base: str):
    connection = Connection(base, {})

    def send(code: str):
        status, _, _ = connection.request("POST", "/scan", {"code": code, "scan_id": uuid.uuid4().hex})
        return status, "done"

    return send


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=4, help="client threads (one station each)")
    parser.add_argument("--rounds", type=int, default=30, help="rounds of the scan script per client")
    parser.add_argument("--segments", type=int, default=3,
                        help="the mixes and the baseline take turns this many times, so a machine that slows down "
                             "or speeds up during the run weighs on all alike")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", default="sync", choices=("sync", "gthread"),
                        help="as the README's production command runs it (sync)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker, gthread only")
    parser.add_argument("--compare", metavar="REV", help="also measure the Spex code at this git revision")
    parser.add_argument("--prefill", type=int, default=0, metavar="N",
                        help="first fill each shop with about N ledger entries of past jobs and their scans")
    parser.add_argument("--beside-fresh", action="store_true",
                        help="with --prefill (and no --compare): also a fresh shop of this code, in turns with "
                             "the prefilled one, to read the cost of history from one run")
    parser.add_argument("--build-shop", metavar="URL", help=argparse.SUPPRESS)  # revisions.build_shop_with
    return parser.parse_args()


def measure(scripts: list, senders: dict, measured: dict, order: list[str]) -> None:
    """The same scans to each server in turn, added to what each has measured so far."""
    for kind in order:
        latencies, wall, outcomes = run_clients(scripts, senders[kind])
        all_latencies, all_wall, all_outcomes = measured[kind]
        all_latencies.extend(latencies)
        for key, value in outcomes.items():
            all_outcomes[key] = all_outcomes.get(key, 0) + value
        measured[kind] = (all_latencies, all_wall + wall, all_outcomes)


def table_line(name: str, figures: dict, baseline: dict, prefill: int) -> str:
    """One row of bench/README.md's tables, to paste."""
    history_ = f"{prefill:,} entries" if prefill else "fresh"
    return (f"| {name} | {history_} | {figures['rate']:.0f} scans/s | {figures['rate'] / baseline['rate']:.2f} | "
            f"{figures['p50']:.1f} ms | {figures['p95']:.1f} ms | {figures['p99']:.1f} ms | "
            f"{baseline['rate']:.0f} req/s |")


def main() -> None:
    args = parse_args()
    if args.build_shop:  # a child process of revisions.build_shop_with, with that code's spex
        print(json.dumps(build_shop(args.build_shop, args.clients, args.prefill)))
        return
    # Stopped from outside (kill), still stop the servers on the way out rather than leave them running.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped"))
    segments = max(1, min(args.segments, args.rounds))
    with tempfile.TemporaryDirectory(prefix="spex-bench-") as tmp:
        tmp = Path(tmp)
        if args.compare:
            with revisions.checkout(ROOT, args.compare, tmp / "rev") as code:
                run(args, segments, tmp, {"mix": (ROOT, args.prefill), "rev": (code, args.prefill)})
        elif args.beside_fresh and args.prefill:
            run(args, segments, tmp, {"mix": (ROOT, args.prefill), "fresh": (ROOT, 0)})
        else:
            run(args, segments, tmp, {"mix": (ROOT, args.prefill)})


def run(args, segments: int, tmp: Path, codes_: dict[str, tuple[Path, int]]) -> None:
    """Build each shop (kind: its code and prefill), start its server and the baseline's, and send
    them the same scans in turns; then report."""
    labels = {"mix": "scan mix (Spex /station/scan)", "rev": f"scan mix at {args.compare} (Spex /station/scan)",
              "fresh": "scan mix, fresh shop (Spex /station/scan)", "baseline": "baseline (Flask + 1 SQLite insert)"}
    # Named now: the servers run this checkout as it is when they start.
    names = {"mix": revisions.short_name(ROOT, "HEAD"), "fresh": revisions.short_name(ROOT, "HEAD"),
             "rev": revisions.short_name(ROOT, args.compare) if args.compare else ""}
    shops = {}
    for kind, (code, prefill) in codes_.items():
        shops[kind] = revisions.build_shop_with(code, f"sqlite:///{tmp / (kind + '.db')}", args.clients, prefill)
        filled = shops[kind]["prefill"]
        if filled:
            size = (tmp / (kind + ".db")).stat().st_size / 2**20
            print(f"prefill ({labels[kind].split(' (')[0]}): {filled['ledger entries']:,} ledger entries, "
                  f"{filled['scans']:,} scans, {filled['jobs']:,} past jobs in {filled['seconds']:.1f} s "
                  f"({size:,.0f} MiB)")
    baseline_db = tmp / "baseline.db"
    with sqlite3.connect(baseline_db) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE scans (id INTEGER PRIMARY KEY, uid TEXT UNIQUE, code TEXT)")
    threads = f" x {args.threads} threads" if args.worker_class == "gthread" else ""
    print(f"gunicorn {args.worker_class}, {args.workers} workers{threads}, {args.clients} client threads, "
          f"{os.cpu_count()} CPUs, {segments} segments each")

    servers, senders = [], {}
    try:
        for kind, (code, _) in codes_.items():
            env = {"DATABASE_URL": f"sqlite:///{tmp / (kind + '.db')}", "SPEX_SECRET_KEY": "bench",
                   "SPEX_UPLOAD_DIR": str(tmp / "uploads"), **revisions.code_env(code)}
            process, base = start_gunicorn("spex:create_app()", env, args, code)
            servers.append(process)
            senders[kind] = (lambda base_, shop: lambda i: station_sender(base_, shop["clients"][i]))(base, shops[kind])
        process, base = start_gunicorn("bench_scan:baseline_app()", {"BENCH_BASELINE_DB": str(baseline_db),
                                                                     **revisions.code_env(ROOT)}, args, ROOT / "bench")
        servers.append(process)
        senders["baseline"] = lambda i: baseline_sender(base)
        measured = {kind: ([], 0.0, {}) for kind in senders}
        for kind in senders:  # each shop's own codes (a revision's shop numbers its jobs alike, but need not)
            run_clients([list(scan_script(c, 1)) for c in shops.get(kind, shops["mix"])["clients"]], senders[kind])
        done = 1  # the warm-up was round 0 of the day
        order = list(senders)
        for segment in range(segments):
            rounds = args.rounds // segments + (1 if segment < args.rounds % segments else 0)
            for kind in order:
                scripts = [list(scan_script(c, rounds, done)) for c in shops.get(kind, shops["mix"])["clients"]]
                measure(scripts, senders, measured, [kind])
            done += rounds
            order = order[1:] + order[:1]  # who goes first moves round, so none always runs after the same one
    finally:
        for process in servers:
            stop(process)

    figures = {}
    for kind in senders:
        latencies, wall, outcomes = measured[kind]
        figures[kind] = report(labels[kind], latencies, wall)
        if kind != "baseline":
            print("   outcomes:", ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))
    base = figures["baseline"]
    print(f"mix / baseline throughput: {figures['mix']['rate'] / base['rate']:.2f}  (target >= 0.25)")
    if "rev" in figures:
        print(f"{args.compare} / baseline throughput: {figures['rev']['rate'] / base['rate']:.2f}")
        print(f"mix / {args.compare} throughput: {figures['mix']['rate'] / figures['rev']['rate']:.2f}")
    if "fresh" in figures:
        print(f"fresh / baseline throughput: {figures['fresh']['rate'] / base['rate']:.2f}")
        print(f"prefilled / fresh throughput: {figures['mix']['rate'] / figures['fresh']['rate']:.2f}   "
              f"p99 {figures['mix']['p99'] / figures['fresh']['p99']:.2f}  (target: within 10 %)")
    print("\nFor bench/README.md (code | history | scan mix | ratio to baseline | p50 | p95 | p99 | baseline):")
    print(table_line(names["mix"], figures["mix"], base, args.prefill))
    if "rev" in figures:
        print(table_line(names["rev"], figures["rev"], base, args.prefill))
    if "fresh" in figures:
        print(table_line(names["fresh"], figures["fresh"], base, 0))


if __name__ == "__main__":
    main()

"""A scan's cost in process: the bench's shop and scan mix (bench_scan.py), one station, each scan
posted through Flask's test client exactly as the station script posts it (no network, no gunicorn).
Prints Python calls per scan by cProfile's count (which does not move with the machine) and the best
CPU time per scan of a few runs; with --top N, the functions that cost the most calls. Run from the
repository root:

    python bench/scan_profile.py [--rounds 10] [--runs 3] [--top 25] [--compare REV] [--save FILE]

--compare REV measures the Spex code of git revision REV too (checked out beside this one for the run),
each in a process of its own with its own shop, and prints both.
"""
from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, os.environ.get("BENCH_CODE", str(ROOT)))
sys.path.insert(1, str(BENCH))

import bench_scan  # noqa: E402  (beside this file)
import revisions  # noqa: E402


def station_client(app, client: dict):
    """A test client that is the client's station, as the station script posts (htmx, CSRF token)."""
    web = app.test_client()
    web.set_cookie(bench_scan.STATION_COOKIE, client["token"])
    page = web.get("/station").data
    token = re.search(rb'name="csrf-token" content="([^"]+)"', page).group(1).decode()
    headers = {"HX-Request": "true", "X-CSRFToken": token}

    def send(code: str) -> str:
        response = web.post("/station/scan", data={"code": code, "scan_id": uuid.uuid4().hex, "gap_ms": "2000"},
                            headers=headers)
        match = re.search(rb'data-outcome="(\w+)"', response.data)
        return match.group(1).decode() if match else f"http {response.status_code}"

    return send


def measure(rounds: int, runs: int, top: int, save: str | None) -> dict:
    """In this process, with the spex on the path: build the shop, warm up, then time and count."""
    from spex import create_app

    with tempfile.TemporaryDirectory(prefix="spex-profile-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'shop.db'}"
        shop = bench_scan.build_shop(url, 1, 0)
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "SPEX_UPLOAD_DIR": tmp})
        send = station_client(app, shop["clients"][0])
        done = 0

        def day(n: int) -> tuple[int, dict]:
            nonlocal done
            codes = list(bench_scan.scan_script(shop["clients"][0], n, done))
            done += n
            outcomes: dict[str, int] = {}
            for code in codes:
                outcome = send(code)
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
            return len(codes), outcomes

        day(1)  # warm-up: statement caches, templates
        cpu = []
        for _ in range(runs):
            started = time.process_time()
            scans, outcomes = day(rounds)
            cpu.append((time.process_time() - started) / scans)
        profile = cProfile.Profile()
        profile.enable()
        scans, _ = day(rounds)
        profile.disable()
        stats = pstats.Stats(profile)
        if save:
            stats.dump_stats(save)
        if top:
            stats.sort_stats("cumulative").print_stats(top)
        return {"calls per scan": round(stats.total_calls / scans), "cpu ms per scan": round(min(cpu) * 1000, 3),
                "scans per run": scans, "outcomes": outcomes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--top", type=int, default=0)
    parser.add_argument("--save", help="write the profile (pstats) to this file")
    parser.add_argument("--compare", metavar="REV")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # a child's answer
    args = parser.parse_args()
    if not args.compare:
        figures = measure(args.rounds, args.runs, args.top, args.save)
        print(json.dumps(figures) if args.json else figures)
        return
    with tempfile.TemporaryDirectory(prefix="spex-profile-") as tmp:
        with revisions.checkout(ROOT, args.compare, Path(tmp) / "rev") as code:
            for name, where in ((revisions.short_name(ROOT, "HEAD"), ROOT), (revisions.short_name(ROOT, args.compare), code)):
                command = [sys.executable, str(BENCH / "scan_profile.py"), "--json", "--rounds", str(args.rounds),
                           "--runs", str(args.runs)]
                run = subprocess.run(command, env={**os.environ, **revisions.code_env(where)}, cwd=where,
                                     capture_output=True, text=True)
                if run.returncode != 0:
                    raise SystemExit(f"{name}: {run.stderr[-3000:]}")
                print(name, run.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()

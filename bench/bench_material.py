"""Material pages at a shop's full size: the buy list with its reorder suggestions (Metrics ›
Material) and the metrics page for a year, over a shop of many materials and a long ledger, each
beside the same page of a small shop served in the same process. Run from the repository root:

    python bench/bench_material.py [--materials 2000] [--entries 1000000] [--open-jobs 300] [--repeat 5]

The history is bench/history.py's: past jobs, each cut from its material's bars, spread over a year
of working days, material by material; open jobs (planned and released) ask for material so the
buy list has lines. The small shop has 20 materials, 10,000 entries and 10 open jobs.

Target on a 2-core machine: each page under 1 s at 2,000 materials and 1,000,000 entries.
Figures go in bench/README.md, section "Material pages".
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import history  # noqa: E402  (beside this file)

PASSWORD = "bench-password-1"


def build(url: str, materials: int, entries: int, open_jobs: int) -> dict:
    from spex import codes, create_app, production, shoptime
    from spex.cli import upgrade_schema
    from spex.extensions import db
    from spex.models import Customer, Location, Material, Part, RoutingStep, Station, User, Vendor, WorkCenter

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    started = time.perf_counter()
    with app.app_context():
        upgrade_schema()
        s = db.session
        customer = Customer(code="ACME", name="Acme Instruments")
        lathe = WorkCenter(code="LATHE1", name="Lathe 1", kind="lathe")
        mill = WorkCenter(code="MILL1", name="Mill 1", kind="mill")
        vendor = Vendor(code="ANOD", name="Bright Anodizing", process="anodize", turnaround_days=5)
        s.add_all([customer, lathe, mill, vendor])
        s.flush()
        vendor_loc = Location(code="VND-ANOD", name=vendor.name, kind="vendor", vendor_id=vendor.id)
        rack = Location(code="R1-A01", name="Rack 1 A01", kind="bin")
        scrap = Location(code="SCRAP", name="Scrap", kind="scrap")
        fg_bin = Location(code="FG-A01", name="Finished goods A01", kind="bin")
        operator = User(name="Operator", badge="1000", role=codes.OPERATOR)
        shipper = User(name="Shipper", badge="2000", role=codes.SHIPPING)
        planner = User(name="Planner", username="planner", badge="3000", role=codes.PLANNER)
        planner.set_password(PASSWORD)
        station = Station(code="ST0", name="Station 0", token=uuid.uuid4().hex)
        s.add_all([vendor_loc, rack, scrap, fg_bin, operator, shipper, planner, station])
        s.flush()
        parts = []
        for n in range(materials):
            material = Material(code=f"M{n:04d}-RD-{1 + n % 8 * 0.25:.3f}", grade=("303", "6061-T6", "4140", "17-4")[n % 4],
                                form="round bar", size=f"{1 + n % 8 * 0.25:.3f} dia", unit="in",
                                stocking="per_job" if n % 5 == 0 else "stocked", unit_cost=2 + n % 7,
                                order_cost=45, reorder_point=(144 * (1 + n % 5)) if n % 3 == 0 else None,
                                typical_bar_length_in=144)
            part = Part(customer=customer, number=f"P-{n:04d}", rev="A", material=material,
                        bar_length_per_piece=1.25 + n % 4 * 0.5)
            part.routing = [RoutingStep(seq=10, kind="inhouse", work_center=lathe, description="Turn"),
                            RoutingStep(seq=20, kind="inhouse", work_center=mill, description="Mill flats"),
                            RoutingStep(seq=30, kind="outside", vendor=vendor, description="Anodize",
                                        turnaround_days=5)]
            parts.append(part)
        s.add_all(parts)
        s.flush()
        today = shoptime.today()
        shop = {"rack": rack.id, "vendor": vendor.id, "vendor_loc": vendor_loc.id, "scrap": scrap.id,
                "fg_bin": fg_bin.id, "shipper": shipper.id, "operators": [operator.id], "stations": [station.id],
                "routing": [("Turn", lathe.id, None), ("Mill flats", mill.id, None), ("Anodize", None, vendor.id)]}
        written, numbers_from = 0, 0
        working_days = [d for d in (today - timedelta(days=k) for k in range(1, 366)) if d.weekday() < 5]
        for n, part in enumerate(parts):
            share = entries // materials
            counts = history.prefill(s.connection(), share, {**shop, "part": part.id, "material": part.material_id},
                                     working_days[n % len(working_days)], shoptime.start_of,
                                     numbers_from=numbers_from)
            numbers_from += -(-counts["jobs"] // 12) * 12
            written += counts["ledger entries"]
        s.commit()
        s.connection().exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        for n in range(open_jobs):
            part = parts[n * 7 % len(parts)]
            job = production.create_job(s, part, 50 + n % 5 * 50, today + timedelta(days=3 + n % 30))
            if n % 2:
                production.release_job(s, job)
        s.commit()
        db.engine.dispose()
    return {"app": app, "ledger entries": written, "seconds": round(time.perf_counter() - started, 1)}


def timed(client, path: str, repeat: int) -> dict:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code, response.get_data(as_text=True)[:400])
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return {"median": statistics.median(times), "max": max(times), "bytes": len(response.data)}


def pages(app, repeat: int) -> dict:
    from spex import shoptime

    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    response = client.post("/login", data={"username": "planner", "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    today = shoptime.today()
    year = f"start={(today - timedelta(days=365)).isoformat()}&end={today.isoformat()}"
    # The material page as a planner opens it (its default 90 days of usage), the metrics over a year.
    return {"buy list and reorder (Metrics › Material)": timed(client, "/metrics/material", repeat),
            "buy list by supplier (Purchasing)": timed(client, "/purchasing/buy", repeat),
            "metrics for a year": timed(client, f"/metrics/?{year}", repeat)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--materials", type=int, default=2000)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--open-jobs", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="spex-bench-material-") as tmp:
        small = build(f"sqlite:///{tmp}/small.db", 20, 10_000, 10)
        large = build(f"sqlite:///{tmp}/large.db", args.materials, args.entries, args.open_jobs)
        small_pages, large_pages = pages(small["app"], args.repeat), pages(large["app"], args.repeat)
    print(f"large shop: {args.materials:,} materials, {large['ledger entries']:,} ledger entries, "
          f"{args.open_jobs} open jobs, built in {large['seconds']} s; small: 20 materials, "
          f"{small['ledger entries']:,} entries")
    print("\nFor bench/README.md (page | large shop median | max | small shop median | ratio | large shop HTML):")
    for name, figures in large_pages.items():
        base = small_pages[name]
        print(f"| {name} | {figures['median']:.0f} ms | {figures['max']:.0f} ms | {base['median']:.0f} ms | "
              f"{figures['median'] / base['median']:.1f} × | {figures['bytes'] / 1024:,.0f} KiB |")


if __name__ == "__main__":
    main()

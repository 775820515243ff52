"""Recall and cert pack benchmark: a heat's recall over a shop with a long history, and a shipment's
cert pack of many mill certs, each beside a baseline timed in the same process. Run from the
repository root:

    python bench/bench_recall.py [--prefill 1000000] [--small 10000] [--repeat 20] [--certs 10]

Recall: two shops are built with bench/history.py, one with --prefill ledger entries of past jobs
and one with --small; the same kind of heat (a lot of twelve bars, each cut for one job that went
through three operations to a finished-goods lot) is recalled in each, the JSON the page serves
included. The figure is the large shop's time; the ratio to the small shop says whether recall
grows with history.
Cert pack: one shipment of a job fed from --certs heats, each with a two-page PDF mill cert and a
cert record, and its anodizer's CoC; the pack is made --repeat times, beside the packing list of the
same shipment.

Targets on a 2-core machine: recall under 200 ms at 1,000,000 entries; a pack of 10 certs under 2 s.
Figures go in bench/README.md, section "Recall and cert pack".
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_scan  # noqa: E402  (beside this file: the shop and its history)


def timed(work, repeat: int) -> dict:
    work()  # the first call warms the caches a page served many times has warm
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"median": statistics.median(times), "p95": times[max(0, round(0.95 * len(times)) - 1)],
            "max": times[-1]}


def recall_figures(url: str, prefill: int, repeat: int) -> tuple[dict, dict]:
    from sqlalchemy import func, select

    from spex import create_app
    from spex.extensions import db
    from spex.models import MaterialLot
    from spex.shipping.recall import recall_heat

    started = time.perf_counter()
    shop = bench_scan.build_shop(url, 2, prefill)
    built = time.perf_counter() - started
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        s = db.session
        lots = s.scalar(select(func.count()).select_from(MaterialLot))
        # A lot from the middle of the history: its entries are neither the first nor the newest written.
        heat = s.scalar(select(MaterialLot.heat_number).where(MaterialLot.heat_number.like("H7%"))
                        .order_by(MaterialLot.id).offset(max(0, (lots - 2) // 2)).limit(1))
        found = recall_heat(s, heat)
        size = {"heat": heat, "jobs": len(found["jobs"]), "stock units": len(found["stock_units"]),
                "fg lots": sum(len(j["fg_lots"]) for j in found["jobs"])}

        def work():
            json.dumps(recall_heat(s, heat))
            s.rollback()

        figures = timed(work, repeat)
        db.engine.dispose()
    return figures, {**size, "ledger entries": (shop["prefill"] or {}).get("ledger entries", 0),
                     "built in s": round(built, 1)}


def cert_pack_shop(url: str, upload_dir: str, certs: int):
    """A shipment of 100 pieces from one job fed from `certs` heats, each with a mill cert file and record."""
    from fpdf import FPDF

    from spex import codes, create_app, production, shopfloor, shoptime
    from spex.cli import upgrade_schema
    from spex.extensions import db
    from spex.masters.certs import COC_FOLDER
    from spex.materials.millcerts import CertFigures, enter_cert
    from spex.models import (Customer, CustomerOrder, Location, Material, MaterialLimit, OrderLine, Part,
                             RoutingStep, User, Vendor, WorkCenter)
    from spex.shipping.shipments import LineRequest, Pick, make_shipment

    def pdf(*pages: str) -> bytes:
        doc = FPDF()
        for words in pages:
            doc.add_page()
            doc.set_font("Helvetica", size=12)
            for n in range(40):
                doc.cell(0, 6, f"{words} - line {n + 1}", new_x="LMARGIN", new_y="NEXT")
        return bytes(doc.output())

    def put(folder: str, name: str, data: bytes) -> str:
        os.makedirs(folder, exist_ok=True)
        Path(folder, name).write_bytes(data)
        return name

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "SPEX_UPLOAD_DIR": upload_dir})
    with app.app_context():
        upgrade_schema()
        s = db.session
        customer = Customer(code="ACME", name="Acme Instruments")
        material = Material(code="303-RD-1.000", grade="303 stainless", form="round bar", size="1.000 dia", unit="in")
        lathe = WorkCenter(code="LATHE1", name="Lathe 1", kind="lathe")
        vendor = Vendor(code="ANOD", name="Bright Anodizing", process="anodize", turnaround_days=5)
        rack = Location(code="R1-A01", name="Rack 1 A01", kind="bin")
        fg_bin = Location(code="FG-A01", name="Finished goods A01", kind="fg")
        operator = User(name="Operator", badge="1000", role=codes.OPERATOR)
        inspector = User(name="Inspector", badge="1001", role=codes.INSPECTOR)
        shipper = User(name="Shipper", badge="1002", role=codes.SHIPPING)
        s.add_all([customer, material, lathe, vendor, rack, fg_bin, operator, inspector, shipper])
        s.flush()
        s.add(Location(code="VND-ANOD", name=vendor.name, kind="vendor", vendor_id=vendor.id))
        s.add_all([MaterialLimit(material_id=material.id, property="Cr", minimum=Decimal("17"), maximum=Decimal("19")),
                   MaterialLimit(material_id=material.id, property="tensile", minimum=Decimal("515"))])
        part = Part(customer=customer, number="P-100", rev="A", material=material, bar_length_per_piece=1.25)
        part.routing = [RoutingStep(seq=10, kind="inhouse", work_center=lathe, description="Turn"),
                        RoutingStep(seq=20, kind="outside", vendor=vendor, description="Anodize", turnaround_days=5)]
        s.add(part)
        s.flush()
        job = production.create_job(s, part, 100, shoptime.today() + timedelta(days=10))
        production.release_job(s, job)
        for n in range(certs):
            heat = f"H{61000 + n}"
            lot = production.receive_lot(s, material, heat, [144], rack, supplier="Bench Metals")
            lot.cert_filename = put(upload_dir, f"cert-{heat}.pdf", pdf(f"MILL TEST REPORT {heat} page 1",
                                                                        f"MILL TEST REPORT {heat} page 2"))
            enter_cert(s, lot, CertFigures("3.1", "ASTM A582", "303", heat,
                                           chemistry={"C": Decimal("0.08"), "Cr": Decimal("17.6"),
                                                      "Ni": Decimal("8.4"), "S": Decimal("0.31")},
                                           mechanical={"tensile": Decimal("640"), "yield": Decimal("310")}),
                       user=inspector)
            shopfloor.pull_material(s, lot.units[0], job, Decimal("12.5"), user=operator)
        coc = put(os.path.join(upload_dir, COC_FOLDER), "coc-anodize.pdf", pdf("ANODIZE CERTIFICATE OF CONFORMANCE"))
        turn, anodize = job.operations
        shopfloor.complete_operation(s, turn, 100, user=operator)
        shopfloor.ship_out(s, anodize, 100, user=shipper)
        shopfloor.receive_back(s, anodize, 100, user=shipper, coc_filename=coc)
        fg = shopfloor.receive_finished_goods(s, job, 100, fg_bin, user=inspector)
        order = CustomerOrder(number="SO-5200", customer_id=customer.id, po_number="PO-4471",
                              order_date=shoptime.today())
        line = OrderLine(order=order, line_no=1, part_id=part.id, quantity=100, strategy="ship_complete",
                         due_date=shoptime.today() + timedelta(days=3))
        s.add(order)
        s.flush()
        shipment = make_shipment(s, customer, [LineRequest(line.id, None, [Pick(fg.id, 100)])], user=shipper,
                                 ship_date=shoptime.today(), carrier="Our truck")
        s.commit()
        number = shipment.id
        db.engine.dispose()
    return app, number


def pack_figures(url: str, upload_dir: str, certs: int, repeat: int) -> tuple[dict, dict, int]:
    from pypdf import PdfReader
    import io

    from spex.extensions import db
    from spex.models import Shipment
    from spex.shipping.certpack import cert_pack_pdf
    from spex.shipping.documents import packing_list_pdf

    app, shipment_id = cert_pack_shop(url, upload_dir, certs)
    with app.app_context():
        s = db.session
        shipment = s.get(Shipment, shipment_id)
        pages = len(PdfReader(io.BytesIO(cert_pack_pdf(s, shipment, upload_dir, "Bench Shop"))).pages)
        pack = timed(lambda: cert_pack_pdf(s, shipment, upload_dir, "Bench Shop"), repeat)
        packing = timed(lambda: packing_list_pdf(s, shipment, "Bench Shop"), repeat)
        db.engine.dispose()
    return pack, packing, pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prefill", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--certs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="spex-bench-recall-") as tmp:
        pack, packing, pages = pack_figures(f"sqlite:///{tmp}/pack.db", f"{tmp}/uploads", args.certs, args.repeat)
        print(f"cert pack of {args.certs} certs ({pages} pages): median {pack['median']:.0f} ms, "
              f"p95 {pack['p95']:.0f} ms; packing list of the same shipment {packing['median']:.1f} ms "
              f"(pack / packing list {pack['median'] / packing['median']:.0f}x)")
        small, small_size = recall_figures(f"sqlite:///{tmp}/small.db", args.small, args.repeat)
        large, large_size = recall_figures(f"sqlite:///{tmp}/large.db", args.prefill, args.repeat)
    for label, figures, size in (("small", small, small_size), ("large", large, large_size)):
        print(f"recall ({label}: {size['ledger entries']:,} ledger entries, shop built in {size['built in s']} s; "
              f"heat {size['heat']}: {size['stock units']} bars, {size['jobs']} jobs, {size['fg lots']} FG lots): "
              f"median {figures['median']:.1f} ms, p95 {figures['p95']:.1f} ms, max {figures['max']:.1f} ms")
    print(f"recall large / small: {large['median'] / small['median']:.2f}")
    print("\nFor bench/README.md:")
    print(f"| heat recall | {large_size['ledger entries']:,} entries | {large['median']:.1f} ms | "
          f"{large['p95']:.1f} ms | {large['median'] / small['median']:.2f} × {small_size['ledger entries']:,} |")
    print(f"| cert pack, {args.certs} certs ({pages} pages) | — | {pack['median']:.0f} ms | {pack['p95']:.0f} ms | "
          f"{pack['median'] / packing['median']:.0f} × packing list |")


if __name__ == "__main__":
    main()

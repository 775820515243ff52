"""The demo shop: a realistic, deterministic precision machine shop with a few weeks of history.

Everything that moves goes through the same domain functions and ledger as the shop floor, with
the clock set back to when it happened, so balances, holds, vendor shipments and job histories are
consistent and the WIP board shows every stage a job can be in.
"""
from __future__ import annotations

import csv
import os
import random
import secrets
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy.orm import Session

from spex import codes, production, shopfloor, shoptime
from spex.models import (Customer, CustomerOrder, Location, Material, OrderLine, Part, Release, RoutingStep, Station,
                         StockingProgram, User, Vendor, WorkCenter, clock_at, utcnow)
from spex.shipping.shipments import LineRequest, Pick, make_shipment

DEMO_PASSWORD = "spex-demo"
# Station PINs of the demo's inspector and administrator (their badges alone do not sign in).
DEMO_PINS = {"inspector": "6060", "admin": "1001"}
LOGINS_TEXT = f"""
Demo logins (password for all: {DEMO_PASSWORD})
  planner   - planner / manager: masters, jobs, WIP board
  admin     - administrator: users, stations
  inspector - QC inspector        shipping - shipping
Shop-floor badges (scan or type at a station): EMP-0042 (operator Dana Reyes),
  EMP-0043 (operator Luis Ortega), EMP-0050 (material handler), EMP-0070 (shipping),
  EMP-0060 (inspector) with PIN {DEMO_PINS["inspector"]}, EMP-0001 (admin) with PIN {DEMO_PINS["admin"]}
Wall board kiosk: /board/kiosk?token=<SPEX_BOARD_TOKEN, 'demo-board' for the demo>
"""

DATA_DIR = os.path.join(os.path.dirname(__file__), "data")

# (grade as in materials.csv, short code, form, sizes (diameter inches) or plate sizes, stocking)
STOCK_LIST = [
    ("303 stainless", "303", "round bar", ["0.500", "0.750", "1.000", "1.500"], "stocked"),
    ("316 stainless", "316", "round bar", ["0.750", "1.250"], "stocked"),
    ("17-4 PH stainless", "174", "round bar", ["1.000"], "per_job"),
    ("6061-T6 aluminum", "6061", "round bar", ["1.000", "2.000", "3.000"], "stocked"),
    ("6061-T6 aluminum", "6061", "plate", ["0.500 x 12 x 12", "1.000 x 12 x 24"], "stocked"),
    ("7075-T6 aluminum", "7075", "round bar", ["1.500"], "stocked"),
    ("C360 brass", "C360", "hex bar", ["0.625"], "stocked"),
    ("C360 brass", "C360", "round bar", ["0.375", "1.000"], "stocked"),
    ("1018 steel", "1018", "round bar", ["1.000", "2.000"], "stocked"),
    ("12L14 steel", "12L14", "hex bar", ["0.750"], "stocked"),
    ("4140 steel", "4140", "round bar", ["1.250", "2.500"], "stocked"),
    ("Inconel 718", "718", "round bar", ["1.000"], "per_job"),
    ("Ti-6Al-4V", "TI64", "round bar", ["0.750"], "per_job"),
    ("Acetal (Delrin)", "POM", "round bar", ["1.000"], "stocked"),
]

WORK_CENTERS = [
    ("SAW-1", "Saw 1 (Kasto)", "saw"), ("LATHE-1", "Lathe 1 (Okuma LB3000)", "lathe"),
    ("LATHE-2", "Lathe 2 (Haas ST-20)", "lathe"), ("SWISS-1", "Swiss 1 (Citizen L20)", "lathe"),
    ("MILL-1", "Mill 1 (Haas VF-2)", "mill"), ("MILL-2", "Mill 2 (Okuma Genos M560)", "mill"),
    ("DEBURR", "Deburr bench", "deburr"), ("INSPECT", "Final inspection", "inspection"),
]

VENDORS = [
    ("ACME-ANODIZE", "Acme Anodizing", "anodize", 7), ("BRIGHT-PASSIVATE", "Bright Passivation", "passivate", 4),
    ("HEATCO", "HeatCo Heat Treating", "heat treat", 6), ("PRECISION-GRIND", "Precision Grinding", "grind", 5),
    ("METRO-PLATING", "Metro Plating", "plate", 7),
]

CUSTOMERS = [
    ("NFP", "Northfield Power Systems"), ("CWF", "Clearwater Fluid Handling"), ("MER", "Meridian Instruments"),
    ("PAG", "Prairie Ag Equipment"), ("ATL", "Atlas Electrical"),
]

# part number, description, customer, material code, bar inches per piece, finished lb, routing
PARTS = [
    ("NF-1001", "Valve stem", "NFP", "303-RD-0.500", "2.350", "0.08", ["SAW", "SWISS-1", "DEBURR", "passivate", "INSPECT"]),
    ("NF-1002", "Terminal stud", "NFP", "C360-HX-0.625", "1.450", "0.07", ["SWISS-1", "DEBURR", "INSPECT"]),
    ("NF-1010", "Bus bar spacer", "NFP", "6061-RD-1.000", "0.900", "0.05", ["LATHE-2", "MILL-1", "anodize", "INSPECT"]),
    ("NF-1020", "Insulator bushing", "NFP", "POM-RD-1.000", "1.200", "0.03", ["LATHE-2", "INSPECT"]),
    ("CW-2001", "Pump shaft", "CWF", "316-RD-1.250", "9.800", "2.90", ["SAW", "LATHE-1", "MILL-2", "passivate", "INSPECT"]),
    ("CW-2002", "Impeller hub", "CWF", "316-RD-0.750", "1.950", "0.20", ["LATHE-1", "MILL-1", "DEBURR", "passivate", "INSPECT"]),
    ("CW-2010", "Manifold block", "CWF", "6061-PL-1.000 x 12 x 24", "0", "1.10", ["MILL-2", "MILL-1", "DEBURR", "anodize", "INSPECT"]),
    ("CW-2020", "Seal retainer", "CWF", "303-RD-1.500", "0.800", "0.25", ["LATHE-1", "DEBURR", "INSPECT"]),
    ("ME-3001", "Sensor housing", "MER", "303-RD-1.000", "1.850", "0.30", ["LATHE-2", "MILL-1", "DEBURR", "passivate", "INSPECT"]),
    ("ME-3002", "Probe tip", "MER", "174-RD-1.000", "2.100", "0.28", ["SWISS-1", "heat treat", "grind", "INSPECT"]),
    ("ME-3010", "Gauge fitting", "MER", "C360-RD-0.375", "1.100", "0.02", ["SWISS-1", "plate", "INSPECT"]),
    ("ME-3020", "Instrument flange", "MER", "6061-RD-3.000", "0.750", "0.35", ["SAW", "LATHE-1", "MILL-2", "anodize", "INSPECT"]),
    ("PA-4001", "Drive pin", "PAG", "4140-RD-1.250", "3.400", "1.05", ["SAW", "LATHE-1", "heat treat", "grind", "INSPECT"]),
    ("PA-4002", "Pivot bushing", "PAG", "1018-RD-2.000", "1.600", "1.20", ["SAW", "LATHE-2", "DEBURR", "INSPECT"]),
    ("PA-4010", "Hydraulic fitting", "PAG", "12L14-HX-0.750", "1.300", "0.12", ["SWISS-1", "DEBURR", "plate", "INSPECT"]),
    ("PA-4020", "Axle spacer", "PAG", "1018-RD-1.000", "0.950", "0.18", ["LATHE-2", "INSPECT"]),
    ("AT-5001", "Contact pin", "ATL", "C360-HX-0.625", "0.950", "0.04", ["SWISS-1", "plate", "INSPECT"]),
    ("AT-5002", "Arc shield mount", "ATL", "7075-RD-1.500", "1.400", "0.22", ["LATHE-1", "MILL-1", "anodize", "INSPECT"]),
    ("AT-5010", "Turbine seal ring", "ATL", "718-RD-1.000", "0.650", "0.11", ["LATHE-1", "heat treat", "grind", "INSPECT"]),
    ("AT-5020", "Grounding lug", "ATL", "6061-PL-0.500 x 12 x 12", "0", "0.09", ["MILL-1", "DEBURR", "anodize", "INSPECT"]),
]

PROCESS_VENDOR = {"anodize": "ACME-ANODIZE", "passivate": "BRIGHT-PASSIVATE", "heat treat": "HEATCO",
                  "grind": "PRECISION-GRIND", "plate": "METRO-PLATING"}
RUN_MINUTES = {"saw": "0.8", "lathe": "3.5", "mill": "4.0", "deburr": "1.0", "inspection": "0.8"}
SETUP_MINUTES = {"saw": 15, "lathe": 60, "mill": 90, "deburr": 5, "inspection": 20}

# Stages the 30 jobs are in, in order; each gives how far the history goes.
STAGES = (["planned"] * 3 + ["released"] * 4 + ["partial"] * 8 + ["hold"] * 3 + ["vendor"] * 4 + ["late"] * 3
          + ["finished"] * 3 + ["shipped"] * 2)


def _densities() -> dict[str, Decimal]:
    with open(os.path.join(DATA_DIR, "materials.csv"), newline="") as fh:
        return {row["grade"]: Decimal(row["density_lb_per_in3"]) for row in csv.DictReader(fh)}


def _at(today: date, days_ago: float, hour: float = 9.0) -> datetime:
    """A moment of the demo's history, in UTC as stored: the given hour of a day on the shop's clock
    (a Chicago shop's history happens in Chicago's working day, not at UTC's)."""
    midnight = shoptime.start_of(today - timedelta(days=int(days_ago)))
    return (midnight + timedelta(hours=hour + (days_ago % 1) * 8)).astimezone(timezone.utc)


def seed(session: Session, today: date | None = None) -> str:
    """Fill an empty database with the demo shop; returns a one-paragraph summary."""
    today = today or shoptime.today()
    rng = random.Random(2417)
    start = _at(today, 40)
    with clock_at(start):
        people = _people(session)
        centers = _work_centers(session)
        vendors = _vendors(session)
        locations = _locations(session)
        customers = _customers(session)
        materials = _materials(session)
        parts = _parts(session, customers, materials, centers, vendors)
        _stations(session, locations, centers)
        session.flush()
    lots = _receive_material(session, materials, locations, rng, today, people)
    _mill_certs(session, materials, lots, people)
    orders = _orders(session, customers, parts, today)
    jobs = _jobs(session, parts, orders, lots, locations, people, rng, today)
    _programs(session, customers, parts, materials)
    from spex.purchasing.demo import seed_purchasing
    seed_purchasing(session, materials, locations, people, today)
    session.flush()
    return (f"Demo shop: {len(materials)} materials, {len(lots)} lots, {len(locations)} locations, "
            f"{len(parts)} parts, {len(customers)} customers, {len(orders)} order lines, {len(jobs)} jobs, "
            f"{len(people)} people.")


def _people(session: Session) -> dict[str, User]:
    rows = [
        ("admin", "Alex Morgan", "0001", codes.ADMIN), ("planner", "Priya Shah", "0010", codes.PLANNER),
        ("dana", "Dana Reyes", "0042", codes.OPERATOR), ("luis", "Luis Ortega", "0043", codes.OPERATOR),
        ("kim", "Kim Nguyen", "0044", codes.OPERATOR), ("sam", "Sam Becker", "0045", codes.OPERATOR),
        ("handler", "Joe Walsh", "0050", codes.MATERIAL_HANDLER), ("inspector", "Rita Gomez", "0060", codes.INSPECTOR),
        ("shipping", "Tom Fischer", "0070", codes.SHIPPING),
    ]
    people = {}
    for username, name, badge, role in rows:
        user = User(name=name, username=username, badge=badge, role=role)
        user.set_password(DEMO_PASSWORD)
        if username in DEMO_PINS:
            user.set_pin(DEMO_PINS[username])
        session.add(user)
        people[username] = user
    session.flush()
    return people


def _work_centers(session):
    centers = {}
    for code, name, kind in WORK_CENTERS:
        centers[code] = WorkCenter(code=code, name=name, kind=kind, hours_per_day=Decimal("16") if kind in ("lathe", "mill") else Decimal("8"))
        session.add(centers[code])
    return centers


def _vendors(session):
    vendors = {}
    for code, name, process, days in VENDORS:
        vendor = Vendor(code=code, name=name, process=process, turnaround_days=days, contact="orders@example.com")
        session.add(vendor)
        session.flush()
        session.add(Location(code=f"VND-{code}", name=name, kind="vendor", vendor_id=vendor.id))
        vendors[code] = vendor
    return vendors


def _locations(session) -> dict[str, Location]:
    found: dict[str, Location] = {}

    def add(code, name, kind, parent=None):
        found[code] = Location(code=code, name=name, kind=kind, parent=parent)
        session.add(found[code])
        return found[code]

    raw = add("RAW", "Raw material", "area")
    for rack in range(1, 5):
        parent = add(f"R{rack}", f"Rack {rack}", "rack", raw)
        for shelf in "AB":
            for slot in range(1, 5):
                add(f"R{rack}-{shelf}{slot:02d}", f"Rack {rack} {shelf}{slot:02d}", "bin", parent)
    add("DOCK", "Receiving dock", "receiving", raw)
    wip = add("WIP", "Shop floor", "area")
    for cart in range(1, 7):
        add(f"CART-{cart}", f"WIP cart {cart}", "cart", wip)
    add("QC", "Inspection bench", "inspection", wip)
    fg = add("FG", "Finished goods", "area")
    for shelf in range(1, 9):
        add(f"FG-{shelf:02d}", f"FG shelf {shelf:02d}", "fg", fg)
    add("SHIP-01", "Shipping bench", "shipping", fg)
    add("SCRAP", "Scrap bin", "scrap", wip)
    session.flush()
    return found


def _customers(session):
    customers = {}
    for code, name in CUSTOMERS:
        customers[code] = Customer(code=code, name=name, contact=f"purchasing@{code.lower()}.example.com")
        session.add(customers[code])
    return customers


def _materials(session) -> dict[str, Material]:
    densities = _densities()
    materials = {}
    for grade, short, form, sizes, stocking in STOCK_LIST:
        family = {"3": "stainless steel", "1": "stainless steel"}.get(short[0], "")
        for size in sizes:
            plate = form == "plate"
            code = f"{short}-{'PL' if plate else ('HX' if form.startswith('hex') else 'RD')}-{size}"
            materials[code] = Material(
                code=code, grade=grade, family=family or grade.split()[-1], form=form,
                size=f'{size} in' if plate else f'{size} in {"hex" if form.startswith("hex") else "dia"}',
                diameter_in=None if plate else Decimal(size), unit="pcs" if plate else "in",
                density_lb_per_in3=densities.get(grade), stocking=stocking,
                lead_time_days=21 if stocking == "per_job" else 7,
                unit_cost=Decimal("18.00") if plate else Decimal("0.45") * Decimal(size) * 4,
                order_cost=Decimal("75"), reorder_point=None if plate else Decimal("288"),
                min_qty=None if plate else Decimal("144"), max_qty=None if plate else Decimal("1440"),
                typical_bar_length_in=None if plate else Decimal("144"))
            session.add(materials[code])
    return materials


def _parts(session, customers, materials, centers, vendors) -> dict[str, Part]:
    parts = {}
    for number, description, customer, material, bar, weight, routing in PARTS:
        part = Part(customer=customers[customer], number=number, rev="B" if number.endswith("1") else "A",
                    description=description, material=materials[material], bar_length_per_piece=Decimal(bar),
                    blank_size=None if Decimal(bar) else "4 x 4 in blank", finished_weight_lb=Decimal(weight),
                    unit_price=Decimal("12.50"), setup_cost=Decimal("150"))
        for index, step in enumerate(routing, start=1):
            seq = index * 10
            if step in PROCESS_VENDOR:
                vendor = vendors[PROCESS_VENDOR[step]]
                part.routing.append(RoutingStep(seq=seq, kind="outside", vendor=vendor, description=step.title(),
                                                turnaround_days=vendor.turnaround_days))
            else:
                center = centers["SAW-1" if step == "SAW" else step]
                part.routing.append(RoutingStep(
                    seq=seq, kind="inhouse", work_center=center,
                    description={"saw": "Cut to length", "lathe": "Turn", "mill": "Mill", "deburr": "Deburr",
                                 "inspection": "Final inspection"}[center.kind],
                    setup_min=Decimal(SETUP_MINUTES[center.kind]), run_min_per_piece=Decimal(RUN_MINUTES[center.kind])))
        session.add(part)
        parts[number] = part
    return parts


def _stations(session, locations, centers):
    for code, name, kind, location, center in [
        ("LATHE-CELL", "Lathe cell", "floor", "CART-1", "LATHE-1"),
        ("QC-BENCH", "QC bench", "qc", "QC", "INSPECT"),
        ("SHIPPING", "Shipping & outside-process cage", "shipping", "SHIP-01", None),
    ]:
        session.add(Station(code=code, name=name, kind=kind, token=secrets.token_urlsafe(32),
                            location=locations[location], work_center=centers.get(center) if center else None))


def _receive_material(session, materials, locations, rng, today, people) -> list:
    bins = [loc for code, loc in locations.items() if loc.kind == "bin"]
    lots = []
    suppliers = ["Alro Steel", "Ryerson", "Admiral Metals", "Online Metals Supply", "Castle Metals"]
    for index, (code, material) in enumerate(materials.items()):
        count = 1 if material.stocking == "per_job" else 2
        for n in range(count):
            with clock_at(_at(today, 35 - n * 12 - index % 5, 8)):
                plate = material.unit == "pcs"
                quantities = [Decimal(rng.choice([4, 6, 8]))] if plate else [Decimal(144)] * rng.choice([3, 4, 6])
                lot = production.receive_lot(
                    session, material, f"{rng.choice('ABCDEHJKLMN')}{rng.randint(10000, 99999)}", quantities,
                    bins[(index * 2 + n) % len(bins)], supplier=rng.choice(suppliers),
                    po_number=f"PO-{7100 + index * 3 + n}", kind="plate" if plate else "bar",
                    cert_reference=f"MTR-{rng.randint(100000, 999999)}", user_id=people["handler"].id)
            lots.append(lot)
    session.flush()
    return lots


# ASTM A582 type 303 (weight %) and the annealed bar's yield: what the 303 lots' certs are held against.
LIMITS_303 = {"C": (None, "0.15"), "Mn": (None, "2.00"), "P": (None, "0.20"), "S": ("0.15", None),
              "Si": (None, "1.00"), "Cr": ("17.0", "19.0"), "Ni": ("8.0", "10.0"), "yield": ("205", None)}


def _mill_certs(session, materials, lots, people) -> None:
    """303 stainless carries its specification limits; each 303 lot's 3.1 cert is recorded, inside them."""
    from spex.materials import millcerts
    from spex.models import MaterialLimit
    for material in materials.values():
        if material.grade.startswith("303"):
            material.limits = [MaterialLimit(property=prop, minimum=Decimal(low) if low else None,
                                             maximum=Decimal(high) if high else None)
                               for prop, (low, high) in LIMITS_303.items()]
    session.flush()
    for n, lot in enumerate(lot for lot in lots if lot.material.grade.startswith("303")):
        chemistry = {"C": Decimal("0.06"), "Mn": Decimal("1.62"), "P": Decimal("0.031"),
                     "S": Decimal("0.29") + Decimal(n % 4) / 100, "Si": Decimal("0.48"),
                     "Cr": Decimal("17.4") + Decimal(n % 5) / 10, "Ni": Decimal("8.1") + Decimal(n % 3) / 10}
        figures = millcerts.CertFigures("3.1", "ASTM A582", "303", lot.heat_number, chemistry,
                                        {"yield": Decimal(290 + 5 * n), "tensile": Decimal(600 + 5 * n),
                                         "elongation": Decimal(48), "hardness": Decimal(180 + n)})
        with clock_at(lot.received_at):
            millcerts.enter_cert(session, lot, figures, people["handler"])


def _orders(session, customers, parts, today) -> list[OrderLine]:
    lines = []
    number = 5100
    for index, (part_no, part) in enumerate(parts.items()):
        strategy = ("ship_complete", "scheduled", "blanket")[index % 3]
        customer = part.customer
        number += 1
        order = CustomerOrder(number=f"SO-{number}", customer=customer,
                              po_number=f"{customer.code}-PO-{44000 + index * 7}", order_date=today - timedelta(days=45 - index))
        quantity = (100, 1000, 2400)[index % 3]
        line = OrderLine(order=order, line_no=1, part=part, quantity=quantity, strategy=strategy,
                         unit_price=part.unit_price,
                         due_date={"ship_complete": today + timedelta(days=10 + index * 2), "scheduled": today - timedelta(days=5),
                                   "blanket": today + timedelta(days=300)}[strategy],
                         period_start=today - timedelta(days=60) if strategy == "blanket" else None)
        if strategy == "scheduled":
            for month in range(4):
                line.releases.append(Release(kind="release", due_date=today + timedelta(days=-5 + 30 * month), quantity=250))
        elif strategy == "blanket":
            for k, days in enumerate((-3, 25)):
                line.releases.append(Release(kind="calloff", due_date=today + timedelta(days=days), quantity=200 + 100 * k))
        session.add(order)
        lines.append(line)
    session.flush()
    return lines


def _bar_for(session, job, lots):
    for lot in lots:
        if lot.material_id == job.part.material_id:
            where = production.where_are(session, lot.units)
            for unit in lot.units:
                bin, left = where[unit.id]
                if bin is not None and left > 0:
                    return unit, left
    return None, Decimal(0)


def _jobs(session, parts, lines, lots, locations, people, rng, today) -> list:
    jobs = []
    part_list = list(parts.values())
    line_for = {line.part_id: line for line in lines}
    operators = [people["dana"], people["luis"], people["kim"], people["sam"]]
    inspector, shipping = people["inspector"], people["shipping"]
    fg_bins = [loc for loc in locations.values() if loc.kind == "fg"]
    number = 24000
    for index, stage in enumerate(STAGES):
        part = part_list[index % len(part_list)]
        quantity = rng.choice([50, 100, 100, 150, 200, 250, 500])
        started = 3 + (index * 7) % 18  # days ago the job was released
        due = today + timedelta(days={"late": -3 - index % 4, "planned": 25 + index}.get(stage, 5 + (index * 3) % 20))
        number += 1
        line = line_for.get(part.id)
        with clock_at(_at(today, started + 2)):
            job = production.create_job(session, part, quantity, due, number=str(number),
                                        order_lines=[line] if line else [])
        jobs.append(job)
        if stage == "planned":
            continue
        operator = operators[index % len(operators)]
        with clock_at(_at(today, started, 7)):
            production.release_job(session, job, user_id=people["planner"].id)
        if stage == "released":
            continue
        _pull_for(session, job, lots, operator, _at(today, started, 7.5))
        ops = job.operations
        day = float(started)
        # How far the job has come: partial jobs stop inside their routing.
        stop_at = {"partial": 1 + index % 2, "hold": 1, "late": 1 + index % 2, "vendor": None,
                   "finished": len(ops), "shipped": len(ops)}[stage]
        for position, op in enumerate(ops):
            if stop_at is not None and position >= stop_at:
                break
            day = max(day - rng.choice([1, 2, 3]), 0.2)
            here = shopfloor.available_at(session, op)
            if here == 0:
                break
            if op.is_outside:
                with clock_at(_at(today, day, 10)):
                    shopfloor.ship_out(session, op, here, user=shipping, packing_slip=f"PS-{number}-{op.seq}")
                if stage == "vendor":
                    if index % 2:
                        with clock_at(_at(today, max(day - 1, 0.1), 14)):
                            shopfloor.receive_back(session, op, here // 2, user=shipping)
                    break
                day = max(day - op.turnaround_days / 2, 0.1)
                with clock_at(_at(today, day, 11)):
                    shopfloor.receive_back(session, op, here, user=shipping)
                continue
            last_partial = stop_at is not None and position == stop_at - 1 and stage in ("partial", "late")
            scrap = rng.choice([0, 0, 1, 2]) if op.work_center and op.work_center.kind in ("lathe", "mill") else 0
            good = here - scrap
            if last_partial:
                good = max(1, int(here * rng.choice([0.4, 0.6, 0.8])) - scrap)
            with clock_at(_at(today, day, 13 + position % 3)):
                if scrap:
                    shopfloor.scrap_pieces(session, op, scrap, rng.choice(["DIM", "FIN", "SET"]), user=operator)
                shopfloor.complete_operation(session, op, good, user=operator if op.work_center.kind != "inspection" else inspector)
        if stage == "hold":
            op = ops[1] if len(ops) > 1 else ops[0]
            waiting = shopfloor.available_at(session, op)
            if waiting:
                with clock_at(_at(today, 1, 10)):
                    shopfloor.place_hold(session, op, min(waiting, 5 + index % 10), ("DIM", "FIN", "MAT")[index % 3],
                                         user=inspector, note="Found at first-article check")
        if stage in ("finished", "shipped"):
            waiting = int(production.ledger.balance(session, production.ledger.job_item(job.id),
                                                    production.ledger.finished(job.id)))
            if waiting:
                with clock_at(_at(today, 1, 15)):
                    lot = shopfloor.receive_finished_goods(session, job, waiting, fg_bins[index % len(fg_bins)],
                                                           user=inspector)
                if stage == "shipped" and line is not None:
                    release = next((r for r in line.releases if r.shipped_qty < r.quantity), None)
                    amount = min(waiting, (release.quantity - release.shipped_qty) if release else line.quantity)
                    if line.strategy == "ship_complete":
                        amount = line.quantity - line.shipped_qty
                    if 0 < amount <= waiting:
                        with clock_at(_at(today, 0.5, 9)):
                            _ship(session, line, release, lot, amount, shipping, index)
    return jobs


def _ship(session, line, release, lot, amount, shipping, index):
    """A shipment record with its packing list and cert pack, as the shipping bench makes them."""
    make_shipment(session, line.order.customer,
                  [LineRequest(line.id, release.id if release else None, [Pick(lot.id, amount)])],
                  user=shipping, ship_date=shoptime.local_date(utcnow()),
                  carrier=("UPS Ground", "Our truck", "FedEx Freight")[index % 3],
                  tracking=f"1Z{40210 + index:08d}", ship_to=f"{line.order.customer.name}, receiving")


def _pull_for(session, job, lots, operator, when):
    needed = job.part.bar_length_per_piece * job.quantity
    with clock_at(when):
        if not needed:  # plate parts: one plate per 25 pieces
            needed = Decimal(max(1, job.quantity // 25))
        while needed > 0:
            unit, left = _bar_for(session, job, lots)
            if unit is None:
                return
            take = min(left, needed)
            shopfloor.pull_material(session, unit, job, take, user=operator)
            needed -= take


def _programs(session, customers, parts, materials):
    session.add(StockingProgram(customer=customers["NFP"], kind="safety_stock", part=parts["NF-1001"],
                                quantity=Decimal(500)))
    session.add(StockingProgram(customer=customers["CWF"], kind="material", material=materials["316-RD-1.250"],
                                quantity=Decimal(6)))

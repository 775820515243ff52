"""A shop's past, written in bulk: many closed jobs, the bars they were cut from, and the ledger
entries and station scans of a year of working days, so a benchmark can ask whether a scan's cost
grows with the history the database holds.

Written with plain INSERTs (executemany on the session's connection, in its transaction), not the
ORM: a million entries cost about a minute and a half of CPU this way (bench/README.md has the
measured fill times), hours one object at a time. The rows are what
the shop-floor functions would have written (the same kinds, keys, quantities in thousandths and
UTC timestamps), so every index and query sees the shapes it sees in a real shop.
"""
from __future__ import annotations

import uuid
from datetime import timedelta, timezone

ENTRIES_PER_DAY = 4_000   # a busy shop's ledger on one working day
PIECES = 200              # each past job
BAR_IN = 144              # each job's bar, received just before it
PULLS = 4                 # pulls of 30 in from it (24 in left in the rack as a remnant)
COMPLETIONS = 20          # completion scans at each in-house operation
FIRST_SHIFT, LAST_SHIFT = 6, 16  # the shop's working hours, on its own clock


def working_moments(count: int, today, start_of):
    """Moments spread evenly over the working hours of weekdays, oldest first, as the UTC text SQLite
    stores: ENTRIES_PER_DAY a day, starting far enough back that `count` of them end before `today`."""
    day, days = today, -(-count // ENTRIES_PER_DAY)
    while days:
        day -= timedelta(days=1)
        days -= day.weekday() < 5
    shift = (LAST_SHIFT - FIRST_SHIFT) * 3600 / ENTRIES_PER_DAY
    while True:
        if day.weekday() < 5:
            opening = start_of(day) + timedelta(hours=FIRST_SHIFT)
            for n in range(ENTRIES_PER_DAY):
                moment = opening + timedelta(seconds=shift * n)
                yield moment.astimezone(timezone.utc).replace(tzinfo=None).isoformat(" ", "microseconds")
        day += timedelta(days=1)


def job_history(n: int, ids: dict, shop: dict) -> list[tuple]:
    """The ledger entries of past job number n, in the order they happened: its bar received and
    pulled, the job released, completions at the lathe, a scrap and completions at the mill (every
    fourth job with pieces held there and released), the anodize out and back, the finished pieces
    put away and shipped.
    Each entry: (kind, item, quantity in thousandths, unit, from, to, stock_unit_id, fg_lot_id,
    job_id, job_operation_id, from_location_id, to_location_id, user_id, station_id, hold_id,
    shipment_id, scanned)."""
    job, unit, fg, hold, shipment = ids["job"], ids["unit"], ids["fg"], ids["hold"], ids["shipment"]
    lathe_op, mill_op, outside_op = ids["ops"]
    rack, vendor, scrap, fg_bin = shop["rack"], shop["vendor_loc"], shop["scrap"], shop["fg_bin"]
    operator = shop["operators"][n % len(shop["operators"])]
    station = shop["stations"][n % len(shop["stations"])]
    shipper = shop["shipper"]
    j, u, f = f"job:{job}", f"unit:{unit}", f"fg:{fg}"
    lathe, mill, outside, done = f"op:{lathe_op}", f"op:{mill_op}", f"op:{outside_op}", f"done:{job}"
    loc = "loc:{}".format  # the ledger's keys, as spex.ledger builds them

    def entry(kind, item, pieces, unit_, src, dst, *, op=None, stock=None, lot=None, from_loc=None, to_loc=None,
              by=operator, hold_id=None, shipment_id=None, scanned=True):
        return (kind, item, round(pieces * 1000), unit_, src, dst, stock, lot, job if item != u or kind == "pull"
                else None, op, from_loc, to_loc, by if scanned else None, station if scanned else None,
                hold_id, shipment_id, scanned)

    rows = [entry("receive", u, BAR_IN, "in", None, loc(rack), stock=unit, to_loc=rack, scanned=False)]
    rows += [entry("pull", u, 30, "in", loc(rack), None, stock=unit, from_loc=rack) for _ in range(PULLS)]
    rows.append(entry("release", j, PIECES, "pcs", None, lathe, op=lathe_op, scanned=False))
    each = PIECES // COMPLETIONS
    rows += [entry("complete", j, each, "pcs", lathe, mill, op=lathe_op) for _ in range(COMPLETIONS)]
    rows.append(entry("scrap", j, 1, "pcs", mill, loc(scrap), op=mill_op, to_loc=scrap))
    if hold:
        rows.append(entry("hold", j, 2, "pcs", mill, f"hold:{mill_op}", op=mill_op, hold_id=hold))
        rows.append(entry("hold_release", j, 2, "pcs", f"hold:{mill_op}", mill, op=mill_op, hold_id=hold,
                          by=shop["operators"][0]))
    rows += [entry("complete", j, each - (1 if k == 0 else 0), "pcs", mill, outside, op=mill_op)
             for k in range(COMPLETIONS)]
    good = PIECES - 1
    rows.append(entry("ship_out", j, good, "pcs", outside, loc(vendor), op=outside_op, to_loc=vendor, by=shipper,
                      shipment_id=shipment))
    rows.append(entry("receive_back", j, good, "pcs", loc(vendor), done, op=outside_op, from_loc=vendor,
                      by=shipper, shipment_id=shipment))
    rows.append(entry("fg_receipt", j, good, "pcs", done, None, lot=fg, by=shipper))
    rows.append(entry("fg_receipt", f, good, "pcs", None, loc(fg_bin), lot=fg, to_loc=fg_bin, by=shipper))
    rows.append(entry("ship", f, good, "pcs", loc(fg_bin), None, lot=fg, from_loc=fg_bin, by=shipper))
    return rows


def balances_after(rows: list[tuple]) -> dict[tuple[str, str], tuple[int, str]]:
    """Each (item, place) an entry touched and what is left there: the balance rows the ledger keeps."""
    left: dict[tuple[str, str], tuple[int, str]] = {}
    for kind, item, quantity, unit, src, dst, *_ in rows:
        if src is not None:
            left[item, src] = (left.get((item, src), (0, unit))[0] - quantity, unit)
        if dst is not None:
            left[item, dst] = (left.get((item, dst), (0, unit))[0] + quantity, unit)
    return left


HOLD_EVERY = 4  # a hold and its release every fourth job
ENTRIES_PER_JOB = 1 + PULLS + 1 + COMPLETIONS + 1 + COMPLETIONS + 5 + 2 / HOLD_EVERY


class Rows(dict):
    """The rows to write, table by table."""

    def add(self, table: str, row: tuple) -> None:
        self.setdefault(table, []).append(row)


def prefill(connection, entries: int, shop: dict, today, start_of, *, numbers_from: int = 0) -> dict:
    """Write about `entries` ledger entries of past, closed jobs, the scans that recorded them and a
    context scan (the operation, the bar) for every other recording scan, in the caller's transaction.
    `shop` holds the ids they hang on: part, material, routing (description, work center, vendor),
    locations, operators, a shipper, stations. `numbers_from` (a multiple of 12) starts the jobs', lots' and
    FG lots' numbers further on, for a shop filled material by material. Returns what it wrote, counted."""
    assert numbers_from % 12 == 0, "a lot is twelve bars: start on a lot's first"
    jobs = max(1, round(entries / ENTRIES_PER_JOB))
    moments = working_moments(round(jobs * ENTRIES_PER_JOB), today, start_of)
    first = {table: _next_id(connection, table) for table in
             ("jobs", "material_lots", "stock_units", "job_operations", "fg_lots", "quality_holds",
              "outside_shipments")}
    rows, balances, scans = Rows(), {}, 0
    for n in range(jobs):
        ids = {"job": first["jobs"] + n, "lot": first["material_lots"] + n // 12, "unit": first["stock_units"] + n, "fg": first["fg_lots"] + n,
               "ops": tuple(first["job_operations"] + 3 * n + k for k in range(3)),
               "hold": first["quality_holds"] + n // HOLD_EVERY if n % HOLD_EVERY == 0 else None,
               "shipment": first["outside_shipments"] + n}
        history = job_history(n, ids, shop)
        stamps = [next(moments) for _ in history]
        add_job(rows, n + numbers_from, ids, shop, history, stamps)
        for row, stamp in zip(history, stamps):
            *entry, scanned = row
            uid = uuid.uuid4().hex if scanned else None
            rows.add("ledger_entries", (*entry, uid, stamp, 0))
            if scanned:
                user, station, number = entry[12], entry[13], 24001 + numbers_from + n
                if scans % 3 == 0:  # the scan that gave the context: the operation, the bar
                    rows.add("scans", (uuid.uuid4().hex, station, user, f"JOB-{number}-10", "waiting",
                                       f"Job {number} op 10: Turn — Part P-100 rev A.", _answer("waiting"), stamp))
                rows.add("scans", (uid, station, user, f"{entry[2] / 1000:g}", "done",
                                   f"{entry[2] / 1000:g} {entry[3]} for job {number}.", _answer("done"), stamp))
                scans += 1
        balances.update(balances_after(history))
    last = stamps[-1]
    # Random scan ids land all over their unique indexes: keep the index pages in memory while
    # writing (SQLite's default cache is 2 MiB), and go back to the default afterwards.
    cache = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql("PRAGMA cache_size = -1000000")
    rows["balances"] = [(item, place, quantity, unit, last) for (item, place), (quantity, unit) in balances.items()]
    for table, columns in COLUMNS.items():
        _insert(connection, table, columns, rows.get(table, []))
    connection.exec_driver_sql(f"PRAGMA cache_size = {int(cache)}")
    return {"jobs": jobs, "ledger entries": len(rows["ledger_entries"]), "scans": len(rows["scans"]),
            "balances": len(balances)}


COLUMNS = {  # in the order the foreign keys need
    "material_lots": "id, number, material_id, heat_number, supplier, received_at, active",
    "stock_units": "id, code, lot_id, kind, initial_qty, created_at",
    "jobs": "id, number, part_id, quantity, due_date, status, created_at, released_at, completed_at, priority",
    "job_operations": "id, job_id, seq, kind, description, work_center_id, vendor_id, qty_good, qty_scrap, started_at, "
                      "last_activity_at, completed_at, setup_min, run_min_per_piece, turnaround_days",
    "fg_lots": "id, code, job_id, part_id, created_at",
    "quality_holds": "id, job_id, job_operation_id, quantity, reason_code, placed_by_id, placed_at, released_by_id, "
                     "released_at, disposition",
    "outside_shipments": "id, job_id, job_operation_id, vendor_id, quantity_out, quantity_back, shipped_at, "
                         "expected_back, closed, short_count",
    "outside_receipts": "shipment_id, quantity, received_at, received_by_id",
    "ledger_entries": "kind, item, quantity, unit, from_place, to_place, stock_unit_id, fg_lot_id, job_id, "
                      "job_operation_id, from_location_id, to_location_id, user_id, station_id, hold_id, shipment_id, "
                      "scan_uid, created_at, scan_seq",
    "scans": "uid, station_id, user_id, raw, outcome, message, response, created_at",
    "balances": "item, place, quantity, unit, updated_at",
}


def add_job(rows: Rows, n: int, ids: dict, shop: dict, history: list[tuple], stamps: list[str]) -> None:
    """The records the entries of past job n name: the job and its operations, its bar (a lot of
    twelve bars every twelfth job), its finished-goods lot, its hold, its outside shipment."""
    job, number, lot, lot_number = ids["job"], 24001 + n, ids["lot"], 1101 + n // 12
    kinds = [row[0] for row in history]
    at = {kind: stamps[kinds.index(kind)] for kind in set(kinds)}
    if n % 12 == 0:
        rows.add("material_lots", (lot, str(lot_number), shop["material"], f"H{70000 + lot_number}", "Bench Metals",
                                   at["receive"], True))
    rows.add("stock_units", (ids["unit"], f"{lot_number}-{n % 12 + 1:02d}", lot, "bar", BAR_IN * 1000, at["receive"]))
    rows.add("jobs", (job, str(number), shop["part"], PIECES, stamps[-1][:10], "closed", at["receive"],
                      at["release"], at["ship"], 0))
    good = PIECES - 1
    for k, (description, work_center, vendor) in enumerate(shop["routing"]):
        rows.add("job_operations", (ids["ops"][k], job, 10 * (k + 1), "outside" if vendor else "inhouse",
                                    description, work_center, vendor, PIECES if k == 0 else good, 1 if k == 1 else 0,
                                    at["release"], at["receive_back"], at["receive_back"], 0, 0,
                                    5 if vendor else 0))
    rows.add("fg_lots", (ids["fg"], str(5001 + n), job, shop["part"], at["fg_receipt"]))
    if ids["hold"]:
        rows.add("quality_holds", (ids["hold"], job, ids["ops"][1], 2, "FIN", shop["operators"][0], at["hold"],
                                   shop["operators"][0], at["hold_release"], "use_as_is"))
    rows.add("outside_shipments", (ids["shipment"], job, ids["ops"][2], shop["vendor"], good, good, at["ship_out"],
                                   at["receive_back"][:10], True, 0))
    rows.add("outside_receipts", (ids["shipment"], good, at["receive_back"], shop["shipper"]))


def _answer(outcome: str) -> str:
    # The fragment a resent scan is answered with again: about the size of a real one (200-300 bytes).
    return (f'<div class="feedback {outcome}" data-outcome="{outcome}"><p class="message">'
            + "x" * 160 + "</p></div>")


def _next_id(connection, table: str) -> int:
    return (connection.exec_driver_sql(f"SELECT max(id) FROM {table}").scalar() or 0) + 1


def _insert(connection, table: str, columns: str, rows: list[tuple]) -> None:
    if rows:
        marks = ", ".join("?" for _ in columns.split(","))
        connection.exec_driver_sql(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)

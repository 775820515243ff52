"""Recall and genealogy, both ways, read from the ledger.

Forward, from a heat: its lots, every bar and remnant cut from them, the jobs that pulled any of it,
those jobs' FG lots, the shipments and customers they went to, and what is still in the shop.
Back, from a shipment, an FG lot or a job: the heats and their certs, the outside vendors and their
CoCs, and who did what at which station and when. A job fed from several heats cannot say which
piece came from which bar, so its pieces are "one of" those heats.
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased, selectinload

from spex import ledger
from spex.models import (Balance, Customer, CustomerOrder, FinishedGoodsLot, Job, JobOperation, LedgerEntry, Location,
                         MaterialLot, OrderLine, Shipment, ShipmentLine, ShipmentLot, Station, StockUnit, User)
from spex.shipping.genealogy import heat_numbers, heats_by_job, not_undone, of_kind, outside_work

# A job's pieces still in work: waiting at an operation, on hold, or finished and not yet put away.
SHOP_PLACES = (ledger.OPERATION_KEY, ledger.HOLD_KEY, ledger.DONE_KEY)


def _iso(moment) -> str | None:
    return moment.isoformat() if moment is not None else None


def _on_hand(session: Session, items: list[str]) -> dict[str, list[tuple[str, int | float]]]:
    """Where each item is now: its balances above zero, place by place."""
    found: dict[str, list] = {item: [] for item in items}
    if items:
        for item, place, amount in session.execute(
                select(Balance.item, Balance.place, Balance.quantity)
                .where(Balance.item.in_(items), Balance.quantity > 0).order_by(Balance.item, Balance.place)):
            found[item].append((place, amount))
    return found


def _location_codes(session: Session, places) -> dict[str, str]:
    ids = [ledger.parse_key(p).id for p in places if p and p.startswith(ledger.LOCATION_KEY + ":")]
    if not ids:
        return {}
    return {ledger.at_location(i): code for i, code in session.execute(
        select(Location.id, Location.code).where(Location.id.in_(ids)))}


# --- forward: from a heat -------------------------------------------------------------------------

def recall_heat(session: Session, heat_number: str) -> dict | None:
    heat = (heat_number or "").strip()[:60]
    lots = session.scalars(select(MaterialLot).where(func.upper(MaterialLot.heat_number) == heat.upper())
                           .options(selectinload(MaterialLot.material), selectinload(MaterialLot.units))
                           .order_by(MaterialLot.received_at, MaterialLot.id)).all()
    if not lots:
        return None
    units = [u for lot in lots for u in lot.units]
    unit_keys = [ledger.unit_item(u.id) for u in units]
    undo, undo_on, kept = not_undone()
    pulls = session.execute(
        select(LedgerEntry.stock_unit_id, LedgerEntry.job_id, LedgerEntry.quantity, LedgerEntry.unit,
               LedgerEntry.created_at)
        .outerjoin(undo, undo_on)
        .where(of_kind(ledger.PULL), LedgerEntry.item.in_(unit_keys), kept)
        .order_by(LedgerEntry.id)).all() if unit_keys else []
    job_ids = list(dict.fromkeys(p.job_id for p in pulls))
    jobs = {j.id: j for j in session.scalars(select(Job).where(Job.id.in_(job_ids))
                                             .options(selectinload(Job.part)))} if job_ids else {}
    heats = heats_by_job(session, job_ids)
    fg_lots = _fg_lots_of(session, job_ids)
    shipped = _shipments_of(session, [lot.id for lot in fg_lots])
    unit_code = {u.id: u.code for u in units}
    stock_now = _on_hand(session, unit_keys)
    wip_now = _on_hand(session, [ledger.job_item(j) for j in job_ids])
    fg_now = _on_hand(session, [ledger.fg_item(lot.id) for lot in fg_lots])
    fg_codes = {lot.id: lot.code for lot in fg_lots}  # a carton names the lot it was packed from
    names = _location_codes(session, [p for rows in (*stock_now.values(), *fg_now.values()) for p, _ in rows])
    job_rows = []
    for job_id in job_ids:
        job = jobs[job_id]
        job_heats = heat_numbers(heats[job_id])
        in_shop = sum(int(a) for p, a in wip_now[ledger.job_item(job_id)] if p.split(":")[0] in SHOP_PLACES)
        job_rows.append({
            "job": job.number, "part": job.part.label, "status": job.status, "heats": job_heats,
            "from_this_heat": "all" if len(job_heats) == 1 else "one of " + ", ".join(job_heats),
            "pulled": [{"stock_unit": unit_code[p.stock_unit_id], "quantity": float(p.quantity), "unit": p.unit,
                        "at": _iso(p.created_at)} for p in pulls if p.job_id == job_id],
            "pieces_in_work": in_shop,
            "fg_lots": [_fg_row(lot, fg_now, names, shipped, fg_codes) for lot in fg_lots if lot.job_id == job_id],
        })
    customers = sorted({s["customer"] for j in job_rows for lot in j["fg_lots"] for s in lot["shipments"]})
    return {
        "heat": lots[0].heat_number,
        "lots": [{"lot": lot.number, "material": lot.material.code, "supplier": lot.supplier,
                  "po_number": lot.po_number, "cert_on_file": bool(lot.cert_filename),
                  "received_at": _iso(lot.received_at)} for lot in lots],
        "stock_units": [_unit_row(u, unit_code, stock_now, names) for u in units],
        "jobs": job_rows,
        "customers": customers,
        "pieces_in_shop": sum(j["pieces_in_work"] + sum(lot["on_hand"] for lot in j["fg_lots"]) for j in job_rows),
    }


def _unit_row(unit: StockUnit, unit_code: dict, stock_now: dict, names: dict) -> dict:
    where = stock_now[ledger.unit_item(unit.id)]
    return {"stock_unit": unit.code, "kind": unit.kind, "cut_from": unit_code.get(unit.parent_id),
            "initial": float(unit.initial_qty), "on_hand": float(sum(a for _, a in where)),
            "bin": names.get(where[0][0]) if where else None}


def _fg_lots_of(session: Session, job_ids) -> list[FinishedGoodsLot]:
    if not job_ids:
        return []
    return session.scalars(select(FinishedGoodsLot).where(FinishedGoodsLot.job_id.in_(job_ids))
                           .order_by(FinishedGoodsLot.created_at, FinishedGoodsLot.id)).all()


def _fg_row(lot: FinishedGoodsLot, fg_now: dict, names: dict, shipped: dict, fg_codes: dict) -> dict:
    where = fg_now[ledger.fg_item(lot.id)]
    return {"fg_lot": lot.code, "carton_of": fg_codes.get(lot.parent_id), "on_hand": sum(int(a) for _, a in where),
            "bin": names.get(where[0][0]) if where else None, "shipments": shipped.get(lot.id, [])}


def _shipments_of(session: Session, fg_lot_ids) -> dict[int, list[dict]]:
    """Every ship entry of these FG lots (since undone left out), with its shipment when it has one
    (a one-scan shipment at a station has none) and the customer of its order."""
    if not fg_lot_ids:
        return {}
    undo, undo_on, kept = not_undone()
    rows = session.execute(
        select(LedgerEntry.fg_lot_id, LedgerEntry.quantity, LedgerEntry.created_at, Shipment.number,
               Shipment.ship_date, CustomerOrder.number, CustomerOrder.po_number, Customer.name)
        .join(OrderLine, OrderLine.id == LedgerEntry.order_line_id)
        .join(CustomerOrder, CustomerOrder.id == OrderLine.order_id)
        .join(Customer, Customer.id == CustomerOrder.customer_id)
        .outerjoin(ShipmentLot, ShipmentLot.ledger_entry_id == LedgerEntry.id)
        .outerjoin(ShipmentLine, ShipmentLine.id == ShipmentLot.shipment_line_id)
        .outerjoin(Shipment, Shipment.id == ShipmentLine.shipment_id)
        .outerjoin(undo, undo_on)
        .where(of_kind(ledger.SHIP), LedgerEntry.fg_lot_id.in_(fg_lot_ids), kept)
        .order_by(LedgerEntry.id)).all()
    found: dict[int, list[dict]] = {}
    for lot_id, quantity, when, number, ship_date, order, po, customer in rows:
        found.setdefault(lot_id, []).append({
            "shipment": f"SHP-{number}" if number else None, "shipped_at": _iso(when),
            "ship_date": ship_date.isoformat() if ship_date else None, "pieces": int(quantity),
            "order": order, "po_number": po, "customer": customer})
    return found


RECALL_CSV_HEADER = ("heat", "job", "part", "from this heat", "fg lot", "pieces on hand", "bin", "shipment",
                     "ship date", "pieces shipped", "customer", "customer po")


def recall_csv_rows(recall: dict):
    """One row per shipment of each FG lot, one per FG lot with pieces still here, one per job with
    pieces still in work: what a recall letter and a quarantine list are written from."""
    heat = recall["heat"]
    for job in recall["jobs"]:
        common = (heat, job["job"], job["part"], job["from_this_heat"])
        if job["pieces_in_work"]:
            yield (*common, "", job["pieces_in_work"], "in work", "", "", "", "", "")
        for lot in job["fg_lots"]:
            if lot["on_hand"]:
                yield (*common, "FG-" + lot["fg_lot"], lot["on_hand"], lot["bin"] or "", "", "", "", "", "")
            for s in lot["shipments"]:
                yield (*common, "FG-" + lot["fg_lot"], 0, "", s["shipment"] or "shipped at a station",
                       s["ship_date"] or s["shipped_at"][:10], s["pieces"], s["customer"], s["po_number"])


# --- back: from a shipment, an FG lot or a job ----------------------------------------------------------

def trace_jobs(session: Session, job_ids: list[int]) -> list[dict]:
    """Each job back to its heats (and certs), its outside vendors (and CoCs), and every movement of
    it: who, at which station, when."""
    job_ids = list(dict.fromkeys(job_ids))
    if not job_ids:
        return []
    jobs = {j.id: j for j in session.scalars(select(Job).where(Job.id.in_(job_ids)).options(selectinload(Job.part)))}
    heats = heats_by_job(session, job_ids)
    outside = outside_work(session, job_ids)
    history = _history(session, job_ids)
    return [{
        "job": jobs[j].number, "part": jobs[j].part.label, "quantity": jobs[j].quantity, "status": jobs[j].status,
        "heats": [{"heat": h.heat_number, "lot": h.lot_number, "material": h.material, "supplier": h.supplier,
                   "cert_on_file": bool(h.cert_filename), "cert_reference": h.cert_reference} for h in heats[j]],
        "pieces_are": ("heat " + heat_numbers(heats[j])[0]) if len(heat_numbers(heats[j])) == 1 else
                      ("one of heats " + ", ".join(heat_numbers(heats[j])) if heats[j] else "no pull recorded"),
        "outside": [{"op": w.seq, "process": w.process, "vendor": w.vendor, "coc_on_file": bool(w.coc_filename)}
                    for w in outside if w.job_number == jobs[j].number],
        "history": history.get(j, []),
    } for j in job_ids]


def _history(session: Session, job_ids) -> dict[int, list[dict]]:
    reversal = aliased(LedgerEntry)
    rows = session.execute(
        select(LedgerEntry.job_id, LedgerEntry.kind, LedgerEntry.item, LedgerEntry.quantity, LedgerEntry.unit,
               LedgerEntry.created_at, JobOperation.seq, User.name, Station.name, reversal.id)
        .outerjoin(JobOperation, JobOperation.id == LedgerEntry.job_operation_id)
        .outerjoin(User, User.id == LedgerEntry.user_id)
        .outerjoin(Station, Station.id == LedgerEntry.station_id)
        .outerjoin(reversal, reversal.reverses_id == LedgerEntry.id)
        .where(LedgerEntry.job_id.in_(list(job_ids)), LedgerEntry.kind != ledger.REVERSAL)
        .order_by(LedgerEntry.id)).all()
    found: dict[int, list[dict]] = {}
    for job_id, kind, item, quantity, unit, when, seq, who, station, undone_by in rows:
        found.setdefault(job_id, []).append({
            "what": kind, "item": item, "op": seq, "quantity": float(quantity), "unit": unit, "at": _iso(when),
            "operator": who, "station": station, "undone": undone_by is not None})
    return found


def trace_shipment(session: Session, shipment: Shipment) -> dict:
    lots = [p for line in shipment.lines for p in line.lots]
    return {"shipment": shipment.barcode, "customer": shipment.customer.name,
            "ship_date": shipment.ship_date.isoformat(),
            "fg_lots": [{"fg_lot": p.fg_lot.code, "pieces": p.quantity, "job": p.fg_lot.job.number} for p in lots],
            "jobs": trace_jobs(session, [p.fg_lot.job_id for p in lots])}


def trace_fg_lot(session: Session, lot: FinishedGoodsLot) -> dict:
    shipped = _shipments_of(session, [lot.id]).get(lot.id, [])
    return {"fg_lot": lot.code, "carton_of": lot.parent.code if lot.parent else None, "part": lot.part.label,
            "job": lot.job.number, "shipments": shipped,
            "jobs": trace_jobs(session, [lot.job_id])}


TRACE_CSV_HEADER = ("job", "when", "what", "op", "quantity", "unit", "operator", "station", "undone")


def trace_csv_rows(trace: dict):
    for job in trace["jobs"]:
        for h in job["history"]:
            yield (job["job"], h["at"], h["what"], h["op"] or "", h["quantity"], h["unit"], h["operator"] or "",
                   h["station"] or "", "yes" if h["undone"] else "")

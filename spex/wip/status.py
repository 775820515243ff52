"""The job page's room: one job's status as plain data (the page and the JSON both read it), its history.

job_status() answers "where is my order?": every operation with its pieces, the plain-language
line the office reads to a customer, material heats, holds, outside shipments and finished goods.
The JSON form is documented in docs/job-status.md and docs/job-status.schema.json.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased, joinedload, selectinload

from spex import codes, ledger, shoptime
from spex.models import (Balance, FinishedGoodsLot, Job, JobOperation, JOB_STATUSES, LedgerEntry, Location,
                         Material, MaterialLot, OPEN_STATUSES, OutsideReceipt, OutsideShipment, QualityHold, Station,
                         StockUnit, User, utcnow)
from spex.quality.ncrs import numbers_of_holds
from spex.wip.board import STATE_ACTIVE, STATE_DONE, BoardJob, BoardOp, load_board
from spex.wip.cache import aged, open_board
from spex.wip.schedule import RISK_TEXT
from spex.materials.record import for_job as lot_records_for_job

SCHEMA_VERSION = 1

KIND_NAMES = {
    ledger.RECEIVE: "Received", ledger.PUTAWAY: "Moved", ledger.PULL: "Material pulled",
    ledger.REMNANT: "Remnant returned", ledger.RELEASE: "Released to the floor",
    ledger.COMPLETE: "Completed", ledger.SCRAP: "Scrapped", ledger.HOLD: "Put on hold",
    ledger.HOLD_RELEASE: "Hold released", ledger.SHIP_OUT: "Shipped to vendor",
    ledger.RECEIVE_BACK: "Received from vendor", ledger.FG_RECEIPT: "Put away as finished goods",
    ledger.SHIP: "Shipped to customer", ledger.ADJUST: "Count adjusted", ledger.REVERSAL: "Undone",
    ledger.REPLAN: "Plan changed", ledger.SPLIT: "Split", ledger.CARTON: "Packed in cartons",
}


def find_job(session: Session, number: str) -> Job | None:
    number = (number or "").strip().upper().removeprefix(codes.JOB)
    if not number or len(number) > 40:
        return None
    return session.scalar(select(Job).where(func.upper(Job.number) == number))


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def day_phrase(day: date | None, today: date) -> str:
    """How people say a near date: today, tomorrow, Tuesday; further off, Tue 9 Dec."""
    if day is None:
        return ""
    if day == today:
        return "today"
    if day == today + timedelta(days=1):
        return "tomorrow"
    if today < day <= today + timedelta(days=6):
        return day.strftime("%A")
    return day.strftime("%a %d %b").replace(" 0", " ")


def summary_line(job: BoardJob, status: str, today: date) -> str:
    """The answer to "where is my order?" in one line: "Op 10 done 80/100; op 20 next, Tuesday on Lathe 2"."""
    if status in ("complete", "closed"):
        return f"Job {status}: {job.ops[-1].good if job.ops else 0} of {job.quantity} good pieces made."
    if status == "cancelled":
        return "Job cancelled."
    parts: list[str] = []
    done = [op for op in job.ops if op.state == STATE_DONE]
    if done and len(done) == len(job.ops):
        parts.append("All operations done")
    elif len(done) > 1:
        parts.append(f"Ops {done[0].seq}–{done[-1].seq} done")
    elif done:
        parts.append(f"Op {done[0].seq} done {done[0].good}/{done[0].expected}")
    for op in job.ops:
        if op.state == STATE_DONE or not (op.good or op.waiting or op.held or op.at_vendor):
            continue
        if op.good:
            text = f"op {op.seq} done {op.good}/{op.expected}"
            detail = [f"{op.waiting} waiting"] if op.waiting else []
        else:
            text = f"op {op.seq}: {op.waiting} waiting at {op.where}" if op.waiting else f"op {op.seq}"
            if op.waiting and op.projected_start and op.projected_start > today:
                text += f", starts {day_phrase(op.projected_start, today)}"
            detail = []
        if op.at_vendor:
            back = [s.expected_back for s in job.shipments if s.seq == op.seq and s.expected_back]
            detail.append(f"{op.at_vendor} at {op.where}" + (f" due back {day_phrase(min(back), today)}" if back else ""))
        if op.held:
            detail.append(f"{op.held} held" + (f", {', '.join(op.ncrs)}" if op.ncrs else ""))
        parts.append(text + (f" ({', '.join(detail)})" if detail else ""))
    upcoming = next((op for op in job.ops if op.state != STATE_DONE and op.good == 0
                     and not (op.waiting or op.held or op.at_vendor)), None)
    if status == "planned":
        first = job.ops[0] if job.ops else None
        text = "Planned, not yet released"
        if first and first.projected_start:
            text += f"; op {first.seq} could start {day_phrase(first.projected_start, today)} on {first.where}"
        return text + "."
    if upcoming is not None and upcoming.projected_start:
        parts.append(f"op {upcoming.seq} next, {day_phrase(upcoming.projected_start, today)} on {upcoming.where}")
    if job.finished:
        parts.append(f"{job.finished} finished")
    if not parts:
        return "Released; nothing recorded yet."
    line = "; ".join(parts)
    return line[0].upper() + line[1:] + "."


def _op_status(op: BoardOp) -> str:
    if op.state == STATE_DONE:
        return "done"
    if op.state == STATE_ACTIVE:
        return "in_progress" if op.good else "waiting"
    return "started" if op.good else "not_started"


def _board_job(session: Session, job: Job, now: datetime) -> BoardJob:
    # The kept schedule of the whole shop (spex/wip/cache.py): the job's place in it is all we need.
    found = [bj for bj in open_board(session, now=now) if bj.id == job.id] if job.status in OPEN_STATUSES else []
    if not found:  # not open (or closed a moment ago): read it alone, no schedule to place it in
        found = load_board(session, now=now, statuses=JOB_STATUSES, only=[job.id])
    return aged(found[0], now)


def job_status(session: Session, job: Job, *, now: datetime | None = None) -> dict:
    """Everything the office needs to answer for a job, as JSON-ready data."""
    now = now or utcnow()
    today = shoptime.local_date(now)
    bj = _board_job(session, job, now)
    scheduled = job.status in OPEN_STATUSES
    operations = [{
        "seq": op.seq, "kind": op.kind, "description": op.description, "barcode": f"{codes.JOB}{job.number}-{op.seq}",
        "work_center": op.work_center_code, "work_center_name": op.work_center_name,
        "vendor": op.vendor_code, "vendor_name": op.vendor_name,
        "status": _op_status(op), "good": op.good, "scrap": op.scrap, "expected": op.expected,
        "remaining": op.remaining, "waiting": op.waiting, "on_hold": op.held, "at_vendor": op.at_vendor,
        "held_ncrs": op.ncrs, "rework": op.rework, "pieces": op.pieces_text if op.state == STATE_ACTIVE else "",
        "setup_min": float(op.setup_min), "run_min_per_piece": float(op.run_min_per_piece),
        "turnaround_days": op.turnaround_days, "last_activity_at": _iso(op.last_activity_at),
        "projected_start": _iso(op.projected_start) if scheduled and op.remaining else None,
        "projected_finish": _iso(op.projected_finish) if scheduled and op.remaining else None,
    } for op in bj.ops]
    current = [op.seq for op in bj.current_ops]
    return {
        "schema_version": SCHEMA_VERSION,
        "job": job.number,
        "barcode": job.barcode,
        "status": job.status,
        "summary": summary_line(bj, job.status, today),
        "part": {"number": bj.part_number, "rev": bj.part_rev, "description": bj.part_description},
        "customer": {"code": bj.customer_code, "name": bj.customer_name},
        "quantity": job.quantity,
        "due_date": job.due_date.isoformat(),
        "priority": job.priority or 0,
        "released_at": _iso(job.released_at),
        "completed_at": _iso(job.completed_at),
        "finished_pieces": bj.finished,
        "current_operations": current,
        "risk": {
            "level": bj.risk if scheduled else None,
            "text": RISK_TEXT[bj.risk] if scheduled else None,
            # What every page's badge reads (PAST DUE, LATE +3d, AT RISK, ON TIME): spex/wip/schedule.py.
            "words": bj.risk_text if scheduled else None,
            "projected_finish": _iso(bj.projected_finish) if scheduled else None,
            "slack_workdays": bj.slack_days if scheduled else None,
        },
        "operations": operations,
        "materials": lot_records_for_job(session, materials_used(session, job)),
        "holds": holds_of(session, job, today),
        "outside_shipments": shipments_of(session, job, today),
        "finished_goods": finished_goods_of(session, job),
        "as_of": now.isoformat(),
    }


def materials_used(session: Session, job: Job) -> list[dict]:
    """Heats and lots pulled for the job (pulls since undone are left out), one entry per lot."""
    undo = aliased(LedgerEntry)
    rows = session.execute(
        select(LedgerEntry.quantity, LedgerEntry.unit, StockUnit.code, MaterialLot.number, MaterialLot.heat_number,
               MaterialLot.cert_filename, MaterialLot.cert_reference, MaterialLot.supplier, Material.code,
               Material.grade, Material.form, Material.size, LedgerEntry.created_at)
        .join(StockUnit, StockUnit.id == LedgerEntry.stock_unit_id)
        .join(MaterialLot, MaterialLot.id == StockUnit.lot_id)
        .join(Material, Material.id == MaterialLot.material_id)
        .outerjoin(undo, undo.reverses_id == LedgerEntry.id)
        .where(LedgerEntry.kind == ledger.PULL, LedgerEntry.job_id == job.id, undo.id.is_(None))
        .order_by(LedgerEntry.id))
    lots: "OrderedDict[str, dict]" = OrderedDict()
    for quantity, unit, unit_code, lot, heat, cert_file, cert_ref, supplier, mcode, grade, form, size, when in rows:
        entry = lots.setdefault(lot, {
            "lot": lot, "heat_number": heat, "supplier": supplier or "", "material": mcode,
            "material_description": f"{grade} {form} {size}".strip(), "stock_units": [], "quantity": 0.0,
            "unit": unit, "cert_reference": cert_ref, "has_cert": bool(cert_file),
            "first_pulled_at": _iso(when)})
        if codes.LOT + unit_code not in entry["stock_units"]:
            entry["stock_units"].append(codes.LOT + unit_code)
        entry["quantity"] = round(entry["quantity"] + float(quantity), 3)
    return list(lots.values())


def holds_of(session: Session, job: Job, today: date) -> list[dict]:
    holds = session.scalars(
        select(QualityHold).where(QualityHold.job_id == job.id)
        .options(joinedload(QualityHold.operation), joinedload(QualityHold.placed_by),
                 joinedload(QualityHold.released_by))
        .order_by(QualityHold.placed_at, QualityHold.id)).all()
    ncr_numbers = numbers_of_holds(session, [h.id for h in holds])
    return [{
        "id": h.id, "ncr": ncr_numbers.get(h.id), "operation": h.operation.seq if h.operation else None, "quantity": h.quantity,
        "reason_code": h.reason_code, "reason": codes.HOLD_REASONS.get(h.reason_code, h.reason_code),
        "note": h.note, "placed_at": _iso(h.placed_at), "placed_by": h.placed_by.name if h.placed_by else None,
        "open": h.released_at is None, "released_at": _iso(h.released_at),
        "released_by": h.released_by.name if h.released_by else None,
        "disposition": h.disposition,
        "disposition_text": codes.DISPOSITIONS.get(h.disposition) if h.disposition else None,
        "disposition_note": h.disposition_note,
    } for h in holds]


def shipments_of(session: Session, job: Job, today: date) -> list[dict]:
    shipments = session.scalars(
        select(OutsideShipment).where(OutsideShipment.job_id == job.id)
        .options(joinedload(OutsideShipment.operation), joinedload(OutsideShipment.vendor),
                 selectinload(OutsideShipment.receipts))
        .order_by(OutsideShipment.shipped_at, OutsideShipment.id)).all()
    return [{
        "id": s.id, "operation": s.operation.seq if s.operation else None, "vendor": s.vendor.code,
        "vendor_name": s.vendor.name, "quantity_out": s.quantity_out, "quantity_back": s.quantity_back,
        "outstanding": 0 if s.closed else max(0, s.outstanding), "shipped_at": _iso(s.shipped_at),
        "expected_back": _iso(s.expected_back),
        "overdue": (not s.closed and s.outstanding > 0 and s.expected_back is not None and s.expected_back < today),
        "packing_slip": s.packing_slip, "po_number": s.po_number, "closed": bool(s.closed),
        "short_count": s.short_count or 0,
        "receipts": [{"id": r.id, "quantity": r.quantity, "received_at": _iso(r.received_at),
                      "coc": bool(r.coc_filename)} for r in s.receipts],
    } for s in shipments]


def receipt_of(session: Session, job: Job, receipt_id: int) -> OutsideReceipt | None:
    """One receipt back from a vendor, only if it belongs to this job."""
    return session.scalar(select(OutsideReceipt).join(OutsideReceipt.shipment)
                          .where(OutsideReceipt.id == receipt_id, OutsideShipment.job_id == job.id))


def finished_goods_of(session: Session, job: Job) -> list[dict]:
    """The job's finished-goods lots: where they are, and what has shipped from each."""
    lots = session.scalars(select(FinishedGoodsLot).where(FinishedGoodsLot.job_id == job.id)
                           .order_by(FinishedGoodsLot.id)).all()
    if not lots:
        return []
    items = {ledger.fg_item(lot.id): lot for lot in lots}
    where: dict[int, list[dict]] = {lot.id: [] for lot in lots}
    balances = session.execute(select(Balance.item, Balance.place, Balance.quantity, Location.code)
                               .outerjoin(Location, Balance.place == ledger.key_sql(ledger.LOCATION_KEY, Location.id))
                               .where(Balance.item.in_(list(items)), Balance.quantity > 0)).all()
    for item, place, quantity, loc_code in balances:
        where[items[item].id].append({"place": Location.barcode_of(loc_code) if loc_code else place,
                                      "quantity": int(quantity)})
    undo = aliased(LedgerEntry)
    ships = session.execute(
        select(LedgerEntry.fg_lot_id, LedgerEntry.quantity, LedgerEntry.created_at, LedgerEntry.order_line_id,
               LedgerEntry.release_id)
        .outerjoin(undo, undo.reverses_id == LedgerEntry.id)
        .where(LedgerEntry.kind == ledger.SHIP, LedgerEntry.fg_lot_id.in_([lot.id for lot in lots]),
               undo.id.is_(None))
        .order_by(LedgerEntry.id)).all()
    shipped: dict[int, list[dict]] = {lot.id: [] for lot in lots}
    for lot_id, quantity, when, line_id, release_id in ships:
        shipped[lot_id].append({"quantity": int(quantity), "shipped_at": _iso(when), "order_line_id": line_id,
                                "release_id": release_id})
    return [{
        "lot": lot.barcode, "created_at": _iso(lot.created_at),
        "on_hand": sum(w["quantity"] for w in where[lot.id]), "where": where[lot.id],
        "shipped": sum(s["quantity"] for s in shipped[lot.id]), "shipments": shipped[lot.id],
    } for lot in lots]


# --- history -----------------------------------------------------------------------------------

@dataclass
class HistoryPage:
    entries: list[dict]
    page: int
    pages: int
    total: int


# A movement's missing end (no place) is "outside the shop" to the ledger, but the floor says where:
# a pulled bar went into the job, scrap to the chips, a shipment to the customer. (kind, side) -> words.
OUTSIDE_WORDS = {
    (ledger.RECEIVE, "from"): "supplier",
    (ledger.PULL, "to"): "into the job",
    (ledger.RELEASE, "from"): "planning",
    (ledger.SCRAP, "to"): "scrapped",
    (ledger.SHIP, "to"): "customer",
    # Putting away is two entries: the job's finished pieces leave, and the FG lot appears in its bin.
    (ledger.FG_RECEIPT, "to"): "FG lot",
    (ledger.FG_RECEIPT, "from"): "job's finished pieces",
    (ledger.SPLIT, "to"): "the job split off",
    (ledger.SPLIT, "from"): "the job split from",
    (ledger.REPLAN, "to"): "taken off the plan",
    (ledger.REPLAN, "from"): "added to the plan",
}


def outside_name(kind: str, side: str) -> str:
    return OUTSIDE_WORDS.get((kind, side), "outside the shop")


def place_name(place: str | None, op_seq: dict[int, int], loc_codes: dict[int, str], *,
               kind: str = "", side: str = "") -> str:
    """A ledger place as the floor says it."""
    if place is None:
        return outside_name(kind, side)
    key = ledger.parse_key(place)
    if key.kind == ledger.OPERATION_KEY:
        return f"op {op_seq.get(key.id, '?')}"
    if key.kind == ledger.HOLD_KEY:
        return f"hold at op {op_seq.get(key.id, '?')}"
    if key.kind == ledger.DONE_KEY:
        return "finished"
    if key.kind == ledger.LOCATION_KEY:
        return Location.barcode_of(loc_codes[key.id]) if key.id in loc_codes else place
    return place


def reversals_of(session: Session, entry_ids: list[int]) -> dict[int, int]:
    """entry id → the id of the entry that reversed it, for the entries of a history page."""
    if not entry_ids:
        return {}
    return dict(session.execute(select(LedgerEntry.reverses_id, LedgerEntry.id)
                                .where(LedgerEntry.reverses_id.in_(entry_ids))).all())


def job_history(session: Session, job: Job, *, page: int = 1, per_page: int = 25) -> HistoryPage:
    """The job's ledger entries, newest first: its pieces, its material pulls and its finished goods."""
    fg_ids = select(FinishedGoodsLot.id).where(FinishedGoodsLot.job_id == job.id)
    belongs = or_(LedgerEntry.job_id == job.id, LedgerEntry.fg_lot_id.in_(fg_ids))
    total = session.scalar(select(func.count(LedgerEntry.id)).where(belongs)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = session.execute(
        select(LedgerEntry, User.name, Station.name, StockUnit.code, FinishedGoodsLot.code)
        .outerjoin(User, User.id == LedgerEntry.user_id)
        .outerjoin(Station, Station.id == LedgerEntry.station_id)
        .outerjoin(StockUnit, StockUnit.id == LedgerEntry.stock_unit_id)
        .outerjoin(FinishedGoodsLot, FinishedGoodsLot.id == LedgerEntry.fg_lot_id)
        .where(belongs).order_by(LedgerEntry.id.desc())
        .limit(per_page).offset((page - 1) * per_page)).all()
    op_seq = dict(session.execute(select(JobOperation.id, JobOperation.seq)
                                  .where(JobOperation.job_id == job.id)).all())
    loc_ids = {k.id for e, *_ in rows for k in (ledger.parse_key(e.from_place), ledger.parse_key(e.to_place))
               if k is not None and k.kind == ledger.LOCATION_KEY}
    loc_codes = dict(session.execute(select(Location.id, Location.code).where(Location.id.in_(loc_ids))).all()) \
        if loc_ids else {}
    reversed_by = reversals_of(session, [e.id for e, *_ in rows])
    entries = []
    for entry, user_name, station_name, unit_code, fg_code in rows:
        if unit_code:
            what = codes.LOT + unit_code
        elif fg_code:
            what = codes.FG + fg_code
        else:
            what = "pieces"
        quantity = ledger.format_qty(entry.quantity)
        entries.append({
            "id": entry.id, "when": entry.created_at, "kind": entry.kind,
            "kind_text": KIND_NAMES.get(entry.kind, entry.kind),
            "what": f"{quantity} {entry.unit} {what}" if what != "pieces" else f"{quantity} {entry.unit}",
            "from": place_name(entry.from_place, op_seq, loc_codes, kind=entry.kind, side="from"),
            "to": place_name(entry.to_place, op_seq, loc_codes, kind=entry.kind, side="to"),
            "operation": op_seq.get(entry.job_operation_id), "reason": entry.reason, "note": entry.note,
            "user": user_name or "—", "station": station_name or "—", "reverses": entry.reverses_id,
            "reversed_by": reversed_by.get(entry.id),
        })
    return HistoryPage(entries=entries, page=page, pages=pages, total=total)

"""Search's room: any scanned or typed code opens the right page; the small read-only stock pages behind it.

find() reads a code the way the scan station does (case-insensitive, trimmed, scanner noise
tolerated) and says where to go, or gives a message a person can act on.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload

from spex import codes, ledger
from spex.scan import grammar
from spex.models import (LOCATION_KINDS, SHP, Balance, CustomerOrder, FinishedGoodsLot, Job, LedgerEntry, Location,
                         Material, MaterialLot, OrderLine, Release, Shipment, Station, StockUnit, User)

HISTORY_LIMIT = 200


def normalize(raw: str | None) -> str:
    """A code as the scan station reads it (the one grammar's cleaning)."""
    return grammar.read_code(raw)


@dataclass
class Found:
    endpoint: str | None = None
    args: dict = field(default_factory=dict)
    anchor: str | None = None
    message: str | None = None


def _job_by_number(session: Session, number: str) -> Job | None:
    if not number:
        return None
    return session.scalar(select(Job).where(func.upper(Job.number) == number))


def find(session: Session, raw: str) -> Found:
    code = normalize(raw)
    if not code:
        return Found(message="Scan or type a code: JOB-, LOT-, FG-, BIN- or a job number.")
    prefix, rest = grammar.split_prefix(code)
    if prefix == codes.JOB or (not prefix and code.isdecimal()):
        job = _job_by_number(session, rest)
        if job is not None:
            return Found("wip.job_page", {"number": job.number})
        number, _, seq = rest.rpartition("-")
        job = _job_by_number(session, number) if seq.isdecimal() else None
        if job is not None:
            return Found("wip.job_page", {"number": job.number}, anchor=f"#op-{int(seq)}")
        return Found(message=f"No job {rest or code} in Spex. Check the number on the traveler.")
    if prefix == codes.LOT:
        if _unit_by_code(session, rest) is not None or _lot_by_number(session, rest) is not None:
            return Found("wip.stock_unit", {"code": rest})
        return Found(message=f"No bar, plate or material lot {code}.")
    if prefix == codes.FG:
        if _fg_by_code(session, rest) is not None:
            return Found("wip.fg_lot", {"code": rest})
        return Found(message=f"No finished-goods lot {code}.")
    if prefix == codes.BIN:
        if _location_by_code(session, rest) is not None:
            return Found("wip.bin_page", {"code": rest})
        return Found(message=f"No bin {code}.")
    if prefix == codes.EMP:
        return Found(message=f"{code} is a person's badge; there is no page for it here.")
    if prefix == codes.VND:
        return Found(message=f"{code} is an outside vendor; their open shipments show on the WIP board.")
    if prefix == codes.CMD:
        return Found(message=f"{code} is a station command; scan it at a station, not in search.")
    if prefix in (codes.REL, codes.LINE):
        return _delivery_code(session, prefix, rest, code)
    if prefix == codes.PO:
        from spex.models import PurchaseOrder
        if session.scalar(select(PurchaseOrder.id).where(PurchaseOrder.number == rest)) is not None:
            return Found("purchasing.order", {"number": rest})
        found = _shipping_record(session, code)  # a customer's PO number may start with PO- too
        return found or Found(message=f"No purchase order {code}.")
    if code.startswith(codes.NCR_PREFIX):
        from spex.models import NonConformance
        if session.scalar(select(NonConformance.id).where(NonConformance.number == code)) is not None:
            return Found("quality.ncr_page", {"number": code})
        return Found(message=f"No non-conformance report {code}.")
    job = _job_by_number(session, code)
    if job is not None:
        return Found("wip.job_page", {"number": job.number})
    found = _shipping_record(session, code)
    if found is not None:
        return found
    return Found(message=f"“{code}” is not a code Spex knows. Codes start with JOB-, LOT-, FG- or BIN-.")


def _delivery_code(session: Session, prefix: str, rest: str, code: str) -> Found:
    """A release's or order line's shipping code: the customer's deliveries on the New shipment page."""
    from spex.models import OrderLine, Release
    line = None
    if rest.isdecimal() and len(rest) <= 9:
        if prefix == codes.REL:
            release = session.get(Release, int(rest))
            line = release.line if release else None
        else:
            line = session.get(OrderLine, int(rest))
    if line is None:
        return Found(message=f"No {'release or call-off' if prefix == codes.REL else 'order line'} {code}.")
    return Found("shipping.new_shipment", {"customer_id": line.order.customer_id})


def _shipping_record(session: Session, code: str) -> Found | None:
    """A shipment (SHP-), a heat number (its recall), a customer order or PO number (the orders list)."""
    number = code.removeprefix(SHP)
    if code.startswith(SHP) and session.scalar(select(Shipment.id).where(Shipment.number == number)) is not None:
        return Found("shipping.shipment", {"number": number})
    heat = session.scalar(select(MaterialLot.heat_number).where(func.upper(MaterialLot.heat_number) == code).limit(1))
    if heat is not None:
        return Found("shipping.recall_heat", {"heat": heat})
    order = session.scalar(select(CustomerOrder.number).where(
        or_(func.upper(CustomerOrder.number) == code, func.upper(CustomerOrder.po_number) == code)).limit(1))
    if order is not None:
        return Found("planning.orders", {"q": order})
    return None


def _unit_by_code(session: Session, code: str) -> StockUnit | None:
    return session.scalar(select(StockUnit).where(func.upper(StockUnit.code) == normalize(code).removeprefix(codes.LOT)))


def _lot_by_number(session: Session, number: str) -> MaterialLot | None:
    return session.scalar(select(MaterialLot).where(
        func.upper(MaterialLot.number) == normalize(number).removeprefix(codes.LOT)))


def _fg_by_code(session: Session, code: str) -> FinishedGoodsLot | None:
    return session.scalar(select(FinishedGoodsLot).where(
        func.upper(FinishedGoodsLot.code) == normalize(code).removeprefix(codes.FG)))


def _location_by_code(session: Session, code: str) -> Location | None:
    return session.scalar(select(Location).where(func.upper(Location.code) == normalize(code).removeprefix(codes.BIN)))


def lot_of(session: Session, code: str) -> MaterialLot | None:
    unit = _unit_by_code(session, code)
    return unit.lot if unit is not None else _lot_by_number(session, code)


def _loc_place_join():
    return Balance.place == ledger.key_sql(ledger.LOCATION_KEY, Location.id)


def _history(session: Session, condition) -> list[dict]:
    rows = session.execute(
        select(LedgerEntry, User.name, Station.name, Job.number)
        .outerjoin(User, User.id == LedgerEntry.user_id)
        .outerjoin(Station, Station.id == LedgerEntry.station_id)
        .outerjoin(Job, Job.id == LedgerEntry.job_id)
        .where(condition).order_by(LedgerEntry.id.desc()).limit(HISTORY_LIMIT)).all()
    loc_ids = {k.id for e, *_ in rows for k in (ledger.parse_key(e.from_place), ledger.parse_key(e.to_place))
               if k is not None and k.kind == ledger.LOCATION_KEY}
    names = dict(session.execute(select(Location.id, Location.code).where(Location.id.in_(loc_ids))).all()) \
        if loc_ids else {}
    from spex.wip.status import KIND_NAMES, outside_name, reversals_of
    reversed_by = reversals_of(session, [e.id for e, *_ in rows])

    def place(key: str | None, kind: str, side: str, job_number: str | None) -> str:
        if key is None:
            if kind == ledger.PULL and side == "to" and job_number:
                return f"job {job_number}"
            return outside_name(kind, side)
        parsed = ledger.parse_key(key)
        if parsed.kind == ledger.LOCATION_KEY and parsed.id in names:
            return Location.barcode_of(names[parsed.id])
        return {ledger.OPERATION_KEY: "job operation", ledger.HOLD_KEY: "quality hold", ledger.DONE_KEY: "finished"}.get(parsed.kind, key)

    return [{"id": e.id, "when": e.created_at, "kind": e.kind, "kind_text": KIND_NAMES.get(e.kind, e.kind),
             "reverses": e.reverses_id, "reversed_by": reversed_by.get(e.id),
             "quantity": f"{ledger.format_qty(e.quantity)} {e.unit}", "from": place(e.from_place, e.kind, "from", job_number),
             "to": place(e.to_place, e.kind, "to", job_number),
             "job": job_number, "user": user_name or "—", "station": station_name or "—", "note": e.note}
            for e, user_name, station_name, job_number in rows]


def stock_unit_page(session: Session, code: str) -> dict | None:
    """A bar/plate/remnant (LOT-1187-03) with its lot, heat, bin and history; or a whole lot (LOT-1187)."""
    unit = _unit_by_code(session, code)
    lot = unit.lot if unit is not None else _lot_by_number(session, code)
    if lot is None:
        return None
    units = session.scalars(select(StockUnit).where(StockUnit.lot_id == lot.id).order_by(StockUnit.code)).all()
    items = {ledger.unit_item(u.id): u for u in units}
    where: dict[int, dict] = {}
    for item, quantity, loc_code in session.execute(
            select(Balance.item, Balance.quantity, Location.code).join(Location, _loc_place_join())
            .where(Balance.item.in_(list(items)), Balance.quantity > 0)):
        where[items[item].id] = {"bin": Location.barcode_of(loc_code), "bin_code": loc_code, "quantity": quantity}
    material = session.get(Material, lot.material_id)
    rows = [{"unit": u, "where": where.get(u.id)} for u in units]
    condition = (LedgerEntry.stock_unit_id == unit.id) if unit is not None else \
        LedgerEntry.stock_unit_id.in_([u.id for u in units])
    history = _history(session, condition)
    jobs = sorted({h["job"] for h in history if h["job"]})
    from spex.counts.counting import counts_of_unit
    counted = counts_of_unit(session, stock_unit_id=unit.id) if unit is not None else []
    return {"unit": unit, "lot": lot, "material": material, "units": rows,
            "where": where.get(unit.id) if unit is not None else None, "history": history, "jobs": jobs,
            "counted": counted}


def fg_lot_page(session: Session, code: str) -> dict | None:
    """A finished-goods lot: its job, part, heats it was made from, where it is and what shipped."""
    lot = _fg_by_code(session, code)
    if lot is None:
        return None
    lot = session.scalar(select(FinishedGoodsLot).where(FinishedGoodsLot.id == lot.id)
                         .options(joinedload(FinishedGoodsLot.job), joinedload(FinishedGoodsLot.part)))
    from spex.wip.status import finished_goods_of, materials_used
    summary = next((f for f in finished_goods_of(session, lot.job) if f["lot"] == lot.barcode), None)
    shipments = summary["shipments"] if summary else []
    return {"lot": lot, "job": lot.job, "part": lot.part, "heats": materials_used(session, lot.job),
            "summary": summary, "against": _shipped_against(session, shipments),
            "history": _history(session, LedgerEntry.fg_lot_id == lot.id)}


def _shipped_against(session: Session, shipments: list[dict]) -> list[str]:
    """What each shipment went against, as shipping says it: the customer's PO and line, and the
    release or call-off with its due date; one query for all the lot's shipments."""
    line_ids = {s["order_line_id"] for s in shipments if s["order_line_id"]}
    release_ids = {s["release_id"] for s in shipments if s["release_id"]}
    lines = {line.id: line for line in session.scalars(
        select(OrderLine).where(OrderLine.id.in_(line_ids)).options(joinedload(OrderLine.order)))} if line_ids else {}
    releases = {r.id: r for r in session.scalars(select(Release).where(Release.id.in_(release_ids)))} \
        if release_ids else {}
    words = []
    for shipment in shipments:
        line, release = lines.get(shipment["order_line_id"]), releases.get(shipment["release_id"])
        text = f"PO {line.order.po_number} line {line.line_no}" if line else "no order line"
        if release is not None:
            kind = "call-off" if release.kind == "calloff" else "release"
            text += f", {kind} due {release.due_date:%d %b %Y}"
        words.append(text)
    return words


def bin_page(session: Session, code: str) -> dict | None:
    """A bin with what is in it now: bars and remnants with their heats, finished goods, job pieces."""
    location = _location_by_code(session, code)
    if location is None:
        return None
    balances = session.execute(select(Balance.item, Balance.quantity, Balance.unit)
                               .where(Balance.place == ledger.at_location(location.id), Balance.quantity > 0)
                               .order_by(Balance.item)).all()
    by_kind: dict[str, list[int]] = {}
    for item, _, _ in balances:
        key = ledger.parse_key(item)
        by_kind.setdefault(key.kind, []).append(key.id)
    units = {u.id: u for u in session.scalars(
        select(StockUnit).where(StockUnit.id.in_(by_kind.get(ledger.UNIT_KEY, [])))
        .options(joinedload(StockUnit.lot).joinedload(MaterialLot.material)))} if by_kind.get(ledger.UNIT_KEY) else {}
    fgs = {f.id: f for f in session.scalars(
        select(FinishedGoodsLot).where(FinishedGoodsLot.id.in_(by_kind.get(ledger.FG_KEY, [])))
        .options(joinedload(FinishedGoodsLot.job), joinedload(FinishedGoodsLot.part)))} if by_kind.get(ledger.FG_KEY) else {}
    jobs = {j.id: j for j in session.scalars(select(Job).where(Job.id.in_(by_kind.get(ledger.JOB_KEY, []))))} \
        if by_kind.get(ledger.JOB_KEY) else {}
    contents = []
    for item, quantity, unit_name in balances:
        key = ledger.parse_key(item)
        row = {"quantity": quantity, "unit": unit_name, "kind": key.kind, "record": None}
        if key.kind == ledger.UNIT_KEY:
            row["record"] = units.get(key.id)
        elif key.kind == ledger.FG_KEY:
            row["record"] = fgs.get(key.id)
        elif key.kind == ledger.JOB_KEY:
            row["record"] = jobs.get(key.id)
        contents.append(row)
    children = session.scalars(select(Location).where(Location.parent_id == location.id)
                               .order_by(Location.code)).all()
    return {"location": location, "kind_name": LOCATION_KINDS.get(location.kind, location.kind),
            "contents": contents, "children": children,
            "history": _history(session, or_(LedgerEntry.from_location_id == location.id,
                                             LedgerEntry.to_location_id == location.id))}

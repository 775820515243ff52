"""What goes on a label: the records behind a code or a chosen batch, each turned into the plain
field values the label templates ask for. The station's search (what a scan or words find) is
labels/search.py."""
from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from spex import codes, ledger, shopfloor, shoptime
from spex.labels.layouts import LabelError
from spex.models import (Balance, FinishedGoodsLot, Job, JobOperation, LedgerEntry, Location, MaterialLot,
                         OutsideShipment, Station, StockUnit, User)
from spex.scan import grammar

# Label kinds and the prefix of the code each one carries.
KIND_TITLES = {
    "stock_unit": "Material stock unit",
    "remnant": "Remnant",
    "bin": "Bin / location",
    "finished_goods": "Finished goods",
    "outside_shipment": "Outside-process tag",
    "badge": "Badge",
    "command_card": "Command card",
}
COMMAND_CARD_CODE = "CMD"  # the command card is one card per station, not a record's code
MAX_BATCH = 500  # one search never prints more than a few rolls' worth
# As the spec says: trimmed, case-insensitive, a scanner's stray CR/LF/TAB and AIM id ignored —
# the one grammar's reading of a code.
clean_code = grammar.read_code


def _fmt_qty(value: Decimal | int | None, unit: str = "") -> str:
    if value is None:
        return ""
    return f"{ledger.format_qty(value)} {unit}".strip()


def _day(value) -> str:
    if value is None:
        return ""
    # A stored moment is printed as the shop's calendar day; a date as it is.
    return shoptime.local_date(value).isoformat() if isinstance(value, datetime) else value.isoformat()


# --- records of each kind ------------------------------------------------------------------

def unit_records(session: Session, units: list[StockUnit], *, in_stock_only: bool = False) -> list[dict]:
    """Stock units (bars, plates, remnants) with what is left of each and where: one balance
    query for the whole batch, not one per bar. in_stock_only leaves out the used-up ones (a batch
    for a lot or a heat: nobody sticks a label on a bar that went into jobs)."""
    if not units:
        return []
    items = {ledger.unit_item(unit.id): unit for unit in units}
    left: dict[int, tuple[Decimal, int | None]] = {}
    rows = session.execute(select(Balance.item, Balance.place, Balance.quantity)
                           .where(Balance.item.in_(list(items)), ledger.place_is_location(Balance.place))).all()
    for item, place, quantity in rows:
        if quantity > 0:
            left[items[item].id] = (quantity, ledger.parse_key(place).id)
    bins = {loc.id: loc for loc in session.scalars(
        select(Location).where(Location.id.in_({loc for _, loc in left.values() if loc})))}
    records = []
    for unit in units:
        if in_stock_only and unit.id not in left:
            continue
        lot, material = unit.lot, unit.lot.material
        quantity, bin_id = left.get(unit.id, (Decimal(0), None))
        bin_code = bins[bin_id].barcode if bin_id in bins else ""
        records.append({
            "code": unit.barcode,
            "kind": unit.kind,
            "grade": material.grade,
            "form": material.form,
            "size": material.size,
            "material": material.label,
            "heat": lot.heat_number,
            "lot": codes.LOT + lot.number,
            "supplier": lot.supplier or "",
            "po": lot.po_number or "",
            "cert": lot.cert_reference or lot.cert_filename or "none on file",
            "quantity": _fmt_qty(quantity, material.unit),
            "initial_quantity": _fmt_qty(unit.initial_qty, material.unit),
            "received": _day(lot.received_at),
            "returned": _day(unit.created_at),
            "bin": bin_code,
        })
    return records


def bin_records(locations: list[Location]) -> list[dict]:
    return [{
        "code": loc.barcode,
        "name": loc.name or loc.code,
        "path": loc.parent.path if loc.parent is not None else "",
        "kind": loc.kind,
    } for loc in locations]


def fg_records(session: Session, lots: list[FinishedGoodsLot]) -> list[dict]:
    """Finished-goods lots with their quantity on hand, the customer PO and the heats the job was
    made from (traceability a customer's receiving inspector asks for)."""
    if not lots:
        return []
    items = {ledger.fg_item(lot.id): lot for lot in lots}
    on_hand = dict(session.execute(select(Balance.item, func.sum(Balance.quantity))
                                   .where(Balance.item.in_(list(items))).group_by(Balance.item)).all())
    job_ids = {lot.job_id for lot in lots}
    heats: dict[int, list[str]] = {}
    for job_id, heat in session.execute(
            select(LedgerEntry.job_id, MaterialLot.heat_number).distinct()
            .join(StockUnit, LedgerEntry.stock_unit_id == StockUnit.id)
            .join(MaterialLot, StockUnit.lot_id == MaterialLot.id)
            .where(LedgerEntry.job_id.in_(job_ids), LedgerEntry.kind == ledger.PULL)
            .order_by(MaterialLot.heat_number)):
        heats.setdefault(job_id, []).append(heat)
    records = []
    for lot in lots:
        job, part = lot.job, lot.part
        pos = sorted({line.order.po_number for line in job.order_lines if line.order})
        records.append({
            "code": lot.barcode,
            "part": part.number,
            "rev": part.rev,
            "description": part.description or "",
            "quantity": _fmt_qty(on_hand.get(ledger.fg_item(lot.id), Decimal(0))),
            "customer": part.customer.name if part.customer else "",
            "po": ", ".join(pos) or "stock",
            "job": job.barcode,
            "heats": ", ".join(heats.get(job.id, [])) or "none recorded",
            "packed": _day(lot.created_at),
        })
    return records


def shipment_records(session: Session, operations: list[JobOperation]) -> list[dict]:
    """Tags for outside operations: from the latest shipment when one went out, else what the
    routing plans (vendor, job quantity, due back after the vendor's turnaround)."""
    if not operations:
        return []
    latest: dict[int, OutsideShipment] = {}
    for shipment in session.scalars(select(OutsideShipment)
                                    .where(OutsideShipment.job_operation_id.in_([op.id for op in operations]))
                                    .order_by(OutsideShipment.shipped_at)):
        latest[shipment.job_operation_id] = shipment
    records = []
    for op in operations:
        job = op.job
        shipment = latest.get(op.id)
        vendor = shipment.vendor if shipment else op.vendor
        if vendor is None:
            raise LabelError(f"{op.barcode} has no vendor; an outside-process tag needs one")
        if shipment:
            quantity, shipped, due = shipment.quantity_out, _day(shipment.shipped_at), shipment.expected_back
        else:
            quantity, shipped = job.quantity, "not shipped yet"
            due = shopfloor.due_back(op)
        records.append({
            "code": op.barcode,
            "job": job.barcode,
            "op": str(op.seq),
            "process": op.description or vendor.process or "",
            "part": job.part.label,
            "vendor": vendor.name,
            "vendor_code": vendor.barcode,
            "quantity": str(quantity),
            "shipped": shipped,
            "due_back": _day(due) if due else "",
            "packing_slip": (shipment.packing_slip or "") if shipment else "",
        })
    return records


def badge_records(users: list[User]) -> list[dict]:
    return [{"code": user.barcode, "name": user.name, "role": codes.ROLES.get(user.role, user.role)}
            for user in users]


def command_card_record(station: Station | None = None) -> dict:
    return {"code": COMMAND_CARD_CODE, "station": station.name if station else ""}


# --- finding records by code ----------------------------------------------------------------

def _unit_query():
    return select(StockUnit).options(selectinload(StockUnit.lot).selectinload(MaterialLot.material))


def _unit_by_code(session: Session, code: str) -> StockUnit | None:
    return session.scalar(_unit_query().where(StockUnit.code == code[len(codes.LOT):]))


def _operation(session: Session, code: str) -> JobOperation | None:
    match = re.fullmatch(r"JOB-(.+)-(\d+)", code)
    if not match:
        return None
    return session.scalar(select(JobOperation).join(Job)
                          .where(Job.number == match.group(1), JobOperation.seq == int(match.group(2))))


def _locations_under(session: Session, root: Location) -> list[Location]:
    """The location and everything below it, one query per level of the tree."""
    found, level = [root], [root.id]
    seen = {root.id}
    while level and len(found) < MAX_BATCH:
        children = session.scalars(select(Location).where(Location.parent_id.in_(level),
                                                          Location.active.is_(True))
                                   .order_by(Location.code)).all()
        children = [child for child in children if child.id not in seen]
        seen.update(child.id for child in children)
        found.extend(children)
        level = [child.id for child in children]
    return found[:MAX_BATCH]


def record_for(session: Session, kind: str, code: str) -> dict:
    """The one record a label of `kind` prints for `code`, or a LabelError saying what is wrong."""
    code = clean_code(code)
    prefix, rest = grammar.split_prefix(code)
    if kind == "command_card":
        if code != COMMAND_CARD_CODE and prefix != codes.CMD:
            raise LabelError(f"a command card is printed for {COMMAND_CARD_CODE}, not {code}")
        return command_card_record()
    if kind in ("stock_unit", "remnant"):
        unit = _unit_by_code(session, code) if prefix == codes.LOT else None
        if unit is None:
            raise LabelError(f"no stock unit {code} — scan the bar's LOT- label")
        return unit_records(session, [unit])[0]
    if kind == "bin":
        loc = session.scalar(select(Location).where(Location.code == rest)) if prefix == codes.BIN else None
        if loc is None:
            raise LabelError(f"no bin or location {code}")
        return bin_records([loc])[0]
    if kind == "finished_goods":
        lot = session.scalar(select(FinishedGoodsLot).where(FinishedGoodsLot.code == rest)) \
            if prefix == codes.FG else None
        if lot is None:
            raise LabelError(f"no finished-goods lot {code}")
        return fg_records(session, [lot])[0]
    if kind == "outside_shipment":
        op = _operation(session, code)
        if op is None or not op.is_outside:
            raise LabelError(f"{code} is not an outside operation of a job (scan JOB-<number>-<op>)")
        return shipment_records(session, [op])[0]
    if kind == "badge":
        user = session.scalar(select(User).where(User.badge == rest)) if prefix == codes.EMP else None
        if user is None:
            raise LabelError(f"no badge {code}")
        return badge_records([user])[0]
    raise LabelError(f"unknown label kind '{kind}'")


def records_for_codes(session: Session, kind: str, code_list: list[str]) -> list[dict]:
    """The records of a chosen batch, in the order given: one query per batch, not per label.
    Any code that finds nothing refuses the whole batch, naming the code."""
    wanted = [clean_code(code) for code in code_list if clean_code(code)]
    if not wanted:
        raise LabelError("tick at least one record to print")
    if len(wanted) > MAX_BATCH:
        raise LabelError(f"at most {MAX_BATCH} labels in one batch")
    if kind == "command_card":
        return [record_for(session, kind, code) for code in wanted[:1]] * len(wanted)

    split = [grammar.split_prefix(code) for code in wanted]

    def strip(prefix: str) -> list[str]:
        return [rest for has, rest in split if has == prefix]

    if kind in ("stock_unit", "remnant"):
        records = unit_records(session, list(session.scalars(
            _unit_query().where(StockUnit.code.in_(strip(codes.LOT))))))
    elif kind == "bin":
        records = bin_records(list(session.scalars(
            select(Location).where(Location.code.in_(strip(codes.BIN))))))
    elif kind == "finished_goods":
        records = fg_records(session, list(session.scalars(
            select(FinishedGoodsLot).where(FinishedGoodsLot.code.in_(strip(codes.FG))))))
    elif kind == "badge":
        records = badge_records(list(session.scalars(
            select(User).where(User.badge.in_(strip(codes.EMP))))))
    elif kind == "outside_shipment":
        operations = [_operation(session, code) for code in wanted[:MAX_BATCH]]
        records = shipment_records(session, [op for op in operations if op is not None and op.is_outside])
    else:
        raise LabelError(f"unknown label kind '{kind}'")
    by_code = {record["code"]: record for record in records}
    missing = [code for code in wanted if code not in by_code]
    if missing:
        raise LabelError(f"no {KIND_TITLES[kind].lower()} {missing[0]}"
                         + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""))
    return [by_code[code] for code in wanted]

"""The label station's search: what can be printed for a scanned code or typed words — one
record, a batch (every bar of a lot, every bin under a rack, every FG lot of a job), or a kind's
records to pick from by hand."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from spex import codes
from spex.labels.layouts import LabelError
from spex.labels.records import (COMMAND_CARD_CODE, KIND_TITLES, MAX_BATCH, _locations_under, _operation,
                                 _unit_by_code, _unit_query, badge_records, bin_records, clean_code,
                                 command_card_record, fg_records, record_for, shipment_records, unit_records)
from spex.models import (OPEN_STATUSES, FinishedGoodsLot, Job, JobOperation, Location, Material, MaterialLot, Part,
                         StockUnit, User, Vendor)
from spex.scan import grammar


@dataclass
class Found:
    """What a search found: the label kind it suggests and the records, one label each."""
    kind: str
    title: str
    records: list[dict] = field(default_factory=list)
    job_number: str | None = None  # a JOB- scan also offers the job's traveler


def find(session: Session, query: str, kind: str | None = None) -> Found:
    """Everything the station can print for what was typed or scanned. A full code finds its
    record; a lot (LOT-1187), a rack (BIN-R2) or a job (JOB-24017) finds the whole batch; plain
    words search heats, bin names and people — within `kind` when one is picked; a kind with no
    words lists its records. Raises LabelError when nothing matches."""
    code = clean_code(query)
    if kind is not None and kind not in KIND_TITLES:
        raise LabelError(f"unknown label kind '{kind}'")
    if not code:
        if kind:
            return browse(session, kind)
        raise LabelError("scan a code or type what to look for")
    prefix, rest = grammar.split_prefix(code)
    if kind and not prefix and code != COMMAND_CARD_CODE:
        return _search_kind(session, kind, code)
    if code == COMMAND_CARD_CODE or prefix == codes.CMD:
        return Found("command_card", "Command card", [command_card_record()])
    if prefix == codes.LOT:
        unit = _unit_by_code(session, code)
        if unit is not None:
            kind = "remnant" if unit.kind == "remnant" else "stock_unit"
            return Found(kind, f"{KIND_TITLES[kind]} {code}", unit_records(session, [unit]))
        lot = session.scalar(select(MaterialLot).where(MaterialLot.number == rest))
        if lot is not None:
            units = session.scalars(_unit_query().where(StockUnit.lot_id == lot.id)
                                    .order_by(StockUnit.code).limit(MAX_BATCH)).all()
            records = unit_records(session, list(units), in_stock_only=True)
            return Found("stock_unit", f"Every unit of lot {code} (heat {lot.heat_number}) in stock"
                         + _used_up(len(units) - len(records)), records)
        raise LabelError(f"no stock unit or lot {code}")
    if prefix == codes.BIN:
        loc = session.scalar(select(Location).where(Location.code == rest))
        if loc is None:
            raise LabelError(f"no bin or location {code}")
        under = _locations_under(session, loc)
        title = f"Bin {code}" if len(under) == 1 else f"{code} and every location under it"
        return Found("bin", title, bin_records(under))
    if prefix == codes.FG:
        return Found("finished_goods", f"Finished goods {code}",
                     [record_for(session, "finished_goods", code)])
    if prefix == codes.EMP:
        return Found("badge", f"Badge {code}", [record_for(session, "badge", code)])
    if prefix == codes.JOB:
        op = _operation(session, code)
        if op is not None:
            if not op.is_outside:
                raise LabelError(f"{code} is an in-house operation; print the job's traveler "
                                 f"(JOB-{op.job.number}) instead")
            return Found("outside_shipment", f"Outside-process tag {code}",
                         shipment_records(session, [op]), job_number=op.job.number)
        job = session.scalar(select(Job).where(Job.number == rest))
        if job is None:
            raise LabelError(f"no job {code}")
        lots = session.scalars(select(FinishedGoodsLot).where(FinishedGoodsLot.job_id == job.id)
                               .order_by(FinishedGoodsLot.code).limit(MAX_BATCH)).all()
        return Found("finished_goods", f"Finished-goods lots of {code}", fg_records(session, list(lots)),
                     job_number=job.number)
    if prefix == codes.VND:
        raise LabelError(f"{code} is a vendor; scan the job operation (JOB-<number>-<op>) "
                         f"to print its outside-process tag")
    return _search_words(session, code)


def _used_up(count: int) -> str:
    return f" · {count} used up, left out" if count else ""


BROWSE_ROWS = 100  # a picked kind with no search words lists this many, newest first


def browse(session: Session, kind: str) -> Found:
    """The records of one label kind, for picking by hand when there is no label to scan."""
    title = f"{KIND_TITLES[kind]}: newest {BROWSE_ROWS}"
    if kind in ("stock_unit", "remnant"):
        is_remnant = StockUnit.kind == "remnant"
        units = session.scalars(_unit_query().where(is_remnant if kind == "remnant" else ~is_remnant)
                                .order_by(StockUnit.id.desc()).limit(BROWSE_ROWS)).all()
        records = unit_records(session, list(units), in_stock_only=True)
        found = Found(kind, title + _used_up(len(units) - len(records)), records)
    elif kind == "bin":
        locations = session.scalars(select(Location).where(Location.active.is_(True),
                                                           Location.kind != "vendor")
                                    .order_by(Location.code).limit(BROWSE_ROWS)).all()
        found = Found(kind, f"{KIND_TITLES[kind]}: first {BROWSE_ROWS} by code", bin_records(list(locations)))
    elif kind == "finished_goods":
        lots = session.scalars(select(FinishedGoodsLot).order_by(FinishedGoodsLot.id.desc())
                               .limit(BROWSE_ROWS)).all()
        found = Found(kind, title, fg_records(session, list(lots)))
    elif kind == "outside_shipment":
        operations = session.scalars(select(JobOperation).join(Job)
                                     .where(JobOperation.kind == "outside", Job.status.in_(OPEN_STATUSES),
                                            JobOperation.vendor_id.is_not(None))
                                     .order_by(Job.due_date, JobOperation.seq).limit(BROWSE_ROWS)).all()
        found = Found(kind, "Outside operations of open jobs", shipment_records(session, list(operations)))
    elif kind == "badge":
        users = session.scalars(select(User).where(User.active.is_(True)).order_by(User.name)
                                .limit(BROWSE_ROWS)).all()
        found = Found(kind, "Badges of active people", badge_records(list(users)))
    else:
        found = Found("command_card", "Command card", [command_card_record()])
    if not found.records:
        raise LabelError(f"there are no {KIND_TITLES[kind].lower()} records yet")
    return found


def _search_kind(session: Session, kind: str, words: str) -> Found:
    """Words searched within the picked kind: heat, lot or grade for material; name for bins and
    people; part number for finished goods; vendor for outside tags."""
    like = f"%{words}%"
    if kind in ("stock_unit", "remnant"):
        is_remnant = StockUnit.kind == "remnant"
        units = session.scalars(_unit_query().join(MaterialLot).join(Material)
                                .where(is_remnant if kind == "remnant" else ~is_remnant,
                                       or_(func.upper(MaterialLot.heat_number).like(like),
                                           func.upper(MaterialLot.number).like(like),
                                           func.upper(Material.grade).like(like)))
                                .order_by(StockUnit.code).limit(MAX_BATCH)).all()
        records = unit_records(session, list(units), in_stock_only=True)
        found = Found(kind, f"{KIND_TITLES[kind]} matching '{words}'" + _used_up(len(units) - len(records)), records)
    elif kind == "bin":
        locations = session.scalars(select(Location).where(or_(func.upper(Location.name).like(like),
                                                               func.upper(Location.code).like(like)))
                                    .order_by(Location.code).limit(MAX_BATCH)).all()
        found = Found(kind, f"Locations matching '{words}'", bin_records(list(locations)))
    elif kind == "badge":
        users = session.scalars(select(User).where(func.upper(User.name).like(like))
                                .order_by(User.name).limit(MAX_BATCH)).all()
        found = Found(kind, f"Badges matching '{words}'", badge_records(list(users)))
    elif kind == "finished_goods":
        lots = session.scalars(select(FinishedGoodsLot).join(Part).where(func.upper(Part.number).like(like))
                               .order_by(FinishedGoodsLot.code).limit(MAX_BATCH)).all()
        found = Found(kind, f"Finished goods of part matching '{words}'", fg_records(session, list(lots)))
    elif kind == "outside_shipment":
        operations = session.scalars(select(JobOperation).join(Job).join(Vendor, JobOperation.vendor_id == Vendor.id)
                                     .where(JobOperation.kind == "outside", Job.status.in_(OPEN_STATUSES),
                                            or_(func.upper(Vendor.name).like(like),
                                                func.upper(Vendor.code).like(like)))
                                     .order_by(Job.due_date, JobOperation.seq).limit(MAX_BATCH)).all()
        found = Found(kind, f"Outside operations at vendors matching '{words}'",
                      shipment_records(session, list(operations)))
    else:
        return Found("command_card", "Command card", [command_card_record()])
    if not found.records:
        raise LabelError(f"no {KIND_TITLES[kind].lower()} matches '{words}'")
    return found


def _search_words(session: Session, words: str) -> Found:
    like = f"%{words}%"
    units = session.scalars(_unit_query().join(MaterialLot)
                            .where(func.upper(MaterialLot.heat_number).like(like))
                            .order_by(StockUnit.code).limit(MAX_BATCH)).all()
    if units:
        records = unit_records(session, list(units), in_stock_only=True)
        return Found("stock_unit", f"Stock units of heat matching '{words}'" + _used_up(len(units) - len(records)),
                     records)
    locations = session.scalars(select(Location).where(or_(func.upper(Location.name).like(like),
                                                           func.upper(Location.code).like(like)))
                                .order_by(Location.code).limit(MAX_BATCH)).all()
    if locations:
        return Found("bin", f"Locations matching '{words}'", bin_records(list(locations)))
    users = session.scalars(select(User).where(func.upper(User.name).like(like))
                            .order_by(User.name).limit(MAX_BATCH)).all()
    if users:
        return Found("badge", f"Badges matching '{words}'", badge_records(list(users)))
    lots = session.scalars(select(FinishedGoodsLot).join(Part)
                           .where(func.upper(Part.number).like(like))
                           .order_by(FinishedGoodsLot.code).limit(MAX_BATCH)).all()
    if lots:
        return Found("finished_goods", f"Finished goods of part matching '{words}'",
                     fg_records(session, list(lots)))
    raise LabelError(f"nothing found for '{words}' — scan a LOT-, BIN-, FG-, JOB- or EMP- code")



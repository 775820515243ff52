"""Which heats went into which pieces, read from the ledger's material pulls (pulls since undone left out).

A finished-goods lot is made by one job; the job's heats are those of the bars pulled for it. When
a job was fed from more than one heat the pulls do not say which piece came from which bar, so a
lot of it is "one of" those heats, never a guess at one.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from spex import ledger
from spex.models import (Job, JobOperation, LedgerEntry, Material, MaterialLot, OutsideReceipt, OutsideShipment,
                         StockUnit, User, Vendor, WorkCenter)


@dataclass(frozen=True)
class HeatUse:
    """One heat's material lot as used by a job."""
    heat_number: str
    lot_id: int
    lot_number: str
    material: str
    supplier: str
    cert_filename: str | None
    cert_reference: str | None


def of_kind(kind: str):
    """SQL: the entry is of this kind, written so that no index on the kind is used. Trace queries
    always name something far more selective (a bar, a job, a lot); SQLite keeps no statistics, and
    without them it chose the kind's index and read every pull or ship the shop ever made (a heat's
    recall over a million entries: 0.5 s instead of milliseconds). PostgreSQL plans the same."""
    return LedgerEntry.kind.concat("") == kind


def not_undone():
    """SQL pieces: the ledger entries not reversed since (outer join to a reversal, keep the unmatched)."""
    undo = aliased(LedgerEntry)
    return undo, undo.reverses_id == LedgerEntry.id, undo.id.is_(None)


def heats_by_job(session: Session, job_ids) -> dict[int, list[HeatUse]]:
    """Each job's material lots and heats, in the order first pulled; one query for all the jobs."""
    job_ids = list(set(job_ids))
    if not job_ids:
        return {}
    undo, undo_on, kept = not_undone()
    rows = session.execute(
        select(LedgerEntry.job_id, MaterialLot.heat_number, MaterialLot.id, MaterialLot.number, Material.code,
               MaterialLot.supplier, MaterialLot.cert_filename, MaterialLot.cert_reference)
        .join(StockUnit, StockUnit.id == LedgerEntry.stock_unit_id)
        .join(MaterialLot, MaterialLot.id == StockUnit.lot_id)
        .join(Material, Material.id == MaterialLot.material_id)
        .outerjoin(undo, undo_on)
        .where(of_kind(ledger.PULL), LedgerEntry.job_id.in_(job_ids), kept)
        .order_by(LedgerEntry.id)).all()
    found: dict[int, list[HeatUse]] = {job_id: [] for job_id in job_ids}
    for job_id, heat, lot_id, lot_number, material, supplier, cert_file, cert_ref in rows:
        use = HeatUse(heat, lot_id, lot_number, material, supplier or "", cert_file, cert_ref)
        if use not in found[job_id]:
            found[job_id].append(use)
    return found


def heat_numbers(uses: list[HeatUse]) -> list[str]:
    return list(dict.fromkeys(use.heat_number for use in uses))


def heat_words(uses: list[HeatUse]) -> str:
    """How a lot's heats are said on a document: the heat, "one of" several, or that none is recorded."""
    heats = heat_numbers(uses)
    if not heats:
        return "no material pull recorded"
    if len(heats) == 1:
        return f"heat {heats[0]}"
    return "one of heats " + ", ".join(heats)


@dataclass(frozen=True)
class OutsideWork:
    """An outside operation a job's pieces went through, and the vendor's CoC if one came back."""
    job_number: str
    seq: int
    process: str
    vendor: str
    coc_filename: str | None


def outside_work(session: Session, job_ids) -> list[OutsideWork]:
    """Every outside operation of these jobs, with each receipt's CoC (one row per CoC; one without)."""
    job_ids = list(set(job_ids))
    if not job_ids:
        return []
    ops = session.execute(
        select(Job.id, Job.number, JobOperation.id, JobOperation.seq, JobOperation.description, Vendor.name)
        .join(JobOperation, JobOperation.job_id == Job.id)
        .outerjoin(Vendor, Vendor.id == JobOperation.vendor_id)
        .where(Job.id.in_(job_ids), JobOperation.kind == "outside")
        .order_by(Job.number, JobOperation.seq)).all()
    cocs: dict[int, list[str]] = {}
    for op_id, name in session.execute(
            select(OutsideShipment.job_operation_id, OutsideReceipt.coc_filename)
            .join(OutsideReceipt, OutsideReceipt.shipment_id == OutsideShipment.id)
            .where(OutsideShipment.job_id.in_(job_ids), OutsideReceipt.coc_filename.is_not(None))
            .order_by(OutsideReceipt.id)):
        cocs.setdefault(op_id, []).append(name)
    found = []
    for _, number, op_id, seq, description, vendor in ops:
        for name in cocs.get(op_id) or [None]:
            found.append(OutsideWork(number, seq, description or "outside process", vendor or "vendor not recorded",
                                     name))
    return found


def final_inspectors(session: Session, job_ids) -> dict[int, list[str]]:
    """Who recorded each job's final inspection: the people who completed its last operation done at
    an inspection work center (completions since undone left out). Empty when none is recorded."""
    job_ids = list(set(job_ids))
    if not job_ids:
        return {}
    last_inspection = (select(JobOperation.job_id, func.max(JobOperation.seq).label("seq"))
                       .join(WorkCenter, WorkCenter.id == JobOperation.work_center_id)
                       .where(JobOperation.job_id.in_(job_ids), WorkCenter.kind == "inspection")
                       .group_by(JobOperation.job_id).subquery())
    undo, undo_on, kept = not_undone()
    rows = session.execute(
        select(JobOperation.job_id, User.name)
        .join(last_inspection, (last_inspection.c.job_id == JobOperation.job_id)
              & (last_inspection.c.seq == JobOperation.seq))
        .join(LedgerEntry, LedgerEntry.job_operation_id == JobOperation.id)
        .join(User, User.id == LedgerEntry.user_id)
        .outerjoin(undo, undo_on)
        .where(of_kind(ledger.COMPLETE), kept)
        .order_by(LedgerEntry.id)).all()
    found: dict[int, list[str]] = {job_id: [] for job_id in job_ids}
    for job_id, name in rows:
        if name not in found[job_id]:
            found[job_id].append(name)
    return found

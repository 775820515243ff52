"""Purchase orders: a draft to a supplier, sent, received against line by line, or cancelled.

A receipt against a line goes through spex.production.receive_lot like any receipt at the dock (the
lot, its stock units and ledger entries); this module checks it against the line's tolerance first
and afterwards keeps the line's received quantity, the states and the lead time it took.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from spex import shoptime
from spex.database import next_number
from spex.ledger import LedgerError
from spex.models import Material, MaterialLot, PurchaseOrder, PurchaseOrderLine, PurchaseReceipt, Vendor, qty, utcnow
from spex.models.purchasing import (BUY_UNITS, CANCELLED, DRAFT, NEED_CANCELLED, NEED_OPEN, OPEN_PO_STATES,
                                    PARTLY_RECEIVED, RECEIVABLE_PO_STATES, RECEIVED, SENT)

MAX_LINES = 20


class PurchasingError(LedgerError):
    """A purchase order or receipt the rules refuse; the message says why and what to do."""


def next_po_number(session: Session) -> str:
    return next_number(session, PurchaseOrder.number, after=3000)


def buy_unit_of(material: Material) -> tuple[str, Decimal]:
    """How a material is bought and how much of its stock unit one bought unit is: bar stock by
    the bar of its usual length (144 in), plate by the plate, pounds by the pound."""
    if material.unit in ("in", "ft") and material.typical_bar_length_in:
        length = Decimal(material.typical_bar_length_in)
        return "bar", qty(length / 12 if material.unit == "ft" else length)
    if material.unit == "pcs":
        return ("plate" if (material.form or "").lower() in ("plate", "sheet") else "pcs"), qty(1)
    return (material.unit if material.unit in BUY_UNITS else "lb"), qty(1)


@dataclass
class LineRequest:
    material: Material
    count: Decimal
    due_date: date
    buy_unit: str | None = None
    each_qty: Decimal | None = None
    price: Decimal | None = None


def _line(number: int, request: LineRequest) -> PurchaseOrderLine:
    unit, each = buy_unit_of(request.material)
    buy_unit = request.buy_unit or unit
    if buy_unit not in BUY_UNITS:
        raise PurchasingError(f"Line {number}: {buy_unit} is not a unit material is bought in.")
    each = qty(request.each_qty if request.each_qty is not None else (each if buy_unit == unit else 1))
    if request.count <= 0 or each <= 0:
        raise PurchasingError(f"Line {number}: order at least one, of more than nothing each.")
    return PurchaseOrderLine(line_no=number, material=request.material, buy_unit=buy_unit, count=qty(request.count),
                             each_qty=each, price=qty(request.price) if request.price is not None else None,
                             due_date=request.due_date, received_qty=qty(0), status=SENT)


def create_draft(session: Session, vendor: Vendor, requests: list[LineRequest], *, user_id: int | None = None,
                 notes: str | None = None) -> PurchaseOrder:
    if vendor is None or not vendor.active:
        raise PurchasingError("Choose the supplier the PO goes to.")
    if not requests:
        raise PurchasingError("A purchase order needs at least one line of material.")
    if len(requests) > MAX_LINES:
        raise PurchasingError(f"At most {MAX_LINES} lines on one purchase order.")
    po = PurchaseOrder(number=next_po_number(session), vendor=vendor, status=DRAFT, notes=notes,
                       created_by_id=user_id, created_at=utcnow())
    po.lines = [_line(n, r) for n, r in enumerate(requests, start=1)]
    session.add(po)
    session.flush()
    return po


def edit_draft(session: Session, po: PurchaseOrder, vendor: Vendor, requests: list[LineRequest], *,
               notes: str | None = None) -> PurchaseOrder:
    """A draft's supplier and lines replaced; a PO already sent is changed by the supplier's word, not here."""
    if po.status != DRAFT:
        raise PurchasingError(f"{po.barcode} is {po.state_name.lower()}; only a draft can be edited.")
    if vendor is None or not vendor.active:
        raise PurchasingError("Choose the supplier the PO goes to.")
    if not requests:
        raise PurchasingError("A purchase order needs at least one line of material.")
    kept_needs = {line.line_no: list(line.needs) for line in po.lines}
    for line in list(po.lines):
        for need in line.needs:
            need.line = None
            need.status = NEED_OPEN
        po.lines.remove(line)
    session.flush()
    po.vendor, po.notes = vendor, notes
    po.lines = [_line(n, r) for n, r in enumerate(requests, start=1)]
    session.flush()
    for line in po.lines:  # a need stays on its line when the line still buys its material
        for need in kept_needs.get(line.line_no, []):
            if need.material_id == line.material_id:
                need.line, need.status = line, "ordered"
    return po


def send_po(session: Session, po: PurchaseOrder, *, user_id: int | None = None) -> None:
    """The PO goes to the supplier: from now on its lead time runs."""
    if po.status != DRAFT:
        raise PurchasingError(f"{po.barcode} was already sent ({po.state_name.lower()}).")
    if not po.lines:
        raise PurchasingError(f"{po.barcode} has no lines to send.")
    po.status, po.sent_at, po.sent_by_id = SENT, utcnow(), user_id


def cancel_po(session: Session, po: PurchaseOrder, reason: str) -> None:
    """What has not arrived is no longer coming; what arrived stays received. Its jobs' needs are open again."""
    if po.status in (RECEIVED, CANCELLED):
        raise PurchasingError(f"{po.barcode} is {po.state_name.lower()}; there is nothing left to cancel.")
    reason = (reason or "").strip()
    if not reason:
        raise PurchasingError("Say why the PO is cancelled (the supplier cannot deliver, ordered twice...).")
    for line in po.lines:
        if line.status in (SENT, PARTLY_RECEIVED) and not line.receipts:
            line.status = CANCELLED
            for need in line.needs:
                need.line, need.status = None, NEED_OPEN
        elif line.status == PARTLY_RECEIVED:
            line.status = RECEIVED  # closed short: what came is what there is
    po.status = RECEIVED if any(line.receipts for line in po.lines) else CANCELLED
    po.cancelled_at, po.cancel_reason = utcnow(), reason[:200]


def cancel_need(need) -> None:
    if need.status != NEED_OPEN:
        raise PurchasingError("Only a need not yet on a PO can be dropped.")
    need.status = NEED_CANCELLED


# --- receiving against a line ------------------------------------------------------------------

def receivable_po(session: Session, code: str) -> PurchaseOrder:
    """The PO a dock scan names (PO-3001 or 3001), ready to receive against, or the reason it is not."""
    from spex import codes
    number = (code or "").strip().upper().removeprefix(codes.PO)[:20]
    if not number:
        raise PurchasingError("Scan the PO's barcode (PO-…) from its paperwork.")
    po = session.scalar(select(PurchaseOrder).where(PurchaseOrder.number == number))
    if po is None:
        raise PurchasingError(f"There is no purchase order {codes.PO}{number}.")
    if po.status not in RECEIVABLE_PO_STATES:
        hint = " It has not been sent yet." if po.status == DRAFT else ""
        raise PurchasingError(f"{po.barcode} is {po.state_name.lower()}: nothing can be received against it.{hint}")
    return po


def check_receipt(line: PurchaseOrderLine, amount: Decimal, over_tolerance: Decimal) -> None:
    """Refuses a delivery that would take the line above ordered × (1 + over tolerance)."""
    po = line.order
    if po.status not in RECEIVABLE_PO_STATES:
        raise PurchasingError(f"{po.barcode} is {po.state_name.lower()}: nothing can be received against it.")
    if line.status in (RECEIVED, CANCELLED):
        raise PurchasingError(f"Line {line.line_no} of {po.barcode} is {line.status}: nothing more is expected on it.")
    unit = line.material.unit
    ceiling = qty(line.ordered_qty * (1 + Decimal(over_tolerance)))
    after = qty(line.received_qty + amount)
    if after > ceiling:
        raise PurchasingError(
            f"Too much for line {line.line_no} of {po.barcode}: it is for {line.words} ({_n(line.ordered_qty)} {unit}), "
            f"{_n(line.received_qty)} {unit} are in, and {_n(amount)} {unit} more would make {_n(after)} {unit} — "
            f"over the {_pct(over_tolerance)} tolerance (at most {_n(ceiling)} {unit}). Nothing was received; "
            "count again, or ask the planner to change the PO.")


def record_receipt(session: Session, line: PurchaseOrderLine, lot: MaterialLot, amount: Decimal,
                   under_tolerance: Decimal, *, user_id: int | None = None) -> PurchaseReceipt:
    """Keep what arrived on the line, with its lead time; the line and the PO follow."""
    po = line.order
    now = utcnow()
    received_day = shoptime.local_date(now)
    receipt = PurchaseReceipt(line=line, lot=lot, quantity=qty(amount), received_at=now, user_id=user_id,
                              lead_days=max(shoptime.workdays_between(shoptime.local_date(po.sent_at), received_day), 0),
                              days_late=max(shoptime.workdays_between(line.due_date, received_day), 0))
    session.add(receipt)
    line.received_qty = qty(line.received_qty + amount)
    floor = qty(line.ordered_qty * (1 - Decimal(under_tolerance)))
    line.status = RECEIVED if line.received_qty >= floor else PARTLY_RECEIVED
    live = [other for other in po.lines if other.status != CANCELLED]
    po.status = RECEIVED if all(other.status == RECEIVED for other in live) else PARTLY_RECEIVED
    session.flush()
    return receipt


# --- what is on order, and how long suppliers take ----------------------------------------------

def open_lines(session: Session) -> list[PurchaseOrderLine]:
    """Lines of drafts and sent POs still to come (drafts count: a drafted buy is not suggested twice)."""
    return list(session.scalars(
        select(PurchaseOrderLine).join(PurchaseOrder)
        .where(PurchaseOrder.status.in_(OPEN_PO_STATES), PurchaseOrderLine.status.in_((SENT, PARTLY_RECEIVED)))))


def on_order_by_material(session: Session) -> dict[int, Decimal]:
    found: dict[int, Decimal] = {}
    for line in open_lines(session):
        if line.open_qty > 0:
            found[line.material_id] = found.get(line.material_id, qty(0)) + line.open_qty
    return found


def lead_times_by_material(session: Session) -> dict[int, list[int]]:
    """Working days each receipt took from its PO's sending, per material, oldest first."""
    found: dict[int, list[int]] = {}
    for material_id, days in session.execute(
            select(PurchaseOrderLine.material_id, PurchaseReceipt.lead_days)
            .join(PurchaseReceipt, PurchaseReceipt.line_id == PurchaseOrderLine.id).order_by(PurchaseReceipt.id)):
        found.setdefault(material_id, []).append(days)
    return found


@dataclass
class LeadTime:
    days: float  # L: mean of the measured lead times, else the material's stated lead time
    stdev: float  # σL: sample standard deviation of the measured lead times, 0 with fewer than two
    samples: int


def lead_time_of(material: Material, measured: list[int]) -> LeadTime:
    """L and σL for safety stock: from two or more measured receipts, else the planner's figure and σL = 0."""
    if len(measured) >= 2:
        return LeadTime(statistics.fmean(measured), statistics.stdev(measured), len(measured))
    return LeadTime(float(material.lead_time_days or 0), 0.0, len(measured))


def _n(value) -> str:
    return f"{float(value):,.3f}".rstrip("0").rstrip(".")


def _pct(value) -> str:
    return f"{float(value) * 100:g} %"

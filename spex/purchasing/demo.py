"""The demo shop's buying: two material suppliers, every material given one, and two purchase orders —
one sent and waiting, one partly received at the dock (with its lead time kept)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from sqlalchemy.orm import Session

from spex import production, shoptime
from spex.models import Vendor, clock_at
from spex.purchasing.orders import LineRequest, create_draft, record_receipt, send_po

SUPPLIERS = (("ALRO", "Alro Steel"), ("RYERSON", "Ryerson"))


def _moment(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), timezone.utc)


def seed_purchasing(session: Session, materials: dict, locations: dict, people: dict, today: date) -> None:
    suppliers = [Vendor(code=code, name=name, turnaround_days=0, contact="sales@example.com") for code, name in SUPPLIERS]
    session.add_all(suppliers)
    session.flush()
    for index, material in enumerate(materials.values()):
        material.supplier_id = suppliers[index % 2].id
    # Bars whose certs the demo does not check (its 303 lots each come with a cert record).
    bars = [m for m in materials.values() if m.unit == "in" and m.typical_bar_length_in and not m.limits
            and not m.cert_required]
    if len(bars) < 3:
        return
    planner, handler = people["planner"], people["handler"]
    sent_on = shoptime.add_workdays(today - timedelta(days=4), 0)
    with clock_at(_moment(today - timedelta(days=3))):
        waiting = create_draft(session, suppliers[0], [
            LineRequest(material=bars[0], count=Decimal(12), price=Decimal("48.50"),
                        due_date=shoptime.add_workdays(today, 5))], user_id=planner.id)
        send_po(session, waiting, user_id=planner.id)
    with clock_at(_moment(today - timedelta(days=16))):
        partly = create_draft(session, suppliers[1], [
            LineRequest(material=bars[1], count=Decimal(10), price=Decimal("72.00"), due_date=sent_on),
            LineRequest(material=bars[2], count=Decimal(6), price=Decimal("95.25"),
                        due_date=shoptime.add_workdays(today, 2))], user_id=planner.id)
        send_po(session, partly, user_id=planner.id)
    dock = next((loc for loc in locations.values() if loc.kind == "receiving"), None) or \
        next(loc for loc in locations.values() if loc.kind == "bin")
    with clock_at(_moment(today - timedelta(days=2), 14)):
        line = partly.lines[0]
        lot = production.receive_lot(session, line.material, "R40716", [line.each_qty] * 6, dock,
                                     supplier=partly.vendor.name, po_number=partly.barcode,
                                     cert_reference="MTR-771204", user_id=handler.id)
        record_receipt(session, line, lot, line.each_qty * 6, Decimal("0.05"), user_id=handler.id)
    session.flush()

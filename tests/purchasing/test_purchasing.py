"""Purchase orders for material: states, receipts against a line at the dock (partial, over and under
tolerance), lead times in working days, purchase needs at release, the buy list in the shop's words,
on-order in what to buy, and safety stock from the lead times measured (hand-worked figures)."""
import csv
import io
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from spex import codes
from spex.metrics.material import material_needs
from spex.metrics.reorder import reorder_lines, safety_stock
from spex.models import (LedgerEntry, MaterialLot, PurchaseNeed, PurchaseOrder, PurchaseReceipt, StockUnit,
                         clock_running_from)
from spex.purchasing.needs import buy_list
from spex.purchasing.orders import cancel_po, lead_time_of, on_order_by_material
from spex.scan import grammar
from spex.wip import lookup
from tests.purchasing.conftest import DUE


def counts(session):
    return tuple(session.scalar(select(func.count()).select_from(m))
                 for m in (MaterialLot, StockUnit, LedgerEntry, PurchaseReceipt))


def receive(client, po, material, count, each="144", heat="H1", bin="BIN-DOCK-1"):
    return client.post("/receive/", data={"po": po.barcode.lower(), "po_line": material.code.lower(),
                                          "heat_number": heat, "count": str(count), "each": each, "bin": bin})


@pytest.fixture
def dock(make):
    return make.location("DOCK-1", kind="receiving")


# --- safety stock with measured lead times ----------------------------------------------------------

def test_safety_stock_uses_the_measured_lead_time_spread():
    # Two receipts took 8 and 13 working days: L = (8 + 13) / 2 = 10.5, σL = √(((8−10.5)² + (13−10.5)²) / 1)
    # = √12.5 = 3.5355. With z = 1.645 (95 %), σd = 10, d̄ = 20 a day:
    # SS = z·√(L·σd² + d̄²·σL²) = 1.645·√(10.5·100 + 400·12.5) = 1.645·√6050 = 1.645·77.782 = 127.95
    class Material:
        lead_time_days = 10
    lead = lead_time_of(Material(), [8, 13])
    assert lead.days == 10.5 and lead.stdev == pytest.approx(3.5355, abs=1e-4) and lead.samples == 2
    assert safety_stock(1.645, 10, lead.days, mean_daily=20, stdev_lead_days=lead.stdev) == pytest.approx(127.95, abs=0.01)
    # One receipt is no spread: the stated lead time, σL = 0, SS = 1.645·10·√10 = 52.02.
    single = lead_time_of(Material(), [8])
    assert (single.days, single.stdev) == (10.0, 0.0)
    assert safety_stock(1.645, 10, single.days, mean_daily=20, stdev_lead_days=single.stdev) == pytest.approx(52.02, abs=0.01)


def test_reorder_lines_take_l_and_sigma_l_from_receipts(client, session, make, buying, login_as, dock):
    supplier = buying.supplier()
    bar = buying.bar(supplier)
    po = buying.po(supplier, [(bar, 4, DUE)])
    make.commit()
    login_as(codes.MATERIAL_HANDLER)
    with clock_running_from(datetime(2026, 12, 3, 15, tzinfo=timezone.utc)):  # Thu 3 Dec: 6 working days
        assert receive(client, po, bar, 2).status_code == 302
    with clock_running_from(datetime(2026, 12, 9, 15, tzinfo=timezone.utc)):  # Wed 9 Dec: 10 working days, late
        assert receive(client, po, bar, 2, heat="H2").status_code == 302
    receipts = session.scalars(select(PurchaseReceipt).order_by(PurchaseReceipt.id)).all()
    assert [(r.lead_days, r.days_late) for r in receipts] == [(6, 0), (10, 4)]
    line = next(l for l in reorder_lines(session, material_needs(session), start=date(2026, 9, 1), end=date(2026, 11, 26),
                                         service_level=0.95) if l.material.id == bar.id)
    # L = (6 + 10) / 2 = 8, σL = √((2² + 2²) / 1) = 2.828; no pulls, so d̄ = 0 and SS = 0 whatever σL.
    assert line.lead_days == 8 and line.stdev_lead_days == pytest.approx(2.8284, abs=1e-4) and line.lead_samples == 2


# --- receiving against a line ------------------------------------------------------------------------

def test_two_partial_receipts_move_the_line_and_the_po(client, session, make, buying, login_as, dock):
    supplier = buying.supplier()
    bar, other = buying.bar(supplier), buying.bar(supplier, size="0.750 dia")
    po = buying.po(supplier, [(bar, 24, DUE), (other, 6, DUE)])
    make.commit()
    assert on_order_by_material(session) == {bar.id: Decimal("3456"), other.id: Decimal("864")}
    login_as(codes.MATERIAL_HANDLER)
    page = client.get(f"/receive/?po={po.barcode}").get_data(as_text=True)
    assert "Against " + po.barcode in page and "24 bars × 144 in" in page
    response = receive(client, po, bar, 12)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Against {po.barcode} line 1" in page and "line partly received" in page and "Print the 12 labels" in page
    lot = session.scalar(select(MaterialLot))
    assert lot.po_number == po.barcode and lot.supplier == "Atlas Metals" and len(lot.units) == 12
    session.expire_all()
    assert (po.status, po.lines[0].status, po.lines[0].received_qty) == ("partly_received", "partly_received", 1728)
    assert on_order_by_material(session)[bar.id] == Decimal("1728")
    assert receive(client, po, bar, 12, heat="H2").status_code == 302
    assert receive(client, po, other, 6, heat="H3").status_code == 302
    session.expire_all()
    assert po.status == "received" and [l.status for l in po.lines] == ["received", "received"]
    assert on_order_by_material(session) == {}


def test_over_tolerance_is_refused_with_nothing_written(client, session, make, buying, login_as, dock):
    supplier = buying.supplier()
    bar = buying.bar(supplier)
    po = buying.po(supplier, [(bar, 10, DUE)])
    make.commit()
    login_as(codes.MATERIAL_HANDLER)
    assert receive(client, po, bar, 9).status_code == 302
    before = counts(session)
    # 10 bars ordered (1,440 in), 10 % over allowed: at most 1,584 in; 9 in + 3 more = 12 bars = 1,728 in.
    response = receive(client, po, bar, 3, heat="H2")
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "over the 10 % tolerance (at most 1,584 in)" in text and "Nothing was received" in text
    assert counts(session) == before
    # One more bar (1,440 in) is within it, and the line is received.
    assert receive(client, po, bar, 1, heat="H2").status_code == 302
    session.expire_all()
    assert po.lines[0].status == "received"


def test_under_tolerance_closes_a_line_a_bar_short(client, session, make, buying, login_as, dock):
    supplier = buying.supplier()
    bar = buying.bar(supplier)
    po = buying.po(supplier, [(bar, 20, DUE)])
    make.commit()
    login_as(codes.MATERIAL_HANDLER)
    assert receive(client, po, bar, 18).status_code == 302  # 18 of 20: 10 % short, beyond the 5 %
    session.expire_all()
    assert po.lines[0].status == "partly_received"
    assert receive(client, po, bar, 1, heat="H2").status_code == 302  # 19 of 20 = 95 %: received
    session.expire_all()
    assert (po.lines[0].status, po.status) == ("received", "received")
    assert receive(client, po, bar, 1, heat="H3").status_code == 422


@pytest.mark.parametrize("setup, message", [
    ("draft", "has not been sent yet"),
    ("cancelled", "is cancelled"),
    ("unknown", "no purchase order PO-9999"),
])
def test_a_po_that_cannot_be_received_is_refused_at_the_dock(client, session, make, buying, login_as, dock,
                                                             setup, message):
    supplier = buying.supplier()
    bar = buying.bar(supplier)
    po = buying.po(supplier, [(bar, 2, DUE)], send=setup != "draft")
    if setup == "cancelled":
        cancel_po(session, po, "ordered twice")
    make.commit()
    login_as(codes.MATERIAL_HANDLER)
    before = counts(session)
    data = {"po": "PO-9999" if setup == "unknown" else po.barcode, "po_line": bar.code, "heat_number": "H1",
            "count": "2", "each": "144", "bin": "BIN-DOCK-1"}
    response = client.post("/receive/", data=data)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert counts(session) == before


def test_a_material_not_on_the_po_is_refused(client, session, make, buying, login_as, dock):
    supplier = buying.supplier()
    bar, stranger = buying.bar(supplier), buying.bar(supplier, size="2.000 dia")
    po = buying.po(supplier, [(bar, 2, DUE)])
    make.commit()
    login_as(codes.MATERIAL_HANDLER)
    before = counts(session)
    response = receive(client, po, stranger, 2)
    assert response.status_code == 422 and "has no open line for" in response.get_data(as_text=True)
    assert counts(session) == before


# --- the PO's pages -----------------------------------------------------------------------------------

def test_draft_sent_cancelled_through_the_pages(client, session, make, buying, login_as):
    supplier = buying.supplier()
    bar = buying.bar(supplier)
    make.commit()
    login_as(codes.PLANNER)
    response = client.post("/purchasing/new", data={
        "vendor_id": str(supplier.id), "material_id_1": str(bar.id), "count_1": "24", "buy_unit_1": "bar",
        "each_1": "144", "price_1": "61.20", "due_1": "2026-12-03"})
    assert response.status_code == 302
    po = session.scalar(select(PurchaseOrder))
    assert po.status == "draft" and po.lines[0].words == "24 bars × 144 in" and po.total == Decimal("1468.8")
    # Edited while a draft: 20 bars.
    assert client.post(f"/purchasing/{po.number}/edit", data={
        "vendor_id": str(supplier.id), "material_id_1": str(bar.id), "count_1": "20", "buy_unit_1": "bar",
        "each_1": "144", "due_1": "2026-12-03"}).status_code == 302
    session.expire_all()
    assert po.lines[0].count == 20
    # A forged send (no CSRF token) writes nothing.
    assert client.post(f"/purchasing/{po.number}/send", csrf=False).status_code == 400
    session.expire_all()
    assert po.status == "draft"
    client.post(f"/purchasing/{po.number}/send")
    session.expire_all()
    assert po.status == "sent" and po.sent_at is not None
    assert client.get(f"/purchasing/{po.number}/edit").status_code == 409
    assert "only a draft" in client.post(f"/purchasing/{po.number}/edit", data={"vendor_id": str(supplier.id)}).get_data(as_text=True)
    # Cancelling needs a reason.
    page = client.post(f"/purchasing/{po.number}/cancel", data={"reason": ""}, follow_redirects=True).get_data(as_text=True)
    assert "Say why the PO is cancelled" in page
    client.post(f"/purchasing/{po.number}/cancel", data={"reason": "supplier out of stock"})
    session.expire_all()
    assert po.status == "cancelled" and po.lines[0].status == "cancelled"


@pytest.mark.parametrize("field, value, message", [
    ("vendor_id", "", "Choose the supplier"),
    ("material_id_1", "99999", "Choose the material"),
    ("count_1", "2.5", "bought whole"),
    ("count_1", "-3", "more than zero"),
    ("due_1", "soon", "must be a date"),
    ("buy_unit_1", "crate", "what it is bought in"),
])
def test_bad_po_forms_are_refused_with_nothing_written(client, session, make, buying, login_as, field, value, message):
    supplier = buying.supplier()
    bar = buying.bar(supplier)
    make.commit()
    login_as(codes.PLANNER)
    data = {"vendor_id": str(supplier.id), "material_id_1": str(bar.id), "count_1": "24", "buy_unit_1": "bar",
            "each_1": "144", "due_1": "2026-12-03", field: value}
    response = client.post("/purchasing/new", data=data)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(PurchaseOrder)) == 0


def test_the_po_pdf_reads_back(client, session, make, buying, login_as):
    supplier = buying.supplier()
    bar = buying.bar(supplier, code="6061-RD-1.000")
    po = buying.po(supplier, [(bar, 24, DUE)])
    make.commit()
    login_as(codes.PLANNER)
    response = client.get(f"/purchasing/{po.number}/po.pdf")
    assert response.mimetype == "application/pdf"
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(response.data)).pages)
    assert f"Purchase order {po.barcode}" in text and "Atlas Metals" in text
    assert "Line 1: 24 bars × 144 in of 6061-T6 round bar 1.000 dia" in text and "Due Thu Dec 03, 2026" in text
    assert "$61.20 per bar" in text and "Total: $1,468.80" in text


def test_po_list_csv_and_the_po_barcode(client, session, make, buying, login_as):
    supplier = buying.supplier()
    bar = buying.bar(supplier)
    po = buying.po(supplier, [(bar, 24, DUE)])
    make.commit()
    login_as(codes.PLANNER)
    assert po.barcode in client.get("/purchasing/").get_data(as_text=True)
    csv = client.get("/purchasing/orders.csv").get_data(as_text=True)
    assert csv.splitlines()[0].startswith("PO,supplier,status") and f"{po.barcode},Atlas Metals,Sent,1," in csv
    scan = grammar.parse(f"]C0{po.barcode.lower()}\r")
    assert (scan.kind, scan.value) == (grammar.PURCHASE_ORDER, po.number)
    assert lookup.find(session, po.barcode).endpoint == "purchasing.order"
    assert client.get(f"/search?q={po.barcode}").headers["Location"].endswith(f"/purchasing/{po.number}")


# --- needs at release and the buy list --------------------------------------------------------------

def test_a_buy_per_job_release_raises_a_need_and_the_buy_list_orders_it(client, session, make, buying, login_as):
    supplier = buying.supplier()
    bar = buying.bar(supplier, code="6061-RD-1.000", stocking="per_job", unit_cost=Decimal("0.425"))
    part = make.part(material=bar)
    part.bar_length_per_piece = Decimal("15")
    job = make.job(part, quantity=200, due_in_days=14)  # 200 × 15 in = 3,000 in: 21 bars of 144 in (3,024 in)
    make.commit()
    need = session.scalar(select(PurchaseNeed))
    assert (need.job_id, need.quantity, need.status) == (job.id, Decimal("3000"), "open")
    # Two ops of 30 min setup + 2 min × 200 pcs: 860 min = 1.8 days of 8 h, two working days back from
    # the due date Wed 9 Dec: the job starts Mon 7 Dec and its bar is wanted the working day before, Fri 4 Dec.
    assert (job.due_date, need.job_starts, need.needed_by) == (date(2026, 12, 9), date(2026, 12, 7), date(2026, 12, 4))
    [item] = buy_list(session)
    assert item.words == (f"order 21 bars × 144 in of 6061-T6 round bar 1.000 dia — needed by Fri 4 Dec "
                          f"for job {job.number} (starts Mon)")
    assert item.on_order == 0
    login_as(codes.PLANNER)
    assert "21 bars × 144 in" in client.get("/").get_data(as_text=True)  # Buy now on the planner's start page
    csv = client.get("/purchasing/buy.csv").get_data(as_text=True)
    assert "Atlas Metals,6061-RD-1.000" in csv and job.number in csv
    assert client.post("/purchasing/buy/order").status_code == 302
    po = session.scalar(select(PurchaseOrder))
    assert po.status == "draft" and po.vendor_id == supplier.id and po.lines[0].count == 21
    assert po.lines[0].due_date == need.needed_by and po.lines[0].price == Decimal("61.2")
    session.expire_all()
    assert need.status == "ordered" and need.po_line_id == po.lines[0].id
    # On order counts: 3,024 in on the draft cover the 3,000 in, so nothing more to buy.
    assert next(n for n in material_needs(session) if n.material.id == bar.id).on_order == Decimal("3024")
    assert buy_list(session) == []
    # A second release of the same material raises its own need only for what is not covered.
    job2 = make.job(part, quantity=100)  # 1,500 in: 24 in spare on order, 1,476 in short
    make.commit()
    assert session.scalar(select(PurchaseNeed).where(PurchaseNeed.job_id == job2.id)).quantity == Decimal("1476")


def test_a_stocked_material_is_not_a_purchase_need(session, make, buying):
    bar = buying.bar(buying.supplier())
    part = make.part(material=bar)
    make.job(part, quantity=500)
    make.commit()
    assert session.scalar(select(func.count()).select_from(PurchaseNeed)) == 0


def test_buy_list_with_no_supplier_names_the_material(client, session, make, buying, login_as):
    bar = buying.bar(None, code="4140-RD-2.000", stocking="per_job")
    make.job(make.part(material=bar), quantity=10)
    make.commit()
    login_as(codes.PLANNER)
    page = client.post("/purchasing/buy/order", follow_redirects=True).get_data(as_text=True)
    assert "No supplier on 4140-RD-2.000" in page
    assert session.scalar(select(func.count()).select_from(PurchaseOrder)) == 0


def test_forged_or_unallowed_buying_writes_nothing(client, session, make, buying, login_as):
    supplier = buying.supplier()
    bar = buying.bar(supplier, stocking="per_job")
    make.job(make.part(material=bar), quantity=10)
    make.commit()
    login_as(codes.MATERIAL_HANDLER)
    assert client.get("/purchasing/buy").status_code == 403
    assert client.post("/purchasing/buy/order").status_code == 403
    login_as(codes.PLANNER)
    assert client.post("/purchasing/buy/order", csrf=False).status_code == 400
    assert client.post("/purchasing/new", data={"vendor_id": str(supplier.id)}, csrf=False).status_code == 400
    assert session.scalar(select(func.count()).select_from(PurchaseOrder)) == 0
    assert client.get("/purchasing/9999").status_code == 404


def test_a_po_scanned_at_a_station_is_sent_to_the_dock(client, session, make):
    from tests.scan.conftest import STATION_COOKIE, Scanner
    station = make.station()
    operator = make.user(codes.OPERATOR)
    make.commit()
    client.set_cookie(STATION_COOKIE, station.token)
    scan = Scanner(client)
    scan(operator.barcode if hasattr(operator, "barcode") else f"EMP-{operator.badge}")
    before = counts(session)
    answer = scan("po-3001")
    assert answer.status == 422 and "PO-3001 is a purchase order: it is received at the dock." in answer.html
    assert counts(session) == before


def test_the_demo_shop_has_a_sent_and_a_partly_received_po(session, demo_shop):
    orders = session.scalars(select(PurchaseOrder).order_by(PurchaseOrder.number)).all()
    assert [po.status for po in orders] == ["sent", "partly_received"]
    [receipt] = orders[1].lines[0].receipts
    assert receipt.lot.po_number == orders[1].barcode and receipt.lead_days > 0
    assert lookup.find(session, "PO-3001").endpoint == "purchasing.order"


def test_the_material_handler_starts_from_the_pos_due_in_this_week(client, session, make, buying, login_as):
    atlas = buying.supplier()
    bar = buying.bar(atlas)
    late = buying.po(atlas, [(bar, 4, date(2026, 11, 24))])      # due Tuesday: a day overdue
    this_week = buying.po(atlas, [(bar, 6, date(2026, 11, 27))])  # due Friday
    next_week = buying.po(atlas, [(bar, 2, DUE)])                 # due Thursday next week
    draft = buying.po(atlas, [(bar, 3, date(2026, 11, 26))], send=False)  # not sent: nothing to expect
    make.commit()
    login_as(codes.MATERIAL_HANDLER)
    home = client.get("/").get_data(as_text=True)
    due = home[home.index('id="work-pos-due"'):]
    due = due[:due.index("</section>")]
    assert "Purchase orders due in this week · 2" in due
    assert due.index(late.barcode) < due.index(this_week.barcode)  # overdue first
    assert "1 d overdue" in due and "4 bars × 144 in" in due
    assert next_week.barcode not in due and draft.barcode not in due
    rows = list(csv.reader(io.StringIO(client.get("/start/pos-due.csv").get_data(as_text=True))))
    assert [r[0] for r in rows[1:]] == [late.barcode, this_week.barcode] and rows[1][-1] == "1"

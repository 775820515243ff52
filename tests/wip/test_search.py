"""Search: any code scanned or typed opens the right page; unknown codes get a message, never a 500."""
from datetime import date

import pytest

from spex import codes, shopfloor, shoptime
from spex.models import CustomerOrder, OrderLine, Release
from spex.wip import lookup


@pytest.fixture
def stock(session, make, floor):
    part = make.part(ops=("lathe",))
    rack = make.location(code="R2", kind="rack")
    bin_ = make.location(code="R2-A03", kind="bin", parent=rack)
    lot = make.lot(material=part.material, bin=bin_, heat="H-55501", lengths=(144, 144))
    job = make.job(part, quantity=10)
    shopfloor.pull_material(session, lot.units[0], job, 20, user=floor.operator)
    floor.complete(job, 10, 10)
    fg_bin = make.location(code="FG-01", kind="fg")
    fg = shopfloor.receive_finished_goods(session, job, 10, fg_bin, user=floor.shipping)
    make.commit()
    return {"job": job, "lot": lot, "bin": bin_, "fg": fg, "fg_bin": fg_bin}


@pytest.mark.parametrize("raw, where", [
    ("JOB-{job}", "/jobs/{job}"),
    ("job-{job}", "/jobs/{job}"),
    ("  ]C0JOB-{job}\r\n", "/jobs/{job}"),
    ("{job}", "/jobs/{job}"),
    ("JOB-{job}-10", "/jobs/{job}#op-10"),
    ("LOT-{unit}", "/units/{unit}"),
    ("lot-{lotno}", "/units/{lotno}"),
    ("FG-{fg}", "/fg/{fg}"),
    ("BIN-R2-A03", "/bins/R2-A03"),
])
def test_codes_open_the_right_page(client, login_as, stock, raw, where):
    login_as(codes.OPERATOR)
    values = {"job": stock["job"].number, "unit": stock["lot"].units[0].code, "lotno": stock["lot"].number,
              "fg": stock["fg"].code}
    response = client.get("/search", query_string={"q": raw.format(**values)})
    assert response.status_code == 302
    assert response.headers["Location"] == where.format(**values)
    target = client.get(where.format(**values).split("#")[0])
    assert target.status_code == 200


@pytest.mark.parametrize("raw, message", [
    ("JOB-99999", "No job 99999"),
    ("12345678", "No job 12345678"),
    ("LOT-0000-99", "No bar, plate or material lot LOT-0000-99"),
    ("FG-1", "No finished-goods lot FG-1"),
    ("BIN-NOWHERE", "No bin BIN-NOWHERE"),
    ("EMP-0042", "badge"),
    ("VND-ACME", "outside vendor"),
    ("CMD-DONE", "station command"),
    ("hello world", "not a code Spex knows"),
    ("%" * 500, "not a code Spex knows"),
    ("JOB-", "No job"),
])
def test_unknown_codes_get_a_clear_message(client, login_as, stock, raw, message):
    login_as(codes.OPERATOR)
    response = client.get("/search", query_string={"q": raw})
    assert response.status_code == 404
    assert message in response.get_data(as_text=True)


def test_empty_search_shows_the_form(client, login_as):
    login_as(codes.PLANNER)
    response = client.get("/search?q=")
    assert response.status_code == 200 and 'name="q"' in response.get_data(as_text=True)


def test_search_box_is_in_the_top_bar(client, login_as):
    login_as(codes.PLANNER)
    assert 'class="globalsearch"' in client.get("/board").get_data(as_text=True)


def test_stock_unit_page_shows_lot_heat_where_and_history(client, login_as, stock):
    login_as(codes.PLANNER)
    unit = stock["lot"].units[0]
    html = client.get(f"/units/{unit.code}").get_data(as_text=True)
    assert "H-55501" in html and "BIN-R2-A03" in html and "124" in html  # 144 in less 20 pulled
    assert stock["job"].number in html and "Material pulled" in html
    lot_page = client.get(f"/units/{stock['lot'].number}").get_data(as_text=True)
    assert stock["lot"].units[1].barcode in lot_page


def test_fg_lot_page_shows_job_heats_and_where(client, login_as, stock):
    login_as(codes.PLANNER)
    html = client.get(f"/fg/{stock['fg'].code}").get_data(as_text=True)
    assert stock["job"].number in html and "H-55501" in html and "BIN-FG-01" in html


def test_fg_lot_page_says_what_each_shipment_went_against(client, login_as, stock, session, floor):
    # The shipments table showed the database ids of the order line and release ("2", "1").
    job, fg = stock["job"], stock["fg"]
    order = CustomerOrder(number="SO-77", customer_id=job.part.customer_id, po_number="PO-4471", order_date=shoptime.today())
    line = OrderLine(order=order, line_no=2, part_id=job.part_id, quantity=10, strategy="scheduled")
    release = Release(line=line, kind="release", due_date=date(2027, 3, 5), quantity=4)
    session.add_all([order, line, release])
    session.flush()
    shopfloor.ship_finished_goods(session, fg, 4, user=floor.shipping, order_line=line, release=release)
    session.commit()
    login_as(codes.SHIPPING)
    html = client.get(f"/fg/{fg.code}").get_data(as_text=True)
    assert "PO PO-4471 line 2, release due 05 Mar 2027" in html


def test_bin_page_lists_contents(client, login_as, stock):
    login_as(codes.PLANNER)
    html = client.get("/bins/R2-A03").get_data(as_text=True)
    assert stock["lot"].units[0].barcode in html and stock["lot"].units[1].barcode in html and "H-55501" in html
    rack = client.get("/bins/R2").get_data(as_text=True)
    assert "BIN-R2-A03" in rack
    assert "FG-" in client.get("/bins/FG-01").get_data(as_text=True)


def test_bin_page_names_its_kind_in_words(client, login_as, stock, make):
    # It said "In this fg now" and "cart" in a badge: the masters' names for kinds are what people read.
    cart = make.location(code="CART-9", kind="cart")
    make.commit()
    login_as(codes.PLANNER)
    html = client.get(f"/bins/{cart.code}").get_data(as_text=True)
    assert "WIP cart" in html and "In this cart" not in html


def test_read_only_pages_404_cleanly_and_need_login(client, login_as, stock):
    assert client.get("/bins/R2-A03").status_code == 302
    assert client.get("/search?q=JOB-1").status_code == 302
    login_as(codes.PLANNER)
    for url in ("/units/NOPE", "/fg/NOPE", "/bins/NOPE", "/units/NOPE/cert"):
        assert client.get(url).status_code == 404, url


def test_cert_link_serves_the_uploaded_file(app, client, login_as, stock, session):
    import os
    lot = stock["lot"]
    os.makedirs(app.config["SPEX_UPLOAD_DIR"], exist_ok=True)
    with open(os.path.join(app.config["SPEX_UPLOAD_DIR"], "cert-test.pdf"), "wb") as fh:
        fh.write(b"%PDF-1.4 test")
    lot.cert_filename = "cert-test.pdf"
    session.commit()
    login_as(codes.PLANNER)
    job_html = client.get(f"/jobs/{stock['job'].number}").get_data(as_text=True)
    assert f"/units/{lot.number}/cert" in job_html
    response = client.get(f"/units/{lot.number}/cert")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")


def test_normalize_tolerates_scanner_noise():
    assert lookup.normalize("\t]C0job-24017\r\n") == "JOB-24017"
    assert lookup.normalize(None) == ""

"""Acceptance in Chromium, the scan way: a ship-complete line of 100 is filled at the shipping bench from
two FG lots of 50, scans typed on the keyboard as the wedge scanner types them. The shipper reads the
line's code off the shipping page, scans it, the two lots and CMD-DONE; one shipment is made, its packing
list names both lots and their heats, and the order shows the line shipped."""
from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from spex import codes
from spex.auth import STATION_COOKIE
from spex.models import Shipment
from tests.scan.conftest import Operator

pytestmark = pytest.mark.browser


def test_a_line_of_100_ships_by_scan_from_two_lots_of_50(make, session, shop, part, live_server, screen, sign_in,
                                                         tmp_path):
    first, second = shop.finished_lot(part, 50, "H4411"), shop.finished_lot(part, 50, "H4412")
    line = shop.order(part, 100, po="PO-77310")
    station = make.station()
    planner = make.user(codes.PLANNER)
    make.commit()

    # The shipper finds the line's code printed on the shipping page.
    office = screen({"width": 1366, "height": 768})
    sign_in(office, live_server, shop.shipping, "/ship/new")
    office.select_option("select[name=customer_id]", str(part.customer_id))
    office.click("text=Show what is due")
    code = office.get_attribute("[data-bench-code]", "data-bench-code")
    assert code == f"{codes.LINE}{line.id}" and office.locator(f"svg[aria-label='{code}']").count() == 1

    bench_page = screen({"width": 1280, "height": 800})
    bench_page.context.add_cookies([{"name": STATION_COOKIE, "value": station.token, "url": live_server.url}])
    bench = Operator(bench_page, live_server.url)
    bench.scan(shop.shipping.barcode, code.lower())
    assert bench.outcome == "waiting"
    assert bench.headline == f"Ship {line.order.number} line 1 (ship complete): 100 pcs of {part.label}"
    bench.scan(first.barcode)
    assert bench.headline == f"{first.barcode}: 50 pcs for the shipment"
    bench.scan(second.barcode)
    assert bench.headline == f"{second.barcode}: 50 pcs for the shipment"
    bench.scan(first.barcode)  # the first lot again, picked up by mistake
    assert bench.outcome == "refused" and "was scanned already for this shipment" in bench.headline
    bench.page.screenshot(path=str(tmp_path / "bench-two-lots.png"))
    bench.scan(codes.CMD_DONE)
    assert bench.outcome == "done", bench.headline
    assert bench.headline == f"Shipped SHP-7001: 100 pcs to {line.order.customer.name}"
    bench.page.screenshot(path=str(tmp_path / "bench-shipped.png"))

    session.rollback()
    assert len(session.scalars(select(Shipment)).all()) == 1
    office.goto(f"{live_server.url}/ship/7001")
    body = office.inner_text("main")
    assert f"{first.barcode} · 50 pcs" in body and f"{second.barcode} · 50 pcs" in body
    response = office.request.get(live_server.url + office.get_attribute("text=Packing list (PDF)", "href"))
    assert response.headers["content-type"] == "application/pdf"
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(response.body())).pages)
    assert f"{first.barcode}: 50 pcs" in text and "heat H4411" in text
    assert f"{second.barcode}: 50 pcs" in text and "heat H4412" in text
    assert "Customer PO PO-77310" in text and "PN-2207 rev A - 100 pcs" in text

    orders = screen({"width": 1366, "height": 768})
    sign_in(orders, live_server, planner, f"/plan/orders?q={line.order.number}")
    assert "shipped Nov 25" in orders.locator("[data-delivery=line]").inner_text()
    assert orders.locator("td.num").nth(1).inner_text() == "100"

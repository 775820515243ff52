"""Acceptance in Chromium, the page way: a ship-complete line of 100 filled from two FG lots of 50 in
one shipment; its packing list names both lots and their heats; the order shows the line shipped.
(The same by scan at the shipping bench comes with the station's steps.)"""
from __future__ import annotations

import io
import os

import pytest
from pypdf import PdfReader

from spex import codes

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("SPEX_SCREENSHOTS")  # a folder to keep the pages' pictures in, when set


def test_a_line_of_100_ships_from_two_lots_of_50_in_one_shipment(make, session, shop, part, live_server, page,
                                                                   sign_in):
    first, second = shop.finished_lot(part, 50, "H4411"), shop.finished_lot(part, 50, "H4412")
    line = shop.order(part, 100, po="PO-77310")
    admin = make.user(codes.ADMIN)
    make.commit()
    sign_in(page, live_server, admin, "/ship/")
    page.click("text=New shipment")
    page.select_option("select[name=customer_id]", str(part.customer_id))
    page.click("text=Show what is due")
    first_pick = page.locator(f"input[name=pick-L{line.id}-{first.id}]")
    assert first_pick.input_value() == "50"
    assert page.locator(f"input[name=pick-L{line.id}-{second.id}]").input_value() == "50"
    page.fill("input[name=carrier]", "UPS Ground")
    page.fill("input[name=tracking]", "1Z9A00")
    page.fill("textarea[name=ship_to]", "Receiving dock 4")
    page.click("text=Make the shipment")
    page.wait_for_url(f"{live_server.url}/ship/7001")
    body = page.inner_text("main")
    assert "Shipment SHP-7001 made: 100 pcs" in body
    assert f"{first.barcode} · 50 pcs" in body and f"{second.barcode} · 50 pcs" in body
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, "shipment.png"), full_page=True)

    href = page.get_attribute("text=Packing list (PDF)", "href")
    response = page.request.get(live_server.url + href)
    assert response.headers["content-type"] == "application/pdf"
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(response.body())).pages)
    assert f"{first.barcode}: 50 pcs" in text and "heat H4411" in text
    assert f"{second.barcode}: 50 pcs" in text and "heat H4412" in text
    assert "Customer PO PO-77310" in text and "PN-2207 rev A - 100 pcs" in text
    if SHOTS:
        import pypdfium2
        pypdfium2.PdfDocument(response.body())[0].render(scale=1.4).to_pil().save(
            os.path.join(SHOTS, "packing-list.png"))

    page.goto(f"{live_server.url}/plan/orders?q={line.order.number}")
    delivery = page.locator("[data-delivery=line]")
    assert "shipped Nov 25" in delivery.inner_text()
    assert page.locator("td.num").nth(1).inner_text() == "100"

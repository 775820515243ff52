"""Acceptance in Chromium: a release is shipped on the page and its cert pack downloaded; the PDF holds
the shop's C of C, every heat's mill cert pages and the vendor's CoC, and names the missing cert on its
index."""
from __future__ import annotations

import os

import pytest

from spex import codes
from tests.shipping.cert_files import anodized_lots, pdf_text

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("SPEX_SCREENSHOTS")


def test_a_shipped_release_downloads_its_cert_pack(make, session, shop, app, live_server, page, sign_in, tmp_path):
    part, bars, lot_a, lot_b, first, second = anodized_lots(app, session, shop, make)
    line = shop.order(part, 100, strategy="scheduled", releases=(100,), po="PO-90417")
    release = line.releases[0]
    admin = make.user(codes.ADMIN)
    make.commit()
    sign_in(page, live_server, admin, "/ship/new")
    page.select_option("select[name=customer_id]", str(part.customer_id))
    page.click("text=Show what is due")
    assert page.locator(f"input[name=pick-R{release.id}-{lot_a.id}]").input_value() == "50"
    assert page.locator(f"input[name=pick-R{release.id}-{lot_b.id}]").input_value() == "50"
    page.fill("input[name=carrier]", "Our truck")
    page.click("text=Make the shipment")
    page.wait_for_url(f"{live_server.url}/ship/7001")

    with page.expect_download() as caught:
        page.click("text=Cert pack (PDF)")
    download = caught.value
    assert download.suggested_filename == "cert-pack-SHP-7001.pdf"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    reader, pages = pdf_text(saved.read_bytes())
    # index, C of C, heat H100's two pages, heat H200's photographed cert, the anodizer's CoC
    assert len(reader.pages) == 6
    index, conformance, mill_1, mill_2, photo, vendor = pages
    assert "Certification pack SHP-7001" in index
    assert "Mill cert for heat H300: not on file" in index
    assert "Certificate of conformance" in conformance and "PO-90417" in conformance
    assert "release due" in conformance and "H100, H200, H300" in conformance
    assert "MILL TEST REPORT heat H100 page 1" in mill_1 and "MILL TEST REPORT heat H100 page 2" in mill_2
    assert "Mill cert for heat H200" in photo and reader.pages[4].images
    assert "ANODIZE CERTIFICATE OF CONFORMANCE" in vendor
    if SHOTS:
        import pypdfium2
        pypdfium2.PdfDocument(saved.read_bytes())[0].render(scale=1.4).to_pil().save(
            os.path.join(SHOTS, "cert-pack-index.png"))

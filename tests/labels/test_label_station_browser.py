"""The label station in Chromium, as a material handler uses it: sign in, scan a bar's LOT- label
into the search box (the scanner types the code, then Enter), check the preview, download the
PDF and make sure what came down is a PDF whose barcode reads back."""
from __future__ import annotations

from pathlib import Path

import pytest

from spex import codes

from conftest import PASSWORD
from label_decoding import decode_pdf
from label_fixtures import shop  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser


def sign_in(page, live_server, user):
    page.goto(f"{live_server.url}/login?next=/labels/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/labels/")


def test_scan_preview_and_download_pdf(shop, make, live_server, page, tmp_path):
    handler = make.user(codes.MATERIAL_HANDLER)
    make.commit()
    unit = shop.units[1]
    sign_in(page, live_server, handler)

    search = page.locator("#label-q")
    assert search.evaluate("element => element === document.activeElement"), "scanner input has focus"
    page.keyboard.type(unit.barcode.lower())  # scanners type; the code is case-insensitive
    page.keyboard.press("Enter")

    preview = page.locator("#label-preview")
    preview.wait_for(state="visible")
    page.wait_for_function("() => { const i = document.getElementById('label-preview');"
                           " return i && i.complete && i.naturalWidth > 0; }")
    assert preview.evaluate("i => i.naturalWidth") == 812  # 4 in at 203 dpi: printer dots
    assert unit.barcode in page.locator("#found").inner_text()
    assert search.evaluate("element => element === document.activeElement"), "ready for the next scan"

    with page.expect_download() as caught:
        page.click("#download-pdf")
    download = caught.value
    saved = Path(tmp_path) / download.suggested_filename
    download.save_as(saved)
    assert saved.suffix == ".pdf"
    data = saved.read_bytes()
    assert data.startswith(b"%PDF-")
    (page_codes,) = decode_pdf(data)
    assert unit.barcode in page_codes


def test_unknown_scan_shows_a_red_message(shop, make, live_server, page):
    handler = make.user(codes.SHIPPING)
    make.commit()
    sign_in(page, live_server, handler)
    page.locator("#label-q").click()
    page.keyboard.type("LOT-0000-99")
    page.keyboard.press("Enter")
    error = page.locator("#label-error")
    error.wait_for(state="visible")
    assert "no stock unit or lot LOT-0000-99" in error.inner_text()

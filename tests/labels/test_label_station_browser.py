"""The label station in Chromium, as a material handler uses it: sign in, scan a bar's LOT- label
into the search box (the scanner types the code, then Enter), check the preview, download the
PDF and make sure what came down is a PDF whose barcode reads back."""
from __future__ import annotations

from pathlib import Path

import pytest

from spex import codes

from label_decoding import decode_pdf

pytestmark = pytest.mark.browser


def test_scan_preview_and_download_pdf(shop, make, live_server, page, sign_in, tmp_path):
    handler = make.user(codes.MATERIAL_HANDLER)
    make.commit()
    unit = shop.units[1]
    sign_in(page, live_server, handler, "/labels/")

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


def test_unknown_scan_shows_a_red_message(shop, make, live_server, page, sign_in):
    handler = make.user(codes.SHIPPING)
    make.commit()
    sign_in(page, live_server, handler, "/labels/")
    page.locator("#label-q").click()
    page.keyboard.type("LOT-0000-99")
    page.keyboard.press("Enter")
    error = page.locator("#label-error")
    error.wait_for(state="visible")
    assert "no stock unit or lot LOT-0000-99" in error.inner_text()


def test_preview_shows_whole_printer_dots_and_opens_one_to_one(shop, make, live_server, page, sign_in, tmp_path):
    """A 1-bit label scaled by 0.47 with hard pixels drops thin strokes ("Onl ne Metals") and makes
    bars uneven. The preview shows the PNG at a whole fraction of its size, smoothed, with a 1:1 link."""
    handler = make.user(codes.MATERIAL_HANDLER)
    make.commit()
    sign_in(page, live_server, handler, "/labels/")
    page.keyboard.type(shop.units[1].barcode)
    page.keyboard.press("Enter")
    out = Path(tmp_path)
    for dpi in (203, 300):
        if dpi != 203:
            with page.expect_response(lambda r: "/labels/?" in r.url):
                page.select_option("select[name=dpi]", str(dpi))
        page.wait_for_function("() => { const i = document.getElementById('label-preview');"
                               f" return i && i.complete && i.naturalWidth === {4 * dpi}; }}")
        natural, shown = page.locator("#label-preview").evaluate("i => [i.naturalWidth, i.clientWidth]")
        assert natural % shown == 0 or shown % natural == 0, (dpi, natural, shown)
        divisor = natural // shown
        rendering = page.locator("#label-preview").evaluate("i => getComputedStyle(i).imageRendering")
        assert divisor == 1 or rendering == "auto", (divisor, rendering)  # shrunk: smoothed, not dropped
        href = page.get_attribute("#label-full-size", "href")
        png = page.request.get(f"{live_server.url}{href}")
        assert png.headers["content-type"] == "image/png"
        (out / f"label-{dpi}.png").write_bytes(png.body())
        page.locator(".label-preview").screenshot(path=str(out / f"preview-{dpi}.png"))
        _side_by_side(out / f"preview-{dpi}.png", out / f"label-{dpi}.png", out / f"preview-beside-png-{dpi}.png")


def _side_by_side(left, right, target):
    """One image to look at: the preview as the screen shows it, and the PNG the printer gets."""
    from PIL import Image
    a, b = Image.open(left).convert("RGB"), Image.open(right).convert("RGB")
    sheet = Image.new("RGB", (a.width + b.width + 20, max(a.height, b.height)), "white")
    sheet.paste(a, (0, 0))
    sheet.paste(b, (a.width + 20, 0))
    sheet.save(target)

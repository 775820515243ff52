"""A day in the shop in miniature, across rooms, in Chromium: the dock receives a heat through the
receiving form, a machinist at a scan station pulls one of the new bars to a released job and
completes part of op 10 with a keyboard-wedge scanner, and the office's job page shows the heat
and the partial quantity."""
from __future__ import annotations

import re

import pytest

from spex import codes
from spex.auth import STATION_COOKIE

from tests.conftest import SCANNER_KEY_DELAY_MS

pytestmark = pytest.mark.browser



def scan(page, code) -> str:
    """Type a code as the scanner does and wait for the station's answer; returns its headline."""
    before = int(page.get_attribute("body", "data-answers") or "0")
    page.keyboard.type(code, delay=SCANNER_KEY_DELAY_MS)
    page.keyboard.press("Enter")
    page.wait_for_selector(f'body[data-answers="{before + 1}"]')
    return page.inner_text("#scan-feedback .scan-headline")


def test_receive_pull_and_complete_show_on_the_job_page(make, live_server, browser, sign_in):
    material = make.material(grade="316 stainless", size="0.750 dia")
    rack = make.location(code="R3-B02")
    part = make.part(ops=("lathe", "mill"), material=material)
    job = make.job(part, quantity=100)
    handler = make.user(codes.MATERIAL_HANDLER)
    machinist = make.user(codes.OPERATOR, name="Mia Machinist")
    planner = make.user(codes.PLANNER)
    station = make.station(code="LATHE-3")
    make.commit()
    url = live_server.url

    dock = browser.new_context(viewport={"width": 1366, "height": 768})
    floor = browser.new_context(viewport={"width": 1024, "height": 768})
    office = browser.new_context(viewport={"width": 1366, "height": 768})
    try:
        # The dock: one heat of two bars into a rack bin, by the form.
        page = dock.new_page()
        sign_in(page, live_server, handler, "/receive/")
        page.select_option("select[name=material_id]", str(material.id))
        page.fill("input[name=heat_number]", "H-DAY-0718")
        page.fill("input[name=count]", "2")
        page.fill("input[name=each]", "144")
        page.fill("input[name=bin]", rack.barcode)
        page.fill("input[name=supplier]", "Coast Metals")
        page.click("button:text('Receive')")
        page.wait_for_selector(".msg-done")
        assert "heat H-DAY-0718" in page.inner_text(".msg-done")
        bars = re.findall(r"LOT-\d+-\d+", page.inner_text("table"))
        assert len(bars) == 2
        bar = bars[0]

        # The lathe: badge in, pull 30 in of the new bar to the job, complete 40 of 100 at op 10.
        lathe = floor.new_page()
        floor.add_cookies([{"name": STATION_COOKIE, "value": station.token, "url": url}])
        lathe.goto(f"{url}/station")
        lathe.wait_for_selector("#scan-input:focus")
        assert scan(lathe, machinist.barcode) == "Signed in: Mia Machinist"
        assert scan(lathe, bar).startswith(f"Bar {bar}: 144 in left")
        assert scan(lathe, job.barcode) == f"Pull {bar} for job {job.number}"
        assert scan(lathe, "30") == f"Pulled 30 in of {bar} for job {job.number}"
        assert scan(lathe, f"{job.barcode}-10").startswith(f"Job {job.number} op 10")
        assert scan(lathe, "40") == f"40 good at op 10 of job {job.number}"

        # The office: the job page shows the heat it was made from and 40 of 100 done at op 10.
        desk = office.new_page()
        sign_in(desk, live_server, planner, f"/jobs/{job.number}")
        assert "H-DAY-0718" in desk.inner_text("section:has(h2:text('Material heats and lots'))")
        op10 = desk.locator("#op-10")
        assert op10.locator("td.num b").inner_text() == "40"
        assert "40/100" in desk.inner_text("[data-job-summary]")
    finally:
        for context in (dock, floor, office):
            context.close()

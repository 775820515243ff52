"""The station in the demo shop, at a workstation monitor's size: what an operator reads after a
completion is big enough to read at arm's length while holding a part, and the scan field keeps
the focus. With SPEX_SCREENSHOTS=1 the screenshot is written to docs/img/scan-station.png (the
README shows it); otherwise to the test's temporary folder."""
import os
from pathlib import Path

from sqlalchemy import select

from spex import shopfloor
from spex.auth import STATION_COOKIE
from spex.models import Job, JobOperation, Station
from tests.conftest import SCANNER_KEY_DELAY_MS

DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
MONITOR = {"width": 1280, "height": 800}


def _work_waiting_at_the_lathe(session):
    """A released job with pieces waiting at an in-house operation and no open hold."""
    for op in session.scalars(select(JobOperation).join(Job).where(Job.status == "released",
                                                                  JobOperation.kind == "inhouse")
                              .order_by(Job.number, JobOperation.seq)):
        if shopfloor.available_at(session, op) >= 5 and not shopfloor.open_holds(session, op.job):
            return op
    raise AssertionError("the demo shop has no work waiting at an in-house operation")


def test_demo_station_answer_is_legible_and_keeps_the_focus(app, session, demo_shop, browser, live_server, tmp_path):
    station = session.scalar(select(Station).where(Station.kind == "floor").order_by(Station.code))
    op = _work_waiting_at_the_lathe(session)
    server = live_server
    context = browser.new_context(viewport=MONITOR)
    context.add_cookies([{"name": STATION_COOKIE, "value": station.token, "url": server.url}])
    page = context.new_page()
    try:
        page.goto(f"{server.url}/station")
        page.wait_for_selector("#scan-input:focus")
        for count, code in enumerate(("EMP-0042", f"{op.job.barcode}-{op.seq}", "5"), start=1):
            page.keyboard.type(code, delay=SCANNER_KEY_DELAY_MS)
            page.keyboard.press("Enter")
            page.wait_for_selector(f'body[data-answers="{count}"]')
        headline = page.inner_text("#scan-feedback .scan-headline")
        assert headline == f"5 good at op {op.seq} of job {op.job.number}"
        assert page.get_attribute("#scan-feedback [data-outcome]", "data-outcome") == "done"
        assert page.evaluate("document.activeElement.id") == "scan-input"
        size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('#scan-feedback .scan-headline'))"
                             ".fontSize)")
        assert size >= 32, f"the answer's headline is {size}px"
        # The whole answer and the context beside it fit on the screen without scrolling.
        box = page.locator("#scan-feedback").bounding_box()
        assert box["y"] + box["height"] <= MONITOR["height"]
        out = DOCS_IMG if os.environ.get("SPEX_SCREENSHOTS") == "1" else tmp_path
        page.screenshot(path=str(out / "scan-station.png"))
    finally:
        context.close()

"""In Chromium on the demo shop: a part's cost by batch size with its curve and quote, the material
stocking agreements, and the finished goods held for customers; nothing trips the content security policy."""
import os

from spex import demo
from spex.models import Part


def _shot(page, name):
    folder = os.environ.get("SPEX_SCREENSHOTS")
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


def test_batch_cost_stocking_and_held_goods_pages(session, demo_shop, live_server, page, sign_in):
    problems = []
    page.on("console", lambda message: problems.append(message.text)
            if message.type == "error" and not message.text.startswith("Failed to load resource") else None)
    sign_in(page, live_server, "planner", password=demo.DEMO_PASSWORD)
    assert page.locator("#safety-stock").count() in (0, 1)
    _shot(page, "start")

    part = session.query(Part).filter_by(number="NF-1001").one()
    page.goto(f"{live_server.url}/masters/parts/{part.id}")
    page.wait_for_selector("#batch-cost")
    assert page.locator("#batch-cost svg polyline").count() == 1
    assert "10 pcs: $" in page.inner_text("[data-batch-quote]")
    page.fill("#batch-cost [name=quote]", "25")
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-batch-quote] >> text=25 pcs: $")
    _shot(page, "part")

    page.goto(f"{live_server.url}/material/stocking")
    page.wait_for_selector("[data-agreements]")
    assert "316-RD-1.250" in page.inner_text("[data-agreements]")
    _shot(page, "stocking")

    page.goto(f"{live_server.url}/ship/held")
    page.wait_for_selector("[data-held-goods]")
    _shot(page, "held")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert problems == []

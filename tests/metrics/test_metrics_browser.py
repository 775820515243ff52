"""The metrics pages in Chromium at 1366x768 on the demo shop: they fit the screen, draw their charts,
and nothing trips the content security policy."""
from playwright.sync_api import expect

from spex import codes, demo


def test_metrics_pages_in_chromium(session, demo_shop, live_server, page, sign_in):
    problems = []
    # Chromium reports the favicon's 404 and the deliberate 422 as "Failed to load resource": not ours to fix.
    page.on("console", lambda message: problems.append(message.text)
            if message.type == "error" and not message.text.startswith("Failed to load resource") else None)
    sign_in(page, live_server, "planner", password=demo.DEMO_PASSWORD)

    page.click("nav >> text=Metrics")
    page.wait_for_selector("text=Inventory turnover")
    assert page.locator(".chart svg rect").count() > 0
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    page.click(".tabs >> text=Material")
    page.wait_for_selector("text=Buy now")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.fill("[name=service]", "150")
    page.click("text=Show")
    page.wait_for_selector("text=A service level of 150 % is not possible")
    assert problems == []


def test_reorder_suggestions_page_by_page_in_chromium(make, live_server, page, sign_in, tmp_path):
    # 60 materials: a first page of 50, a second of 10; "Next" swaps only the rows (htmx) and the
    # address follows, so Back and a bookmark show the same page.
    for n in range(60):
        make.material(code=f"R{n:03d}-RD", grade="6061-T6 aluminium" if n % 3 == 0 else "303 stainless")
    planner = make.user(codes.PLANNER)
    make.commit()
    sign_in(page, live_server, planner, "/metrics/material")
    rows = page.locator("#reorder-lines tr[data-material]")
    assert rows.count() == 50 and rows.first.get_attribute("data-material") == "R000-RD"
    page.click("#reorder-lines >> text=Next ›")
    page.wait_for_url("**/metrics/material?page=2")
    expect(rows).to_have_count(10)
    assert rows.first.get_attribute("data-material") == "R050-RD"
    assert page.locator("h2", has_text="Buy now").count() == 1  # the rest of the page stayed
    page.locator("#reorder-lines .pager").screenshot(path=str(tmp_path / "material-reorder-page-2.png"))
    page.fill("input[aria-controls=reorder-lines]", "6061")  # not the top bar's code search
    expect(rows).to_have_count(20)
    assert "20 of 60 materials for “6061”" in page.inner_text("#reorder-lines")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.locator("#reorder-lines").scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / "material-reorder-paged.png"), full_page=True)

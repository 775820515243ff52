"""The metrics pages in Chromium at 1366x768 on the demo shop: they fit the screen, draw their charts,
and nothing trips the content security policy."""
from spex import demo


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

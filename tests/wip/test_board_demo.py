"""The board and job page with the demo shop, at wall size: every key figure big enough to read across a room.

With SPEX_SCREENSHOTS=1 the screenshots are written to docs/img/ (wip-board.png, job-page.png);
otherwise to the test's temporary folder, so a normal run never touches the repository.
"""
import os
from pathlib import Path

from spex import demo

WALL = {"width": 1920, "height": 1080}
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
# Selector -> smallest font size in CSS pixels. Key figures (job number, part, due date, pieces,
# where it is, how long) at 28 px or more; secondary words (customer, badges, alerts) at 24 px.
MIN_SIZES = {".bj-number": 40, ".bj-part .bj-big": 28, ".bj-due .bj-big": 28, ".op-qty b": 28, ".bj-at": 28,
             ".age": 28, ".board-summary b": 28, ".bj-sub": 24, ".risk-badge": 24, ".alert-hold": 24,
             ".alert-vendor": 24, ".op-seq": 18}


def _out_dir(tmp_path) -> Path:
    if os.environ.get("SPEX_SCREENSHOTS") == "1":
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        return DOCS_IMG
    return tmp_path


def test_demo_board_is_legible_from_across_the_room(app, demo_shop, browser, start_server, tmp_path):
    server = start_server(app)
    context = browser.new_context(viewport=WALL)
    page = context.new_page()
    try:
        page.goto(f"{server.url}/board/kiosk?token=board-token&page=1")
        rows = page.locator(".board-job")
        assert rows.count() == 8
        assert page.locator(".risk-late").count() >= 1 and page.locator(".alert-hold").count() >= 1
        for selector, smallest in MIN_SIZES.items():
            sizes = page.eval_on_selector_all(selector, "els => els.map(e => parseFloat(getComputedStyle(e).fontSize))")
            assert sizes, selector
            assert min(sizes) >= smallest, (selector, min(sizes))
        assert page.evaluate("document.querySelector('#board').getBoundingClientRect().bottom") <= WALL["height"]
        assert page.evaluate("document.documentElement.scrollWidth") <= WALL["width"]
        # No pieces figure is cut off inside its operation box.
        clipped = page.eval_on_selector_all(".op", "els => els.filter(e => e.scrollWidth > e.clientWidth + 1).length")
        assert clipped == 0
        page.screenshot(path=str(_out_dir(tmp_path) / "wip-board.png"))
    finally:
        context.close()


def test_demo_job_page(app, demo_shop, browser, start_server, tmp_path, session, sign_in):
    from sqlalchemy import select
    from spex.models import Job, QualityHold
    server = start_server(app)
    context = browser.new_context(viewport={"width": 1366, "height": 1400})
    page = context.new_page()
    try:
        sign_in(page, server, "planner", password=demo.DEMO_PASSWORD)
        # A job with history on every side: material, a hold, an operation in progress.
        job = session.scalar(select(Job).join(QualityHold).order_by(Job.number))
        page.goto(f"{server.url}/jobs/{job.number}")
        summary = page.inner_text("[data-job-summary]")
        assert summary.startswith("Op") and "done" in summary
        assert page.locator("#op-10").count() == 1
        page.screenshot(path=str(_out_dir(tmp_path) / "job-page.png"), full_page=False)
    finally:
        context.close()


def test_office_board_with_the_top_bar_fits_a_1080p_screen(app, demo_shop, browser, start_server, tmp_path,
                                                            sign_in):
    server = start_server(app)
    context = browser.new_context(viewport=WALL)
    page = context.new_page()
    try:
        sign_in(page, server, "planner", password=demo.DEMO_PASSWORD)
        page.goto(f"{server.url}/board?page=1")
        assert page.locator(".board-job").count() >= 7
        assert page.evaluate("document.querySelector('#board').getBoundingClientRect().bottom") <= WALL["height"]
        page.screenshot(path=str(tmp_path / "office-board.png"))
        page.goto(f"{server.url}/board?group=wc&page=1")
        assert page.locator(".board-group").count() >= 1
    finally:
        context.close()

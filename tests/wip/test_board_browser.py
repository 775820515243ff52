"""The wall board in Chromium at 1920x1080: it repaints by itself after a scan at a real station, and rides out a restart."""
from __future__ import annotations

import pytest

from spex import codes, create_app
from spex.auth import STATION_COOKIE
from spex.extensions import db

from tests.conftest import SCANNER_KEY_DELAY_MS

POLL_SECONDS = 1
WALL = {"width": 1920, "height": 1080}
STATION_SCREEN = {"width": 1366, "height": 768}


def _configure(app):
    app.config.update(SPEX_BOARD_POLL_SECONDS=POLL_SECONDS)


@pytest.fixture
def board_page(screen):
    page = screen(WALL, timeout=15_000)
    return page, page.context


@pytest.fixture
def station_browser(screen):
    """A second browser, the PC at a machine: registered as a station the way the admin's
    registration leaves it, with the station cookie for the server's host."""

    def _open(url, station):
        page = screen(STATION_SCREEN, timeout=15_000)
        page.context.add_cookies([{"name": STATION_COOKIE, "value": station.token, "url": url}])
        page.goto(f"{url}/station")
        page.wait_for_selector("#scan-input:focus")
        return page

    return _open


def _scan(page, code):
    """Type a code at scanner speed and press Enter, then wait for the station's answer."""
    before = int(page.get_attribute("body", "data-answers") or "0")
    page.keyboard.type(code, delay=SCANNER_KEY_DELAY_MS)
    page.keyboard.press("Enter")
    # Selectors, not wait_for_function: the station's CSP forbids evaluating strings.
    page.wait_for_selector(f'body[data-answers="{before + 1}"]')
    return page.inner_text("#scan-feedback .scan-headline")


def _op_good(page, job_number, seq_index=0):
    return page.locator(f'[data-job="{job_number}"] .op-qty b').nth(seq_index)


def test_board_repaints_within_the_refresh_interval_after_a_scan_at_a_station(
        app, make, board_page, station_browser, start_server):
    operator = make.user(codes.OPERATOR, name="Olga Operator")
    station = make.station(code="LATHE1")
    job = make.job(quantity=100)
    make.commit()
    _configure(app)
    server = start_server(app)
    page, _ = board_page
    page.goto(f"{server.url}/board/kiosk?token=board-token")
    assert _op_good(page, job.number).inner_text() == "0"
    # The address bar (and so the history) no longer shows the token: the board keeps it in a cookie.
    assert page.url == f"{server.url}/board/kiosk"
    assert "board-token" not in page.content()
    page.evaluate("window.__notReloaded = true")

    lathe = station_browser(server.url, station)
    assert _scan(lathe, operator.barcode) == "Signed in: Olga Operator"
    assert _scan(lathe, f"{job.barcode}-10").startswith(f"Job {job.number} op 10")
    assert _scan(lathe, "60") == f"60 good at op 10 of job {job.number}"

    # Within the poll interval (plus a request's time) the figure changes, with no reload.
    page.wait_for_function(
        "n => document.querySelector(`[data-job='${n}'] .op-qty b`).textContent === '60'",
        arg=job.number, timeout=(POLL_SECONDS + 3) * 1000)
    assert page.evaluate("window.__notReloaded") is True
    assert page.locator("[data-board-offline]").is_hidden()


def test_board_recovers_by_itself_after_a_server_restart(app, make, session, board_page, floor, start_server):
    job = make.job(quantity=100)
    make.commit()
    _configure(app)
    server = start_server(app, keep_alive=False)
    port = server.port
    page, _ = board_page
    page.goto(f"{server.url}/board/kiosk?token=board-token")
    assert _op_good(page, job.number).inner_text() == "0"
    page.evaluate("window.__notReloaded = true")

    server.stop()
    page.wait_for_selector("[data-board-offline]:not([hidden])", timeout=(POLL_SECONDS + 10) * 1000)
    assert "Reconnecting" in page.inner_text("[data-board-offline]")
    assert _op_good(page, job.number).inner_text() == "0"  # the last board stays up, dimmed

    # Work goes on while the server is down; a new process comes up on the same port and database.
    floor.complete(job, 10, 25)
    make.commit()
    restarted_app = create_app({**{k: app.config[k] for k in (
        "TESTING", "SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "SPEX_UPLOAD_DIR", "SPEX_BOARD_TOKEN")},
        "SPEX_BOARD_POLL_SECONDS": POLL_SECONDS})
    restarted = start_server(restarted_app, port=port, keep_alive=False)
    try:
        page.wait_for_selector("[data-board-offline]", state="hidden", timeout=(POLL_SECONDS + 10) * 1000)
        page.wait_for_function(
            "n => document.querySelector(`[data-job='${n}'] .op-qty b`).textContent === '25'",
            arg=job.number, timeout=(POLL_SECONDS + 5) * 1000)
        assert page.evaluate("window.__notReloaded") is True
    finally:
        restarted.stop()
        with restarted_app.app_context():
            db.engine.dispose()


# Empty wall under the last row of a page, in CSS pixels, that still counts as "the screen is filled".
SMALL_MARGIN = 40


def _lowest_row(page):
    return page.evaluate("Math.max(...[...document.querySelectorAll('.board-job, [data-unreleased]')]"
                         ".map(e => e.getBoundingClientRect().bottom))")


def test_board_fills_the_wall_with_even_pages_of_25_jobs(app, make, board_page, start_server, tmp_path, session,
                                                         sign_in):
    # The shop of the report: 25 open jobs, 3 of them not released yet. Before, 8 rows a page made
    # 8/8/8/1 and the wall spent a quarter of its rotation on one unreleased job.
    part = make.part(ops=("lathe", "mill", "deburr"), outside=("anodize",))
    released = [make.job(part, quantity=50) for _ in range(22)]
    planned = [make.job(part, quantity=50, release=False) for _ in range(3)]
    make.commit()
    server = start_server(app)
    try:
        page, _ = board_page
        counts = []
        for number in (1, 2, 3):
            page.goto(f"{server.url}/board/kiosk?token=board-token&page={number}")
            assert f"Page {number}/3" in page.inner_text(".board-summary")
            shown = page.eval_on_selector_all(".board-job", "els => els.map(e => e.dataset.job)")
            assert not set(shown) & {j.number for j in planned}  # never a row, never a page of their own
            counts.append(len(shown))
            line = page.inner_text("[data-unreleased]")
            assert all(j.number in line for j in planned), line
            # The rows fill the screen's height, and nothing spills below it.
            assert WALL["height"] - SMALL_MARGIN <= _lowest_row(page) <= WALL["height"]
            assert page.evaluate("document.documentElement.scrollHeight") <= WALL["height"]
            size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.bj-number')).fontSize)")
            assert size >= 28
            page.screenshot(path=str(tmp_path / f"kiosk-{number}.png"))
        assert counts == [8, 7, 7]

        # The office copy under its top bar: a pager, and the page stays put until someone turns it.
        office = make.user(codes.PLANNER, password="office-board-pw")
        make.commit()
        sign_in(page, server, office, "/board", password="office-board-pw")
        assert "Page 1 of 3" in page.inner_text(".board-pager")
        assert WALL["height"] - SMALL_MARGIN <= _lowest_row(page) <= WALL["height"]
        first = page.eval_on_selector_all(".board-job", "els => els.map(e => e.dataset.job)")
        page.click(".board-pager a[rel=next]")
        page.wait_for_url("**page=2**")
        assert "Page 2 of 3" in page.inner_text(".board-pager")
        second = page.eval_on_selector_all(".board-job", "els => els.map(e => e.dataset.job)")
        assert first and second and not set(first) & set(second)
        page.screenshot(path=str(tmp_path / "office-2.png"))
    finally:
        server.stop()

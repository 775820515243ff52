"""In Chromium: a planner signs in and lands on their work list, where a late job wears the same
badge as on the WIP board."""
from __future__ import annotations

import os

import pytest

from spex import codes

pytestmark = pytest.mark.browser


def test_a_planner_lands_on_the_late_jobs_with_the_boards_badge(make, live_server, page, sign_in):
    # 30 min setup + 1,000 pieces at 2 min on one 8-hour shift: finished Tuesday 1 Dec, due Monday 30 Nov.
    late = make.job(quantity=1000, due_in_days=5, ops=("lathe",))
    make.job(quantity=10, due_in_days=20)
    planner = make.user(codes.PLANNER, name="Pat Planner")
    make.commit()

    sign_in(page, live_server, planner, "/")
    row = page.locator(f"#work-late-jobs [data-job='{late.number}']")
    badge = row.locator(".risk-badge")
    assert badge.inner_text() == "LATE +1d"
    assert badge.get_attribute("data-risk") == "late"
    assert page.locator("#work-late-jobs h2").inner_text() == "Late and at-risk jobs · 1"
    shots = os.environ.get("SPEX_SCREENSHOTS")
    if shots:
        page.screenshot(path=os.path.join(shots, "planner_start.png"), full_page=True)

    page.goto(f"{live_server.url}/board")
    on_board = page.locator(f".board-job[data-job='{late.number}'] .risk-badge")
    assert on_board.inner_text() == "LATE +1d"
    assert on_board.get_attribute("data-risk") == "late"

    page.goto(f"{live_server.url}/")
    row.get_by_role("link", name=late.number).click()
    page.wait_for_url(f"**/jobs/{late.number}")
    assert page.locator("h1 .risk-badge").inner_text() == "LATE +1d"

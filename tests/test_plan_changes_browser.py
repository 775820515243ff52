"""A planner changes a job in Chromium: from the job page to its plan page and back, the change is
on the job page with who, when, old → new and why; a refused change says why on the same page."""
from __future__ import annotations

import os
from datetime import timedelta

import pytest

from spex import codes, ledger, shopfloor

pytestmark = pytest.mark.browser


def test_a_planner_splits_a_job_and_the_job_page_shows_the_change(make, session, live_server, page, sign_in):
    job = make.job(quantity=165, ops=("lathe", "mill", "deburr"))
    shopfloor.complete_operation(session, job.operations[0], 100, user=make.user(codes.OPERATOR))
    planner = make.user(codes.PLANNER, name="Pat Planner")
    make.commit()
    sign_in(page, live_server, planner, f"/jobs/{job.number}")
    page.click("#job-change")
    page.wait_for_url(f"**/plan/jobs/{job.number}/change")

    # Too few pieces: refused on the page, with the reason, nothing written.
    page.fill("input[name=quantity]", "50")
    page.click("button[name=save]")
    assert "cannot go below 100" in page.locator("#change-error").inner_text()

    page.fill("input[name=quantity]", "165")
    page.fill("input[name=priority]", "8")
    page.fill("input[name=due_date]", (job.due_date - timedelta(days=4)).isoformat())
    page.locator("form:has(input[value=edit]) input[name=reason]").fill("customer moved the date in")
    page.click("button[name=save]")
    page.wait_for_url(f"**/jobs/{job.number}")
    page.click("#job-change")
    page.fill("input[name=pieces]", "40")
    page.select_option("select[name=seq]", "20")
    page.locator("form:has(input[value=split]) input[name=reason]").fill("ship 40 early")
    page.click("button[name=split]")
    page.wait_for_url(f"**/jobs/{job.number}")

    changes = page.locator("#plan-changes").inner_text()
    assert "Pat Planner" in changes and "priority" in changes and "ship 40 early" in changes
    assert "customer moved the date in" in changes and "125 pcs; 40 pcs to job" in changes
    shots = os.environ.get("SPEX_SCREENSHOTS")
    if shots:
        page.screenshot(path=os.path.join(shots, "job_changes.png"), full_page=True)
    session.rollback()
    assert ledger.audit(session) == []

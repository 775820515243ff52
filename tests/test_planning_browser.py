"""The planner's job list in Chromium: releasing a job redraws its row, and a refused release
(someone released it meanwhile) shows its red message instead of nothing happening."""
from __future__ import annotations

import pytest

from spex import codes, production

pytestmark = pytest.mark.browser


def test_release_redraws_the_row_and_a_refusal_is_shown(make, session, live_server, page, sign_in):
    part = make.part(ops=("lathe",))
    first = make.job(part, quantity=100, release=False)
    second = make.job(part, quantity=40, release=False)
    planner = make.user(codes.PLANNER)
    make.commit()
    sign_in(page, live_server, planner, "/plan/jobs?status=planned")

    row = page.locator(f"#job-{first.number}")
    row.locator("button:text('Release')").click()
    page.wait_for_selector(f"#job-{first.number} .release-result")
    # The row says released, like its message, and offers no second release.
    assert "100 pcs wait at op 10" in row.inner_text()
    assert row.locator("td").nth(6).inner_text() == "released"
    assert row.locator("button:text('Release')").count() == 0

    # Another planner releases the second job while this page still shows its button.
    session.rollback()  # a fresh snapshot: the server has written since this session last read
    production.release_job(session, second)
    make.commit()
    page.locator(f"#job-{second.number} button:text('Release')").click()
    refusal = page.locator(f"#job-{second.number} .release-result.msg-refused")
    refusal.wait_for()
    assert "already released" in refusal.inner_text()

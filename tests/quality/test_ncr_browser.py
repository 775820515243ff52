"""Acceptance, in Chromium: an inspector signs in and lands on the open holds and NCRs, opens the
NCR, records cause and disposition, and closes it; the pieces go where the disposition says."""
from __future__ import annotations

import os

import pytest

from spex import codes, ledger, shopfloor
from spex.models import NonConformance, QualityHold

pytestmark = pytest.mark.browser


def test_an_inspector_lands_on_the_open_ncrs_and_closes_one(make, session, live_server, page, sign_in):
    job = make.job(quantity=165, ops=("lathe", "inspection"))
    op10 = job.operations[0]
    shopfloor.complete_operation(session, op10, 20, user=make.user(codes.OPERATOR))
    held = shopfloor.place_hold(session, job.operations[1], 4, "DIM", user=make.user(codes.OPERATOR),
                                note="bore 0.003 oversize")
    inspector = make.user(codes.INSPECTOR, name="Ines Inspector")
    make.commit()
    number = session.query(NonConformance.number).filter_by(hold_id=held.id).scalar()

    sign_in(page, live_server, inspector, "/")
    work = page.locator("#inspector-work")
    row = work.locator(f"[data-ncr='{number}']")
    assert "bore 0.003 oversize" in row.inner_text() and "awaiting" in row.inner_text()
    # The 16 pieces not held wait at the inspection operation: the inspector's other work.
    assert "16" in work.locator("[data-waiting-inspection]").inner_text()

    shots = os.environ.get("SPEX_SCREENSHOTS")
    if shots:
        page.screenshot(path=os.path.join(shots, "inspector_start.png"), full_page=True)
    row.get_by_role("link", name=number).click()
    page.wait_for_url(f"**/quality/ncrs/{number}")
    if shots:
        page.screenshot(path=os.path.join(shots, "ncr_open.png"), full_page=True)
    page.select_option("#cause", "SETUP")
    page.fill("#cause_note", "boring bar offset entered twice")
    page.click("#save-cause")
    page.wait_for_selector("#ncr-cause:has-text('Setup / offset error')")
    page.select_option("#disposition", codes.REWORK)
    page.fill("#disposition_note", "re-bore to size")
    page.click("#save-disposition")
    page.wait_for_selector("#ncr-disposition:has-text('Rework')")
    assert "Ines Inspector" in page.locator("#ncr-disposition").inner_text()
    page.fill("#corrective_action", "Offsets read back by a second person at setup")
    page.click("#close-ncr")
    page.wait_for_selector("#ncr-status:has-text('closed')")
    if shots:
        page.screenshot(path=os.path.join(shots, "ncr.png"), full_page=True)

    session.rollback()  # a fresh snapshot: the server has written since this session last read
    ncr = session.get(NonConformance, session.query(NonConformance.id).filter_by(number=number).scalar())
    assert (ncr.status, ncr.cause, ncr.disposition) == ("closed", "SETUP", codes.REWORK)
    assert ncr.closed_by_id == inspector.id and ncr.decided_by_id == inspector.id
    assert not session.get(QualityHold, held.id).is_open
    # Rework sends the 4 back to the operation's queue: 20 wait there again.
    assert int(ledger.balance(session, ledger.job_item(job.id), ledger.at_operation(job.operations[1].id))) == 20
    assert ledger.audit(session) == []
    # The start page no longer lists it.
    page.goto(f"{live_server.url}/")
    assert page.locator(f"#inspector-work [data-ncr='{number}']").count() == 0

"""A cycle count in Chromium: a material handler counts a rack bin with the keyboard-wedge scanner, one
bar missing and one bar's length wrong; the station tells the variance; a planner opens the counts
waiting for approval and approves it; the ledger holds two ADJUST entries with their reasons and
still sums to the balances; the bar's page shows the count. A count left at the station is
cancelled by a planner on the counts page, and the bin is counted again."""
from decimal import Decimal

from sqlalchemy import select

from spex import codes, ledger
from spex.models import LedgerEntry


def test_a_bin_counted_with_a_bar_missing_and_a_length_wrong_is_approved(operator_at, shop, session, make, screen,
                                                                         sign_in, live_server, tmp_path):
    missing, short = shop.lot.units
    planner = make.user(codes.PLANNER, name="Pat Planner")
    make.commit()
    person = operator_at()
    person.page.set_viewport_size({"width": 1280, "height": 800})
    person.scan(shop.handler.barcode, codes.CMD_COUNT)
    assert person.outcome == "waiting" and person.headline == "Cycle count"
    person.scan(shop.rack.barcode)
    assert person.headline == "Counting BIN-R1-A01" and "Count" in person.context
    person.scan(short.barcode.lower())
    assert person.outcome == "waiting" and person.headline == f"{short.barcode}: its length?"
    person.scan("131.25")
    assert person.outcome == "done" and person.headline == f"Counted {short.barcode}: 131.25 in"
    person.scan(short.barcode)  # the same bar again, on purpose
    assert person.outcome == "refused"
    assert person.headline == f"Refused: {short.barcode} was counted already in this count."
    person.scan(codes.CMD_DONE)
    assert person.outcome == "done" and person.headline == "BIN-R1-A01 counted: 2 to approve"
    answer = person.page.inner_text("#scan-feedback")
    assert f"{missing.barcode} missing (144 in on the books)" in answer
    assert f"{short.barcode} 131.25 in, the books 144 in" in answer
    person.page.screenshot(path=str(tmp_path / "count-done.png"))
    session.rollback()
    assert session.scalars(select(LedgerEntry).where(LedgerEntry.kind == ledger.ADJUST)).all() == []

    office = screen({"width": 1366, "height": 768})
    sign_in(office, live_server, planner, "/counts/")
    waiting = office.locator("#waiting")
    assert "BIN-R1-A01" in waiting.inner_text() and "waits for approval" in waiting.inner_text()
    waiting.get_by_role("link", name="Count 1").click()
    variance = office.locator("#variance")
    assert "not found" in variance.inner_text() and "131.25 in" in variance.inner_text()
    office.screenshot(path=str(tmp_path / "count-page.png"), full_page=True)
    office.fill("#decide input[name=note]", "Bar went to the saw without a pull")
    office.click("#approve")
    office.wait_for_selector("#count-status:has-text('approved')")

    session.rollback()
    entries = session.scalars(select(LedgerEntry).where(LedgerEntry.kind == ledger.ADJUST)
                              .order_by(LedgerEntry.stock_unit_id)).all()
    assert [(e.stock_unit_id, e.quantity, e.reason, e.to_place) for e in entries] == [
        (missing.id, Decimal(144), codes.COUNT_MISSING, None), (short.id, Decimal("12.75"), codes.COUNT_QTY, None)]
    assert all(e.note.startswith("Count 1 of BIN-R1-A01") and e.user_id == planner.id for e in entries)
    assert ledger.audit(session) == []

    office.goto(f"{live_server.url}/units/{short.code}")
    counts = office.inner_text("#unit-counts")
    assert "Count 1" in counts and "BIN-R1-A01" in counts and "approved and adjusted" in counts
    assert "In BIN-R1-A01: 131.25 in left of 144" in office.inner_text("section.card >> nth=0")
    office.screenshot(path=str(tmp_path / "bar-page.png"), full_page=True)


def test_a_count_left_at_the_station_is_cancelled_by_a_planner_and_the_bin_counted_again(
        operator_at, shop, session, make, screen, sign_in, live_server, tmp_path):
    from datetime import timedelta

    from spex.models import Count

    bar1, bar2 = shop.lot.units
    planner = make.user(codes.PLANNER, name="Pat Planner")
    make.commit()
    person = operator_at()
    person.scan(shop.handler.barcode, codes.CMD_COUNT, shop.rack.barcode, bar1.barcode, "144")
    assert person.headline == f"Counted {bar1.barcode}: 144 in"
    # The handler walks away; the count is found open five hours after it was started.
    session.rollback()
    count = session.scalar(select(Count))
    count.started_at -= timedelta(hours=5)
    session.commit()

    office = screen({"width": 1366, "height": 768})
    sign_in(office, live_server, planner, "/counts/")
    unfinished = office.locator("#unfinished")
    assert "BIN-R1-A01" in unfinished.inner_text() and "Max Handler" in unfinished.inner_text()
    office.fill("#unfinished input[name=note]", "Handler went home mid-count")
    office.click(f"#cancel-{count.id}")
    office.wait_for_selector("text=Count 1 of BIN-R1-A01 cancelled: nothing was adjusted")
    assert "Handler went home mid-count" in office.inner_text("#cancelled")
    assert "BIN-R1-A01" not in office.inner_text("#unfinished")
    office.screenshot(path=str(tmp_path / "count-cancelled.png"), full_page=True)

    person.scan(codes.CMD_DONE)  # the handler comes back to finish it
    assert person.outcome == "refused"
    assert person.headline.startswith("Refused: Count 1 of BIN-R1-A01 was cancelled by Pat Planner")
    person.scan(codes.CMD_COUNT, shop.rack.barcode, bar1.barcode, "144", bar2.barcode, "144", codes.CMD_DONE)
    assert person.outcome == "done" and person.headline == "BIN-R1-A01 counted: all 2 right"
    session.rollback()
    assert session.scalars(select(LedgerEntry).where(LedgerEntry.kind == ledger.ADJUST)).all() == []
    assert [c.status for c in session.scalars(select(Count).order_by(Count.id))] == ["dropped", "exact"]

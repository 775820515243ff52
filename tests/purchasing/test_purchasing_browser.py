"""In Chromium: a buy-per-job job is released and its purchase need shows on the planner's start page
and the buy list; a draft PO is made from it in one step and sent; the dock scans the PO and receives
it in two partial receipts, the second late; on order falls to zero and the two lead times measured
give the σL the material page's safety stock uses."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from spex import codes, shopfloor, shoptime
from spex.metrics.material import material_needs
from spex.metrics.reorder import reorder_lines
from spex.models import clock_at, clock_running_from
from tests.conftest import SCANNER_KEY_DELAY_MS

MATERIAL = "6061-RD-1.000"


def _history(session, make, buying, bar):
    """Two months ago the shop bought this bar for another job and used all of it: usage to measure."""
    operator = make.user(codes.OPERATOR)
    rack = make.location("R1-A01")
    with clock_at(datetime(2026, 10, 1, 14, tzinfo=timezone.utc)):
        lot = make.lot(bar, rack, lengths=(144, 144), heat="OLD1")
    old = make.job(make.part(material=bar), quantity=10)
    for day, unit, amount in ((date(2026, 11, 2), lot.units[0], 144), (date(2026, 11, 10), lot.units[1], 144)):
        with clock_at(datetime.combine(day, datetime.min.time(), timezone.utc) + timedelta(hours=14)):
            shopfloor.pull_material(session, unit, old, amount, user=operator)
    old.status = "complete"


def test_buy_per_job_release_to_two_partial_receipts(make, session, buying, live_server, screen, sign_in, tmp_path):
    supplier = buying.supplier()
    bar = buying.bar(supplier, code=MATERIAL, stocking="per_job", unit_cost=Decimal("0.425"))
    _history(session, make, buying, bar)
    part = make.part(material=bar)
    part.bar_length_per_piece = Decimal("15")
    job = make.job(part, quantity=200, due_in_days=14, release=False)  # 3,000 in: 21 bars of 144 in
    make.location("DOCK-1", kind="receiving")
    planner = make.user(codes.PLANNER, name="Pat Planner")
    handler = make.user(codes.MATERIAL_HANDLER, name="Dee Dock")
    make.commit()
    office = screen({"width": 1366, "height": 900})
    url = live_server.url

    # The planner releases the job: its material is bought per job and none is on the rack.
    sign_in(office, live_server, planner, "/plan/jobs")
    office.locator("tr", has_text=job.number).get_by_role("button", name="Release").click()
    office.wait_for_selector(".release-result")
    office.goto(f"{url}/")
    words = (f"order 21 bars × 144 in of 6061-T6 round bar 1.000 dia — needed by Fri 4 Dec "
             f"for job {job.number} (starts Mon)")
    assert words in office.inner_text("#work-buy-now")

    # The buy list makes the draft PO in one step; the planner sends it.
    office.click("#work-buy-now >> text=The buy list")
    assert "Atlas Metals" in office.inner_text("main") and words in office.inner_text("main")
    office.screenshot(path=str(tmp_path / "buy-list.png"), full_page=True)
    office.click("text=Make draft POs from this list")
    office.wait_for_selector("text=Drafts made: PO-3001 to Atlas Metals")
    office.click("#po-list >> text=PO-3001")
    office.click("text=Mark as sent")
    office.wait_for_selector("#po-state:has-text('Sent')")

    # At the dock: scan the PO, the line is the only one; ten bars of heat H81120 arrive Tue 1 Dec.
    dock = screen({"width": 1024, "height": 900})
    sign_in(dock, live_server, handler, "/receive/")
    with clock_running_from(datetime(2026, 12, 1, 15, tzinfo=timezone.utc)):
        dock.focus("input[name=po]")
        dock.keyboard.type("PO-3001", delay=SCANNER_KEY_DELAY_MS)
        dock.keyboard.press("Enter")
        dock.wait_for_selector("#receiving-po")
        assert dock.input_value("input[name=po_line]") == MATERIAL and dock.input_value("input[name=count]") == "21"
        dock.keyboard.type("H81120", delay=SCANNER_KEY_DELAY_MS)  # the heat field has the focus
        dock.fill("input[name=count]", "10")
        dock.fill("input[name=bin]", "BIN-DOCK-1")
        dock.click("button:has-text('Receive')")
        receipt = dock.inner_text("#po-receipt")
        assert "1,440.0 of 3,024.0 in in — line partly received, PO partly received" in receipt
        assert "Lead time 4 working days" in receipt
        assert "Print the 10 labels" in dock.inner_text("main")
    office.goto(f"{url}/purchasing/3001")
    assert office.inner_text("#po-lines [data-on-order]") == "1,584.0 in"

    # The rest, 11 bars of heat H81121, on Wed 9 Dec: three working days after the line's due date.
    with clock_running_from(datetime(2026, 12, 9, 15, tzinfo=timezone.utc)):
        dock.click("text=Receive more against PO-3001")
        dock.wait_for_selector("#receiving-po")
        assert dock.input_value("input[name=count]") == "11"
        dock.keyboard.type("H81121", delay=SCANNER_KEY_DELAY_MS)
        dock.fill("input[name=bin]", "BIN-DOCK-1")
        dock.screenshot(path=str(tmp_path / "receive-against-po.png"), full_page=True)
        dock.click("button:has-text('Receive')")
        receipt = dock.inner_text("#po-receipt")
        assert "line received, PO received" in receipt and "Lead time 10 working days, 3 late" in receipt

    office.goto(f"{url}/purchasing/3001")
    assert office.inner_text("#po-state") == "Received"
    assert office.inner_text("#po-lines [data-on-order]") == "0.0 in"
    receipts = office.inner_text("#po-receipts")
    assert "4 working days" in receipts and "10 working days" in receipts and "3 working days late" in receipts
    office.screenshot(path=str(tmp_path / "po-page.png"), full_page=True)

    # The material page: on order 0; L = (4 + 10) / 2 = 7, σL = √((3² + 3²) / 1) = 4.24 feed the safety stock.
    office.goto(f"{url}/metrics/material")
    row = office.locator(f"tr[data-material='{MATERIAL}']")
    assert row.locator("[data-lead]").inner_text() == "7.0 (2 receipts)"
    assert row.locator("[data-stdev-lead]").inner_text() == "4.24"
    end = shoptime.today() + timedelta(days=1)
    session.rollback()  # read what the server wrote, not this session's older snapshot
    line = next(l for l in reorder_lines(session, material_needs(session), start=end - timedelta(days=90), end=end,
                                         service_level=0.95) if l.material.id == bar.id)
    assert line.stdev_lead_days > 4 and line.safety_stock > 0 and line.on_order == 0
    assert row.locator("[data-safety-stock]").inner_text() == f"{line.safety_stock:,.0f}"
    office.goto(f"{url}/purchasing/buy")
    assert MATERIAL not in office.inner_text("main")  # covered: nothing more to buy

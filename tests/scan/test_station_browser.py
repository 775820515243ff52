"""The station in Chromium, used as an operator does: a keyboard-wedge scanner types each code at
scanner speed and presses Enter into the focused input; the answer on screen and the ledger after."""
from decimal import Decimal

from sqlalchemy import select

from spex import codes, create_app, ledger, shopfloor
from spex.models import FinishedGoodsLot, LedgerEntry, OutsideShipment, QualityHold, ScanRecord
from spex.scan import flows
from tests.conftest import SCANNER_KEY_DELAY_MS, TEST_PIN
from tests.scan.conftest import order_with_releases, pieces_at


def test_pull_by_scanner(operator_at, shop, session):
    bar = shop.lot.units[0]
    person = operator_at()
    person.scan(shop.operator.barcode)
    assert person.headline == "Signed in: Olga Operator" and person.outcome == "done"
    assert "Olga Operator" in person.context
    person.scan(bar.barcode.lower(), shop.job.barcode)
    assert person.outcome == "waiting" and "Material pull" in person.context
    assert "length to pull" in person.page.inner_text("#scan-expected")
    person.scan("37.5")
    assert person.outcome == "done" and person.headline == f"Pulled 37.5 in of {bar.barcode} for job {shop.job.number}"
    assert person.page.get_attribute("body", "data-last-tone") == "done"
    session.rollback()
    assert ledger.balance(session, ledger.unit_item(bar.id), ledger.at_location(shop.rack.id)) == Decimal("106.5")
    assert person.page.locator("#scan-recent li").count() == 4


def test_operation_complete_with_scrap_by_scanner(operator_at, shop, session):
    op10, op20, _ = shop.job.operations
    person = operator_at()
    person.scan(shop.operator.barcode, f"{shop.job.barcode}-10", "80")
    assert person.headline == f"80 good at op 10 of job {shop.job.number}"
    person.scan("CMD-SCRAP", "3", "CMD-R-DIM")
    assert person.outcome == "done" and "Scrapped 3 pcs" in person.headline
    person.scan("500")
    assert person.outcome == "refused" and "Only 17 pcs" in person.headline
    assert person.page.get_attribute("body", "data-last-tone") == "refused"
    session.rollback()
    assert (op10.qty_good, op10.qty_scrap, pieces_at(session, op10), pieces_at(session, op20)) == (80, 3, 17, 80)


def test_hold_and_release_by_inspector_by_scanner(operator_at, shop, session):
    person = operator_at()
    person.scan(shop.operator.barcode, shop.job.barcode, "CMD-HOLD", "10", "CMD-R-MAT")
    assert person.outcome == "done" and "On hold: 10 pcs" in person.headline
    person.scan("CMD-RELEASE")
    assert person.outcome == "refused" and "Only an inspector" in person.headline
    person.scan(shop.inspector.barcode, TEST_PIN, shop.job.barcode, "CMD-RELEASE", "CMD-D-REWORK")
    assert person.outcome == "done" and "Hold released: 10 pcs" in person.headline and "rework" in person.headline
    session.rollback()
    hold = session.scalar(select(QualityHold))
    assert hold.disposition == codes.REWORK and pieces_at(session, shop.job.operations[0]) == 100


def test_pin_goes_into_a_hidden_field_and_signing_out_has_its_own_colour_and_tone(operator_at, shop, tmp_path):
    person = operator_at()
    person.page.set_viewport_size({"width": 1280, "height": 800})
    person.scan(shop.inspector.barcode)
    assert person.outcome == "waiting" and person.headline == "Enter your PIN: Ida Inspector"
    assert person.page.get_attribute("#scan-input", "type") == "password"
    person.page.keyboard.type(TEST_PIN, delay=SCANNER_KEY_DELAY_MS)
    assert person.page.input_value("#scan-input") == TEST_PIN  # typed, shown as dots
    person.page.screenshot(path=str(tmp_path / "station-pin.png"))
    person.page.keyboard.press("Enter")
    person.page.wait_for_selector('body[data-answers="2"]')
    assert person.outcome == "done" and person.headline == "Signed in: Ida Inspector"
    assert person.page.get_attribute("#scan-input", "type") == "text"
    assert TEST_PIN not in person.page.inner_text("body")
    stored = person.page.evaluate("JSON.stringify(Object.values(window.localStorage))")
    assert TEST_PIN not in stored
    done_colour = person.page.evaluate("getComputedStyle(document.querySelector('#scan-feedback .scan-answer'))"
                                       ".backgroundColor")
    person.scan("CMD-SIGN-OUT")
    assert person.outcome == "signed_out" and person.headline == "Signed out: Ida Inspector"
    assert person.page.get_attribute("body", "data-last-tone") == "signed_out"
    colour = person.page.evaluate("getComputedStyle(document.querySelector('#scan-feedback .scan-answer'))"
                                  ".backgroundColor")
    assert colour == "rgb(226, 232, 240)" and colour != done_colour
    person.page.screenshot(path=str(tmp_path / "station-signed-out.png"))


def test_ship_out_and_partial_receive_by_scanner(operator_at, shop, session):
    op10, op20, op30 = shop.job.operations
    shopfloor.complete_operation(session, op10, 50, user=shop.operator)
    shopfloor.complete_operation(session, op20, 50, user=shop.operator)
    session.commit()
    person = operator_at()
    person.scan(shop.shipper.barcode, f"{shop.job.barcode}-30", "CMD-SHIP-OUT", "50")
    assert person.outcome == "done" and "Shipped out 50 pcs" in person.headline
    person.scan("CMD-RECEIVE", "20")
    assert person.outcome == "done" and "Received 20 pcs" in person.headline
    assert "30 still at the vendor" in person.page.inner_text("#scan-feedback")
    session.rollback()
    shipment = session.scalar(select(OutsideShipment))
    assert (shipment.quantity_out, shipment.quantity_back, shipment.closed) == (50, 20, False)
    assert ledger.balance(session, ledger.job_item(shop.job.id), ledger.finished(shop.job.id)) == 20


def test_finished_goods_and_ship_against_a_release_by_scanner(operator_at, shop, session, make):
    job = shop.job
    op10, op20, op30 = job.operations
    line = order_with_releases(session, make, job, (40, 60))
    for op in (op10, op20):
        shopfloor.complete_operation(session, op, 100, user=shop.operator)
    shopfloor.ship_out(session, op30, 100, user=shop.shipper)
    shopfloor.receive_back(session, op30, 100, user=shop.shipper)
    session.commit()
    person = operator_at()
    person.scan(shop.operator.barcode, job.barcode, "CMD-FG", "100", shop.fg_bin.barcode)
    assert person.outcome == "done" and person.headline.startswith("Finished goods FG-")
    session.rollback()
    lot = session.scalar(select(FinishedGoodsLot))
    person.scan(shop.shipper.barcode, lot.barcode)
    assert person.outcome == "waiting" and "release due" in person.page.inner_text("#scan-feedback")
    person.scan("40")
    assert person.outcome == "done" and person.headline == f"Shipped 40 pcs of {lot.barcode}"
    session.rollback()
    assert (line.releases[0].shipped_qty, line.shipped_qty) == (40, 40)
    assert ledger.balance(session, ledger.fg_item(lot.id), ledger.at_location(shop.fg_bin.id)) == 60


def test_undo_by_scanner(operator_at, shop, session):
    op10 = shop.job.operations[0]
    person = operator_at()
    person.scan(shop.operator.barcode, f"{shop.job.barcode}-10", "25", "CMD-UNDO")
    assert person.outcome == "done" and person.headline == f"Taken back: 25 good at op 10 of job {shop.job.number}"
    session.rollback()
    assert op10.qty_good == 0 and pieces_at(session, op10) == 100


def test_input_keeps_focus_after_clicks_and_cancel_clears(operator_at, shop):
    person = operator_at()
    person.scan(shop.operator.barcode, f"{shop.job.barcode}-10")
    person.page.click("#scan-context")
    person.page.click("h2")
    assert person.page.evaluate("document.activeElement.id") == "scan-input"
    person.page.evaluate("window.dispatchEvent(new Event('blur')); document.getElementById('scan-input').blur()")
    person.page.wait_for_selector("#scan-input:focus")
    person.scan("CMD-CANCEL")
    assert person.outcome == "waiting" and "Cleared" in person.headline
    assert "Lathe" not in person.page.inner_text("#ctx-operation")
    # the recent list shows the station's last ten scans, newest first
    person.scan(*[str(n) for n in range(1, 12)])
    entries = person.page.locator("#scan-recent li code")
    assert entries.count() == 10 and entries.first.inner_text() == "11"


def test_station_keeps_working_across_a_server_restart(operator_at, shop, session, live_server, app, db_url, tmp_path,
                                                        start_server):
    op10 = shop.job.operations[0]
    person = operator_at()
    person.scan(shop.operator.barcode, f"{shop.job.barcode}-10", "10")
    assert person.outcome == "done"

    port = live_server.port
    live_server.stop()
    # Scanned while the server is down: kept in the page and resent until it answers.
    person.scan("15", wait=False)
    person.page.wait_for_selector("#scan-status[data-offline]")

    restarted = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "test-secret",
                            "SPEX_UPLOAD_DIR": str(tmp_path / "uploads")})
    server = start_server(restarted, port=port)
    try:
        person.page.wait_for_selector('body[data-answers="4"]', timeout=20_000)
        assert person.outcome == "done" and person.headline == f"15 good at op 10 of job {shop.job.number}"
        person.page.wait_for_selector("#scan-status:not([data-offline])", state="attached")
        person.scan("CMD-SCRAP", "2", "CMD-R-SET")
        assert person.outcome == "done"
        session.rollback()
        assert (op10.qty_good, op10.qty_scrap, pieces_at(session, op10)) == (25, 2, 73)
    finally:
        server.stop()
        with restarted.app_context():
            from spex.extensions import db
            db.engine.dispose()


def test_lost_session_cookie_renews_the_token_and_the_scan_still_counts(operator_at, shop, session):
    op10 = shop.job.operations[0]
    person = operator_at()
    person.scan(shop.operator.barcode, f"{shop.job.barcode}-10")
    # The browser loses its session cookie (and with it the CSRF token's match): the next scan is
    # refused by CSRF, the script fetches a fresh token and sends the same scan once more.
    person.page.context.clear_cookies(name="session")
    person.scan("7")
    assert person.outcome == "done" and person.headline == f"7 good at op 10 of job {shop.job.number}"
    session.rollback()
    assert op10.qty_good == 7


def test_a_scan_the_server_failed_on_is_kept_and_sent_again(operator_at, shop, session, app):
    op10 = shop.job.operations[0]
    failures = []

    @app.before_request
    def _fail_the_first_two_sends_of_seven():
        from flask import abort, request
        if request.path == "/station/scan" and request.form.get("code") == "7" and len(failures) < 2:
            failures.append(request.form["scan_id"])
            abort(500)

    person = operator_at()
    person.scan(shop.operator.barcode, f"{shop.job.barcode}-10")
    person.scan("7", wait=False)
    person.page.wait_for_selector('#scan-status[data-offline="error"]')
    assert "kept here" in person.page.inner_text("#scan-status")
    # Sent again (the same scan id) a few times; answered: recorded once, the line clears.
    person.page.wait_for_selector('body[data-answers="3"]', timeout=10_000)
    assert person.outcome == "done" and person.headline == f"7 good at op 10 of job {shop.job.number}"
    person.page.wait_for_selector("#scan-status:not([data-offline])", state="attached")
    assert len(failures) == 2 and failures[0] == failures[1]
    session.rollback()
    assert op10.qty_good == 7


def test_a_scan_the_server_keeps_failing_on_is_given_up_and_the_scans_behind_it_go_on(operator_at, shop, session,
                                                                                        station, app, monkeypatch,
                                                                                        tmp_path):
    """A fault in the server while it records one scan, every time that scan is sent: the station
    gives up on it after a few sends (one scan id), says on screen it was not recorded, and the
    scans typed after it are recorded."""
    app.config["PROPAGATE_EXCEPTIONS"] = False  # the live server answers a fault as it does in the shop
    op10 = shop.job.operations[0]
    complete = shopfloor.complete_operation
    failed = []

    def fails_on_the_first_seven(session_, op, pieces, **kwargs):
        done = complete(session_, op, pieces, **kwargs)  # written, then the fault: it all rolls back
        scan_uid = kwargs["scan_uid"]
        if pieces == 7 and (not failed or scan_uid == failed[0]):
            failed.append(scan_uid)
            raise RuntimeError("fault while recording 7 pcs")
        return done

    monkeypatch.setattr(shopfloor, "complete_operation", fails_on_the_first_seven)
    person = operator_at()
    person.scan(shop.operator.barcode, f"{shop.job.barcode}-10")
    person.scan("7", "8", "9", wait=False)
    person.page.wait_for_selector("#scan-trouble li")
    notice = person.page.inner_text("#scan-trouble")
    assert "Not recorded: 7" in notice and "Scan it again" in notice
    person.page.wait_for_selector('body[data-answers="4"]')
    assert person.outcome == "done" and person.headline == f"9 good at op 10 of job {shop.job.number}"
    assert person.page.is_visible("#scan-trouble")  # the answers behind it do not hide it
    person.page.screenshot(path=str(tmp_path / "station-not-recorded.png"))
    assert len(failed) == 4 and len(set(failed)) == 1  # sent four times, always as the same scan
    session.rollback()
    assert (op10.qty_good, pieces_at(session, op10)) == (17, 83)
    assert session.scalars(select(ScanRecord.raw).order_by(ScanRecord.id)).all()[-2:] == ["8", "9"]
    assert session.scalar(select(ScanRecord).where(ScanRecord.uid == failed[0])) is None
    assert session.scalar(select(LedgerEntry).where(LedgerEntry.scan_uid == failed[0])) is None
    queued = person.page.evaluate("code => window.localStorage.getItem('spex.scan.queue.' + code)", station.code)
    assert queued == "[]"  # nothing left to send

    # Scanned again, as the notice says: recorded once, and the notice goes.
    person.scan("7")
    assert person.outcome == "done" and person.headline == f"7 good at op 10 of job {shop.job.number}"
    assert person.page.is_hidden("#scan-trouble")
    session.rollback()
    assert (op10.qty_good, pieces_at(session, op10)) == (24, 76)


def test_a_scan_recorded_whose_answer_keeps_failing_is_not_to_be_scanned_again(operator_at, shop, session, app,
                                                                              monkeypatch):
    """The fault comes after the scan's commit, in drawing its answer: the station gives up on the
    answer and says the scan was recorded (scanning it again would count the pieces twice)."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    op10 = shop.job.operations[0]
    describe = flows.describe

    def fails_on_the_answer_to_seven(session_, here, answer=None):
        if answer is not None and answer.headline.startswith("7 good"):
            raise RuntimeError("fault while drawing the answer to 7 pcs")
        return describe(session_, here, answer)

    monkeypatch.setattr(flows, "describe", fails_on_the_answer_to_seven)
    person = operator_at()
    person.scan(shop.operator.barcode, f"{shop.job.barcode}-10")
    person.scan("7", "8", wait=False)
    person.page.wait_for_selector('body[data-answers="3"]')
    notice = person.page.inner_text("#scan-trouble")
    assert "Recorded, answer not shown: 7" in notice and "Do not scan it again" in notice
    assert person.headline == f"8 good at op 10 of job {shop.job.number}"
    session.rollback()
    assert (op10.qty_good, pieces_at(session, op10)) == (15, 85)

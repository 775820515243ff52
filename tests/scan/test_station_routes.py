"""The station over HTTP (Flask test client): every flow's fragment and what it leaves in the ledger,
every refusal as a red 422 with nothing written, the same scan id answered once, the page and card."""
import io
import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from flask import g
from sqlalchemy import func, select

from spex import codes, ledger, shopfloor, shoptime
from spex.models import (FinishedGoodsLot, LedgerEntry, OutsideReceipt, OutsideShipment, PrintJob, QualityHold,
                         ScanRecord, StationState, StockUnit, clock_at)
from spex.auth import STATION_COOKIE
from tests.conftest import login
from tests.scan.conftest import balances, entries, order_with_releases, pieces_at


def test_unregistered_browser_gets_a_clear_page(client):
    page = client.get("/station").get_data(as_text=True)
    assert "This browser is not a station" in page
    refused = client.post("/station/scan", data={"code": "EMP-0001", "scan_id": "abcdefgh1"},
                          headers={"HX-Request": "true"})
    assert refused.status_code == 403 and "not registered" in refused.get_data(as_text=True)


def test_a_deactivated_or_unknown_station_records_nothing(client, scan, shop, session, station):
    """The station is found by its browser's token in the scan's own query: a station switched off
    after its page was opened, or a token no station has, is told so and nothing is written."""
    assert scan(shop.operator.barcode).outcome == "done"
    records, ledger_rows = session.scalar(select(func.count(ScanRecord.id))), entries(session)
    station.active = False
    session.commit()
    g.pop("spex_station_obj", None)
    refused = scan(shop.operator.barcode)
    assert refused.status == 403 and "not registered" in refused.html
    client.set_cookie(STATION_COOKIE, "no-station-has-this-token")
    refused = scan(shop.operator.barcode)
    assert refused.status == 403 and "not registered" in refused.html
    assert session.scalar(select(func.count(ScanRecord.id))) == records and entries(session) == ledger_rows


def test_admin_sees_stations_to_register_as_and_registering_works(client, make):
    station = make.station()
    admin = make.user(codes.ADMIN)
    make.commit()
    login(client, admin)
    page = client.get("/station").get_data(as_text=True)
    action = f"/stations/{station.id}/register"
    assert action in page and station.name in page
    response = client.post(action, data={"next": "/station"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/station")
    # The test's app context outlives requests, so auth's per-request cache of the station must be dropped.
    g.pop("spex_station_obj", None)
    assert "Scan your badge" in client.get("/station").get_data(as_text=True)


def test_station_page_shows_context_input_and_script(client, station):
    page = client.get("/station").get_data(as_text=True)
    assert 'id="scan-input"' in page and "autofocus" in page
    assert 'id="scan-context"' in page and "nobody signed in" in page
    assert "/static/js/scanner.js" in page and "<script>" not in page  # CSP: no inline scripts
    assert 'hx-headers=\'{"X-CSRFToken"' in page


def test_sign_in_by_badge_and_out_by_command(scan, shop, session, station):
    assert scan(shop.operator.barcode.lower()).headline == "Signed in: Olga Operator"
    state = session.get(StationState, station.id)
    assert state.operator_id == shop.operator.id
    answer = scan("CMD-SIGN-OUT")
    assert answer.outcome == "signed_out" and answer.headline == "Signed out: Olga Operator"
    session.expire_all()
    assert session.get(StationState, state.station_id).operator_id is None


def test_the_state_is_written_only_when_a_scan_changes_it(scan, shop, session, station):
    """The station's state is one UPDATE at the end of a scan, and only if something changed: its
    updated_at says when the context last changed, not when someone last pressed Enter."""
    first = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)
    with clock_at(first):
        scan(shop.operator.barcode)
    changed = session.get(StationState, station.id).updated_at
    assert scan("").status == 204  # an empty submit: nothing to answer
    with clock_at(first + timedelta(milliseconds=150)):  # the scanner's double read changes nothing either
        assert scan(shop.operator.barcode).headline == "Read twice, counted once"
    session.expire_all()
    assert session.get(StationState, station.id).updated_at == changed
    with clock_at(first + timedelta(seconds=5)):
        scan("CMD-SIGN-OUT")
    session.expire_all()
    state = session.get(StationState, station.id)
    assert state.operator_id is None and state.updated_at > changed


def test_no_operator_signed_in_is_refused(scan, shop, session):
    before = entries(session)
    answer = scan(shop.job.barcode + "-10")
    assert answer.status == 422 and answer.outcome == "refused"
    assert "Nobody is signed in" in answer.headline and "Scan your badge" in answer.html
    assert entries(session) == before


def test_material_pull_records_heat_against_job_and_lowers_bin(scan, shop, session):
    bar = shop.lot.units[0]
    answers = scan.all(shop.operator.barcode, f"]C0{bar.barcode}\r", shop.job.barcode, "37.5")
    assert [a.outcome for a in answers] == ["done", "waiting", "waiting", "done"]
    assert answers[1].headline == f"Bar {bar.barcode}: 144 in left"
    assert f"heat H4711, in {shop.rack.barcode}." in answers[1].html  # where the bar is, to go and take it
    assert answers[-1].headline == f"Pulled 37.5 in of {bar.barcode} for job {shop.job.number}"
    assert "Heat H4711 recorded against job" in answers[-1].html and "106.5 in left" in answers[-1].html
    pull = session.scalar(select(LedgerEntry).where(LedgerEntry.kind == ledger.PULL))
    assert (pull.job_id, pull.stock_unit_id, pull.quantity, pull.user_id) == (shop.job.id, bar.id, Decimal("37.5"),
                                                                              shop.operator.id)
    # 144 - 37.5 = 106.5 in left in the rack bin
    assert ledger.balance(session, ledger.unit_item(bar.id), ledger.at_location(shop.rack.id)) == Decimal("106.5")


def test_pull_more_than_the_bar_or_from_unknown_or_empty_bar_is_refused(scan, shop, session):
    bar = shop.lot.units[0]
    scan.all(shop.operator.barcode, bar.barcode, shop.job.barcode)
    before = balances(session)
    over = scan("144.001")
    assert over.status == 422 and "only 144 in left" in over.html
    assert scan("LOT-9999-99").headline.startswith("Refused: There is no bar")
    assert balances(session) == before
    scan.all(bar.barcode, shop.job.barcode, "144")
    empty = scan(bar.barcode)
    assert empty.status == 422 and "empty or used up" in empty.html


def test_remnant_return_makes_a_new_unit_and_queues_its_label(scan, shop, session):
    bar = shop.lot.units[0]
    scan.all(shop.operator.barcode, bar.barcode, shop.job.barcode, "100")
    answers = scan.all("CMD-RETURN", bar.barcode, "40", shop.rack.barcode)
    assert [a.outcome for a in answers] == ["waiting", "waiting", "waiting", "done"]
    remnant = session.scalar(select(StockUnit).where(StockUnit.parent_id == bar.id))
    assert remnant.kind == "remnant" and remnant.initial_qty == Decimal("40")
    assert remnant.barcode in answers[-1].headline
    assert ledger.balance(session, ledger.unit_item(remnant.id), ledger.at_location(shop.rack.id)) == Decimal("40")
    label = session.scalar(select(PrintJob).where(PrintJob.kind == "remnant"))
    assert label.code == remnant.barcode and "label is queued" in answers[-1].html


def test_operation_complete_with_scrap(scan, shop, session):
    op10, op20, _ = shop.job.operations
    answers = scan.all(shop.operator.barcode, f"{shop.job.barcode}-10", "80", "CMD-SCRAP", "3", "CMD-R-DIM")
    assert [a.outcome for a in answers] == ["done", "waiting", "done", "waiting", "waiting", "done"]
    assert answers[2].headline == f"80 good at op 10 of job {shop.job.number}"
    assert "Scrapped 3 pcs" in answers[-1].headline and "Out of tolerance" in answers[-1].html
    session.expire_all()
    # 100 released - 80 good - 3 scrap = 17 left at op 10; 80 waiting at op 20
    assert (op10.qty_good, op10.qty_scrap) == (80, 3)
    assert (pieces_at(session, op10), pieces_at(session, op20)) == (17, 80)
    assert ledger.audit(session) == []


def test_typed_reason_and_wrong_reason(scan, shop, session):
    scan.all(shop.operator.barcode, f"{shop.job.barcode}-10", "CMD-SCRAP", "2")
    wrong = scan("BOGUS")
    assert wrong.status == 422 and "not a scrap reason" in wrong.html
    assert scan("tool").outcome == "done"


@pytest.mark.parametrize("quantity, message", [("101", "Only 100 pcs"), ("0", "zero"), ("2.5", "whole numbers"),
                                               ("100001", "more than any"), ("9" * 40, "more than any")])
def test_quantities_refused_with_nothing_written(scan, shop, session, quantity, message):
    scan.all(shop.operator.barcode, f"{shop.job.barcode}-10")
    before, before_balances = entries(session), balances(session)
    answer = scan(quantity)
    assert answer.status == 422 and message in answer.html
    assert entries(session) == before and balances(session) == before_balances


def test_hold_then_release_by_inspector(scan, shop, session):
    op10 = shop.job.operations[0]
    held = scan.all(shop.operator.barcode, shop.job.barcode, "CMD-HOLD", "10", "CMD-R-DIM")
    assert held[-1].outcome == "done" and held[-1].headline == f"On hold: 10 pcs of job {shop.job.number} at op 10"
    # only the held pieces are stopped: the operation says so, and completing more than the 90 free is refused
    at_op = scan(f"{shop.job.barcode}-10")
    assert "10 held (NCR-0001) on quality hold at op 10" in at_op.html and "the 90 pcs here may be worked" in at_op.html
    blocked = scan("91")
    assert blocked.status == 422 and "Only 90 pcs at op 10 are free to work: 10 held (NCR-0001) on quality hold" in blocked.html
    # an operator may not release
    refused = scan("CMD-RELEASE")
    assert refused.status == 422 and "Only an inspector" in refused.html
    answers = scan.all(shop.inspector.barcode, shop.job.barcode, "CMD-RELEASE", "CMD-D-USE-AS-IS")
    assert [a.outcome for a in answers] == ["done", "waiting", "waiting", "done"]
    assert "Hold released: 10 pcs" in answers[-1].headline
    hold = session.scalar(select(QualityHold))
    assert hold.disposition == codes.USE_AS_IS and hold.released_by_id == shop.inspector.id
    assert pieces_at(session, op10) == 100


def test_release_with_scrap_disposition(scan, shop, session):
    scan.all(shop.operator.barcode, f"{shop.job.barcode}-10", "CMD-HOLD", "4", "FIN")
    scan.all(shop.inspector.barcode, f"{shop.job.barcode}-10", "CMD-RELEASE")
    assert scan("CMD-SCRAP").outcome == "done"
    session.expire_all()
    assert shop.job.operations[0].qty_scrap == 4 and pieces_at(session, shop.job.operations[0]) == 96


def test_ship_out_and_partial_receive_with_short_count(scan, shop, session, make):
    op10, op20, op30 = shop.job.operations
    shopfloor.complete_operation(session, op10, 100, user=shop.operator)
    shopfloor.complete_operation(session, op20, 60, user=shop.operator)
    session.commit()
    # an in-house scan on the outside op is refused, and shipping out an in-house op too
    scan.all(shop.operator.barcode, f"{shop.job.barcode}-30")
    assert "outside process" in scan("10").html
    scan.all(shop.shipper.barcode, f"{shop.job.barcode}-20")
    assert "done in house" in scan("CMD-SHIP-OUT").html
    answers = scan.all(f"{shop.job.barcode}-30", "CMD-SHIP-OUT", "60")
    assert answers[-1].outcome == "done" and "Shipped out 60 pcs" in answers[-1].headline
    assert "expected back" in answers[-1].html
    shipment = session.scalar(select(OutsideShipment))
    assert (shipment.quantity_out, shipment.vendor_id) == (60, op30.vendor_id)
    # partial: 25 back, 35 still out
    partial = scan.all("CMD-RECEIVE", "25")[-1]
    assert partial.outcome == "done" and "35 still at the vendor" in partial.html
    # more than is out is refused
    assert "Only 35 pcs" in scan.all("CMD-RECEIVE", "36")[-1].html
    # close short: 30 back, 5 short
    closing = scan.all("CMD-RECEIVE", "CMD-DONE", "30")[-1]
    assert closing.outcome == "done" and "5 short — the shipment is closed" in closing.headline
    session.expire_all()
    assert (shipment.quantity_back, shipment.short_count, shipment.closed) == (55, 5, True)
    assert session.scalar(select(func.count(OutsideReceipt.id))) == 2
    assert ledger.balance(session, ledger.job_item(shop.job.id), ledger.finished(shop.job.id)) == 55


def test_coc_upload_goes_with_the_next_receipt(scan, shop, at_receiving, session, client, app):
    response = client.post("/station/coc", data={"coc": (io.BytesIO(b"%PDF-1.4 coc"), "acme coc.pdf")},
                           content_type="multipart/form-data", headers={"HX-Request": "true"})
    assert response.status_code == 200 and "CoC attached" in response.get_data(as_text=True)
    bad = client.post("/station/coc", data={"coc": (io.BytesIO(b"MZ"), "virus.exe")},
                      content_type="multipart/form-data", headers={"HX-Request": "true"})
    assert bad.status_code == 422
    assert scan("10").outcome == "done"
    receipt = session.scalar(select(OutsideReceipt))
    assert receipt.coc_filename.endswith("acme_coc.pdf")
    import os
    assert os.path.exists(os.path.join(app.config["SPEX_UPLOAD_DIR"], "coc", receipt.coc_filename))


def test_finished_goods_into_a_bin_and_ship_against_a_release(scan, shop, session, make):
    job = shop.job
    op10, op20, op30 = job.operations
    line = order_with_releases(session, make, job, (30, 70))
    shopfloor.complete_operation(session, op10, 100, user=shop.operator)
    shopfloor.complete_operation(session, op20, 100, user=shop.operator)
    shopfloor.ship_out(session, op30, 100, user=shop.shipper)
    shopfloor.receive_back(session, op30, 100, user=shop.shipper)
    session.commit()
    answers = scan.all(shop.operator.barcode, job.barcode, "CMD-FG", "100", shop.fg_bin.barcode)
    assert answers[-1].outcome == "done" and "Finished goods FG-" in answers[-1].headline
    lot = session.scalar(select(FinishedGoodsLot))
    assert ledger.balance(session, ledger.fg_item(lot.id), ledger.at_location(shop.fg_bin.id)) == 100
    # the operator may not ship; shipping may
    assert "Only a shipping" in scan(lot.barcode).html
    answers = scan.all(shop.shipper.barcode, lot.barcode, "30")
    assert answers[1].outcome == "waiting" and "release due" in answers[1].html
    assert answers[-1].outcome == "done" and f"Shipped 30 pcs of {lot.barcode}" in answers[-1].headline
    session.expire_all()
    first, second = line.releases
    assert (first.shipped_qty, second.shipped_qty, line.shipped_qty) == (30, 0, 30)
    # the next shipment goes against the next release, and cannot ship over it
    assert "wants 70 more" in scan.all(lot.barcode, "71")[-1].html
    assert scan.all(lot.barcode, "70")[-1].outcome == "done"
    session.expire_all()
    assert second.shipped_qty == 70
    assert ledger.balance(session, ledger.fg_item(lot.id), ledger.at_location(shop.fg_bin.id)) == 0


def test_cancel_clears_context(scan, shop, session):
    scan.all(shop.operator.barcode, f"{shop.job.barcode}-10", "CMD-SCRAP")
    answer = scan("CMD-CANCEL")
    assert answer.outcome == "waiting" and "Cleared" in answer.headline
    state = session.scalar(select(StationState))
    session.refresh(state)
    assert (state.job_id, state.job_operation_id, state.pending, state.operator_id) == (None, None, None,
                                                                                      shop.operator.id)


def test_undo_reverses_own_last_entry_within_window(scan, shop, session, app):
    op10 = shop.job.operations[0]
    scan.all(shop.operator.barcode, f"{shop.job.barcode}-10", "40")
    undo = scan("CMD-UNDO")
    assert undo.outcome == "done" and undo.headline == f"Taken back: 40 good at op 10 of job {shop.job.number}"
    session.expire_all()
    assert op10.qty_good == 0 and pieces_at(session, op10) == 100
    again = scan.later("CMD-UNDO")
    assert again.status == 422 and "already undone" in again.html
    # outside the window
    scan.all(f"{shop.job.barcode}-10", "5")
    app.config["SPEX_UNDO_WINDOW"] = 0
    late = scan("CMD-UNDO")  # not read twice: a quantity came between
    assert late.status == 422 and "undo works for" in late.html


@pytest.mark.parametrize("times_taken", [1, 2])
def test_a_unique_key_met_at_the_same_moment_is_retried_once_then_refused_cleanly(
        scan, shop, session, saved_meanwhile, times_taken):
    """On PostgreSQL two stations write side by side: here another station takes the finished-goods
    lot number this receipt chose, between its choice and its write. The scan is done again once;
    if that meets the same fate too, it is refused with nothing written."""
    job = shop.job
    op10, op20, op30 = job.operations
    for op in (op10, op20):
        shopfloor.complete_operation(session, op, 100, user=shop.operator)
    shopfloor.ship_out(session, op30, 100, user=shop.shipper)
    shopfloor.receive_back(session, op30, 100, user=shop.shipper)
    session.commit()
    scan.all(shop.operator.barcode, job.barcode, "CMD-FG", "100")
    other_stations_lot = lambda lot: {"code": lot.code, "job_id": lot.job_id, "part_id": lot.part_id}  # noqa: E731
    with saved_meanwhile(FinishedGoodsLot, other_stations_lot, times=times_taken) as saved:
        answer = scan(shop.fg_bin.barcode)
    session.rollback()
    taken = [int(lot["code"]) for lot in saved]
    assert len(taken) == times_taken
    finished = ledger.balance(session, ledger.job_item(job.id), ledger.finished(job.id))
    if times_taken == 1:
        # Done again with the next number: one receipt, the station never saw the collision.
        assert answer.outcome == "done" and f"FG-{taken[0] + 1}" in answer.headline
        assert finished == 0
        return
    assert answer.status == 422
    assert "Another station changed the same record at the same moment" in answer.html
    assert finished == 100  # nothing moved
    # The station still waits for the bin; scanned again, the receipt takes the next number.
    again = scan(shop.fg_bin.barcode)
    assert again.outcome == "done" and f"FG-{taken[-1] + 1}" in again.headline


def test_unknown_code_and_stray_bin_get_clear_messages(scan, shop):
    scan(shop.operator.barcode)
    unknown = scan("QQQ-123")
    assert unknown.status == 422 and "not a code Spex knows" in unknown.html
    assert "CMD-FG first" in scan(shop.rack.barcode).html
    # A stray word is a code Spex does not know, not a scan that came at the wrong moment...
    scan(f"{shop.job.barcode}-10")
    word = scan("xyz")
    assert word.status == 422 and "XYZ is not a code Spex knows" in word.html
    # ...while a reason word out of place is told it does not fit here.
    reason = scan("dim")
    assert reason.status == 422 and "DIM does not fit here" in reason.html
    scan.all("CMD-HOLD")
    assert "XYZ is not a code Spex knows" in scan("xyz").html


def test_the_same_scan_id_twice_records_once_and_answers_the_same(scan, shop, session):
    scan.all(shop.operator.barcode, f"{shop.job.barcode}-10")
    first = scan("30", scan_id="repeat-scan-0001")
    again = scan("30", scan_id="repeat-scan-0001")
    assert first.outcome == "done" and again.replayed and not first.replayed
    assert first.headline == again.headline
    assert session.scalar(select(func.count(LedgerEntry.id)).where(LedgerEntry.scan_uid == "repeat-scan-0001")) == 1
    assert session.scalar(select(func.count(ScanRecord.id)).where(ScanRecord.uid == "repeat-scan-0001")) == 1
    session.expire_all()
    assert shop.job.operations[0].qty_good == 30


def test_refused_scan_resent_gets_the_same_refusal(scan, shop, session):
    scan.all(shop.operator.barcode, f"{shop.job.barcode}-10")
    first = scan("500", scan_id="refused-scan-01")
    again = scan("500", scan_id="refused-scan-01")
    assert first.status == again.status == 422 and first.headline == again.headline


def test_a_bad_scan_id_is_refused(client, station):
    response = client.post("/station/scan", data={"code": "80", "scan_id": "x' OR 1=1"}, headers={"HX-Request": "true"})
    assert response.status_code == 422


def test_plain_form_post_without_script_gets_the_whole_page(client, station, shop):
    response = client.post("/station/scan", data={"code": shop.operator.barcode})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in page and "Signed in: Olga Operator" in page


def test_missing_csrf_token_is_refused_without_500(client, station, shop):
    response = client.post("/station/scan", data={"code": shop.operator.barcode, "scan_id": "abcdefgh12"},
                           headers={"HX-Request": "true"}, csrf=False)
    assert response.status_code == 400


def test_command_card_barcodes_decode(client):
    page = client.get("/station/commands").get_data(as_text=True)
    for code in ("CMD-DONE", "CMD-SHIP-OUT", "CMD-R-DIM", "CMD-D-RTV", "25"):
        assert f"/station/barcode/{code}.svg" in page
    import zxingcpp
    from PIL import Image, ImageDraw
    for code in ("CMD-SHIP-OUT", "CMD-R-DIM", "100"):
        svg = client.get(f"/station/barcode/{code}.svg").get_data(as_text=True)
        width, height = map(int, re.search(r'viewBox="0 0 (\d+) (\d+)"', svg).groups())
        image = Image.new("L", (width, height + 20), 255)
        draw = ImageDraw.Draw(image)
        for x, w in re.findall(r'<rect x="(\d+)" y="0" width="(\d+)"', svg):
            draw.rectangle((int(x), 10, int(x) + int(w) - 1, height + 9), fill=0)
        decoded = zxingcpp.read_barcodes(image)
        assert [d.text for d in decoded] == [code]
    assert client.get("/station/barcode/DROP-TABLE.svg").status_code == 404


def _statements_for(scan, session, code):
    from sqlalchemy import event
    from spex.extensions import db
    seen = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    # Start cold, as a request in production does (the test shares the app's session between requests).
    session.expunge_all()
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        answer = scan(code)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return answer, len(seen)


def test_a_scan_costs_the_same_number_of_statements_however_big_the_shop(scan, shop, session, make):
    # The test shares the app's session, so a first scan warms what stays loaded between requests.
    scan.all(shop.operator.barcode, f"{shop.job.barcode}-10", "1", f"{shop.job.barcode}-10")
    small = [_statements_for(scan, session, code)[1] for code in ("5", f"{shop.job.barcode}-10", "CMD-SCRAP")]
    # A bigger shop and a longer history: more jobs, more entries, more scans at this station.
    for _ in range(5):
        make.job(quantity=50)
    session.commit()
    for _ in range(12):
        scan.later("2")  # twelve completions, each a deliberate scan of the same card
    scan.all("CMD-CANCEL", f"{shop.job.barcode}-10")
    answers_and_counts = [_statements_for(scan, session, code) for code in ("5", f"{shop.job.barcode}-10", "CMD-SCRAP")]
    assert [a.outcome for a, _ in answers_and_counts] == ["done", "waiting", "waiting"]
    assert [n for _, n in answers_and_counts] == small
    assert max(small) <= 30


def test_a_finished_job_takes_no_more(scan, shop, session):
    # every piece scrapped at op 10: the job is complete
    shopfloor.scrap_pieces(session, shop.job.operations[0], 100, "MAT", user=shop.operator)
    session.commit()
    assert shop.job.status == "complete"
    before, before_balances = entries(session), balances(session)
    scan(shop.operator.barcode)
    refused = scan(f"{shop.job.barcode}-10")
    assert refused.status == 422 and "is complete" in refused.html
    pull = scan.all(shop.lot.units[0].barcode, shop.job.barcode, "10")[-1]
    assert pull.status == 422 and "is complete" in pull.html
    assert entries(session) == before and balances(session) == before_balances


def test_expected_back_comes_from_the_routing_or_the_station(scan, shop, session, client):
    from datetime import timedelta
    op10, op20, op30 = shop.job.operations
    for op in (op10, op20):
        shopfloor.complete_operation(session, op, 20, user=shop.operator)
    session.commit()
    waiting = scan.all(shop.shipper.barcode, f"{shop.job.barcode}-30", "CMD-SHIP-OUT")[-1]
    routing_date = shoptime.today() + timedelta(days=5)  # the anodize step's 5-day turnaround
    assert f"expected back {routing_date:%a %d %b}" in waiting.html
    assert scan("5").outcome == "done"
    promised = shoptime.today() + timedelta(days=9)
    response = client.post("/station/expected-back", data={"expected_back": promised.isoformat()},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200 and "back by" in response.get_data(as_text=True)
    bad = client.post("/station/expected-back", data={"expected_back": "2001-01-01"}, headers={"HX-Request": "true"})
    assert bad.status_code == 422
    assert scan.all("CMD-SHIP-OUT", "5")[-1].outcome == "done"
    first, second = session.scalars(select(OutsideShipment).order_by(OutsideShipment.id)).all()
    assert (first.expected_back, second.expected_back) == (routing_date, promised)

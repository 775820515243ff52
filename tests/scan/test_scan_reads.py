"""What one read of a scanner is, at the station over HTTP: a scan id bound to its code and station, a
scanner's double read counted once, an empty submit that changes nothing, format characters dropped,
an undo that says what it took back, and after a refusal the step to take now."""
import html
import re
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from spex import codes, shopfloor
from spex.auth import STATION_COOKIE
from spex.models import ScanRecord, StationState, StockUnit, clock_at
from tests.scan.conftest import balances, entries, order_with_releases, pieces_at

# Monday 2 March 2026, 08:00 at the shop: the moment the scans below are read, by the shop's clock.
SHIFT_START = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)


def at(ms: int):
    """The shop's clock, this many milliseconds into the shift."""
    return clock_at(SHIFT_START + timedelta(milliseconds=ms))


def next_step(answer) -> str:
    match = re.search(r'<p class="scan-next">(.*?)</p>', answer.html, re.S)
    return html.unescape(match.group(1).strip()) if match else ""


def expected(answer) -> str:
    """The station's own "Next:" line, in the context beside the answer."""
    match = re.search(r'<p id="scan-expected" class="scan-expected">Next: (.*?)</p>', answer.html, re.S)
    return html.unescape(match.group(1).strip()) if match else ""


def scan_records(session) -> int:
    return session.scalar(select(func.count(ScanRecord.id)))


def state_of(session, station) -> tuple:
    session.expire_all()
    state = session.get(StationState, station.id)
    return (state.operator_id, state.job_id, state.job_operation_id, state.stock_unit_id, state.pending, state.data)


# --- a scan id is bound to what was scanned and where ---------------------------------------------

def test_the_same_scan_id_with_another_code_is_refused_and_records_nothing(scan, shop, session, station):
    with at(0):
        scan.all(shop.operator.barcode, f"{shop.job.barcode}-10")
    with at(2_000):
        first = scan("30", scan_id="bound-scan-0001")
    before = (entries(session), balances(session), scan_records(session), state_of(session, station))
    with at(4_000):
        reused = scan("40", scan_id="bound-scan-0001")
    assert first.outcome == "done"
    assert reused.status == 422 and not reused.replayed and reused.outcome == "refused"
    assert reused.headline == "Refused: This scan id was already used for another scan; nothing was recorded."
    assert next_step(reused) == "Scan again."
    assert (entries(session), balances(session), scan_records(session), state_of(session, station)) == before
    assert shop.job.operations[0].qty_good == 30
    # The same id with the same code is the resend it always was: the first answer again.
    with at(6_000):
        resent = scan("30", scan_id="bound-scan-0001")
    assert resent.replayed and resent.headline == first.headline


def test_the_same_scan_id_from_another_station_shows_nothing_of_the_first(scan, shop, session, make, client):
    with at(0):
        scan.all(shop.operator.barcode, f"{shop.job.barcode}-10")
    with at(2_000):
        first = scan("30", scan_id="shared-scan-0001")
    other = make.station()
    make.commit()
    client.set_cookie(STATION_COOKIE, other.token)
    before = (entries(session), scan_records(session))
    with at(4_000):
        elsewhere = scan("30", scan_id="shared-scan-0001")
    assert first.outcome == "done" and not elsewhere.replayed
    assert elsewhere.status == 422 and "already used for another scan" in elsewhere.headline
    # Neither the first station's answer nor its job shows at the other station.
    assert shop.job.number not in elsewhere.html and "30 good" not in elsewhere.html
    assert other.name in elsewhere.html and "nobody signed in" in elsewhere.html
    assert (entries(session), scan_records(session)) == before


# --- a scanner's double read ------------------------------------------------------------------------

def test_a_double_read_counts_once_and_says_so(scan, shop, session, station):
    op10 = shop.job.operations[0]
    with at(0):
        scan.all(shop.operator.barcode, f"{shop.job.barcode}-10")
    with at(2_000):
        first = scan("7")
    with at(2_180):  # the scanner read the same label again 180 ms later
        twice = scan("7", scan_id="double-read-0001")
    assert first.outcome == "done" and first.headline == f"7 good at op 10 of job {shop.job.number}"
    assert twice.status == 200 and twice.outcome == "waiting" and twice.headline == "Read twice, counted once"
    assert f"Counted once: 7 good at op 10 of job {shop.job.number}." in twice.html
    assert next_step(twice) == "Scan the good quantity, or CMD-SCRAP / CMD-HOLD, or the next job."
    session.expire_all()
    assert op10.qty_good == 7 and pieces_at(session, op10) == 93
    # Kept in the station's scans as what it was, so a resend of it is that answer again, never a count.
    record = session.scalar(select(ScanRecord).where(ScanRecord.uid == "double-read-0001"))
    assert (record.outcome, record.message) == ("waiting", f"Read twice, counted once — Counted once: 7 good at op 10 "
                                                           f"of job {shop.job.number}.")
    with at(9_000):
        resent = scan("7", scan_id="double-read-0001")
    assert resent.replayed and resent.headline == "Read twice, counted once"
    session.expire_all()
    assert op10.qty_good == 7
    # The same card scanned again on purpose, a second later, counts: 7 + 7 = 14.
    with at(3_200):
        again = scan("7")
    assert again.outcome == "done"
    session.expire_all()
    assert op10.qty_good == 14 and pieces_at(session, op10) == 86


def test_a_badge_read_twice_does_not_sign_out(scan, shop, session, station):
    with at(0):
        signed_in = scan(shop.operator.barcode)
    with at(120):
        twice = scan(shop.operator.barcode)
    assert signed_in.headline == "Signed in: Olga Operator" and twice.headline == "Read twice, counted once"
    assert state_of(session, station)[0] == shop.operator.id


def test_the_station_scripts_own_gap_between_reads_decides(scan, shop, session):
    """Scans kept in the station's queue (the server was away, or slow to answer) reach the server
    one right behind the other: the gap between the reads, which the script sends, tells them apart."""
    op10 = shop.job.operations[0]
    with at(0):
        scan.all(shop.operator.barcode, f"{shop.job.barcode}-10")
    with at(60_000):
        scan("5", gap_ms=30_000)
    with at(60_040):  # 40 ms after the first by the shop's clock, but read 30 s after it
        queued = scan("5", gap_ms=30_000)
    with at(80_000):  # 20 s later by the shop's clock (its answer was slow), but read 150 ms after the last
        doubled = scan("5", gap_ms=150)
    assert queued.outcome == "done" and doubled.headline == "Read twice, counted once"
    session.expire_all()
    assert op10.qty_good == 10


@pytest.mark.parametrize("gap", ["²", "٣", "-5", "1e3", "99999999999"])
def test_a_gap_that_is_no_number_of_milliseconds_is_ignored_not_a_500(scan, shop, session, client, gap):
    """The gap comes from the browser: one it cannot have sent (a superscript digit, say) counts as
    no gap at all, so the shop's clock decides, and the scan is recorded as any other."""
    op10 = shop.job.operations[0]
    with at(0):
        scan.all(shop.operator.barcode, f"{shop.job.barcode}-10")
    with at(10):
        response = client.post("/station/scan", data={"code": "5", "scan_id": uuid.uuid4().hex, "gap_ms": gap},
                               headers={"HX-Request": "true"})
    assert response.status_code == 200 and 'data-outcome="done"' in response.get_data(as_text=True)
    session.expire_all()
    assert op10.qty_good == 5


def test_the_double_read_window_is_configurable(scan, shop, session, app):
    op10 = shop.job.operations[0]
    with at(0):
        scan.all(shop.operator.barcode, f"{shop.job.barcode}-10")
    app.config["SPEX_DOUBLE_READ_MS"] = 100
    with at(2_000):
        scan("4")
    with at(2_150):  # 150 ms: outside a 100 ms window
        assert scan("4").outcome == "done"
    app.config["SPEX_DOUBLE_READ_MS"] = 0  # off
    with at(2_160):
        assert scan("4").outcome == "done"
    session.expire_all()
    assert op10.qty_good == 12


def test_a_refused_scan_read_twice_stays_refused(scan, shop, session):
    with at(0):
        scan.all(shop.operator.barcode, f"{shop.job.barcode}-10")
    with at(2_000):
        first = scan("500")
    with at(2_100):
        twice = scan("500")
    assert first.status == twice.status == 422 and twice.headline == first.headline
    assert "Only 100 pcs" in twice.headline


# --- an empty submit --------------------------------------------------------------------------------

@pytest.mark.parametrize("code", ["", "\r\n", "   ", "\u202e"])
def test_an_empty_submit_is_answered_with_nothing_and_records_nothing(scan, shop, session, station, code):
    with at(0):
        scan.all(shop.operator.barcode, f"{shop.job.barcode}-10")
    before = (entries(session), scan_records(session), state_of(session, station))
    with at(2_000):
        empty = scan(code)
    assert empty.status == 204 and empty.html == ""
    assert (entries(session), scan_records(session), state_of(session, station)) == before
    assert session.scalar(select(func.count(ScanRecord.id)).where(ScanRecord.raw == "(empty)")) == 0


# --- format characters --------------------------------------------------------------------------------

def test_bidirectional_controls_are_dropped_and_the_code_shown_as_read(scan, shop, session):
    with at(0):
        scan(shop.operator.barcode)
    with at(2_000):
        refused = scan("\u202eQQQ-123")
    assert refused.headline == "Refused: QQQ-123 is not a code Spex knows."
    for mark in ("\u202e", "\u202d", "\u2066", "\u200f", "\u061c", "\u200b"):
        assert mark not in refused.html
    with at(4_000):  # a real code wrapped in bidi controls and a zero-width space is that code
        taken = scan(f"\u2067{shop.job.barcode}-\u200b10\u2069")
    assert taken.outcome == "waiting" and taken.headline.startswith(f"Job {shop.job.number} op 10")
    line = session.scalar(select(ScanRecord).order_by(ScanRecord.id.desc()))
    assert line.raw == f"{shop.job.barcode}-10"


# --- undo says what it took back -----------------------------------------------------------------------

def test_undo_says_what_was_taken_back_at_an_operation_and_a_bar(scan, shop, session):
    job, bar = shop.job, shop.lot.units[0]
    moments = iter(range(0, 60_000, 2_000))

    def scans(*codes_):
        answers = []
        for code in codes_:
            with at(next(moments)):
                answers.append(scan(code))
        return answers[-1]

    scans(shop.operator.barcode, f"{job.barcode}-10", "10")
    assert scans("CMD-UNDO").headline == f"Taken back: 10 good at op 10 of job {job.number}"
    scans("CMD-SCRAP", "3", "CMD-R-DIM")
    assert scans("CMD-UNDO").headline == f"Taken back: 3 scrapped at op 10 of job {job.number}"
    scans("CMD-HOLD", "4", "CMD-R-DIM")
    assert scans("CMD-UNDO").headline == f"Taken back: the hold on 4 pcs at op 10 of job {job.number}"
    scans(bar.barcode, job.barcode, "12.5")
    assert scans("CMD-UNDO").headline == f"Taken back: 12.5 in of {bar.barcode} from job {job.number}"
    scans(bar.barcode, job.barcode, "40", "CMD-RETURN", bar.barcode, "20", shop.rack.barcode)
    remnant = session.scalar(select(StockUnit).where(StockUnit.parent_id == bar.id))
    assert scans("CMD-UNDO").headline == f"Taken back: remnant {remnant.barcode} (20 in)"
    session.expire_all()
    assert pieces_at(session, job.operations[0]) == 100


def test_undo_says_what_was_taken_back_outside_into_finished_goods_and_shipped(scan, shop, session, make):
    job = shop.job
    op10, op20, op30 = job.operations
    order_with_releases(session, make, job, (30, 70))
    for op in (op10, op20):
        shopfloor.complete_operation(session, op, 100, user=shop.operator)
    session.commit()
    moments = iter(range(0, 120_000, 2_000))

    def scans(*codes_):
        answers = []
        for code in codes_:
            with at(next(moments)):
                answers.append(scan(code))
        return answers[-1]

    scans(shop.shipper.barcode, f"{job.barcode}-30", "CMD-SHIP-OUT", "60")
    vendor = op30.vendor.name
    assert scans("CMD-UNDO").headline == f"Taken back: 60 pcs shipped out to {vendor} from op 30 of job {job.number}"
    scans(f"{job.barcode}-30", "CMD-SHIP-OUT", "100", "CMD-RECEIVE", "100")
    assert scans("CMD-UNDO").headline == f"Taken back: 100 pcs received back at op 30 of job {job.number}"
    scans(f"{job.barcode}-30", "CMD-RECEIVE", "100")
    put_away = scans(shop.operator.barcode, job.barcode, "CMD-FG", "100", shop.fg_bin.barcode)
    lot = put_away.headline.split(":")[0].removeprefix("Finished goods ")
    assert scans("CMD-UNDO").headline == f"Taken back: 100 pcs of job {job.number} into {lot}"
    put_away = scans(job.barcode, "CMD-FG", "100", shop.fg_bin.barcode)
    lot = put_away.headline.split(":")[0].removeprefix("Finished goods ")
    scans(shop.shipper.barcode, lot, "30")
    assert scans("CMD-UNDO").headline == f"Taken back: 30 pcs of {lot} shipped"


# --- the next step after a refusal ---------------------------------------------------------------------

def test_after_an_empty_bar_the_next_step_is_another_bar_not_the_pull_of_the_last(scan, shop, session):
    bar, used_up = shop.lot.units
    moments = iter(range(0, 60_000, 2_000))
    for code in (shop.operator.barcode, used_up.barcode, shop.job.barcode, "144", bar.barcode, shop.job.barcode):
        with at(next(moments)):
            scan(code)
    with at(next(moments)):
        refused = scan(used_up.barcode)
    assert refused.headline == f"Refused: {used_up.barcode} is empty or used up."
    step = "Scan another bar (LOT-…), or CMD-CANCEL to drop the material pull."
    assert next_step(refused) == step and expected(refused) == step


def test_after_a_hold_refusal_the_next_step_is_the_inspector_not_the_good_quantity(scan, shop, session):
    moments = iter(range(0, 60_000, 2_000))
    # Every piece at the operation held: none is free to complete.
    for code in (shop.operator.barcode, f"{shop.job.barcode}-10", "CMD-HOLD", "100", "CMD-R-DIM"):
        with at(next(moments)):
            scan(code)
    with at(next(moments)):
        refused = scan("5")
    assert refused.status == 422 and "on quality hold" in refused.headline
    step = "Ask an inspector to release the hold (badge, the job, CMD-RELEASE); meanwhile scan another job (JOB-…)."
    assert next_step(refused) == step and expected(refused) == step
    assert "good quantity" not in refused.html


def test_after_a_refusal_for_the_role_the_next_step_is_the_right_person(scan, shop, session):
    moments = iter(range(0, 60_000, 2_000))
    for code in (shop.operator.barcode, f"{shop.job.barcode}-10"):
        with at(next(moments)):
            scan(code)
    with at(next(moments)):
        refused = scan("CMD-RELEASE")
    assert refused.status == 422 and "Only an inspector" in refused.headline
    step = "Ask an inspector to scan their badge (EMP-…) here and do it."
    assert next_step(refused) == step and expected(refused) == step


def test_after_a_pull_longer_than_the_bar_the_next_step_names_what_is_left(scan, shop, session):
    bar = shop.lot.units[0]
    moments = iter(range(0, 60_000, 2_000))
    for code in (shop.operator.barcode, bar.barcode, shop.job.barcode):
        with at(next(moments)):
            scan(code)
    with at(next(moments)):
        refused = scan("150")
    step = "Scan or type a length up to 144 in, or another bar (LOT-…), or CMD-CANCEL to drop the material pull."
    assert next_step(refused) == step and expected(refused) == step
    with at(next(moments)):  # the station still waits for the length: a shorter one pulls
        assert scan("100").outcome == "done"


def test_a_refused_scan_in_the_middle_of_a_scrap_keeps_its_step_and_says_how_to_drop_it(scan, shop, session):
    moments = iter(range(0, 60_000, 2_000))
    for code in (shop.operator.barcode, f"{shop.job.barcode}-10", "CMD-SCRAP"):
        with at(next(moments)):
            scan(code)
    with at(next(moments)):
        refused = scan("101")
    step = "Count again and scan the quantity, or CMD-CANCEL to drop the scrap."
    assert next_step(refused) == step and expected(refused) == step


def test_a_refusal_with_nothing_half_done_says_the_step_without_cancel(scan, shop, session):
    with at(0):
        scan(shop.operator.barcode)
    with at(2_000):
        refused = scan("12")
    assert next_step(refused) == "Scan a job operation (JOB-…-op) or a bar (LOT-…) first."
    assert expected(refused) == next_step(refused)
    assert codes.CMD_CANCEL not in next_step(refused)


def test_a_new_scan_id_each_time_is_a_new_scan(scan, shop, session):
    """The binding is of a scan id, not of a code: the same code under new ids counts each time."""
    op10 = shop.job.operations[0]
    with at(0):
        scan.all(shop.operator.barcode, f"{shop.job.barcode}-10")
    for n in range(3):
        with at(2_000 * (n + 1)):
            assert scan("2", scan_id=uuid.uuid4().hex).outcome == "done"
    session.expire_all()
    assert op10.qty_good == 6

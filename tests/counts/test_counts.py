"""Cycle counts by scan: the variance a count finds, the ADJUST entries it becomes (at once within the
tolerance, after a planner's approval above it), refusals that write nothing, the schedule of bins
due, count accuracy and the bar page. Scanned over HTTP at a registered station, as the station's
script posts them; on both engines."""
from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from spex import codes, ledger
from spex.counts import counting, schedule
from spex.models import Count, CountLine, LedgerEntry, clock_at, utcnow
from tests.conftest import login
from tests.scan.conftest import balances, entries


def adjustments(session) -> list[LedgerEntry]:
    return list(session.scalars(select(LedgerEntry).where(LedgerEntry.kind == ledger.ADJUST).order_by(LedgerEntry.id)))


def lines(session) -> int:
    return session.scalar(select(func.count(CountLine.id)))


def left(session, unit) -> Decimal:
    return ledger.balances_of(session, ledger.unit_item(unit.id))


def count_rack(scan, shop, *scans):
    scan(shop.handler.barcode)
    scan(codes.CMD_COUNT)
    scan(shop.rack.barcode)
    answers = [scan(code) for code in scans]
    return answers[-1] if answers else None


def test_a_bin_counted_right_writes_nothing_to_the_ledger(scan, shop, session):
    bar1, bar2 = shop.lot.units
    before = entries(session)
    done = count_rack(scan, shop, bar1.barcode, "144", bar2.barcode, "144", codes.CMD_DONE)
    assert done.outcome == "done" and done.headline == "BIN-R1-A01 counted: all 2 right"
    count = session.scalar(select(Count))
    assert count.status == "exact" and [line.is_right for line in count.lines] == [True, True]
    assert entries(session) == before
    assert counting.accuracy(session, utcnow() - timedelta(days=1), utcnow() + timedelta(days=1)) == (2, 2)


def test_a_difference_within_the_tolerance_is_adjusted_at_once(scan, shop, session):
    bar1, bar2 = shop.lot.units
    # 143.5 of 144 in: 0.35 %, within the default 2 %.
    done = count_rack(scan, shop, bar1.barcode, "143.5", bar2.barcode, "144", codes.CMD_DONE)
    assert done.headline == "BIN-R1-A01 counted: 1 adjusted", done.html
    assert "LOT-" in done.html and "143.5 in, the books 144 in" in done.html
    [entry] = adjustments(session)
    assert (entry.item, entry.quantity, entry.from_place, entry.to_place, entry.reason) == (
        ledger.unit_item(bar1.id), Decimal("0.5"), ledger.at_location(shop.rack.id), None, codes.COUNT_QTY)
    assert entry.user_id == shop.handler.id and "Count 1 of BIN-R1-A01" in entry.note
    assert left(session, bar1) == {ledger.at_location(shop.rack.id): Decimal("143.5")}
    assert session.scalar(select(Count)).status == "adjusted"
    assert ledger.audit(session) == []


def test_a_missing_bar_and_a_wrong_length_wait_for_a_planner_who_approves_them(scan, shop, session, make):
    bar1, bar2 = shop.lot.units
    before = entries(session)
    done = count_rack(scan, shop, bar2.barcode, "120", codes.CMD_DONE)
    assert done.headline == "BIN-R1-A01 counted: 2 to approve"
    assert f"{bar1.barcode} missing (144 in on the books)" in done.html
    assert f"{bar2.barcode} 120 in, the books 144 in" in done.html
    count = session.scalar(select(Count))
    assert count.status == "waiting" and entries(session) == before  # nothing adjusted yet

    planner = make.user(codes.PLANNER)
    make.commit()
    written = counting.approve(session, count, user=planner, note="Bar 1 went to the saw")
    session.commit()
    assert sorted((e.stock_unit_id, e.quantity, e.reason) for e in written) == [
        (bar1.id, Decimal(144), codes.COUNT_MISSING), (bar2.id, Decimal(24), codes.COUNT_QTY)]
    assert all(e.kind == ledger.ADJUST and e.user_id == planner.id for e in adjustments(session))
    assert left(session, bar1) == {} and left(session, bar2) == {ledger.at_location(shop.rack.id): Decimal(120)}
    assert count.status == "approved" and count.decided_by_id == planner.id
    assert ledger.audit(session) == []
    assert counting.accuracy(session, utcnow() - timedelta(days=1), utcnow() + timedelta(days=1)) == (0, 2)


def test_a_bar_found_that_the_books_put_in_another_bin(scan, shop, session, make):
    other = make.location("R1-B02")
    stray = make.lot(material=shop.lot.material, bin=other, lengths=(96,), heat="H9").units[0]
    make.commit()
    bar1, bar2 = shop.lot.units
    done = count_rack(scan, shop, bar1.barcode, "144", bar2.barcode, "144", stray.barcode, "96", codes.CMD_DONE)
    assert f"{stray.barcode} found here, the books had it in BIN-R1-B02" in done.html
    count = session.scalar(select(Count))
    assert count.status == "waiting"
    counting.approve(session, count, user=make.user(codes.PLANNER))
    session.commit()
    [entry] = adjustments(session)
    assert (entry.from_place, entry.to_place, entry.reason) == (
        ledger.at_location(other.id), ledger.at_location(shop.rack.id), codes.COUNT_FOUND)
    assert left(session, stray) == {ledger.at_location(shop.rack.id): Decimal(96)}
    assert ledger.audit(session) == []


def test_a_rejected_count_leaves_the_books_and_needs_a_reason(scan, shop, session, make):
    count_rack(scan, shop, codes.CMD_DONE)  # nothing found: both bars missing
    count = session.scalar(select(Count))
    planner = make.user(codes.PLANNER)
    with pytest.raises(counting.CountError, match="Say why"):
        counting.reject(session, count, user=planner, note=" ")
    counting.reject(session, count, user=planner, note="Bars were at the saw; count again")
    session.commit()
    assert count.status == "rejected" and adjustments(session) == []
    with pytest.raises(counting.CountError, match="does not wait for approval"):
        counting.approve(session, count, user=planner)


def test_an_approval_after_the_books_changed_is_refused_with_nothing_written(scan, shop, session, make):
    bar1, bar2 = shop.lot.units
    count_rack(scan, shop, bar2.barcode, "120", codes.CMD_DONE)
    count = session.scalar(select(Count))
    # Meanwhile the missing bar turns up and is pulled for the job: the count no longer says what is there.
    from spex import shopfloor
    shopfloor.pull_material(session, bar1, shop.job, 40, user=shop.operator)
    session.commit()
    before, held = entries(session), balances(session)
    with pytest.raises(counting.CountError, match=f"The books of {bar1.barcode} changed since the count"):
        counting.approve(session, count, user=make.user(codes.PLANNER))
    session.rollback()
    assert (entries(session), balances(session)) == (before, held)
    assert session.get(Count, count.id).status == "waiting"


def test_an_fg_lot_is_counted_by_its_pieces(scan, shop, session, make):
    from tests.scan.test_flows import fg_lot
    lot = fg_lot(shop, session, make)  # 10 pcs in BIN-FG-01
    scan(shop.handler.barcode)
    scan(codes.CMD_COUNT)
    scan(shop.fg_bin.barcode)
    assert scan(lot.barcode).headline == f"{lot.barcode}: its quantity?"
    assert scan("9.5").status == 422  # pieces are whole
    assert scan("9").headline == f"Counted {lot.barcode}: 9 pcs"
    done = scan(codes.CMD_DONE)
    assert done.headline == "BIN-FG-01 counted: 1 to approve"  # 10 % off: above the tolerance
    counting.approve(session, session.scalar(select(Count)), user=make.user(codes.PLANNER))
    session.commit()
    [entry] = adjustments(session)
    assert (entry.item, entry.quantity, entry.reason, entry.job_id) == (ledger.fg_item(lot.id), 1, codes.COUNT_QTY,
                                                                       lot.job_id)
    assert ledger.audit(session) == []


# --- refusals at the station -------------------------------------------------------------------

def test_refusals_write_nothing(scan, shop, session):
    bar1, _ = shop.lot.units
    scan(shop.handler.barcode)
    scan(codes.CMD_COUNT)
    refused = scan(bar1.barcode)  # a bar before the bin
    assert refused.status == 422 and "A count starts with its bin" in refused.headline
    scan(shop.rack.barcode)
    scan(bar1.barcode)
    scan("144")
    held, counted = (entries(session), balances(session)), lines(session)
    twice = scan.later(bar1.barcode)
    assert twice.status == 422 and twice.headline.endswith(f"{bar1.barcode} was counted already in this count.")
    unknown = scan("LOT-NOPE-99")
    assert unknown.status == 422 and unknown.headline.endswith("There is no bar or plate LOT-NOPE-99.")
    nonsense = scan("XYZ-!!")
    assert nonsense.status == 422 and "is not a code Spex knows" in nonsense.headline
    a_job = scan(shop.job.barcode)  # a count keeps counting: a job traveler is not a unit of it
    assert a_job.status == 422 and f"{shop.job.barcode} is not a unit of the count" in a_job.headline
    assert ((entries(session), balances(session)), lines(session)) == (held, counted)


def test_an_operator_may_not_count(scan, shop, session):
    scan(shop.operator.barcode)
    refused = scan(codes.CMD_COUNT)
    assert refused.status == 422
    assert "Only a material handler may count a bin" in refused.headline
    assert session.scalar(select(func.count(Count.id))) == 0


def test_a_length_to_the_ten_thousandth_is_refused(scan, shop, session):
    count_rack(scan, shop, shop.lot.units[0].barcode)
    refused = scan("143.0005")
    assert refused.status == 422 and "lengths are measured to the thousandth" in refused.headline
    assert session.scalar(select(CountLine)).counted is None


# --- the pages ---------------------------------------------------------------------------------

def test_the_planner_approves_on_the_page_with_csrf(scan, shop, session, make, client):
    bar1, bar2 = shop.lot.units
    count_rack(scan, shop, bar2.barcode, "120", codes.CMD_DONE)
    count = session.scalar(select(Count))
    handler_password_user = shop.handler
    login(client, handler_password_user)
    page = client.get("/counts/").get_data(as_text=True)
    assert "Count 1" in page and "waits for approval" in page
    assert client.post(f"/counts/{count.id}/approve").status_code == 403  # a handler counts, a planner approves
    planner = make.user(codes.PLANNER)
    make.commit()
    client.get("/logout")
    login(client, planner)
    forged = client.post(f"/counts/{count.id}/approve", csrf=False)
    assert forged.status_code == 400 and adjustments(session) == []
    shown = client.get(f"/counts/{count.id}").get_data(as_text=True)
    assert f"{bar1.barcode} missing" in shown and 'id="approve"' in shown
    done = client.post(f"/counts/{count.id}/approve", data={"note": "ok"})
    assert done.status_code == 302
    assert len(adjustments(session)) == 2
    again = client.post(f"/counts/{count.id}/approve")
    assert again.status_code == 422 and "does not wait for approval" in again.get_data(as_text=True)
    assert len(adjustments(session)) == 2 and ledger.audit(session) == []
    rows = list(csv.reader(io.StringIO(client.get("/counts/counts.csv").get_data(as_text=True))))
    assert rows[0][:3] == ["count", "bin", "status"] and {r[5] for r in rows[1:]} == {bar1.barcode, bar2.barcode}
    bar_page = client.get(f"/units/{bar2.code}").get_data(as_text=True)
    assert "Cycle counts" in bar_page and "Count 1" in bar_page and "120 in, the books 144 in" in bar_page
    metrics = client.get("/metrics/").get_data(as_text=True)
    assert "Count accuracy" in metrics and "0 of 2 units counted" in metrics


def test_the_schedule_lists_bins_due_by_their_abc_class(scan, shop, session, make, client, app):
    shop.lot.material.unit_cost = Decimal("2.50")  # 288 in: $720 in the rack, the valuable bin
    cheap = make.material(unit_cost=Decimal("0.01"))
    small = make.location("R9-C01")
    make.lot(material=cheap, bin=small, lengths=(10,))
    make.commit()
    rows = {r.location.code: r for r in schedule.schedule(session)}
    assert rows["R1-A01"].abc == "A" and rows["R1-A01"].value == Decimal("720.00")
    assert rows["R9-C01"].abc == "C" and rows["R9-C01"].last_counted is None and rows["R9-C01"].is_due
    count_rack(scan, shop, *[code for bar in shop.lot.units for code in (bar.barcode, "144")], codes.CMD_DONE)
    rack = {r.location.code: r for r in schedule.schedule(session)}["R1-A01"]
    assert not rack.is_due and (rack.due - rack.last_counted).days == 30  # A: monthly
    with clock_at(utcnow() + timedelta(days=31)):
        assert "R1-A01" in {r.location.code for r in schedule.due(session)}
    assert {r.location.code: r for r in schedule.schedule(session, {"A": 7})}["R1-A01"].due - rack.last_counted \
        == timedelta(days=7)
    planner = make.user(codes.PLANNER)
    make.commit()
    login(client, planner)
    page = client.get("/counts/schedule").get_data(as_text=True)
    assert "BIN-R9-C01" in page and "Due now" in page
    rows = list(csv.reader(io.StringIO(client.get("/counts/schedule.csv").get_data(as_text=True))))
    assert rows[0] == ["bin", "kind", "ABC", "value", "units", "last counted", "due"]
    assert "BIN-R9-C01" in {r[0] for r in rows[1:]} and "BIN-R1-A01" not in {r[0] for r in rows[1:]}


def test_the_tolerance_is_a_setting(scan, shop, session, app, monkeypatch):
    from spex import config
    monkeypatch.setenv("SPEX_COUNT_TOLERANCE", "20 %")
    assert config._count_tolerance() == Decimal(20)
    monkeypatch.setenv("SPEX_COUNT_TOLERANCE", "lots")
    assert config._count_tolerance() == config.DEFAULT_COUNT_TOLERANCE
    monkeypatch.setenv("SPEX_COUNT_DAYS_B", "60")
    assert config._count_days() == {"A": 30, "B": 60, "C": 365}
    app.config["SPEX_COUNT_TOLERANCE"] = Decimal(20)
    bar1, bar2 = shop.lot.units
    # 120 of 144 in is 16.7 % off: within a 20 % tolerance, adjusted at once.
    done = count_rack(scan, shop, bar1.barcode, "144", bar2.barcode, "120", codes.CMD_DONE)
    assert done.headline == "BIN-R1-A01 counted: 1 adjusted"
    assert [(e.quantity, e.reason) for e in adjustments(session)] == [(Decimal(24), codes.COUNT_QTY)]
    assert session.scalar(select(Count)).tolerance == Decimal(20)


def test_start_pages_show_the_count_to_approve_and_the_bins_due(scan, shop, session, make, client):
    bar1, bar2 = shop.lot.units
    count_rack(scan, shop, bar2.barcode, "120", codes.CMD_DONE)
    other = make.location("R9-C01")
    make.lot(bin=other, lengths=(10,))
    planner = make.user(codes.PLANNER)
    make.commit()
    login(client, planner)
    home = client.get("/").get_data(as_text=True)
    waiting = home[home.index('id="work-counts-waiting"'):]
    waiting = waiting[:waiting.index("</section>")]
    assert "Counts waiting approval · 1" in waiting and "BIN-R1-A01" in waiting
    assert f"{bar1.barcode} missing (144 in on the books)" in waiting
    rows = list(csv.reader(io.StringIO(client.get("/start/counts-waiting.csv").get_data(as_text=True))))
    assert rows[0][:2] == ["count", "bin"] and rows[1][1] == "BIN-R1-A01"
    client.post("/logout")
    login(client, shop.handler)
    home = client.get("/").get_data(as_text=True)
    due = home[home.index('id="work-bins-due"'):]
    due = due[:due.index("</section>")]
    # the rack was just counted; the other bin never was
    assert "BIN-R9-C01" in due and "never" in due and "BIN-R1-A01" not in due

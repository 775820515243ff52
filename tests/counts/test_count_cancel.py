"""A count left unfinished: the station cancels it when it leaves it before CMD-DONE (CMD-CANCEL,
signing out, another badge, another command) and says so; a planner cancels one left at a station
for hours from the counts page. A cancelled count never adjusts the books, and the bin is counted
again with a new count. Scanned over HTTP at a registered station, the shop's clock pinned; on both
engines."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from spex import codes, ledger
from spex.counts import counting
from spex.models import Count, clock_at, utcnow
from tests.conftest import login
from tests.counts.test_counts import adjustments, count_rack
from tests.scan.conftest import balances, entries

CANCELLED = f"Nothing was adjusted, the books are as they were. Scan {codes.CMD_COUNT} and the bin to count it again."


def counts(session) -> list[Count]:
    session.expire_all()
    return list(session.scalars(select(Count).order_by(Count.id)))


def test_cmd_cancel_mid_count_cancels_it_and_the_bin_is_counted_again(scan, shop, session, station):
    bar1, bar2 = shop.lot.units
    held = (entries(session), balances(session))
    count_rack(scan, shop, bar2.barcode, "120")  # a wrong length: it would wait for a planner
    answer = scan(codes.CMD_CANCEL)
    assert answer.outcome == "waiting" and answer.headline == "Count 1 of BIN-R1-A01 cancelled"
    assert CANCELLED in answer.html
    [count] = counts(session)
    assert count.status == counting.CANCELLED and count.finished_at is None
    assert count.decided_by_id == shop.handler.id and count.decided_at is not None
    assert count.decision_note == f"Cancelled at {station.name}: CMD-CANCEL scanned before CMD-DONE."
    assert (entries(session), balances(session)) == held and adjustments(session) == []
    again = scan.later(codes.CMD_CANCEL)  # nothing open any more: the plain answer
    assert again.headline == "Cleared"
    scan(codes.CMD_COUNT)
    scan(shop.rack.barcode)
    done = scan.all(bar1.barcode, "144", bar2.barcode, "144", codes.CMD_DONE)[-1]
    assert done.headline == "BIN-R1-A01 counted: all 2 right"
    assert [c.status for c in counts(session)] == [counting.CANCELLED, "exact"]
    assert ledger.audit(session) == []


def test_cmd_cancel_while_a_length_is_awaited_cancels_the_count(scan, shop, session):
    count_rack(scan, shop, shop.lot.units[0].barcode)  # waits for its length
    assert scan(codes.CMD_CANCEL).headline == "Count 1 of BIN-R1-A01 cancelled"
    assert [c.status for c in counts(session)] == [counting.CANCELLED]


def test_signing_out_mid_count_cancels_it_and_says_so(scan, shop, session):
    held = (entries(session), balances(session))
    count_rack(scan, shop, shop.lot.units[0].barcode, "144")
    answer = scan(codes.CMD_SIGN_OUT)
    assert answer.outcome == "signed_out" and answer.headline == "Signed out: Max Handler"
    assert f"Count 1 of BIN-R1-A01 cancelled. {CANCELLED}" in answer.html
    [count] = counts(session)
    assert count.status == counting.CANCELLED and count.decided_by_id == shop.handler.id
    assert "CMD-SIGN-OUT scanned" in count.decision_note
    assert (entries(session), balances(session)) == held


def test_another_badge_mid_count_cancels_it(scan, shop, session):
    count_rack(scan, shop, shop.lot.units[0].barcode, "144")
    answer = scan(shop.operator.barcode)
    assert answer.headline == "Signed in: Olga Operator"
    assert "Count 1 of BIN-R1-A01 cancelled." in answer.html
    assert [c.status for c in counts(session)] == [counting.CANCELLED]


def test_another_command_or_count_mid_count_cancels_it(scan, shop, session, make):
    other = make.location("R1-B02")
    make.commit()
    count_rack(scan, shop, shop.lot.units[0].barcode, "144")
    refused = scan(shop.job.barcode)  # not a unit of the count, and refused: the count stays open
    assert refused.status == 422 and [c.status for c in counts(session)] == ["counting"]
    answer = scan(codes.CMD_COUNT)  # a count of another bin: the first one does not stay open
    assert answer.headline == "Cycle count" and "Count 1 of BIN-R1-A01 cancelled." in answer.html
    scan(other.barcode)
    moved = scan(codes.CMD_MOVE)
    assert "Count 2 of BIN-R1-B02 cancelled." in moved.html
    assert [c.status for c in counts(session)] == [counting.CANCELLED, counting.CANCELLED]
    assert adjustments(session) == []


# --- a planner on the counts page ----------------------------------------------------------------

def unfinished_section(client) -> str:
    page = client.get("/counts/").get_data(as_text=True)
    section = page[page.index('id="unfinished"'):]
    return section[:section.index("</section>")]


def test_a_planner_sees_a_count_left_for_hours_and_cancels_it(scan, shop, session, make, client, station):
    bar1, bar2 = shop.lot.units
    started = utcnow()
    with clock_at(started):
        count_rack(scan, shop, bar2.barcode, "120")  # then the handler walks away
    planner = make.user(codes.PLANNER, name="Pat Planner")
    make.commit()
    login(client, planner)
    [count] = counts(session)
    with clock_at(started + timedelta(hours=1)):  # still being counted, perhaps
        assert "BIN-R1-A01" not in unfinished_section(client)
    later = started + timedelta(hours=5)
    with clock_at(later):
        shown = unfinished_section(client)
        assert "Count 1" in shown and "BIN-R1-A01" in shown and "Max Handler" in shown and station.name in shown
        assert f'id="cancel-{count.id}"' in shown and "more than 4 hours ago" in shown
        forged = client.post(f"/counts/{count.id}/cancel", data={"note": "left"}, csrf=False)
        assert forged.status_code == 400
        no_reason = client.post(f"/counts/{count.id}/cancel", data={"note": "  "})
        assert no_reason.status_code == 422 and "Say why the count is cancelled." in no_reason.get_data(as_text=True)
        assert counts(session)[0].status == "counting"
        done = client.post(f"/counts/{count.id}/cancel", data={"note": "Handler went home"})
        assert done.status_code == 302
    [count] = counts(session)
    assert count.status == counting.CANCELLED and count.decided_by_id == planner.id
    assert count.decided_at == later and count.decision_note == "Handler went home"
    assert adjustments(session) == [] and ledger.audit(session) == []
    page = client.get("/counts/").get_data(as_text=True)
    assert "cancelled: nothing was adjusted" in page
    # The cancelled counts are shown once, in the page's body (not in its title).
    assert "<title>Counts · Spex</title>" in page and page.count('id="cancelled"') == 1
    cancelled = page[page.index('id="cancelled"'):]
    assert "Count 1" in cancelled and "Pat Planner" in cancelled and "Handler went home" in cancelled
    with clock_at(later):
        assert "BIN-R1-A01" not in unfinished_section(client)
    again = client.post(f"/counts/{count.id}/cancel", data={"note": "twice"})
    assert again.status_code == 422
    assert ("Count 1 of BIN-R1-A01 was cancelled by Pat Planner (Handler went home): nothing was cancelled."
            in again.get_data(as_text=True))
    assert client.post("/counts/999999/cancel", data={"note": "x"}).status_code == 404

    # The station still in the count hears it was cancelled, and the bin is counted afresh.
    refused = scan(codes.CMD_DONE)
    assert refused.status == 422 and "Count 1 of BIN-R1-A01 was cancelled by Pat Planner" in refused.headline
    assert adjustments(session) == []
    scan(codes.CMD_COUNT)
    scan(shop.rack.barcode)
    assert scan.all(bar1.barcode, "144", bar2.barcode, "144", codes.CMD_DONE)[-1].headline == \
        "BIN-R1-A01 counted: all 2 right"


def test_a_count_finished_since_is_not_cancelled(scan, shop, session, make, client):
    bar2 = shop.lot.units[1]
    started = utcnow()
    with clock_at(started):
        count_rack(scan, shop, bar2.barcode, "120")
    [count] = counts(session)
    planner = make.user(codes.PLANNER, name="Pat Planner")
    make.commit()
    login(client, planner)
    with clock_at(started + timedelta(hours=5)):
        assert f'id="cancel-{count.id}"' in unfinished_section(client)  # the planner's page, still open
        assert scan(codes.CMD_DONE).headline == "BIN-R1-A01 counted: 2 to approve"  # the counter came back
        refused = client.post(f"/counts/{count.id}/cancel", data={"note": "left"})
    assert refused.status_code == 422
    assert ("Count 1 of BIN-R1-A01 has finished (waits for approval): nothing was cancelled."
            in refused.get_data(as_text=True))
    assert counts(session)[0].status == "waiting"


def test_only_a_planner_cancels_a_count(scan, shop, session, client):
    count_rack(scan, shop, shop.lot.units[0].barcode, "144")
    [count] = counts(session)
    login(client, shop.handler)
    assert client.post(f"/counts/{count.id}/cancel", data={"note": "left"}).status_code == 403
    with clock_at(utcnow() + timedelta(hours=5)):
        shown = unfinished_section(client)
    assert "Count 1" in shown and f'id="cancel-{count.id}"' not in shown and "A planner cancels it." in shown
    assert counts(session)[0].status == "counting"


def test_how_old_an_open_count_is_before_it_is_listed_is_a_setting(scan, shop, session, client, app, monkeypatch):
    from spex import config
    monkeypatch.setenv("SPEX_COUNT_STALE_HOURS", "1")
    assert config._count_stale_hours() == 1
    monkeypatch.setenv("SPEX_COUNT_STALE_HOURS", "soon")
    assert config._count_stale_hours() == config.DEFAULT_COUNT_STALE_HOURS == 4
    app.config["SPEX_COUNT_STALE_HOURS"] = 1
    started = utcnow()
    with clock_at(started):
        count_rack(scan, shop, shop.lot.units[0].barcode, "144")
    login(client, shop.handler)
    with clock_at(started + timedelta(hours=2)):
        shown = unfinished_section(client)
    assert "Count 1" in shown and "more than 1 hour ago" in shown

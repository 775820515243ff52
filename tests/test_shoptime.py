"""The shop's clock: stored times are UTC; people read them, and days turn, in the shop's time zone."""
import threading
from datetime import date, datetime, timedelta, timezone

import pytest

from spex import codes, create_app, shoptime
from spex.models import clock_at, clock_running_from, utcnow
from spex.wip import board as wb
from tests.scan.conftest import Scanner


def _utc(*parts):
    return datetime(*parts, tzinfo=timezone.utc)


def test_the_station_shows_scan_times_on_the_shops_clock(app, client, make):
    operator = make.user(codes.OPERATOR, name="Olga Operator")
    station = make.station()
    make.commit()
    client.set_cookie("spex_station", station.token)
    app.config["SPEX_TIMEZONE"] = "America/Chicago"
    with clock_at(_utc(2026, 11, 25, 14, 41, 7)):  # 08:41 in Chicago
        answer = Scanner(client)(operator.barcode)
    assert answer.outcome == "done"
    assert ">08:41:07<" in answer.html and ">14:41:07<" not in answer.html
    app.config["SPEX_TIMEZONE"] = "UTC"
    assert ">14:41:07<" in client.get("/station").get_data(as_text=True)


def test_a_job_due_today_is_not_past_due_in_the_evening_when_utc_has_turned_the_day(app, session, make):
    job = make.job()
    job.due_date = date(2026, 11, 25)
    make.commit()
    evening = _utc(2026, 11, 26, 2, 0)  # 20:00 on the 25th in Chicago, already the 26th in UTC
    app.config["SPEX_TIMEZONE"] = "America/Chicago"
    chicago = next(j for j in wb.load_board(session, now=evening) if j.number == job.number)
    app.config["SPEX_TIMEZONE"] = "UTC"
    utc = next(j for j in wb.load_board(session, now=evening) if j.number == job.number)
    assert (chicago.past_due, utc.past_due) == (False, True)


def test_working_days_turn_at_the_shops_midnight(app):
    app.config["SPEX_TIMEZONE"] = "America/Chicago"
    friday_evening = _utc(2026, 11, 28, 2, 0)  # Friday 20:00 in Chicago (UTC-6), Saturday in UTC
    monday_morning = _utc(2026, 11, 30, 14, 0)  # Monday 08:00 in Chicago
    assert wb.working_hours_between(friday_evening, monday_morning) == 4 + 8  # by UTC days it would be 14
    with clock_at(friday_evening):
        assert shoptime.today() == date(2026, 11, 27)  # still Friday in the shop


def test_a_time_zone_that_does_not_exist_stops_the_start_with_its_name():
    with pytest.raises(ValueError, match="Mars/Olympus"):
        create_app({"SPEX_TIMEZONE": "Mars/Olympus", "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_a_pinned_clock_holds_in_every_thread_and_keeps_ticking(app):
    # What a live server's request threads see: the suite's day, not the machine's, and a clock that
    # still runs, so two scans a moment apart are a moment apart.
    saturday = _utc(2027, 1, 2, 10, 0)
    seen = []
    with clock_running_from(saturday):
        first = utcnow()
        def request_thread():
            with app.app_context():
                seen.append((utcnow(), shoptime.today()))

        worker = threading.Thread(target=request_thread)
        worker.start()
        worker.join()
        last = utcnow()
    assert saturday <= first < seen[0][0] < last < saturday + timedelta(seconds=5)
    assert seen[0][1] == date(2027, 1, 2)

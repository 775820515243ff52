"""The WIP board: what each job row says, late risk maths, versions, the polled fragment and who may look."""
import html as html_lib
import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event

from spex import codes, shoptime
from spex.extensions import db
from spex.models import clock_at, utcnow
from spex.wip import board as wb


def _one(jobs, number):
    return next(j for j in jobs if j.number == number)


def test_board_shows_pieces_per_operation_holds_and_vendors(session, make, floor):
    part = make.part(ops=("lathe", "mill"), outside=("anodize",))
    job = make.job(part, quantity=100)
    floor.complete(job, 10, 80)
    floor.scrap(job, 10, 2)
    floor.complete(job, 20, 50)
    floor.ship_out(job, 30, 40, expected_back=shoptime.today() - timedelta(days=1))
    floor.hold(job, 20, 5, "FIN")
    make.commit()

    bj = _one(wb.load_board(session), job.number)
    op10, op20, op30 = bj.ops
    # Op 10: 100 pieces, 80 good, 2 scrapped -> 98 expected, 18 still to do, all 18 waiting there.
    assert (op10.good, op10.scrap, op10.expected, op10.remaining, op10.waiting) == (80, 2, 98, 18, 18)
    # Op 20 can get at most 98: 50 done, 30 waiting (80 in less 50 done), 5 of them on hold.
    assert (op20.good, op20.expected, op20.remaining, op20.waiting, op20.held) == (50, 98, 48, 25, 5)
    assert (op30.good, op30.at_vendor, op30.waiting) == (0, 40, 10)
    assert [op.state for op in bj.ops] == [wb.STATE_ACTIVE] * 3
    assert [(h.quantity, h.reason_code) for h in bj.holds] == [(5, "FIN")]
    (shipment,) = bj.shipments
    assert (shipment.outstanding, shipment.overdue, shipment.seq) == (40, True, 30)
    assert bj.age_class == "fresh" and bj.age_hours is not None and bj.age_hours < 1


def test_planned_jobs_show_as_not_released_and_closed_jobs_do_not_show(session, make):
    planned = make.job(release=False)
    released = make.job()
    closed = make.job()
    closed.status = "closed"
    make.commit()
    numbers = {j.number: j for j in wb.load_board(session)}
    assert planned.number in numbers and released.number in numbers and closed.number not in numbers
    assert numbers[planned.number].current_ops == []
    assert numbers[released.number].current_ops[0].seq == 10


def test_ageing_colours_follow_the_time_at_the_station(session, make):
    job = make.job()
    first = job.operations[0]
    monday = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
    first.last_activity_at = monday
    make.commit()
    for hours, colour, text in ((2, "fresh", "2h"), (20, "ageing", "20h"), (72, "stale", "3d")):
        bj = _one(wb.load_board(session, now=monday + timedelta(hours=hours)), job.number)
        assert (bj.age_class, bj.age_text) == (colour, text)


def test_a_weekend_does_not_age_work_left_on_friday(session, make):
    job = make.job()
    job.operations[0].last_activity_at = datetime(2026, 11, 27, 15, 0, tzinfo=timezone.utc)  # Friday 15:00
    make.commit()
    monday_morning = datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)  # 65 calendar hours later
    bj = _one(wb.load_board(session, now=monday_morning), job.number)
    assert (bj.age_hours, bj.age_class, bj.age_text) == (17.0, "ageing", "17h")  # 9 h Friday + 8 h Monday


@given(start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1)),
       minutes=st.integers(min_value=0, max_value=60 * 24 * 10))
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_working_hours_between_agrees_with_counting_minute_by_minute(app, start, minutes):
    start = start.replace(second=0, microsecond=0, tzinfo=timezone.utc)
    end = start + timedelta(minutes=minutes)
    # Slow but plain: one minute at a time (the spans reach over a weekend and a whole week).
    counted, step = 0, start
    while step < end:
        if step.weekday() in wb.WORKDAYS:
            counted += 1
        step += timedelta(minutes=1)
    assert wb.working_hours_between(start, end) * 60 == pytest.approx(counted)
    assert wb.working_hours_between(end, start) == 0.0


    assert wb.age_text(2.5) == "2h" and wb.age_text(72) == "3d" and wb.age_text(0.25) == "15m"


def test_working_day_calendar():
    wednesday = date(2026, 11, 25)
    assert wb.add_workdays(wednesday, 0) == wednesday
    assert wb.add_workdays(wednesday, 2.5) == date(2026, 11, 27)   # Friday
    assert wb.add_workdays(wednesday, 3) == date(2026, 11, 30)     # over the weekend to Monday
    assert wb.workdays_between(wednesday, date(2026, 12, 2)) == 5
    assert wb.workdays_between(date(2026, 12, 2), wednesday) == -5
    assert wb.add_workdays(date(2026, 11, 28), 0) == date(2026, 11, 30)  # Saturday starts Monday


def _job_row(number, due, ops):
    job = wb.BoardJob(id=hash(number) % 10_000, number=number, status="released", priority=0, part_number="P",
                      part_rev="A", part_description="", customer_code="C", customer_name="C", quantity=100,
                      due_date=due)
    for seq, wc, setup, run, remaining in ops:
        op = wb.BoardOp(id=seq, seq=seq, kind="inhouse", description="", work_center_code=wc, work_center_name=wc,
                        vendor_code=None, vendor_name=None, hours_per_day=8.0, setup_min=float(setup),
                        run_min_per_piece=float(run), turnaround_days=0, good=0, scrap=0)
        op.expected, op.remaining = 100, remaining
        job.ops.append(op)
    return job


def test_schedule_queues_jobs_at_a_work_center_and_flags_late_risk():
    today = date(2026, 11, 23)  # a Monday
    # Job A: 100 pcs at 4.8 min on LATHE = 480 min + 0 setup = 8 h = one 8-hour day.
    a = _job_row("A", date(2026, 12, 4), [(10, "LATHE", 0, "4.8", 100)])
    # Job B waits for A on the lathe (1 day), then 2 days of its own (960 min): finishes Thursday, due Wednesday.
    b = _job_row("B", date(2026, 11, 25), [(10, "LATHE", 0, "9.6", 100)])
    # Job C on the mill: half a day; due Tuesday with a day of slack: at risk (under two days).
    c = _job_row("C", date(2026, 11, 24), [(10, "MILL", 240, 0, 100)])
    wb.schedule([a, b, c], today)
    assert a.ops[0].projected_start == today and a.projected_finish == date(2026, 11, 24)
    assert b.ops[0].projected_start == date(2026, 11, 24)
    assert b.projected_finish == date(2026, 11, 26) and b.risk == wb.RISK_LATE
    assert c.projected_finish == today and c.slack_days == 1 and c.risk == wb.RISK_AT_RISK
    assert a.risk == wb.RISK_OK and a.slack_days == 8
    # The wall tells a job already past due from one projected to miss a later date.
    assert (a.risk_text, b.risk_text, c.risk_text) == ("ON TIME", "LATE +1d", "AT RISK")
    overdue = _job_row("D", date(2026, 11, 20), [(10, "MILL", 0, "1", 10)])
    wb.schedule([overdue], today)
    assert overdue.risk_text == "PAST DUE"


def test_load_board_puts_late_jobs_first(session, make):
    slow = make.part(ops=("lathe",))
    slow.routing[0].run_min_per_piece = Decimal(60)  # 100 pcs x 60 min = 100 h: weeks of work
    late = make.job(slow, due_in_days=3)
    easy = make.job(due_in_days=2)  # 30 + 200 min on each of two ops: done tomorrow at the latest
    make.commit()
    jobs = wb.load_board(session)
    assert [j.number for j in jobs][:2] == [late.number, easy.number]
    assert _one(jobs, late.number).risk == wb.RISK_LATE


def test_board_version_moves_with_every_scan_and_hold(session, make, floor):
    job = make.job()
    make.commit()
    before = wb.board_version(session)
    assert wb.board_version(session) == before
    floor.complete(job, 10, 10)
    make.commit()
    after_scan = wb.board_version(session)
    assert after_scan != before
    job.status = "closed"
    make.commit()
    assert wb.board_version(session) != after_scan


def test_filter_group_and_pages(session, make):
    lathe_part = make.part(ops=("lathe",))
    jobs = [make.job(lathe_part) for _ in range(5)]
    other = make.job()
    make.commit()
    board = wb.load_board(session)
    wc_code = lathe_part.routing[0].work_center.code
    assert {j.number for j in wb.filter_jobs(board, work_center=wc_code.lower())} == {j.number for j in jobs}
    assert [j.number for j in wb.filter_jobs(board, customer=other.part.customer.code)] == [other.number]
    rows = wb.group_rows(board, "wc")
    headings = [r.heading for r in rows if r.heading]
    assert len(headings) == 2 and any(h.endswith("· 5") for h in headings)
    pages = wb.paginate(rows, 4)
    assert all(len(p) <= 4 for p in pages) and sum(1 for p in pages for r in p if r.job) == 6
    assert all(p[0].heading for p in pages)  # every screen says which group it shows


# --- routes ---------------------------------------------------------------------------------

def test_board_needs_login_but_kiosk_takes_the_token(client, make, login_as):
    job = make.job()
    make.commit()
    assert client.get("/board").status_code == 302
    assert client.get("/board/kiosk").status_code == 403
    assert client.get("/board/rows").status_code == 401
    kiosk = client.get("/board/kiosk?token=board-token", follow_redirects=True)
    assert kiosk.status_code == 200 and kiosk.request.path == "/board/kiosk" and not kiosk.request.args
    html = kiosk.get_data(as_text=True)
    assert job.number in html and 'class="topbar"' not in html and "board.js" in html
    assert "board-token" not in html  # the polled fragment's address does not carry the token
    login_as(codes.PLANNER)
    page = client.get("/board").get_data(as_text=True)
    assert job.number in page and 'class="topbar"' in page


def test_the_kiosk_keeps_the_token_in_a_cookie_and_drops_it_from_the_address(client, make):
    job = make.job()
    make.commit()
    first = client.get("/board/kiosk?token=board-token&group=wc&page=2")
    assert first.status_code == 302
    assert first.headers["Location"] == "/board/kiosk?group=wc&page=2"  # the screen's choices stay, the token not
    assert first.headers["Cache-Control"] == "no-store"
    cookie = next(c for c in first.headers.getlist("Set-Cookie") if c.startswith("spex_board="))
    assert cookie.startswith("spex_board=") and "HttpOnly" in cookie and "Path=/board" in cookie
    assert "Max-Age=" in cookie and "board-token" not in cookie
    # Later visits and the polls are let in by the cookie alone.
    board = client.get("/board/kiosk")
    assert board.status_code == 200 and job.number in board.get_data(as_text=True)
    assert any(c.startswith("spex_board=") for c in board.headers.getlist("Set-Cookie"))  # each visit renews it
    poll_url = html_lib.unescape(re.search(r'hx-get="([^"]+)"', board.get_data(as_text=True)).group(1))
    assert "token" not in poll_url
    assert client.get(poll_url).status_code == 204  # let in, and nothing changed
    client.delete_cookie("spex_board", path="/board")
    assert client.get("/board/kiosk").status_code == 403
    assert client.get(poll_url).status_code == 401


def test_a_wrong_board_token_gets_a_clear_refusal_and_no_cookie(client, make):
    make.job()
    make.commit()
    wrong = client.get("/board/kiosk?token=wrong")
    assert wrong.status_code == 403
    assert not any(c.startswith("spex_board=") for c in wrong.headers.getlist("Set-Cookie"))
    assert "The board token in this link is not valid" in wrong.get_data(as_text=True)
    assert client.get("/board/kiosk").status_code == 403
    none = client.get("/board/kiosk").get_data(as_text=True)
    assert "This screen is not authorised" in none


def test_a_new_board_token_ends_the_old_kiosk_cookie(app, client, make, monkeypatch):
    make.job()
    make.commit()
    client.get("/board/kiosk?token=board-token")
    assert client.get("/board/kiosk").status_code == 200
    monkeypatch.setitem(app.config, "SPEX_BOARD_TOKEN", "a-new-token")
    assert client.get("/board/kiosk").status_code == 403
    assert client.get("/board/kiosk?token=a-new-token", follow_redirects=True).status_code == 200


def test_registered_station_sees_the_kiosk_without_a_token(client, make):
    station = make.station(kind="board")
    make.commit()
    client.set_cookie("spex_station", station.token)
    assert client.get("/board/kiosk").status_code == 200


def test_unchanged_board_answers_204_and_304_and_a_scan_repaints(client, make, floor):
    job = make.job()
    make.commit()
    html = client.get("/board/kiosk?token=board-token", follow_redirects=True).get_data(as_text=True)
    poll_url = html_lib.unescape(re.search(r'hx-get="([^"]+)"', html).group(1))
    unchanged = client.get(poll_url, headers={"HX-Request": "true"})
    assert unchanged.status_code == 204 and unchanged.data == b""
    etag = unchanged.headers["ETag"].strip('"')
    # A plain HTTP client: the same URL without htmx's version, with the ETag it was given.
    plain_url = poll_url.replace("v=", "seen=")
    assert client.get(plain_url).status_code == 200
    conditional = client.get(plain_url, headers={"If-None-Match": f'"{etag}"'})
    assert conditional.status_code == 304 and conditional.data == b""

    floor.complete(job, 10, 60)
    make.commit()
    changed = client.get(poll_url, headers={"HX-Request": "true"})
    assert changed.status_code == 200
    body = changed.get_data(as_text=True)
    assert 'id="board"' in body and "<b>60</b><wbr>/100" in body
    assert "<html" not in body  # a fragment, never a whole page


def test_board_survives_odd_query_strings(client, make):
    make.job()
    make.commit()
    for query in ("group=bogus", "page=-1", "page=abc", "page=99999", "wc=" + "X" * 500,
                  "pages=zz&v=1", "v=&pages=3"):
        response = client.get(f"/board/rows?token=board-token&{query}")
        assert response.status_code in (200, 204), query
    # A NUL is refused before the board is read, with a message rather than an error.
    assert client.get("/board/rows?token=board-token&customer=%00").status_code == 400


def test_query_count_is_the_same_for_10_and_500_jobs(app, session, make, client, login_as):
    part = make.part(ops=("lathe", "mill", "deburr"), outside=("anodize",))
    login_as(codes.PLANNER)

    def count_queries(url):
        statements = []

        def _count(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", _count)
        try:
            response = client.get(url)
        finally:
            event.remove(db.engine, "before_cursor_execute", _count)
        assert response.status_code == 200
        return len(statements)

    for _ in range(10):
        make.job(part)
    make.commit()
    page_10 = count_queries("/board")
    rows_10 = count_queries("/board/rows")
    for _ in range(490):
        make.job(part)
    make.commit()
    assert count_queries("/board") == page_10
    assert count_queries("/board/rows") == rows_10
    assert rows_10 <= 10


def test_grouped_board_has_headings_and_a_wall_with_many_jobs_turns_its_pages(app, client, make):
    import re
    lathe = make.part(ops=("lathe",))
    mill = make.part(ops=("mill",))
    for _ in range(5):
        make.job(lathe)
        make.job(mill)
    make.commit()
    app.config.update(SPEX_BOARD_ROWS=20)
    grouped = client.get("/board/rows?token=board-token&group=wc").get_data(as_text=True)
    assert grouped.count('class="board-group"') == 2
    by_customer = client.get("/board/rows?token=board-token&group=customer").get_data(as_text=True)
    assert by_customer.count('class="board-group"') == 2

    # The wall's clock is stepped, not slept on: one page per 15 s slot, and the wall shows every job in turn.
    app.config.update(SPEX_BOARD_ROWS=4, SPEX_BOARD_PAGE_SECONDS=15)
    now = utcnow().replace(microsecond=0)
    start = now - timedelta(seconds=now.timestamp() % 15)  # the start of a page slot
    seen = []
    for step in range(4):
        with clock_at(start + timedelta(seconds=15 * step + 7)):
            body = client.get("/board/rows?token=board-token&kiosk=1").get_data(as_text=True)
        seen.append(int(re.search(r"Page (\d+)/3", body).group(1)))
    assert sorted(set(seen)) == [1, 2, 3]
    assert seen[3] == seen[0]  # after the last page the wall starts again at the first
    with clock_at(start + timedelta(seconds=8)):  # same slot as the first poll: same page
        body = client.get("/board/rows?token=board-token&kiosk=1").get_data(as_text=True)
    assert int(re.search(r"Page (\d+)/3", body).group(1)) == seen[0]


def test_statements_per_board_fragment(client, make):
    make.job()
    make.commit()
    statements = []

    def _count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", _count)
    try:
        assert client.get("/board/rows?token=board-token").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", _count)
    # version, jobs, operations, piece balances, open holds, open shipments, safety-stock programs
    # below their minimum (plus BEGIN on SQLite)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 7, selects


# --- pages: evened out, unreleased jobs on a line of their own, the office's pager -------------------

def _job_rows(count):
    return [wb.BoardRow(job=wb.BoardJob(id=n, number=str(24000 + n), status="released", priority=0, part_number="P",
                                        part_rev="A", part_description="", customer_code="C", customer_name="C",
                                        quantity=10, due_date=date(2026, 12, 1)))
            for n in range(count)]


def test_pages_are_evened_out_and_no_more_than_needed():
    # 25 jobs at 8 a screen: 4 screens either way, but 7/6/6/6 rather than 8/8/8/1.
    sizes = lambda rows, per_page: [len(p) for p in wb.paginate(rows, per_page)]  # noqa: E731
    assert sizes(_job_rows(25), 8) == [7, 6, 6, 6]
    assert sizes(_job_rows(17), 8) == [6, 6, 5]
    assert sizes(_job_rows(16), 8) == [8, 8]
    assert sizes(_job_rows(3), 8) == [3]
    assert sizes([], 8) == [0]
    pages = wb.paginate(_job_rows(25), 8)
    assert [r.job.number for p in pages for r in p] == [r.job.number for r in _job_rows(25)]  # order kept

    # Grouped: headings count as rows; as many screens as filling them would need, none near empty.
    rows = []
    for name, count in (("LATHE-1", 9), ("MILL-1", 5), ("INSPECT", 4)):
        rows.append(wb.BoardRow(heading=f"{name} · {count}"))
        rows.extend(_job_rows(count))
    pages = wb.paginate(rows, 8)
    assert len(pages) == 3 and min(len(p) for p in pages) >= 6, [len(p) for p in pages]
    assert all(p[0].heading for p in pages) and not any(p[-1].heading for p in pages)
    assert sum(1 for p in pages for r in p if r.job) == 18


def _page_of(body):
    import re
    match = re.search(r"Page (\d+)(?:/| of )(\d+)", body)
    return (int(match.group(1)), int(match.group(2))) if match else (1, 1)


def _jobs_on(body):
    import re
    return re.findall(r'<article class="board-job[^"]*" data-job="([^"]+)"', body)


def test_unreleased_jobs_are_named_on_a_line_of_their_own_not_a_page_of_rows(app, client, make):
    released = [make.job() for _ in range(5)]
    planned = [make.job(release=False) for _ in range(3)]
    make.commit()
    app.config.update(SPEX_BOARD_ROWS=3)
    seen = []
    for page in (1, 2):
        body = client.get(f"/board/rows?token=board-token&kiosk=1&page={page}").get_data(as_text=True)
        assert _page_of(body) == (page, 2)  # 5 released jobs at 3 a screen: two screens, not three
        seen.extend(_jobs_on(body))
        line = body[body.index("data-unreleased"):]
        assert "Not yet released · 3" in line and all(f">{j.number}</a>" in line for j in planned)
    assert sorted(seen) == sorted(j.number for j in released)


def test_office_board_stays_on_its_page_and_pages_by_plain_links(app, client, make, login_as):
    import html as html_lib
    import re
    jobs = [make.job() for _ in range(10)]
    make.commit()
    app.config.update(SPEX_BOARD_ROWS=4, SPEX_BOARD_PAGE_SECONDS=15)
    login_as(codes.PLANNER)
    start = datetime(2026, 12, 2, 14, 0, 0, tzinfo=timezone.utc)  # the start of a 15 s slot
    seen = {}
    for step in range(4):  # a minute of wall time: the wall would have turned four times
        with clock_at(start + timedelta(seconds=15 * step + 5)):
            body = client.get("/board").get_data(as_text=True)
            poll_url = html_lib.unescape(re.search(r'hx-get="([^"]+)"', body).group(1))
            polled = client.get(poll_url.replace("v=", "seen="), headers={"HX-Request": "true"}).get_data(as_text=True)
        assert _page_of(body) == (1, 3) and _page_of(polled) == (1, 3)
    seen[1] = _jobs_on(body)
    assert 'rel="prev"' not in body
    next_url = html_lib.unescape(re.search(r'<a class="btn" href="([^"]+)" rel="next">', body).group(1))
    body = client.get(next_url).get_data(as_text=True)  # a plain link: no script needed
    assert _page_of(body) == (2, 3)
    seen[2] = _jobs_on(body)
    assert "page=1" in re.search(r'<a class="btn" href="([^"]+)" rel="prev">', body).group(1)
    body = client.get(html_lib.unescape(re.search(r'href="([^"]+)" rel="next"', body).group(1))).get_data(as_text=True)
    assert _page_of(body) == (3, 3) and 'rel="next"' not in body
    seen[3] = _jobs_on(body)
    assert [len(seen[n]) for n in (1, 2, 3)] == [4, 3, 3]
    assert sorted(n for page in seen.values() for n in page) == sorted(j.number for j in jobs)
    # Filters survive the paging.
    filtered = client.get(f"/board?customer={jobs[0].part.customer.code}").get_data(as_text=True)
    assert _jobs_on(filtered) == [jobs[0].number]


def test_board_settings_are_read_from_the_environment(app, make, monkeypatch):
    from spex import create_app
    for _ in range(3):
        make.job()
    make.commit()
    monkeypatch.setenv("SPEX_BOARD_ROWS", "2")
    monkeypatch.setenv("SPEX_BOARD_PAGE_SECONDS", "40")
    monkeypatch.setenv("SPEX_BOARD_POLL_SECONDS", "7")
    configured = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                             "SECRET_KEY": "test-secret", "SPEX_BOARD_TOKEN": "board-token"})
    try:
        with configured.app_context():
            body = configured.test_client().get("/board/kiosk?token=board-token",
                                                follow_redirects=True).get_data(as_text=True)
    finally:
        with configured.app_context():
            db.engine.dispose()
    assert _page_of(body)[1] == 2  # three jobs at two a screen
    assert 'hx-trigger="every 7s"' in body
    assert (configured.config["SPEX_BOARD_ROWS"], configured.config["SPEX_BOARD_PAGE_SECONDS"]) == (2, 40)

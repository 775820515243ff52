"""The board's kept schedule: worked out once per change of the shop, never stale after a scan or a plan
change, and the same answer as working it out afresh."""
from datetime import timedelta

from spex import codes
from spex.extensions import db
from spex.models import utcnow
from spex.planning.changes import edit_job
from spex.wip import board as wb
from spex.wip import cache


def _row(body: str, number: str) -> str:
    start = body.index(f'data-job="{number}"')
    return body[body.rindex("<article", 0, start):body.index("</article>", start)]


def test_a_scan_makes_the_next_render_show_the_job_on_time_and_a_quiet_render_reads_nothing(client, make, floor, login_as):
    # 1,000 pieces at 2 min each (plus 30 min setup) on one 8-hour shift are 4.3 working days; the
    # clock says Wednesday 25 Nov and the job is due Monday 30 Nov, 3 working days away: LATE.
    job = make.job(quantity=1000, due_in_days=5, ops=("lathe",))
    make.commit()
    url = "/board/rows?token=board-token&page=1"
    row = _row(client.get(url).get_data(as_text=True), job.number)
    assert "risk-late" in row and "LATE +" in row
    assert cache.kept().loads == 1
    client.get(url)
    assert cache.kept().loads == 1  # nothing changed: the kept schedule answered

    floor.complete(job, 10, 950)  # 50 left: 100 minutes, done today
    make.commit()
    row = _row(client.get(url).get_data(as_text=True), job.number)
    assert "risk-ok" in row and "ON TIME" in row
    assert cache.kept().loads == 2

    # A planner pulling the due date in to tomorrow is a plan change: the next render shows it.
    planner = make.user(codes.PLANNER)
    edit_job(db.session, job, user=planner, due_date=job.due_date - timedelta(days=4))
    make.commit()
    assert "risk-at_risk" in _row(client.get(url).get_data(as_text=True), job.number)
    login_as(codes.PLANNER)
    page = client.get(f"/jobs/{job.number}", headers={"Accept": "application/json"}).get_json()
    assert page["risk"]["level"] == "at_risk"
    assert cache.kept().loads == 3


def test_kept_board_is_what_a_fresh_schedule_says(session, make, floor):
    shared = make.part(ops=("lathe", "mill"), outside=("anodize",))
    jobs = [make.job(shared, quantity=q, due_in_days=d) for q, d in ((400, 3), (120, 9), (60, 20), (800, 30))]
    jobs.append(make.job(shared, quantity=50, due_in_days=-2, release=False))
    floor.complete(jobs[1], 10, 100)
    floor.hold(jobs[1], 20, 5)
    floor.complete(jobs[2], 10, 60)
    floor.complete(jobs[2], 20, 60)
    floor.ship_out(jobs[2], 30, 60)
    make.commit()
    now = utcnow()

    def facts(board):
        return [(j.number, j.risk, j.risk_text, j.projected_finish, j.slack_days, j.past_due, j.held_total,
                 j.at_vendor_total, [(o.seq, o.state, o.remaining, o.projected_start, o.projected_finish) for o in j.ops])
                for j in board]

    fresh = wb.load_board(session, now=now)
    kept = cache.open_board(session, now=now)
    assert facts(kept) == facts(fresh)
    assert [cache.aged(j, now).age_hours for j in kept] == [j.age_hours for j in fresh]
    assert {j.risk for j in fresh} >= {"late", "ok"}  # the comparison covers more than one outcome
    assert cache.open_board(session, now=now) is kept  # unchanged shop: the same kept answer
    # A new day is a new schedule even if nothing moved.
    assert cache.open_board(session, now=now + timedelta(days=1)) is not kept


def test_after_scans_the_kept_board_reads_again_only_the_touched_jobs_and_says_what_a_fresh_schedule_says(session, make, floor):
    from spex.production import release_job

    shared = make.part(ops=("lathe", "mill"), outside=("anodize",))
    jobs = [make.job(shared, quantity=q, due_in_days=d) for q, d in ((400, 3), (120, 9), (60, 20), (800, 30), (300, 6))]
    planned = make.job(shared, quantity=50, due_in_days=4, release=False)
    floor.hold(jobs[1], 10, 5)
    make.commit()
    now = utcnow()

    def facts(board):
        return [(j.number, j.status, j.risk, j.risk_text, j.projected_finish, j.slack_days, j.past_due, j.finished,
                 j.held_total, [(o.seq, o.state, o.good, o.waiting, o.remaining, o.projected_start, o.projected_finish)
                                for o in j.ops]) for j in board]

    kept = cache.open_board(session, now=now)
    assert facts(kept) == facts(wb.load_board(session, now=now))
    before = facts(kept)
    board = cache.kept()
    loads, refreshes = board.loads, board.refreshes

    # Scans: the most urgent job's lathe finishes (every job behind it at the lathe starts sooner),
    # another moves on, and the planned job is released; each is only new ledger entries.
    floor.complete(jobs[0], 10, 400)
    make.commit()
    after = cache.open_board(session, now=now)
    assert board.refreshes == refreshes + 1 and board.loads == loads + 1
    assert facts(after) == facts(wb.load_board(session, now=now))
    assert facts(after) != before
    assert facts(kept) == before  # the board kept before is not changed under the requests reading it
    floor.complete(jobs[4], 10, 300)
    floor.complete(jobs[4], 20, 120)
    release_job(session, planned)
    make.commit()
    after = cache.open_board(session, now=now)
    assert board.refreshes == refreshes + 2
    assert facts(after) == facts(wb.load_board(session, now=now))
    assert next(j for j in after if j.id == planned.id).status == "released"

    # A hold is more than a ledger entry: the whole shop is read again.
    floor.hold(jobs[2], 10, 3)
    make.commit()
    after = cache.open_board(session, now=now)
    assert board.refreshes == refreshes + 2 and board.loads == loads + 3
    assert facts(after) == facts(wb.load_board(session, now=now))

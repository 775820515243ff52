"""Plans that can change: a planner edits, splits, cancels and closes short jobs and edits order
releases; every change is kept with who and when, pieces move by ledger entries, the books balance."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from spex import codes, ledger, shopfloor, shoptime
from spex.models import Job, LedgerEntry, Location, PlanChange, Release
from spex.planning import changes
from spex.planning.orders import LineRequest, create_order
from spex.production import PlanningError
from spex.wip.board import load_board


def op(job, seq):
    return next(o for o in job.operations if o.seq == seq)


def at(session, job, seq) -> int:
    return int(ledger.balance(session, ledger.job_item(job.id), ledger.at_operation(op(job, seq).id)))


def plan_changes(session, job) -> list[tuple[str, str, str]]:
    return [(c.what, c.old_value, c.new_value) for c in changes.changes_of_job(session, job)]


@pytest.fixture
def people(make):
    return {"planner": make.user(codes.PLANNER), "operator": make.user(codes.OPERATOR),
            "inspector": make.user(codes.INSPECTOR)}


def test_a_planner_raises_a_released_jobs_quantity_and_the_first_operation_gets_the_pieces(session, make, people):
    job = make.job(quantity=100)
    due = shoptime.today() + timedelta(days=30)
    made = changes.edit_job(session, job, user=people["planner"], quantity=120, due_date=due, priority=5,
                            reason="customer added 20")
    session.commit()
    assert job.quantity == 120 and job.due_date == due and job.priority == 5
    assert at(session, job, 10) == 120
    assert {(c.what, c.old_value, c.new_value) for c in made} == {
        ("quantity", "100", "120"), ("priority", "0", "5"),
        ("due date", (due - timedelta(days=16)).isoformat(), due.isoformat())}
    assert all(c.user_id == people["planner"].id and c.reason == "customer added 20" for c in made)
    entry = session.scalar(select(LedgerEntry).where(LedgerEntry.kind == ledger.REPLAN))
    assert (entry.quantity, entry.from_place, entry.to_place) == (20, None, ledger.at_operation(op(job, 10).id))
    assert ledger.audit(session) == []


def test_the_quantity_cannot_go_below_the_pieces_already_made_and_nothing_is_written(session, make, people):
    job = make.job(quantity=100)
    shopfloor.complete_operation(session, op(job, 10), 30, user=people["operator"])
    session.commit()
    with pytest.raises(PlanningError, match="30 pcs of job .* cannot go below 30"):
        changes.edit_job(session, job, user=people["planner"], quantity=20)
    session.rollback()
    assert session.get(Job, job.id).quantity == 100
    assert session.scalar(select(func.count(PlanChange.id))) == 0
    # Lowering it to what is made or more gives back the pieces still waiting at op 10.
    changes.edit_job(session, job, user=people["planner"], quantity=30)
    session.commit()
    assert at(session, job, 10) == 0 and at(session, job, 20) == 30
    assert op(job, 10).completed_at is not None
    assert ledger.audit(session) == []


def test_only_a_planner_changes_a_job(session, make, people):
    job = make.job(quantity=10)
    with pytest.raises(PlanningError, match="Only a planner"):
        changes.edit_job(session, job, user=people["operator"], priority=3)


def test_a_split_moves_the_waiting_pieces_to_a_new_job_by_ledger_entries(session, make, people):
    job = make.job(quantity=100)
    shopfloor.complete_operation(session, op(job, 10), 60, user=people["operator"])
    session.commit()
    new = changes.split_job(session, job, 25, user=people["planner"], seq=20, reason="ship 25 early")
    session.commit()
    assert (job.quantity, new.quantity, new.status) == (75, 25, "released")
    assert new.number != job.number and new.part_id == job.part_id
    assert (at(session, job, 10), at(session, job, 20)) == (40, 35)
    assert (at(session, new, 10), at(session, new, 20)) == (0, 25)
    # The good count of op 10 went with the pieces; the new job's op 10 is done.
    assert (op(job, 10).qty_good, op(new, 10).qty_good) == (35, 25)
    assert op(new, 10).completed_at is not None
    splits = session.scalars(select(LedgerEntry).where(LedgerEntry.kind == ledger.SPLIT)
                             .order_by(LedgerEntry.id)).all()
    assert [(e.item, e.from_place, e.to_place, int(e.quantity)) for e in splits] == [
        (ledger.job_item(job.id), ledger.at_operation(op(job, 20).id), None, 25),
        (ledger.job_item(new.id), None, ledger.at_operation(op(new, 20).id), 25)]
    assert ("split", "100 pcs", f"75 pcs; 25 pcs to job {new.number}") in plan_changes(session, job)
    assert ledger.audit(session) == []
    # The new job's pieces flow on like any others.
    shopfloor.complete_operation(session, op(new, 20), 25, user=people["operator"])
    session.commit()
    assert int(ledger.balance(session, ledger.job_item(new.id), ledger.finished(new.id))) == 25
    assert op(new, 20).completed_at is not None
    assert ledger.audit(session) == []


def test_a_split_of_more_than_waits_there_is_refused(session, make, people):
    job = make.job(quantity=100)
    shopfloor.complete_operation(session, op(job, 10), 10, user=people["operator"])
    with pytest.raises(PlanningError, match="Only 10 pcs of job .* are waiting at op 20; 25 asked"):
        changes.split_job(session, job, 25, user=people["planner"], seq=20, reason="early")
    with pytest.raises(PlanningError, match="Say why"):
        changes.split_job(session, job, 5, user=people["planner"], seq=20, reason=" ")


def reworked_job(session, make, people):
    """A released 100-piece job (ops 10, 20, 30) whose op 20 had 4 pieces held and reworked at an added
    rework operation, op 21."""
    job = make.job(quantity=100, ops=("lathe", "mill", "deburr"))
    shopfloor.complete_operation(session, op(job, 10), 100, user=people["operator"])
    hold = shopfloor.place_hold(session, op(job, 20), 4, "DIM", user=people["operator"])
    shopfloor.release_hold(session, hold, codes.REWORK, user=people["inspector"], add_rework=True)
    session.commit()
    return job, hold


def good_counts(job) -> dict[int, int]:
    return {o.seq: o.qty_good for o in job.operations}


def test_a_split_after_a_rework_operation_moves_the_good_counts_of_the_routings_operations(session, make, people):
    job, _ = reworked_job(session, make, people)
    shopfloor.complete_operation(session, op(job, 21), 4, user=people["operator"])
    shopfloor.complete_operation(session, op(job, 20), 100, user=people["operator"])
    session.commit()
    new = changes.split_job(session, job, 10, user=people["planner"], seq=30, reason="ship 10 early")
    session.commit()
    # The 10 passed op 10 and op 20 under the old job; the rework operation's 4 stay with its report.
    assert good_counts(job) == {10: 90, 20: 90, 21: 4, 30: 0}
    assert good_counts(new) == {10: 10, 20: 10, 30: 0}
    assert all(o.rework_of_id is None for o in new.operations)
    assert (at(session, job, 30), at(session, new, 30)) == (90, 10)
    shopfloor.complete_operation(session, op(new, 30), 10, user=people["operator"])
    session.commit()
    assert int(ledger.balance(session, ledger.job_item(new.id), ledger.finished(new.id))) == 10
    assert ledger.audit(session) == []


def test_a_split_job_has_the_routing_without_the_rework_operation(session, make, people):
    job, _ = reworked_job(session, make, people)
    new = changes.split_job(session, job, 10, user=people["planner"], seq=20, reason="ship 10 early")
    session.commit()
    assert [o.seq for o in new.operations] == [10, 20, 30]
    assert good_counts(new) == {10: 10, 20: 0, 30: 0}
    # Its op 20 passes its pieces on to op 30, not to a copy of the old job's rework.
    done = shopfloor.complete_operation(session, op(new, 20), 10, user=people["operator"])
    session.commit()
    assert done.following.seq == 30 and at(session, new, 30) == 10
    assert (at(session, job, 20), at(session, job, 21)) == (86, 4)
    assert ledger.audit(session) == []


def test_a_split_of_the_pieces_at_a_rework_operation_is_refused_and_writes_nothing(session, make, people):
    job, hold = reworked_job(session, make, people)
    before = (session.scalar(select(func.count(LedgerEntry.id))), session.scalar(select(func.count(Job.id))))
    with pytest.raises(PlanningError, match=rf"Op 21 reworks the pieces of {hold.ncr.number}"):
        changes.split_job(session, job, 2, user=people["planner"], seq=21, reason="early")
    session.rollback()
    assert (session.scalar(select(func.count(LedgerEntry.id))), session.scalar(select(func.count(Job.id)))) == before
    assert session.scalar(select(func.count(PlanChange.id))) == 0
    assert session.get(Job, job.id).quantity == 100 and at(session, job, 21) == 4


def test_the_split_form_offers_the_routings_operations_only_and_refuses_a_rework_one(client, login_as, session,
                                                                                   make, people):
    job, hold = reworked_job(session, make, people)
    login_as(codes.PLANNER)
    page = client.get(f"/plan/jobs/{job.number}/change").get_data(as_text=True)
    assert "op 20 (96 waiting)" in page and "op 21 (" not in page
    forged = client.post(f"/plan/jobs/{job.number}/change",
                         data={"action": "split", "pieces": "2", "seq": "21", "reason": "early"})
    assert forged.status_code == 422 and f"Op 21 reworks the pieces of {hold.ncr.number}" in forged.get_data(
        as_text=True)
    session.expire_all()
    assert session.scalar(select(func.count(PlanChange.id))) == 0 and at(session, job, 21) == 4
    assert ledger.audit(session) == []


def test_cancel_a_released_job_nobody_worked_and_refuse_one_with_pieces_in_the_flow(session, make, people):
    untouched, planned, worked = make.job(quantity=50), make.job(quantity=20, release=False), make.job(quantity=40)
    shopfloor.complete_operation(session, op(worked, 10), 5, user=people["operator"])
    session.commit()
    changes.cancel_job(session, untouched, user=people["planner"], reason="customer cancelled PO")
    changes.cancel_job(session, planned, user=people["planner"], reason="duplicate")
    session.commit()
    assert (untouched.status, planned.status) == ("cancelled", "cancelled")
    assert at(session, untouched, 10) == 0
    assert ("status", "released", "cancelled") in plan_changes(session, untouched)
    with pytest.raises(PlanningError, match="close it short instead"):
        changes.cancel_job(session, worked, user=people["planner"], reason="no longer needed")
    session.rollback()
    assert session.get(Job, worked.id).status == "released"
    assert ledger.audit(session) == []


def test_close_short_scraps_the_pieces_still_in_the_flow_each_by_a_ledger_entry(session, make, people):
    scrap_bin = make.location(code="SCRAP", kind="scrap")
    job = make.job(quantity=100, ops=("lathe", "mill", "deburr"))
    shopfloor.complete_operation(session, op(job, 10), 70, user=people["operator"])
    shopfloor.complete_operation(session, op(job, 20), 50, user=people["operator"])
    shopfloor.complete_operation(session, op(job, 30), 10, user=people["operator"])
    session.commit()
    with pytest.raises(PlanningError, match="10 finished pcs .* put them away"):
        changes.close_short(session, job, user=people["planner"], disposal=changes.CLOSE_SCRAP, reason="x")
    session.rollback()
    shopfloor.receive_finished_goods(session, job, 10, make.location(code="FG-1", kind="fg"),
                                     user=people["operator"])
    session.commit()
    changes.close_short(session, job, user=people["planner"], disposal=changes.CLOSE_SCRAP,
                        reason="customer took 50")
    session.commit()
    assert job.status == "closed"
    scrapped = session.scalars(select(LedgerEntry).where(LedgerEntry.kind == ledger.SCRAP)
                               .order_by(LedgerEntry.id)).all()
    assert sorted((e.job_operation_id, int(e.quantity), e.to_place) for e in scrapped) == sorted([
        (op(job, 10).id, 30, ledger.at_location(scrap_bin.id)),
        (op(job, 20).id, 20, ledger.at_location(scrap_bin.id)),
        (op(job, 30).id, 40, ledger.at_location(scrap_bin.id))])
    assert [o.qty_scrap for o in job.operations] == [30, 20, 40]
    assert ledger.audit(session) == []


def test_close_short_can_return_the_pieces_to_a_bin_and_refuses_with_pieces_on_hold(session, make, people):
    shelf = make.location(code="WIP-SHELF")
    job, held = make.job(quantity=10), make.job(quantity=10)
    shopfloor.place_hold(session, op(held, 10), 2, "DIM", user=people["inspector"])
    session.commit()
    with pytest.raises(PlanningError, match="on quality hold"):
        changes.close_short(session, held, user=people["planner"], disposal="scrap", reason="stop")
    session.rollback()
    with pytest.raises(PlanningError, match="Choose the bin"):
        changes.close_short(session, job, user=people["planner"], disposal="return", reason="stop")
    session.rollback()
    changes.close_short(session, job, user=people["planner"], disposal=changes.CLOSE_RETURN, reason="on the shelf",
                        bin=session.get(Location, shelf.id))
    session.commit()
    assert int(ledger.balance(session, ledger.job_item(job.id), ledger.at_location(shelf.id))) == 10
    assert session.get(Job, held.id).status == "released" and job.status == "closed"
    assert ledger.audit(session) == []


def test_a_planner_edits_a_release_and_cancels_a_line(session, make, people):
    part = make.part()
    order = create_order(session, part.customer, "PO-1", [
        LineRequest(part.id, 300, "scheduled", shoptime.today() + timedelta(days=10), releases=3),
        LineRequest(part.id, 500, "blanket")])
    scheduled, blanket = order.lines
    first = scheduled.releases[0]
    new_day = first.due_date + timedelta(days=3)
    changes.edit_release(session, first, user=people["planner"], quantity=150, due_date=new_day, reason="pull in")
    session.commit()
    assert (first.quantity, first.due_date, scheduled.quantity) == (150, new_day, 350)
    calloff = Release(line=blanket, kind="calloff", quantity=100, due_date=shoptime.today())
    session.add(calloff)
    session.flush()
    with pytest.raises(PlanningError, match="blanket commits 500 pcs"):
        changes.edit_release(session, calloff, user=people["planner"], quantity=501, due_date=calloff.due_date)
    changes.cancel_line(session, blanket, user=people["planner"], reason="program ended")
    session.commit()
    assert blanket.status == "cancelled"
    whats = {c.what for c in session.scalars(select(PlanChange))}
    assert {"release due " + (new_day - timedelta(days=3)).strftime("%b %d") + ": quantity", "line quantity",
            "status"} <= whats


def test_priority_comes_before_the_due_date_on_the_board(session, make):
    soon = make.job(quantity=10, due_in_days=3)
    later = make.job(quantity=10, due_in_days=20)
    later.priority = 9
    session.commit()
    numbers = [j.number for j in load_board(session)]
    assert numbers.index(later.number) < numbers.index(soon.number)


# --- the pages ----------------------------------------------------------------------------------

def test_the_change_page_records_a_change_and_the_job_page_shows_who_and_what(client, login_as, make, session):
    planner = login_as(codes.PLANNER)
    job = make.job(quantity=100)
    session.commit()
    response = client.post(f"/plan/jobs/{job.number}/change", data={
        "action": "edit", "quantity": "100", "due_date": job.due_date.isoformat(), "priority": "7",
        "reason": "rush for the customer"})
    assert response.status_code == 302
    page = client.get(f"/jobs/{job.number}").get_data(as_text=True)
    assert "Plan changes" in page and "rush for the customer" in page and planner.name in page
    assert "priority" in page


def test_the_change_page_refuses_bad_input_with_a_message_and_writes_nothing(client, login_as, make, session):
    login_as(codes.PLANNER)
    job = make.job(quantity=100)
    shopfloor.complete_operation(session, op(job, 10), 40, user=make.user(codes.OPERATOR))
    session.commit()
    for data, message in [
        ({"action": "edit", "quantity": "10", "due_date": job.due_date.isoformat(), "priority": "0"},
         "cannot go below 40"),
        ({"action": "edit", "quantity": "abc", "due_date": job.due_date.isoformat(), "priority": "0"},
         "must be a whole number"),
        ({"action": "split", "pieces": "500", "seq": "20", "reason": "x"}, "Split between 1 and 99"),
        ({"action": "cancel", "reason": "x"}, "close it short instead"),
        ({"action": "close", "disposal": "melt", "reason": "x"}, "Choose what happens"),
    ]:
        response = client.post(f"/plan/jobs/{job.number}/change", data=data)
        assert response.status_code == 422, data
        assert message in response.get_data(as_text=True)
    session.expire_all()
    assert session.scalar(select(func.count(PlanChange.id))) == 0
    assert session.get(Job, job.id).quantity == 100
    assert ledger.audit(session) == []


def test_a_floor_user_cannot_change_a_plan(client, login_as, make, session):
    login_as(codes.OPERATOR)
    job = make.job(quantity=10)
    session.commit()
    assert client.post(f"/plan/jobs/{job.number}/change", data={"action": "cancel", "reason": "x"}).status_code == 403


def test_the_line_page_edits_a_release_and_refuses_a_release_of_another_line(client, login_as, make, session):
    login_as(codes.PLANNER)
    part = make.part()
    order = create_order(session, part.customer, "PO-9", [
        LineRequest(part.id, 200, "scheduled", shoptime.today() + timedelta(days=7), releases=2),
        LineRequest(part.id, 50, "ship_complete", shoptime.today() + timedelta(days=7))])
    session.commit()
    line, other = order.lines
    release = line.releases[1]
    later = release.due_date + timedelta(days=5)
    response = client.post(f"/plan/orders/lines/{line.id}/change", data={
        "release_id": str(release.id), "quantity": "120", "due_date": later.isoformat(), "reason": "call moved"})
    assert response.status_code == 302
    page = client.get(f"/plan/orders/lines/{line.id}/change").get_data(as_text=True)
    assert "call moved" in page and later.isoformat() in page
    forged = client.post(f"/plan/orders/lines/{other.id}/change", data={
        "release_id": str(release.id), "quantity": "1", "due_date": later.isoformat()})
    assert forged.status_code == 422 and "Choose a release of this line" in forged.get_data(as_text=True)
    session.expire_all()
    assert (session.get(Release, release.id).quantity, session.get(type(line), line.id).quantity) == (120, 220)
    assert client.post(f"/plan/orders/lines/{other.id}/change", data={"action": "cancel", "reason": ""}).status_code == 422
    assert client.post(f"/plan/orders/lines/{other.id}/change",
                       data={"action": "cancel", "reason": "customer dropped it"}).status_code == 302
    assert "cancelled" in client.get("/plan/orders").get_data(as_text=True)

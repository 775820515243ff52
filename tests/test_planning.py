"""The planner's jobs and orders: create and release a job, enter orders of each delivery strategy,
call off against a blanket; bad input answers inline and writes nothing."""
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from spex import codes, ledger
from spex.models import CustomerOrder, Job, OrderLine, Release


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_planner_creates_and_releases_a_job(client, session, make, login_as):
    part = make.part(ops=("lathe", "mill"))
    make.commit()
    login_as(codes.PLANNER)
    due = (date.today() + timedelta(days=20)).isoformat()
    response = client.post("/plan/jobs/new", data={"part_id": part.id, "quantity": "100", "due_date": due})
    assert response.status_code == 302
    job = session.scalar(select(Job))
    assert job.status == "planned" and [o.seq for o in job.operations] == [10, 20]

    listing = client.get("/plan/jobs").get_data(as_text=True)
    assert job.number in listing and "Release" in listing
    released = client.post(f"/plan/jobs/{job.number}/release", headers={"HX-Request": "true"})
    row = released.get_data(as_text=True)
    assert released.status_code == 200 and "100 pcs wait at op 10" in row
    # The whole row comes back: its status agrees with the message and the Release button is gone.
    assert row.lstrip().startswith(f'<tr id="job-{job.number}"') and "<td>released</td>" in row
    assert ">Release</button>" not in row
    session.refresh(job)
    assert job.status == "released"
    assert ledger.balance(session, ledger.job_item(job.id), ledger.at_operation(job.operations[0].id)) == 100
    again = client.post(f"/plan/jobs/{job.number}/release", headers={"HX-Request": "true"})
    assert again.status_code == 422 and "already released" in again.get_data(as_text=True)


@pytest.mark.parametrize("field, value, message", [
    ("quantity", "", "Enter the quantity"),
    ("quantity", "ten", "must be a whole number"),
    ("quantity", "0", "between 1"),
    ("quantity", "9" * 400, "must be a whole number"),
    ("due_date", "31/12/2026", "must be a date"),
    ("due_date", "", "Enter the due date"),
    ("part_id", "999999", "Choose a part"),
    ("part_id", "１２", "whole number"),  # full-width digits: Python's isdigit() takes them, int() too
    ("order_line_id", "424242", "Choose an order line"),
])
def test_bad_job_form_answers_inline_and_writes_nothing(client, session, make, login_as, field, value, message):
    part = make.part()
    make.commit()
    login_as(codes.PLANNER)
    data = {"part_id": str(part.id), "quantity": "10", "due_date": "2026-12-31", field: value}
    response = client.post("/plan/jobs/new", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(session, Job) == 0


def test_operator_cannot_plan(client, login_as):
    login_as(codes.OPERATOR)
    assert client.get("/plan/jobs").status_code == 403
    assert client.post("/plan/jobs/new", data={}).status_code == 403


def test_orders_of_every_strategy_and_a_calloff(client, session, make, login_as):
    customer = make.customer()
    part = make.part(customer=customer)
    make.commit()
    login_as(codes.PLANNER)
    response = client.post("/plan/orders/new", data={
        "customer_id": customer.id, "po_number": "PO-778",
        "part_id_1": part.id, "quantity_1": "1000", "strategy_1": "scheduled", "due_date_1": "2027-01-15",
        "releases_1": "4", "every_days_1": "30",
        "part_id_2": part.id, "quantity_2": "100", "strategy_2": "ship_complete", "due_date_2": "2027-02-01",
        "part_id_3": part.id, "quantity_3": "5000", "strategy_3": "blanket",
    })
    assert response.status_code == 302, response.get_data(as_text=True)
    order = session.scalar(select(CustomerOrder))
    scheduled, complete, blanket = order.lines
    # 1,000 pcs, 250 per month over four months
    assert [(r.quantity, str(r.due_date)) for r in scheduled.releases] == [
        (250, "2027-01-15"), (250, "2027-02-14"), (250, "2027-03-16"), (250, "2027-04-15")]
    assert complete.releases == [] and blanket.releases == []

    ok = client.post(f"/plan/orders/lines/{blanket.id}/calloffs", data={"quantity": "1200", "due_date": "2027-01-05"})
    assert ok.status_code == 302
    over = client.post(f"/plan/orders/lines/{blanket.id}/calloffs", data={"quantity": "3801", "due_date": "2027-02-05"},
                       follow_redirects=True)
    assert "Only 3800 pcs" in over.get_data(as_text=True)
    assert [r.quantity for r in session.scalars(select(Release).where(Release.order_line_id == blanket.id))] == [1200]


def test_uneven_releases_are_refused(client, session, make, login_as):
    customer = make.customer()
    part = make.part(customer=customer)
    make.commit()
    login_as(codes.PLANNER)
    response = client.post("/plan/orders/new", data={
        "customer_id": customer.id, "po_number": "PO-1", "part_id_1": part.id, "quantity_1": "1000",
        "strategy_1": "scheduled", "due_date_1": "2027-01-15", "releases_1": "3"})
    assert response.status_code == 422 and "do not split evenly" in response.get_data(as_text=True)
    assert count(session, OrderLine) == 0


def test_a_job_number_taken_by_another_office_pc_meanwhile_gets_a_clear_message(client, session, make, login_as,
                                                                                saved_meanwhile):
    """On PostgreSQL two planners can save a new job at the same moment and pick the same number."""
    part = make.part(ops=("lathe",))
    make.commit()
    login_as(codes.PLANNER)
    due = (date.today() + timedelta(days=20)).isoformat()
    other_pcs_job = lambda job: {"number": job.number, "part_id": job.part.id, "quantity": 5,  # noqa: E731
                                 "due_date": job.due_date, "status": "planned", "priority": 0}
    with saved_meanwhile(Job, other_pcs_job) as saved:
        response = client.post("/plan/jobs/new", data={"part_id": part.id, "quantity": "100", "due_date": due})
    assert saved and response.status_code == 409
    assert "Saved by someone else at the same moment" in response.get_data(as_text=True)
    session.rollback()
    assert session.scalars(select(Job.quantity)).all() == [5]  # only the other PC's job
    again = client.post("/plan/jobs/new", data={"part_id": part.id, "quantity": "100", "due_date": due})
    assert again.status_code == 302
    taken = saved[0]["number"]
    assert sorted(session.scalars(select(Job.number)).all()) == sorted([taken, str(int(taken) + 1)])

"""The planner's jobs and orders: create and release a job, enter orders of each delivery strategy,
call off against a blanket; bad input answers inline and writes nothing."""
import re
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from spex import codes, ledger, shopfloor, shoptime
from spex.models import CustomerOrder, Job, OrderLine, Release, clock_at


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_planner_creates_and_releases_a_job(client, session, make, login_as):
    part = make.part(ops=("lathe", "mill"))
    make.commit()
    login_as(codes.PLANNER)
    due = (shoptime.today() + timedelta(days=20)).isoformat()
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
    due = (shoptime.today() + timedelta(days=20)).isoformat()
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


# --- the orders page: how each release stands ------------------------------------------------------

def _at(day: date, hour: int = 15) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=timezone.utc)  # the tests' shop clock is UTC


def test_orders_page_shows_ship_dates_late_releases_and_overdue_ones(client, session, make, login_as):
    # Pinned to Wed 2 Dec 2026. Releases due Nov 20 (shipped Nov 19: on time), Nov 23 (shipped Nov 26:
    # late by 3 days), Nov 30 (120 of 250 shipped: 2 days past due, 130 to ship) and Dec 10 (not due yet);
    # a ship-complete line due Nov 27 shipped Nov 28 (late by 1 day).
    today = date(2026, 12, 2)
    admin = make.user(codes.ADMIN)
    part = make.part(ops=("lathe",))
    order = CustomerOrder(number="SO-9001", customer=part.customer, po_number="PO-9001", order_date=date(2026, 11, 1))
    scheduled = OrderLine(line_no=1, part=part, quantity=1000, strategy="scheduled")
    complete = OrderLine(line_no=2, part=part, quantity=50, strategy="ship_complete", due_date=date(2026, 11, 27))
    order.lines += [scheduled, complete]
    releases = [Release(kind="release", due_date=date(2026, 11, d), quantity=250) for d in (20, 23, 30)]
    releases.append(Release(kind="release", due_date=date(2026, 12, 10), quantity=250))
    scheduled.releases += releases
    session.add(order)
    session.flush()
    job = make.job(part, quantity=700)
    with clock_at(_at(date(2026, 11, 18))):
        shopfloor.complete_operation(session, job.operations[0], 700, user=admin)
        lot = shopfloor.receive_finished_goods(session, job, 700, make.location(kind="fg"), user=admin)
    for release, day, amount in ((releases[0], 19, 250), (releases[1], 26, 250), (releases[2], 30, 120)):
        with clock_at(_at(date(2026, 11, day))):
            shopfloor.ship_finished_goods(session, lot, amount, user=admin, release=release)
    with clock_at(_at(date(2026, 11, 28))):
        shopfloor.ship_finished_goods(session, lot, 50, user=admin, order_line=complete)
    make.commit()
    login_as(codes.PLANNER)

    with clock_at(_at(today, 10)):
        page = client.get("/plan/orders").get_data(as_text=True)
    shown = {}
    for release in releases:
        match = re.search(rf'<li class="delivery delivery-(\w+)" data-release="{release.id}">(.*?)</li>', page, re.S)
        assert match, release.due_date
        shown[release.due_date.day] = (match.group(1), re.sub(r"<[^>]+>", "", match.group(2)).strip())
    assert shown[20] == ("shipped", "Release due Nov 20 · 250/250 · shipped Nov 19")
    assert shown[23] == ("shipped_late", "Release due Nov 23 · 250/250 · shipped Nov 26, late by 3 days")
    assert shown[30] == ("overdue", "Release due Nov 30 · 120/250 · PAST DUE by 2 days, 130 pcs to ship")
    assert shown[10] == ("open", "Release due Dec 10 · 0/250 · not shipped yet")
    line = re.search(r'<span class="delivery delivery-(\w+)" data-delivery="line">(.*?)</span>', page, re.S)
    assert (line.group(1), line.group(2)) == ("shipped_late", "due Nov 27 · shipped Nov 28, late by 1 day")

    # On Nov 29 nothing was past due yet: what is red follows the shop's calendar, not the wall clock.
    with clock_at(_at(date(2026, 11, 29), 10)):
        earlier = client.get("/plan/orders").get_data(as_text=True)
    assert "delivery-overdue" not in earlier and "PAST DUE" not in earlier

"""Metrics pages: who may see them, what a bad period or service level answers, and that the number of
queries does not grow with the number of materials."""
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event

from spex import codes, shopfloor, shoptime
from spex.extensions import db
from spex.models import CustomerOrder, OrderLine, Release


@contextmanager
def counting_queries():
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


@pytest.mark.parametrize("url", ["/metrics/", "/metrics/material"])
def test_planner_sees_the_pages_and_an_operator_does_not(client, login_as, url):
    login_as(codes.OPERATOR)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url,text", [("/metrics/", "On-time delivery"), ("/metrics/material", "Reorder suggestions")])
def test_pages_render_for_a_planner(client, login_as, url, text):
    login_as(codes.PLANNER)
    response = client.get(url)
    assert response.status_code == 200
    assert text in response.get_data(as_text=True)


def test_the_nav_links_to_metrics_for_a_planner(client, login_as):
    login_as(codes.PLANNER)
    assert 'href="/metrics/"' in client.get("/metrics/material").get_data(as_text=True)


@pytest.mark.parametrize("query,message", [
    ("start=2026-05-10&end=2026-05-01", "The period must end after it starts"),
    ("start=2026-05-10&end=2026-05-10", "The period must end after it starts"),
    ("start=2026-02-31", "is not a date on the calendar"),
    ("end=31/02/2026", "is not a date on the calendar"),
    ("start=1900-01-01&end=1900-02-01", "not a plausible date"),
    ("start=2020-01-01&end=2026-01-01", "at most three years"),
])
def test_bad_periods_get_a_message_not_an_error(client, login_as, query, message):
    login_as(codes.PLANNER)
    for page in ("/metrics/", "/metrics/material"):
        response = client.get(f"{page}?{query}")
        assert response.status_code == 422, (page, query)
        assert message in response.get_data(as_text=True)


@pytest.mark.parametrize("level,message", [
    ("150", "A service level of 150 % is not possible"), ("150%", "A service level of 150 % is not possible"),
    ("100", "below 100 %"), ("abc", "is not a number"), ("NaN", "is not possible"), ("1e999", "is not possible"),
])
def test_bad_service_levels_get_a_message(client, login_as, level, message):
    login_as(codes.PLANNER)
    response = client.get("/metrics/material", query_string={"service": level})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_a_chosen_service_level_is_shown(client, login_as):
    login_as(codes.PLANNER)
    response = client.get("/metrics/material?service=99.5%25")
    assert response.status_code == 200
    assert "at 99.5 % service" in response.get_data(as_text=True)


def _materials_with_work(session, make, user, count):
    for _ in range(count):
        material = make.material()
        lot = make.lot(material, lengths=(144,))
        job = make.job(make.part(material=material, ops=("lathe",)), quantity=10)
        shopfloor.pull_material(session, lot.units[0], job, 20, user=user)
        shopfloor.scrap_pieces(session, job.operations[0], 1, "DIM", user=user)
        shopfloor.complete_operation(session, job.operations[0], 9, user=user)
        order = CustomerOrder(number=f"SO-{material.id}", customer=job.part.customer, po_number="PO",
                              order_date=shoptime.today() - timedelta(days=20))
        line = OrderLine(line_no=1, part=job.part, quantity=10, strategy="scheduled")
        line.releases.append(Release(kind="release", due_date=shoptime.today() - timedelta(days=2), quantity=10))
        order.lines.append(line)
        order.lines.append(OrderLine(line_no=2, part=job.part, quantity=5, strategy="ship_complete",
                                     due_date=shoptime.today() - timedelta(days=1)))
        session.add(order)
    session.commit()


@pytest.mark.parametrize("url", ["/metrics/", "/metrics/material"])
def test_queries_do_not_grow_with_the_number_of_materials(session, client, make, login_as, url):
    login_as(codes.PLANNER)
    admin = make.user(codes.ADMIN)
    _materials_with_work(session, make, admin, 3)
    with counting_queries() as few:
        assert client.get(url).status_code == 200
    _materials_with_work(session, make, admin, 9)
    with counting_queries() as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few), "a query per material or job crept in:\n" + "\n".join(s[:300] for s in many)

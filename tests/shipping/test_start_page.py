"""Shipping's start page, on a pinned clock (Wednesday 25 Nov 2026, the week ending Sunday 29 Nov):
releases, call-offs and ship-complete lines due this week and overdue, what is ready to ship for each,
and outside shipments due back; what is due next week is not there."""
from datetime import date, datetime, timezone

import pytest

from spex import codes, shopfloor
from spex.models import Release, clock_at
from spex.shipping.start import shipper_work, week_end
from tests.conftest import login

WEDNESDAY = datetime(2026, 11, 25, 15, 0, tzinfo=timezone.utc)


@pytest.fixture
def week(session, shop, part, make):
    with clock_at(WEDNESDAY):
        ready = shop.finished_lot(part, 50, "H5501")
        complete = shop.order(part, 100, po="PO-COMPLETE")  # due Sat 28 Nov; only 50 ready
        scheduled = shop.order(part, 60, strategy="scheduled", releases=(20, 20, 20), po="PO-SCHED")
        scheduled.releases[0].due_date = date(2026, 11, 20)  # overdue
        scheduled.releases[1].due_date = date(2026, 11, 27)  # this week
        scheduled.releases[2].due_date = date(2026, 12, 2)   # next week
        calloff = shop.order(part, 500, strategy="blanket", po="PO-BLANKET")
        calloff.releases.append(Release(kind="calloff", quantity=30, due_date=date(2026, 11, 29)))
        anodized = make.part(ops=("lathe",), outside=("anodize",), customer=part.customer, number="PN-ANOD")
        job = make.job(anodized, quantity=20)
        shopfloor.complete_operation(session, job.operations[0], 20, user=shop.operator)
        soon = shopfloor.ship_out(session, job.operations[1], 12, user=shop.shipping, expected_back=date(2026, 11, 24),
                                  packing_slip="PS-1")
        later = make.job(anodized, quantity=5)
        shopfloor.complete_operation(session, later.operations[0], 5, user=shop.operator)
        shopfloor.ship_out(session, later.operations[1], 5, user=shop.shipping, expected_back=date(2026, 12, 10))
        session.commit()
    return {"ready": ready, "complete": complete, "scheduled": scheduled, "calloff": calloff, "soon": soon}


def test_the_week_ends_on_sunday():
    assert week_end(date(2026, 11, 25)) == date(2026, 11, 29) and week_end(date(2026, 11, 29)) == date(2026, 11, 29)


def test_what_is_due_this_week_and_overdue_with_what_is_ready(session, week):
    work = shipper_work(session, date(2026, 11, 25))
    scheduled, complete, calloff = week["scheduled"], week["complete"], week["calloff"]
    assert [(d.code, d.due, d.left, d.overdue) for d in work["due"]] == [
        (f"REL-{scheduled.releases[0].id}", date(2026, 11, 20), 20, True),
        (f"REL-{scheduled.releases[1].id}", date(2026, 11, 27), 20, False),
        (f"LINE-{complete.id}", date(2026, 11, 28), 100, False),
        (f"REL-{calloff.releases[0].id}", date(2026, 11, 29), 30, False)]
    assert [d.code for d in work["overdue"]] == [f"REL-{scheduled.releases[0].id}"]
    by_code = {d.code: d for d in work["due"]}
    assert [h.lot.barcode for h in by_code[f"LINE-{complete.id}"].ready] == [week["ready"].barcode]
    assert not by_code[f"LINE-{complete.id}"].can_ship and by_code[f"REL-{calloff.releases[0].id}"].can_ship
    assert [s.id for s in work["due_back"]] == [week["soon"].id]


def test_the_shippers_home_page_shows_it(client, session, shop, week):
    login(client, shop.shipping)
    with clock_at(WEDNESDAY):
        html = client.get("/").get_data(as_text=True)
    assert 'id="shipping-work"' in html and "Due by Sun 29 Nov · 4" in html and "(1 overdue)" in html
    scheduled, complete = week["scheduled"], week["complete"]
    assert f'data-due="REL-{scheduled.releases[0].id}" class="overdue"' in html
    assert f"REL-{scheduled.releases[2].id}" not in html  # next week's
    assert f'aria-label="LINE-{complete.id}"' in html  # the code to scan at the bench, as a barcode
    assert f"{week['ready'].barcode} · 50 pcs in" in html and "not enough to ship it complete" in html
    assert "PS-1" in html and "Tue 24 Nov" in html and "12</b>" in html


def test_other_roles_do_not_get_shippings_list(client, make, week):
    login(client, make.user(codes.PLANNER))
    assert 'id="shipping-work"' not in client.get("/").get_data(as_text=True)

"""A bar held for a customer (material stocking agreement) at the station: another customer's job is
refused with the reason and nothing is written; the customer's own job may pull it; once a planner
releases the bar (who, when, why kept) the other job's pull goes through."""
from __future__ import annotations

from spex import codes
from spex.materials import stocking
from spex.models import StockingRelease
from tests.scan.conftest import entries


def test_a_held_bar_is_refused_to_another_customers_job_until_released(scan, shop, session, make):
    holder = make.customer()
    shop.lot.customer_id = holder.id
    planner = make.user(codes.PLANNER, name="Pat Planner")
    session.commit()
    bar = shop.lot.units[0]
    before = entries(session)
    refused = scan.all(shop.operator.barcode, bar.barcode, shop.job.barcode, "40")[-1]
    assert refused.status == 422 and refused.outcome == "refused"
    assert (f"{bar.barcode} is held for {holder.name} under their material stocking agreement; job "
            f"{shop.job.number} is for {shop.job.part.customer.name} — a planner must release the bar") in refused.html
    assert entries(session) == before

    stocking.release_bar(session, bar, "Customer agreed by phone to lend one bar", user=planner)
    session.commit()
    answers = scan.all(bar.barcode, shop.job.barcode, "40")
    assert answers[-1].outcome == "done" and f"Pulled 40 in of {bar.barcode}" in answers[-1].headline
    assert entries(session) == before + 1
    release = session.query(StockingRelease).one()
    assert (release.user_id, release.customer_id, release.reason) == (planner.id, holder.id,
                                                                       "Customer agreed by phone to lend one bar")


def test_the_customers_own_job_pulls_its_held_bar(scan, shop, session):
    shop.lot.customer_id = shop.job.part.customer_id
    session.commit()
    bar = shop.lot.units[1]
    answers = scan.all(shop.operator.barcode, bar.barcode, shop.job.barcode, "40")
    assert answers[-1].outcome == "done"

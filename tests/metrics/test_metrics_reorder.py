"""Reorder maths with hand-worked figures: daily usage from pulls, safety stock, ROP, EOQ, ABC."""
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from spex import codes, shopfloor, shoptime
from spex.metrics.material import material_needs
from spex.metrics.reorder import (ReorderError, abc_classes, daily_usage, eoq, part_batches, reorder_lines,
                                  reorder_point, safety_stock, usage_of, z_for)
from spex.models import CustomerOrder, OrderLine, clock_at
from spex.purchasing.needs import buy_list

DAY1 = date(2026, 3, 2)


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=timezone.utc)


def test_z_of_a_service_level_and_the_refusals():
    assert z_for(0.95) == pytest.approx(1.6449, abs=1e-4)
    assert z_for(0.99) == pytest.approx(2.3263, abs=1e-4)
    for bad in (1.5, 1.0, 0.2):
        with pytest.raises(ReorderError):
            z_for(bad)


def test_safety_stock_and_reorder_point_by_hand():
    # Pulls of 10, 20, 30 in over 3 days: d̄ = 20, σ = 10 (sample). L = 4 days, z(95 %) = 1.645:
    # SS = 1.645 · 10 · √4 = 32.9; ROP = 20 · 4 + 32.9 = 112.9.
    usage = usage_of([Decimal(10), Decimal(20), Decimal(30)])
    assert (usage.mean, usage.stdev) == (20, 10)
    ss = safety_stock(1.645, usage.stdev, 4)
    assert ss == pytest.approx(32.9)
    assert reorder_point(usage.mean, 4, ss) == pytest.approx(112.9)


def test_lead_time_variability_adds_demand_during_the_extra_days():
    # σ_L = 1 day: SS = 1.645 · √(4 · 10² + 20² · 1²) = 1.645 · √800 = 1.645 · 28.284 = 46.53
    assert safety_stock(1.645, 10, 4, mean_daily=20, stdev_lead_days=1) == pytest.approx(46.527, abs=1e-3)


def test_eoq_by_hand():
    # D = 1,000 in a year, S = $50 an order, H = $2.50 per unit a year: √(2·1000·50/2.5) = √40,000 = 200
    assert eoq(1000, 50, 2.5) == pytest.approx(200)
    assert eoq(0, 50, 2.5) is None and eoq(1000, 0, 2.5) is None and eoq(1000, 50, 0) is None


def test_abc_by_annual_usage_value():
    # Total 1,000: 500 (0 % before → A), 300 (50 % → A), 120 (80 % → B), 50 (92 % → B), 30 (97 % → C); 0 → C
    values = {"a": 500, "b": 300, "c": 120, "d": 50, "e": 30, "f": 0}
    assert abc_classes(values) == {"a": "A", "b": "A", "c": "B", "d": "B", "e": "C", "f": "C"}


def test_daily_usage_from_pulls_nets_out_undo_and_remnants(session, make):
    operator = make.user(codes.OPERATOR)
    material = make.material()
    material.lead_time_days = 4
    bin = make.location()
    with clock_at(at(DAY1 - timedelta(days=5))):
        lot = make.lot(material, bin, lengths=(144, 144))
    bar, other = lot.units
    job = make.job(make.part(material=material), quantity=100)
    with clock_at(at(DAY1)):
        shopfloor.pull_material(session, bar, job, 10, user=operator)
    with clock_at(at(DAY1 + timedelta(days=1))):
        shopfloor.pull_material(session, bar, job, 20, user=operator)
    with clock_at(at(DAY1 + timedelta(days=2))):
        shopfloor.pull_material(session, other, job, 35, user=operator)
    with clock_at(at(DAY1 + timedelta(days=2), 11)):
        shopfloor.return_remnant(session, other, 5, bin, user=operator)  # 35 pulled − 5 back = 30 used
    with clock_at(at(DAY1 + timedelta(days=2), 12)):
        shopfloor.pull_material(session, bar, job, 7, user=operator)
        shopfloor.undo_last(session, user=operator)  # a pull undone leaves no trace
    session.commit()

    usage = daily_usage(session, DAY1, DAY1 + timedelta(days=3))
    assert usage[material.id] == [10, 20, 30]

    # d̄ = 20, σ = 10, L = 4 days, 95 %: SS = 1.6449 · 10 · 2 = 32.9, ROP = 80 + 32.9 = 112.9
    lines = reorder_lines(session, material_needs(session), start=DAY1, end=DAY1 + timedelta(days=3),
                          service_level=0.95)
    line = next(line for line in lines if line.material.id == material.id)
    assert line.safety_stock == pytest.approx(32.9, abs=0.01)
    assert line.reorder_point == pytest.approx(112.9, abs=0.01)


def test_order_suggestion_uses_the_planners_levels(session, make):
    # 144 in on hand, no usage; the planner set reorder point 288 and max 1,440: order 1,440 − 144 = 1,296.
    material = make.material(reorder_point=Decimal(288), min_qty=Decimal(144), max_qty=Decimal(1440),
                             unit_cost=Decimal("0.5"), order_cost=Decimal(75))
    make.lot(material, lengths=(144,))
    session.commit()
    today = shoptime.today()
    line = next(line for line in reorder_lines(session, material_needs(session), start=today - timedelta(days=30),
                                               end=today + timedelta(days=1), service_level=0.95)
                if line.material.id == material.id)
    assert (line.trigger, line.order_now, line.suggested_qty) == (288, True, 1296)
    assert line.eoq is None  # no usage, no economic quantity


def test_part_batch_is_eoq_with_setup_cost(session, make):
    # D = 2,400 pcs ordered in the year, S = $150 setup, H = 25 % of $12.50 = $3.125:
    # √(2 · 2400 · 150 / 3.125) = √230,400 = 480 pcs
    part = make.part()
    part.unit_price, part.setup_cost = Decimal("12.50"), Decimal(150)
    today = date(2026, 6, 1)
    order = CustomerOrder(number="SO-1", customer=part.customer, po_number="PO-1", order_date=today - timedelta(days=30))
    order.lines.append(OrderLine(line_no=1, part=part, quantity=2000))
    order.lines.append(OrderLine(line_no=2, part=part, quantity=400))
    old = CustomerOrder(number="SO-0", customer=part.customer, po_number="PO-0", order_date=today - timedelta(days=400))
    old.lines.append(OrderLine(line_no=1, part=part, quantity=999))  # over a year ago: not counted
    session.add_all([order, old])
    session.commit()
    batch = next(b for b in part_batches(session, today) if b.part.id == part.id)
    assert batch.annual_demand == 2400
    assert batch.batch == pytest.approx(480)


def test_buy_now_covers_job_shortfalls_and_restocking(session, make):
    # A per-job material: 0 on hand, a 100-piece job at 1.25 in → buy 125 in.
    # A stocked material: 144 on hand, a 100-piece job needs 125 → position 19, below its reorder point 288:
    # order up to max 1,440 − 19 = 1,421 in (which also covers the job).
    special = make.material(unit_cost=Decimal(2))
    special.stocking = "per_job"
    stocked = make.material(reorder_point=Decimal(288), max_qty=Decimal(1440), unit_cost=Decimal("0.5"))
    make.lot(stocked, lengths=(144,))
    make.job(make.part(material=special), quantity=100, release=False)
    make.job(make.part(material=stocked), quantity=100, release=False)
    session.commit()
    today = shoptime.today()
    needs = material_needs(session)
    lines = reorder_lines(session, needs, start=today - timedelta(days=30), end=today + timedelta(days=1),
                          service_level=0.95)
    buy = {b.material.id: b for b in buy_list(session, needs=needs, lines=lines)}
    assert (buy[special.id].for_jobs, buy[special.id].quantity, buy[special.id].cost) == (125, 125, 250)
    assert (buy[stocked.id].for_jobs, buy[stocked.id].quantity) == (0, 1421)

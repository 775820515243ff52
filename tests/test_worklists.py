"""Each role's start page is its work: the planner's late and at-risk jobs (with the board's own
badge), buy now; the material handler's remnants to put away and received lots on hold."""
from __future__ import annotations

import csv
import io
import re

import pytest

from spex import codes, production, shopfloor
from spex.models import Location, MaterialLot, PrintJob, ReceivingHold, StockUnit

pytestmark = pytest.mark.usefixtures("shop_clock")  # Wednesday 25 Nov 2026, 17:00 UTC


def _badge(body: str, number: str) -> str:
    """The risk badge in the row of job `number` (board article or table row)."""
    start = body.index(f'data-job="{number}"')
    return re.search(r'<span class="risk-badge[^"]*" data-risk="[^"]+">[^<]*</span>', body[start:]).group(0)


def late_job(make, **kw):
    # 30 min setup + 1,000 pieces at 2 min on one 8-hour shift are 4.2 working days from Wednesday 25 Nov:
    # finished Tuesday 1 Dec, one working day after its due date, Monday 30 Nov: LATE +1d.
    return make.job(quantity=1000, due_in_days=5, ops=("lathe",), **kw)


def test_planner_lands_on_late_jobs_with_the_boards_badge(client, make, login_as):
    late = late_job(make)
    on_time = make.job(quantity=10, due_in_days=20)
    past_due = make.job(quantity=10, due_in_days=-1, release=False)
    make.commit()
    board = client.get("/board/rows?token=board-token&page=1").get_data(as_text=True)
    login_as(codes.PLANNER)
    home = client.get("/").get_data(as_text=True)
    section = home[home.index('id="work-late-jobs"'):home.index("</section>", home.index('id="work-late-jobs"'))]
    assert "Late and at-risk jobs · 2" in section
    assert f'data-job="{late.number}"' in section and f'data-job="{on_time.number}"' not in section
    assert _badge(section, late.number) == _badge(board, late.number) == \
        '<span class="risk-badge risk-late" data-risk="late">LATE +1d</span>'
    assert "PAST DUE" in _badge(section, past_due.number)
    # The job page and the planner's job list wear the same badge.
    job_page = client.get(f"/jobs/{late.number}").get_data(as_text=True)
    assert _badge(board, late.number) in job_page
    jobs_list = client.get("/plan/jobs").get_data(as_text=True)
    assert _badge(jobs_list, late.number) == _badge(board, late.number)
    assert _badge(jobs_list, on_time.number).endswith(">ON TIME</span>")

    download = client.get("/start/late-jobs.csv")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True))))
    assert rows[0][:2] == ["job", "risk"]
    # In the board's order: both late, the earlier due date first.
    assert [r[:2] for r in rows[1:]] == [[past_due.number, "PAST DUE"], [late.number, "LATE +1d"]]


def test_planner_sees_buy_now_and_that_no_count_waits(client, make, login_as):
    job = make.job(quantity=500, due_in_days=10)  # 500 × 1.25 in of bar, and none on hand
    make.commit()
    login_as(codes.PLANNER)
    home = client.get("/").get_data(as_text=True)
    assert 'id="work-buy-now"' in home
    buy = home[home.index('id="work-buy-now"'):]
    buy = buy[:buy.index("</section>")]
    assert "Buy now · 1" in buy
    # 500 pieces × 1.25 in of bar each, in the buy list's words
    assert f"order 625 in of {job.part.material.label}" in buy, buy
    counts = home[home.index('id="work-counts-waiting"'):]
    assert "Counts waiting approval · 0" in counts and "No count waits for approval." in counts


def test_material_handler_lands_on_remnants_and_receiving_holds(client, make, session, login_as):
    rack = make.location(kind="bin")
    cart = make.location(kind="cart", code="CART-LATHE")
    lot = make.lot(bin=rack, lengths=(144, 144))
    job = make.job(quantity=10, material=lot.material)
    operator = make.user(codes.OPERATOR)
    bar = session.query(StockUnit).filter_by(lot_id=lot.id).order_by(StockUnit.id).first()
    shopfloor.pull_material(session, bar, job, 100, user=operator)
    on_cart = shopfloor.return_remnant(session, bar, 40, cart, user=operator)
    in_rack = shopfloor.return_remnant(session, bar, 30, rack, user=operator)
    session.add(PrintJob(kind="remnant", code=in_rack.barcode, status="failed"))
    held = MaterialLot(number="H-77", material_id=lot.material_id, heat_number="HX9", supplier="Mill Co")
    session.add(held)
    session.flush()
    session.add(ReceivingHold(lot_id=held.id, reason="No mill cert"))
    make.commit()
    login_as(codes.MATERIAL_HANDLER)
    home = client.get("/").get_data(as_text=True)
    remnants = home[home.index('id="work-remnants"'):]
    remnants = remnants[:remnants.index("</section>")]
    assert "Remnants to put away · 2" in remnants
    assert on_cart.barcode in remnants and "CART-LATHE (cart): put it in a bin" in remnants
    assert in_rack.barcode in remnants and "label not printed" in remnants
    receiving = home[home.index('id="work-receiving"'):]
    assert "LOT-H-77" in receiving and "No mill cert" in receiving
    assert home.index('id="work-receiving"') < home.index('id="work-remnants"')
    rows = list(csv.reader(io.StringIO(client.get("/start/remnants.csv").get_data(as_text=True))))
    assert sorted(r[0] for r in rows[1:]) == sorted([on_cart.barcode, in_rack.barcode])
    # Another role's list is not downloadable from here.
    assert client.get("/start/late-jobs.csv").status_code == 404


def test_operator_start_page_has_no_work_list(client, make, login_as):
    login_as(codes.OPERATOR)
    assert 'class="card work-section"' not in client.get("/").get_data(as_text=True)

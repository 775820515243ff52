"""Bar planning by length: cut length, bars per job, the cut plan (remnants first), the shortest usable
remnant, and yield planned and actual — each with its figures worked by hand."""
import io
from decimal import Decimal as D

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from spex import codes, ledger, production, shopfloor
from spex.metrics.material import actual_job_yield, planned_part_yield
from spex.models import CutPlanLine, LedgerEntry, StockUnit
from spex.planning import bars, cutplan
from spex.shopfloor.rules import FloorError
from tests.conftest import login

# The shop's figures for every test below:
#   1.000 in round 303, 0.2230 lb an inch (as the supplier states it), 144 in bars,
#   6 in chuck/bar end, 0.125 in saw kerf, 7.25 in the shortest remnant worth keeping.
#   Part: finished 2.375 in, facing 0.030 in, no cutoff width of its own (the saw's kerf is used),
#   finished weight 0.400 lb.
#   cut length = 2.375 + 0.030 + 0.125 = 2.530 in


def _material(make, **kw):
    figures = dict(typical_bar_length_in=D("144"), bar_end_in=D("6"), kerf_in=D("0.125"),
                   min_remnant_in=D("7.25"), weight_per_in_lb=D("0.2230"))
    figures.update(kw)
    return make.material(**figures)


def _part(make, material):
    part = make.part(material=material, ops=("lathe",))
    part.finished_length_in, part.facing_allowance_in, part.cutoff_width_in = D("2.375"), D("0.030"), None
    part.bar_length_per_piece = D("2.530")
    part.finished_weight_lb = D("0.400")
    return part


def _stock(make, material, rack, lengths, *, remnant=False, heat="H1"):
    lot = make.lot(material, bin=rack, lengths=lengths, heat=heat)
    if remnant:
        for unit in lot.units:
            unit.kind = "remnant"
    make.session.flush()
    return lot.units


def test_cut_length_pieces_bars_and_drop_of_the_part(make, session):
    material = _material(make)
    part = _part(make, material)
    # cut = 2.375 finished + 0.030 facing + 0.125 kerf (the material's: the part names none) = 2.530 in
    assert bars.kerf_of(part) == D("0.125")
    assert bars.part_cut_length(part) == D("2.530")
    # usable = 144 - 6 = 138 in; 138 / 2.530 = 54.54 -> 54 pieces a bar
    # drop of a full bar = 144 - 54 x 2.530 = 144 - 136.62 = 7.38 in
    # 120 pieces / 54 = 2.2 -> 3 whole bars = 432 in; the last bar cuts 120 - 2 x 54 = 12 pieces:
    # 144 - 12 x 2.530 = 144 - 30.36 = 113.64 in left
    shown = bars.for_part(part, quantities=(120,))
    assert (shown.cut_length, shown.usable_length, shown.pieces_per_bar, shown.drop_per_bar) == (
        D("2.530"), D("138"), 54, D("7.380"))
    assert shown.rows == ((120, 3, D("432"), D("113.640")),)
    # A cutoff width of the part's own wins over the saw's kerf: 2.375 + 0.030 + 0.100 = 2.505 in
    part.cutoff_width_in = D("0.100")
    assert bars.part_cut_length(part) == D("2.505")


def test_blanks_per_plate_by_a_grid_of_blank_and_kerf():
    # plate 12 x 24, blank 4 x 4, kerf 0.125: 12 / 4.125 = 2.9 -> 2 across, 24 / 4.125 = 5.8 -> 5 along = 10
    assert bars.blanks_per_plate(D("12"), D("24"), D("4"), D("4"), D("0.125")) == 10
    # without kerf: 3 x 6 = 18
    assert bars.blanks_per_plate(D("12"), D("24"), D("4"), D("4")) == 18
    # a 3 x 5 blank on 12 x 24: as given 12/3.125 = 3 x 24/5.125 = 4 -> 12;
    # turned 12/5.125 = 2 x 24/3.125 = 7 -> 14: the turned grid is taken
    assert bars.blanks_per_plate(D("12"), D("24"), D("3"), D("5"), D("0.125")) == 14


def test_the_cut_plan_takes_remnants_first_shortest_that_still_gives_a_piece(make, session):
    material = _material(make)
    part = _part(make, material)
    rack = make.location("R9-A01")
    r8, r20, r40 = _stock(make, material, rack, (8, 20, 40), remnant=True, heat="H-REM")
    bar1, bar2 = _stock(make, material, rack, (144, 144), heat="H-BAR")
    job = make.job(part, quantity=30, release=False)
    plan = cutplan.propose(session, job)
    # 8 in remnant: 8 - 6 bar end = 2 in < 2.530: no piece, stays on the rack.
    # 20 in remnant: (20 - 6) / 2.530 = 5.53 -> 5 pcs; drop 20 - 5 x 2.530 = 7.35 in >= 7.25: a remnant
    # 40 in remnant: (40 - 6) / 2.530 = 13.4 -> 13 pcs; drop 40 - 32.89 = 7.11 in < 7.25: scrap
    # 30 - 5 - 13 = 12 pcs from a full bar: drop 144 - 12 x 2.530 = 113.64 in back as a remnant
    # pull 20 + 40 + 144 = 204 in; the second bar is not touched
    assert [(line.unit.id, line.pieces, line.drop, line.verdict) for line in plan.lines] == [
        (r20.id, 5, D("7.350"), "remnant"), (r40.id, 13, D("7.110"), "scrap"), (bar1.id, 12, D("113.640"), "remnant")]
    assert plan.pieces == 30 and plan.short == 0 and plan.material_required == D("204")
    # Three pieces: the 20 in remnant alone (the shortest that gives 3), not the 40 in or a bar.
    small = make.job(part, quantity=3, release=False)
    assert [(line.unit.id, line.pieces) for line in cutplan.propose(session, small).lines] == [(r20.id, 3)]
    # Released, the plan is kept, and another job's plan does not take the same units.
    production.release_job(session, job)
    kept = session.scalars(select(CutPlanLine).where(CutPlanLine.job_id == job.id).order_by(CutPlanLine.seq)).all()
    assert [k.stock_unit_id for k in kept] == [r20.id, r40.id, bar1.id]
    other = cutplan.propose(session, small)
    assert [(line.unit.id, line.pieces) for line in other.lines] == [(bar2.id, 3)]


def test_a_job_beyond_the_stock_on_hand_says_how_many_bars_to_buy(make, session):
    material = _material(make)
    part = _part(make, material)
    _stock(make, material, make.location(), (144,))
    job = make.job(part, quantity=200, release=False)
    plan = cutplan.propose(session, job)
    # one bar gives 54; 200 - 54 = 146 pcs short; 146 / 54 = 2.7 -> buy 3 bars
    assert (plan.pieces, plan.short, plan.to_buy) == (54, 146, 3)
    assert "146 pcs not covered by stock: buy 3 bars" in plan.summary


def test_a_drop_shorter_than_the_shortest_remnant_goes_to_scrap(make, session):
    material = _material(make)
    part = _part(make, material)
    operator = make.user(codes.OPERATOR)
    rack = make.location()
    (bar,) = _stock(make, material, rack, (144,))
    job = make.job(part, quantity=10)
    shopfloor.pull_material(session, bar, job, 144, user=operator)
    # 7 in < 7.25 in: refused as a remnant, nothing written, said to go to scrap
    before = session.scalar(select(func.count(LedgerEntry.id)))
    assert "scrap bin" in shopfloor.too_short_for_remnant(bar, "7")
    with pytest.raises(FloorError, match=r"shorter than 7\.25 in, the shortest usable remnant"):
        shopfloor.return_remnant(session, bar, "7", rack, user=operator)
    assert session.scalar(select(func.count(LedgerEntry.id))) == before
    # exactly 7.25 in is kept
    assert shopfloor.too_short_for_remnant(bar, "7.25") is None


def test_planned_and_actual_yield_with_a_remnant_returned(make, session):
    material = _material(make)
    part = _part(make, material)
    operator = make.user(codes.OPERATOR)
    rack = make.location()
    (bar,) = _stock(make, material, rack, (144,))
    # planned, a piece: 2.530 in x 0.2230 lb/in = 0.564190 lb of bar; 0.400 / 0.56419 = 70.898 % -> 70.9 %
    planned = planned_part_yield(part)
    assert planned.stock_lb == D("0.5641900") and round(planned.rate * 100, 1) == D("70.9")
    job = make.job(part, quantity=10)
    shopfloor.pull_material(session, bar, job, 144, user=operator)
    shopfloor.complete_operation(session, job.operations[0], 10, user=operator)
    remnant = shopfloor.return_remnant(session, bar, "118.5", rack, user=operator)
    entry = session.scalar(select(LedgerEntry).where(LedgerEntry.stock_unit_id == remnant.id))
    assert entry.kind == ledger.REMNANT and entry.job_id == job.id  # credited to the job the bar went to
    # actual: pulled 144 in - 118.5 in back = 25.5 in consumed x 0.2230 = 5.6865 lb;
    # finished 10 x 0.400 = 4.000 lb; 4.000 / 5.6865 = 70.342 % -> 70.3 %
    # (without the credit: 4.000 / (144 x 0.2230 = 32.112) = 12.5 %, understated)
    actual = actual_job_yield(session, job)
    assert (actual.pulled, actual.returned, actual.consumed) == (D("144"), D("118.5"), D("25.5"))
    assert actual.consumed_lb == D("5.68650") and actual.finished_lb == D("4.000")
    assert round(actual.rate * 100, 1) == D("70.3")
    # the return undone: the credit goes with it (144 in consumed again)
    ledger.reverse(session, entry)
    assert actual_job_yield(session, job).consumed == D("144")


def _released_job_with_stock(make, session):
    material = _material(make, code="303-RD-1.000")
    part = _part(make, material)
    rack = make.location("R9-B01")
    (r20,) = _stock(make, material, rack, (20,), remnant=True, heat="H-REM")
    (bar,) = _stock(make, material, rack, (144,), heat="H-BAR")
    job = make.job(part, quantity=10, release=False)
    return part, job, r20, bar, rack


def test_the_release_page_shows_the_cut_plan_and_releasing_keeps_it(client, make, session, login_as):
    part, job, r20, bar, _rack = _released_job_with_stock(make, session)
    make.commit()
    login_as(codes.PLANNER)
    page = client.get(f"/plan/jobs/{job.number}/release").get_data(as_text=True)
    plan = page[page.index('id="cut-plan"'):]
    # 20 in remnant: 5 pcs, drop 7.35 in (a remnant); then the bar: 5 pcs, drop 144 - 12.65 = 131.35 in
    assert "proposed from stock on hand" in plan
    assert plan.index(r20.barcode) < plan.index(bar.barcode)
    assert "Cut length <b>2.53 in</b>" in plan and "131.35" in plan
    released = client.post(f"/plan/jobs/{job.number}/release", headers={"HX-Request": "true"})
    text = released.get_data(as_text=True)
    assert released.status_code == 200 and f"Pull {r20.barcode} (remnant, 20 in): 5 pcs" in text
    assert session.scalar(select(func.count(CutPlanLine.id)).where(CutPlanLine.job_id == job.id)) == 2
    again = client.get(f"/plan/jobs/{job.number}/release").get_data(as_text=True)
    assert "proposed from stock on hand" not in again and r20.barcode in again
    assert client.get("/plan/jobs/NOPE/release").status_code == 404


def test_the_job_page_shows_the_plan_and_its_yield(client, make, session, login_as):
    part, job, r20, bar, rack = _released_job_with_stock(make, session)
    production.release_job(session, job)
    operator = make.user(codes.OPERATOR)
    shopfloor.pull_material(session, bar, job, 144, user=operator)
    shopfloor.complete_operation(session, job.operations[0], 10, user=operator)
    shopfloor.return_remnant(session, bar, "118.5", rack, user=operator)
    make.commit()
    login_as(codes.PLANNER)
    page = client.get(f"/jobs/{job.number}").get_data(as_text=True)
    assert r20.barcode in page[page.index('id="cut-plan"'):]
    shown = page[page.index('id="job-yield"'):]
    # as worked above: planned 70.9 %, 25.5 in consumed = 5.7 lb, 4.0 lb finished, actual 70.3 %
    assert "70.9 %" in shown and "118.5 in" in shown and "25.5 in" in shown and "5.7 lb" in shown
    assert '<b class="yield-rate">70.3 %</b>' in shown


def test_the_part_page_shows_the_planned_yield(client, make, session, login_as):
    material = _material(make)
    part = _part(make, material)
    make.commit()
    login_as(codes.PLANNER)
    page = client.get(f"/masters/parts/{part.id}").get_data(as_text=True)
    shown = page[page.index('id="part-yield"'):]
    assert "<b>2.53 in</b> of bar, <b>0.564 lb</b>" in shown and "<b>0.400 lb</b>" in shown
    assert '<b class="yield-rate">70.9 %</b>' in shown
    # the bar plan uses the material's kerf when the part has no cutoff width of its own
    assert "<b>0.125</b> cutoff" in page


def test_the_material_form_takes_kerf_minimum_remnant_and_weight_per_inch(client, make, session, login_as):
    material = _material(make, kerf_in=None, min_remnant_in=None, weight_per_in_lb=None)
    make.commit()
    login_as(codes.PLANNER)
    form = client.get(f"/masters/materials/{material.id}").get_data(as_text=True)
    for name in ("kerf_in", "min_remnant_in", "weight_per_in_lb"):
        assert f'name="{name}"' in form


def test_the_traveler_shows_the_cut_plan_in_html_and_pdf(client, make, session, login_as):
    part, job, r20, bar, _rack = _released_job_with_stock(make, session)
    production.release_job(session, job)
    make.commit()
    login_as(codes.PLANNER)
    page = client.get(f"/labels/traveler/{job.number}").get_data(as_text=True)
    shown = page[page.index('id="traveler-cut-plan"'):]
    assert "Cut 2.53 in a piece, bar end 6 in" in shown and f"{r20.barcode} (remnant, 20 in): 5 pcs" in shown
    pdf = client.get(f"/labels/traveler/{job.number}.pdf")
    assert pdf.status_code == 200
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "CUT PLAN - Cut 2.53 in a piece, bar end 6 in" in text
    assert f"1. {r20.barcode} (remnant, 20 in): 5 pcs, 7.35 in drop back as a remnant" in text
    assert f"2. {bar.barcode} (bar, 144 in): 5 pcs" in text


def test_the_station_names_the_planned_unit_when_another_is_pulled(client, make, session):
    from spex.auth import STATION_COOKIE
    from tests.scan.conftest import Scanner

    part, job, r20, bar, rack = _released_job_with_stock(make, session)
    (stray,) = _stock(make, material=part.material, rack=rack, lengths=(144,), heat="H-OTHER")
    production.release_job(session, job)
    operator = make.user(codes.OPERATOR)
    station = make.station()
    make.commit()
    client.set_cookie(STATION_COOKIE, station.token)
    scan = Scanner(client)
    scan(operator.barcode)
    scan(stray.barcode)
    waiting = scan(job.barcode)
    assert waiting.outcome == "waiting"
    assert f"The cut plan of job {job.number} pulls {r20.barcode} (remnant, 20 in) for 5 pcs" in waiting.html
    done = scan("144")
    assert done.outcome == "done" and "Pulled outside the cut plan" in done.html and r20.barcode in done.html
    assert ledger.balance(session, ledger.unit_item(stray.id), ledger.at_location(rack.id)) == 0
    # the planned remnant pulled: no word about the plan
    scan(r20.barcode)
    assert "cut plan" not in scan(job.barcode).html
    # a drop below the shortest remnant is refused at the return step with the word scrap, nothing written
    scan("20")
    before = session.scalar(select(func.count(LedgerEntry.id)))
    scan("CMD-RETURN")
    scan(r20.barcode)
    short = scan("7")
    assert short.status == 422 and "put it in the scrap bin" in short.html
    assert session.scalar(select(func.count(LedgerEntry.id))) == before
    assert session.scalar(select(func.count(StockUnit.id)).where(StockUnit.parent_id == r20.id)) == 0


def test_metrics_yield_table_and_csv(client, make, session, login_as):
    from datetime import timedelta

    from spex import shoptime
    part, job, r20, bar, rack = _released_job_with_stock(make, session)
    production.release_job(session, job)
    operator = make.user(codes.OPERATOR)
    shopfloor.pull_material(session, bar, job, 144, user=operator)
    shopfloor.complete_operation(session, job.operations[0], 10, user=operator)
    shopfloor.return_remnant(session, bar, "118.5", rack, user=operator)
    shopfloor.receive_finished_goods(session, job, 10, make.location(kind="fg"), user=operator)
    make.commit()
    assert job.status == "complete"
    login_as(codes.PLANNER)
    today = shoptime.today()
    start, end = today - timedelta(days=7), today + timedelta(days=1)
    page = client.get(f"/metrics/?start={start}&end={end}").get_data(as_text=True)
    table = page[page.index("Material yield of jobs completed"):]
    # bar pulled 144 x 0.223 = 32.1 lb, back 118.5 x 0.223 = 26.4 lb, consumed 5.7 lb; planned 70.9 %, actual 70.3 %
    assert "32.1" in table and "26.4" in table and "5.7" in table and "70.9 %" in table and "70.3 %" in table
    csv = client.get(f"/metrics/yield.csv?start={start}&end={end}")
    assert csv.status_code == 200
    lines = csv.get_data(as_text=True).splitlines()
    assert lines[0].startswith("job,part,good pcs,finished lb,bar pulled lb,remnants returned lb,consumed lb")
    assert lines[1].startswith(f"{job.number},{part.label},10,4.0,32.1,26.4,5.7,70.9,70.3")


def test_a_planner_releases_a_job_from_its_cut_plan_in_chromium(make, session, live_server, page, sign_in, tmp_path):
    import os
    from pathlib import Path

    part, job, r20, bar, _rack = _released_job_with_stock(make, session)
    planner = make.user(codes.PLANNER)
    make.commit()
    out = Path(__file__).resolve().parents[1] / "docs" / "img" if os.environ.get("SPEX_SCREENSHOTS") == "1" else tmp_path
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, live_server, planner, f"/plan/jobs/{job.number}/release")
    plan = page.inner_text("#cut-plan")
    assert "proposed from stock on hand" in plan and plan.index(r20.barcode) < plan.index(bar.barcode)
    page.screenshot(path=str(out / "release-cut-plan.png"), full_page=True)
    page.click("#release-job")
    page.wait_for_selector(".flash, .msg")
    assert f"Pull {r20.barcode}" in page.content()
    page.goto(f"{live_server.url}/jobs/{job.number}")
    assert "proposed" not in page.inner_text("#cut-plan") and r20.barcode in page.inner_text("#cut-plan")
    assert "70.9 %" in page.inner_text("#job-yield")
    page.locator("#cut-plan").screenshot(path=str(out / "job-cut-plan.png"))


def test_a_plate_part_plans_whole_plates_by_its_blank_grid(client, make, session, login_as):
    # plate 0.500 x 12 x 24, blank 4 x 4, kerf 0.125: 2 across x 5 along = 10 blanks a plate
    plate = make.material(code="6061-PL-0.500", unit="pcs", size="0.500 x 12 x 24", form="plate", kerf_in=D("0.125"))
    part = make.part(material=plate, ops=("mill",))
    part.blank_size, part.bar_length_per_piece, part.finished_weight_lb = "4 x 4", D("0"), D("1.500")
    rack = make.location()
    (three,) = _stock(make, plate, rack, (3,))
    (one,) = _stock(make, plate, rack, (1,), remnant=True)
    job = make.job(part, quantity=25, release=False)
    plan = cutplan.propose(session, job)
    # the remnant plate first: 1 plate = 10 blanks; then 15 more = 2 of the 3 plates (ceil 15 / 10)
    assert [(line.unit.id, line.pieces, line.pull) for line in plan.lines] == [(one.id, 10, D("1")), (three.id, 15, D("2"))]
    # planned yield: a plate 0.5 x 12 x 24 x 0.289 = 41.616 lb, a blank 41.616 / 10 = 4.1616 lb;
    # 1.500 / 4.1616 = 36.04 % -> 36.0 %
    planned = planned_part_yield(part)
    assert planned.per_plate == 10 and round(planned.rate * 100, 1) == D("36.0")
    make.commit()
    login_as(codes.PLANNER)
    page = client.get(f"/masters/parts/{part.id}").get_data(as_text=True)
    assert "Plate stock: 10 blanks of 4 x 4 from a 0.500 x 12 x 24 plate" in page and "36.0 %" in page

"""Acceptance, in Chromium: a heat is received with a cert whose chemistry is out of its grade's limits;
the lot is on receiving hold; a pull of one of its bars is refused at the station (scans typed at a
scanner's pace); an inspector releases it on the lot page; the pull then goes through. And a used
lot's heat corrected on its page, shown on the trace.

With SPEX_SCREENSHOTS=1 the screenshots go to docs/img/ (lot-cert-hold.png, lot-correction.png);
otherwise to the test's temporary folder."""
from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from spex import codes, ledger, shopfloor
from spex.models import LedgerEntry, MaterialLimit, MaterialLot

DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"


def _out(tmp_path) -> Path:
    if os.environ.get("SPEX_SCREENSHOTS") == "1":
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        return DOCS_IMG
    return tmp_path


def test_out_of_limits_heat_is_held_refused_at_the_station_released_then_pulled(
        operator_at, shop, session, make, live_server, screen, sign_in, tmp_path):
    material = shop.job.part.material
    material.limits = [MaterialLimit(property="Cr", minimum=Decimal("17"), maximum=Decimal("18")),
                       MaterialLimit(property="Ni", minimum=Decimal("8"), maximum=Decimal("10")),
                       MaterialLimit(property="yield", minimum=Decimal("205"))]
    dock = make.location("DOCK-1", kind="receiving")
    session.commit()

    # The material handler receives heat 71122 with its cert: Cr 19.5 % against 18.0 % max.
    office = screen({"width": 1366, "height": 900})
    sign_in(office, live_server, shop.handler, "/receive/")
    office.select_option("select[name=material_id]", str(material.id))
    office.fill("input[name=heat_number]", "71122")
    office.fill("input[name=count]", "4")
    office.fill("input[name=each]", "144")
    office.fill("input[name=bin]", dock.barcode)
    office.fill("input[name=supplier]", "Atlas Metals")
    office.select_option("select[name=cert_type]", "3.1")
    office.fill("input[name=cert_standard]", "ASTM A582")
    office.fill("input[name=cert_grade]", "303")
    office.fill("input[name=cert_chemistry]", "C 0.07, Mn 1.6, S 0.31, Cr 19.5, Ni 8.6")
    office.fill("input[name=cert_yield]", "315")
    office.fill("input[name=cert_tensile]", "640")
    office.click("main form.card button.btn-primary")  # the page's Receive, not the top bar's sign-out
    office.wait_for_selector("#receiving-hold")
    assert "is on receiving hold: Cr 19.5 % above 18.0 % max" in office.inner_text("#receiving-hold")
    session.rollback()  # see what the server committed
    lot = session.scalar(select(MaterialLot).where(MaterialLot.heat_number == "71122"))
    bar = lot.units[0]

    # At the station the operator scans the bar, the job and a length: refused, with the reason.
    person = operator_at()
    person.scan(shop.operator.barcode, bar.barcode, shop.job.barcode, "40")
    assert person.outcome == "refused"
    feedback = person.page.inner_text("#scan-feedback")
    assert f"Lot LOT-{lot.number} is on receiving hold: Cr 19.5 % above 18.0 % max" in feedback
    assert "an inspector must release it" in feedback
    session.rollback()
    assert session.scalar(select(LedgerEntry).where(LedgerEntry.kind == ledger.PULL)) is None

    # The inspector opens the lot page: the hold, the cert's figures against the limits; releases it.
    qc = screen({"width": 1366, "height": 1000})
    sign_in(qc, live_server, shop.inspector, f"/units/{lot.number}")
    assert "Cr 19.5 % above 18.0 % max" in qc.inner_text("#receiving-hold")
    figures = qc.inner_text("#mill-cert")
    assert "19.5" in figures and "17.0–18.0 %" in figures and "above max" in figures
    qc.screenshot(path=str(_out(tmp_path) / "lot-cert-hold.png"), full_page=True)
    qc.fill("#release input[name=reason]", "Customer concession CC-31 accepts Cr up to 19.6 %")
    qc.click("#release button[type=submit]")
    qc.wait_for_selector("text=released from receiving hold")
    assert qc.locator("#receiving-hold").count() == 0
    assert "Customer concession CC-31" in qc.inner_text("#mill-cert")

    # The same pull now goes through.
    person.scan(bar.barcode, shop.job.barcode, "40")
    assert person.outcome == "done" and person.headline == f"Pulled 40 in of {bar.barcode} for job {shop.job.number}"
    session.rollback()
    assert ledger.balance(session, ledger.unit_item(bar.id), ledger.at_location(dock.id)) == Decimal("104")


def test_a_used_lots_heat_is_corrected_on_its_page_and_the_trace_shows_it(
        shop, session, live_server, screen, sign_in, make, tmp_path):
    planner = make.user(codes.PLANNER, name="Pat Planner")
    shopfloor.pull_material(session, shop.lot.units[0], shop.job, 30, user=shop.operator)
    session.commit()
    office = screen({"width": 1366, "height": 1000})
    sign_in(office, live_server, planner, f"/units/{shop.lot.number}")
    office.click("#correct summary")
    office.select_option("#correct select[name=field]", "heat_number")
    office.fill("#correct input[name=value]", "H4717")
    office.fill("#correct input[name=reason]", "Mill cert reads 4717; the bar tag was misread at the dock")
    office.click("#correct button[type=submit]")
    office.wait_for_selector("text=corrected: H4711 → H4717")
    table = office.inner_text("#corrections")
    assert "H4711" in table and "H4717" in table and "corrected after use" in table and "Pat Planner" in table
    office.screenshot(path=str(_out(tmp_path) / "lot-correction.png"), full_page=True)
    office.goto(f"{live_server.url}/jobs/{shop.job.number}")
    trace = office.inner_text(f"#lot-record-{shop.lot.number}")
    assert "was H4711, now H4717" in trace and "bar tag was misread" in trace

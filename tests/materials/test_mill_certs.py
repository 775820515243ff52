"""Mill certs as records: a cert's figures entered at receipt or later, held against the material's
limits; a lot outside them, or without a cert its material requires, is on a receiving hold that
only an inspector releases, with a reason."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from spex import codes, shopfloor
from spex.forms import FormError
from spex.materials import millcerts
from spex.models import LedgerEntry, MaterialLimit, MaterialLot, MillCert, ReceivingHold, StockUnit
from spex.shopfloor import FloorError


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def stainless(make):
    """303 stainless with its ASTM A582 limits: Cr 17.0–19.0 %, Ni 8.0–10.0 %, S 0.15 % min; yield 205 MPa min."""
    material = make.material(code="303-RD-1.000")
    material.limits = [MaterialLimit(property="Cr", minimum=Decimal("17"), maximum=Decimal("19")),
                       MaterialLimit(property="Ni", minimum=Decimal("8"), maximum=Decimal("10")),
                       MaterialLimit(property="S", minimum=Decimal("0.15")),
                       MaterialLimit(property="yield", minimum=Decimal("205"))]
    make.location("R2-A03")
    make.commit()
    return material


def receipt(material, heat="H52311", **cert) -> dict:
    form = {"material_id": str(material.id), "heat_number": heat, "count": "3", "each": "144", "bin": "BIN-R2-A03",
            "supplier": "Atlas Metals"}
    form.update(cert)
    return form


GOOD = {"cert_type": "3.1", "cert_standard": "ASTM A582", "cert_grade": "303", "cert_chemistry": "C 0.06, Cr 17.8; Ni 8.4, S 0.29",
        "cert_yield": "310", "cert_tensile": "620", "cert_elongation": "45", "cert_hardness": "190"}


def test_the_chemistry_is_read_element_by_element():
    assert millcerts.read_chemistry("C 0.06, cr=17.8; Ni: 8.4 %\nS 0.29") == {
        "C": Decimal("0.06"), "Cr": Decimal("17.8"), "Ni": Decimal("8.4"), "S": Decimal("0.29")}
    for text, message in (("Cr", "not an element and a %"), ("Qq 1", "not an element Spex knows"),
                          ("Cr 18, Cr 19", "given twice"), ("Cr 0.00001", "4 decimal places"),
                          ("Fe 70, Cr 20, Ni 12", "more than 100 %"), ("Cr 1e3", "not an element and a %")):
        with pytest.raises(FormError, match=message):
            millcerts.read_chemistry(text)


def test_a_conforming_cert_received_with_the_lot_is_kept_and_no_hold(client, session, stainless, login_as):
    handler = login_as(codes.MATERIAL_HANDLER)
    response = client.post("/receive/", data=receipt(stainless, **GOOD))
    assert response.status_code == 302
    cert = session.scalar(select(MillCert))
    assert (cert.cert_type, cert.standard, cert.grade, cert.heat_number, cert.yield_mpa, cert.entered_by_id) == \
        ("3.1", "ASTM A582", "303", "H52311", Decimal("310"), handler.id)
    assert {e.element: e.percent for e in cert.elements}["Cr"] == Decimal("17.8")
    assert count(session, ReceivingHold) == 0
    lot = session.scalar(select(MaterialLot))
    page = client.get(f"/units/{lot.number}").get_data(as_text=True)
    assert "EN 10204 <b>3.1</b>" in page and "17.0–19.0 %" in page and "<b>17.8</b> %" in page
    assert "On receiving hold" not in page


def test_a_cert_outside_the_limits_puts_the_lot_on_hold_and_the_pull_is_refused(client, session, stainless, make,
                                                                               login_as):
    login_as(codes.MATERIAL_HANDLER)
    out = dict(GOOD, cert_chemistry="C 0.06, Cr 19.5, Ni 8.4, S 0.29")
    response = client.post("/receive/", data=receipt(stainless, **out))
    assert response.status_code == 302
    received = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "is on receiving hold: Cr 19.5 % above 19.0 % max" in received
    lot = session.scalar(select(MaterialLot))
    hold = session.scalar(select(ReceivingHold))
    assert hold.lot_id == lot.id and hold.reason == "Cr 19.5 % above 19.0 % max" and hold.released_at is None
    job = make.job(make.part(material=stainless), quantity=10)
    operator = make.user(codes.OPERATOR)
    make.commit()
    pulls = count(session, LedgerEntry)
    with pytest.raises(FloorError, match=rf"Lot LOT-{lot.number} is on receiving hold: Cr 19.5 % above 19.0 % max "
                                         "— an inspector must release it"):
        shopfloor.pull_material(session, lot.units[0], job, 10, user=operator)
    session.rollback()
    assert count(session, LedgerEntry) == pulls


def test_each_kind_of_failure_is_named(session, make, stainless):
    lot = make.lot(material=stainless, heat="H1")
    figures = millcerts.CertFigures("3.1", "ASTM A582", "303", "H2", {"Cr": Decimal("16.5"), "S": Decimal("0.29")},
                                    {"yield": Decimal("180")})
    cert, hold = millcerts.enter_cert(session, lot, figures)
    assert hold.reason == ("the cert is for heat H2, the lot is heat H1; Cr 16.5 % below 17.0 % min; "
                           "Ni not stated on the cert (limit 8.0–10.0 %); yield strength 180.0 MPa below 205.0 MPa min"
                           .replace("yield strength", "Yield strength"))


def test_a_material_that_requires_a_cert_holds_a_lot_received_without_one(client, session, stainless, login_as):
    stainless.cert_required = True
    session.commit()
    login_as(codes.MATERIAL_HANDLER)
    response = client.post("/receive/", data=receipt(stainless))
    assert response.status_code == 302
    hold = session.scalar(select(ReceivingHold))
    assert hold.reason == "no mill cert figures on file, and 303-RD-1.000 requires them"


@pytest.mark.parametrize("field, value, message", [
    ("cert_type", "4.0", "EN 10204 type"),
    ("cert_chemistry", "Chromium lots", "is not an element and a %"),
    ("cert_yield", "-5", "must be a number"),
    ("cert_elongation", "150", "at most 100"),
    ("cert_standard", "x" * 61, "At most 60"),
])
def test_a_bad_cert_at_receipt_is_answered_at_its_field_and_nothing_is_received(client, session, stainless, login_as,
                                                                                field, value, message):
    login_as(codes.MATERIAL_HANDLER)
    response = client.post("/receive/", data=receipt(stainless, **dict(GOOD, **{field: value})))
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert (count(session, MaterialLot), count(session, StockUnit), count(session, MillCert)) == (0, 0, 0)


def test_cert_figures_entered_later_on_the_lot_page(client, session, make, stainless, login_as):
    lot = make.lot(material=stainless, heat="H77")
    make.commit()
    login_as(codes.MATERIAL_HANDLER)
    page = client.get(f"/units/{lot.number}").get_data(as_text=True)
    assert "Enter the cert&#39;s figures" in page or "Enter the cert's figures" in page
    refused = client.post(f"/material/lots/{lot.number}/cert", data={"cert_chemistry": "Cr 18"})
    assert refused.status_code == 422 and "EN 10204 type" in refused.get_data(as_text=True)
    assert count(session, MillCert) == 0
    response = client.post(f"/material/lots/{lot.number}/cert", data=dict(GOOD, cert_chemistry="Cr 18.1, Ni 7.2, S 0.3"))
    assert response.status_code == 302
    page = client.get(f"/units/{lot.units[0].code}").get_data(as_text=True)
    assert "On receiving hold" in page and "Ni 7.2 % below 8.0 % min" in page


def test_only_an_inspector_releases_a_hold_and_says_why(client, session, make, stainless, login_as):
    lot = make.lot(material=stainless, heat="H77")
    millcerts.enter_cert(session, lot, millcerts.CertFigures("3.1", "", "", "H77", {"Cr": Decimal("19.5")}))
    make.commit()
    login_as(codes.PLANNER)
    assert client.post(f"/material/lots/{lot.number}/release", data={"reason": "looks fine"}).status_code == 403
    inspector = login_as(codes.INSPECTOR)
    refused = client.post(f"/material/lots/{lot.number}/release", data={"reason": " "})
    assert refused.status_code == 422 and "Say why" in refused.get_data(as_text=True)
    session.expire_all()
    assert session.scalar(select(ReceivingHold)).released_at is None
    response = client.post(f"/material/lots/{lot.number}/release",
                           data={"reason": "Customer concession CC-12 accepts Cr 19.5"})
    assert response.status_code == 302
    session.expire_all()
    hold = session.scalar(select(ReceivingHold))
    assert hold.released_by_id == inspector.id and hold.release_reason == "Customer concession CC-12 accepts Cr 19.5"
    page = client.get(f"/units/{lot.number}").get_data(as_text=True)
    assert "On receiving hold" not in page and "Customer concession CC-12" in page
    again = client.post(f"/material/lots/{lot.number}/release", data={"reason": "once more please"})
    assert again.status_code == 422 and "is not on hold" in again.get_data(as_text=True)


def test_the_job_page_and_json_show_the_cert_figures(client, session, make, stainless, login_as):
    lot = make.lot(material=stainless, heat="H88")
    millcerts.enter_cert(session, lot, millcerts.CertFigures(
        "3.1", "ASTM A582", "303", "H88", {"Cr": Decimal("17.8"), "Ni": Decimal("8.4"), "S": Decimal("0.29")},
        {"yield": Decimal("310")}))
    job = make.job(make.part(material=stainless), quantity=10)
    shopfloor.pull_material(session, lot.units[0], job, 20, user=make.user(codes.OPERATOR))
    make.commit()
    login_as(codes.PLANNER)
    page = client.get(f"/jobs/{job.number}").get_data(as_text=True)
    assert "Mill cert EN 10204 <b>3.1</b>" in page and "Cr 17.8 %" in page and "Yield strength 310.0 MPa" in page
    cert = client.get(f"/jobs/{job.number}.json").get_json()["materials"][0]["cert"]
    assert (cert["type"], cert["heat_number"]) == ("3.1", "H88")
    assert {f["property"]: (f["value"], f["verdict"]) for f in cert["figures"]}["Cr"] == ("17.8", "ok")


def test_the_demo_shop_holds_its_303_certs_against_the_grades_limits(session, demo_shop):
    from spex.models import Material
    stainless = session.scalars(select(Material).where(Material.grade == "303 stainless")).all()
    assert stainless and all({lim.property for lim in m.limits} >= {"Cr", "Ni", "S", "yield"} for m in stainless)
    certs = session.scalars(select(MillCert)).all()
    assert len(certs) == session.scalar(select(func.count()).select_from(MaterialLot).join(Material)
                                        .where(Material.grade == "303 stainless"))
    assert count(session, ReceivingHold) == 0  # every demo cert is inside the limits: nothing held

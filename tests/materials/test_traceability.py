"""Traceability cannot be rewritten: a used lot's heat, material and supplier change only by an audited
correction (who, when, why, old -> new) that the lot page, the unit page and the job's trace show;
every change to a master record is kept and shown on its page."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from spex import codes
from spex.materials import trace
from spex.models import LotCorrection, MasterChange, MaterialLot


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def lot_form(lot, **changes) -> dict:
    form = {"number": lot.number, "material_id": str(lot.material_id), "heat_number": lot.heat_number,
            "supplier": lot.supplier, "po_number": lot.po_number or "", "cert_reference": lot.cert_reference or "",
            "customer_id": ""}
    form.update(changes)
    return form


def test_a_forged_edit_of_a_used_lots_heat_is_refused_and_writes_nothing(client, session, used_lot, login_as):
    login_as(codes.PLANNER)
    before = (count(session, LotCorrection), count(session, MasterChange))
    response = client.post(f"/masters/lots/{used_lot.lot.id}", data=lot_form(used_lot.lot, heat_number="H9999"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f"Lot {used_lot.lot.number} has been used since 2026-11-25: its heat number is not edited in place" in page
    session.expire_all()
    assert session.get(MaterialLot, used_lot.lot.id).heat_number == "H4711"
    assert (count(session, LotCorrection), count(session, MasterChange)) == before


def test_a_used_lots_material_and_supplier_are_locked_too(client, session, used_lot, login_as):
    login_as(codes.ADMIN)
    response = client.post(f"/masters/lots/{used_lot.lot.id}",
                           data=lot_form(used_lot.lot, material_id=str(used_lot.other.id), supplier="Other Mill"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "its material is not edited in place" in page and "its supplier is not edited in place" in page
    session.expire_all()
    lot = session.get(MaterialLot, used_lot.lot.id)
    assert (lot.material_id, lot.supplier) == (used_lot.material.id, "Test Metals")


def test_other_fields_of_a_used_lot_still_save_and_go_into_its_history(client, session, used_lot, login_as):
    planner = login_as(codes.PLANNER)
    response = client.post(f"/masters/lots/{used_lot.lot.id}", data=lot_form(used_lot.lot, po_number="PO-5150"))
    assert response.status_code == 302
    page = client.get(f"/masters/lots/{used_lot.lot.id}").get_data(as_text=True)
    assert "History" in page and "Purchase order: — → PO-5150" in page and planner.name in page


def test_before_its_first_movement_a_lot_is_edited_and_the_edit_recorded(client, session, make, login_as):
    lot = make.lot(heat="H1000")
    make.commit()
    planner = login_as(codes.PLANNER)
    response = client.post(f"/masters/lots/{lot.id}", data=lot_form(lot, heat_number="H1001"))
    assert response.status_code == 302
    session.expire_all()
    assert session.get(MaterialLot, lot.id).heat_number == "H1001"
    edit = session.scalar(select(LotCorrection))
    assert (edit.kind, edit.field, edit.old_value, edit.new_value, edit.user_id) == \
        ("edit", "heat_number", "H1000", "H1001", planner.id)
    page = client.get(f"/units/{lot.number}").get_data(as_text=True)
    assert "edited before use" in page and "H1000" in page


def test_a_correction_is_recorded_and_shows_on_every_trace(client, session, used_lot, login_as):
    inspector = login_as(codes.INSPECTOR)
    lot, job = used_lot.lot, used_lot.job
    response = client.post(f"/material/lots/{lot.number}/correct", data={
        "field": "heat_number", "value": "H4717", "reason": "Mill cert says 4717; the tag was misread"})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(MaterialLot, lot.id).heat_number == "H4717"
    correction = session.scalar(select(LotCorrection))
    assert (correction.kind, correction.old_value, correction.new_value, correction.user_id) == \
        ("correction", "H4711", "H4717", inspector.id)
    for page_url in (f"/units/{lot.number}", f"/units/{lot.units[1].code}", f"/jobs/{job.number}"):
        page = client.get(page_url).get_data(as_text=True)
        assert "H4711" in page and "H4717" in page and "the tag was misread" in page, page_url
    trace_json = client.get(f"/jobs/{job.number}.json").get_json()
    used = trace_json["materials"][0]
    assert used["heat_number"] == "H4717"
    assert used["corrections"] == [{
        "field": "heat_number", "what": "Heat number", "kind": "correction", "old": "H4711", "new": "H4717",
        "reason": "Mill cert says 4717; the tag was misread", "by": inspector.name, "at": used["corrections"][0]["at"],
        "date": "2026-11-25"}]


def test_a_material_correction_keeps_old_and_new_material(client, session, used_lot, login_as):
    login_as(codes.PLANNER)
    lot = used_lot.lot
    client.post(f"/material/lots/{lot.number}/correct", data={
        "field": "material_id", "material_id": str(used_lot.other.id), "reason": "Received as 303, mill shipped 304"})
    session.expire_all()
    assert session.get(MaterialLot, lot.id).material_id == used_lot.other.id
    page = client.get(f"/masters/lots/{lot.id}").get_data(as_text=True)
    assert re.search(r"Material: 303-RD-1.000 · [^<]* → 304-RD-1.000", page)
    job_page = client.get(f"/jobs/{used_lot.job.number}").get_data(as_text=True)
    assert "Received as 303, mill shipped 304" in job_page


def test_a_correction_without_a_reason_is_refused_and_writes_nothing(client, session, used_lot, login_as):
    login_as(codes.PLANNER)
    for data, message in (({"field": "heat_number", "value": "H4717", "reason": " "}, "Say why"),
                          ({"field": "heat_number", "value": "", "reason": "typo on the tag"}, "Enter the right heat"),
                          ({"field": "heat_number", "value": "H4711", "reason": "typo on the tag"}, "already"),
                          ({"field": "po_number", "value": "X", "reason": "typo on the tag"}, "Choose what to correct"),
                          ({"field": "material_id", "material_id": "99999", "reason": "typo on the tag"},
                           "Choose the material")):
        response = client.post(f"/material/lots/{used_lot.lot.number}/correct", data=data)
        assert response.status_code == 422 and message in response.get_data(as_text=True), data
    session.expire_all()
    assert session.get(MaterialLot, used_lot.lot.id).heat_number == "H4711"
    assert count(session, LotCorrection) == 0 and count(session, MasterChange) == 0


def test_an_operator_cannot_correct_a_lot(client, session, used_lot, login_as):
    login_as(codes.OPERATOR)
    response = client.post(f"/material/lots/{used_lot.lot.number}/correct",
                           data={"field": "heat_number", "value": "H1", "reason": "because I say so"})
    assert response.status_code == 403 and count(session, LotCorrection) == 0


def test_first_movement_is_any_entry_beyond_the_receipt(session, make):
    lot = make.lot()
    assert trace.first_movement(session, lot.id) is None


def test_every_change_to_a_part_is_kept_with_who_and_when(client, session, make, login_as):
    part = make.part(number="P-77")
    make.commit()
    planner = login_as(codes.PLANNER)
    form = {"customer_id": str(part.customer_id), "number": "P-77", "rev": "A", "description": "Bushing, long",
            "material_id": str(part.material_id), "bar_length_per_piece": "1.5", "blank_size": "",
            "finished_weight_lb": "", "unit_price": "", "setup_cost": ""}
    assert client.post(f"/masters/parts/{part.id}", data=form).status_code == 302
    step = part.routing[0]
    client.post(f"/masters/parts/{part.id}/steps/{step.id}", data={
        "seq": "10", "kind": "inhouse", "description": "Lathe", "work_center_id": str(step.work_center_id),
        "setup_min": "45", "run_min_per_piece": "2", "vendor_id": "", "turnaround_days": "0"})
    client.post(f"/masters/parts/{part.id}/deactivate")
    page = client.get(f"/masters/parts/{part.id}").get_data(as_text=True)
    history = page[page.index('id="history"'):]
    assert "Description: Test part" in history and "→ Bushing, long" in history
    assert "Bar per piece (in): 1.25 → 1.5" in history
    assert "Op 10 Setup (min): 30 → 45" in history
    assert "Deactivated" in history and planner.name in history
    # Newest first: the deactivation is above the edits.
    assert history.index("Deactivated") < history.index("Bar per piece")


def test_material_limits_are_edited_on_the_material_page_and_kept(client, session, make, login_as):
    material = make.material(code="303-RD-1.000")
    make.commit()
    login_as(codes.PLANNER)
    response = client.post(f"/masters/materials/{material.id}/limits", data={
        "prop_0": "Cr", "min_0": "17", "max_0": "19", "prop_1": "yield", "min_1": "205", "max_1": "",
        "prop_2": "", "min_2": "", "max_2": ""})
    assert response.status_code == 302
    session.expire_all()
    assert {(lim.property, lim.minimum, lim.maximum) for lim in material.limits} == \
        {("Cr", 17, 19), ("yield", 205, None)}
    page = client.get(f"/masters/materials/{material.id}").get_data(as_text=True)
    assert "Limit Cr: — → 17.0–19.0 %" in page and "Limit yield: — → 205.0 MPa min" in page
    for data, message in (({"prop_0": "Xx", "min_0": "1"}, "Choose one of the listed"),
                          ({"prop_0": "Cr", "min_0": "19", "max_0": "17"}, "must not be below"),
                          ({"prop_0": "Cr"}, "a minimum, a maximum or both"),
                          ({"prop_0": "Cr", "min_0": "1", "prop_1": "Cr", "max_1": "2"}, "listed twice"),
                          ({"prop_0": "Cr", "min_0": "abc"}, "must be a number")):
        response = client.post(f"/masters/materials/{material.id}/limits", data=data)
        assert response.status_code == 422 and message in response.get_data(as_text=True), data
    session.expire_all()
    assert len(material.limits) == 2

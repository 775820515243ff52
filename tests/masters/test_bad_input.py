"""Every field of every master form, fed empty, oversized and malformed values: never a 500, a message at
the field, and nothing written (every table's row count, and the edited record, stay as they were)."""
import pytest
from sqlalchemy import select

from spex.extensions import db
from spex.masters.catalog import MASTERS, ROUTING_STEPS
from spex.masters.fields import BOOL, CHOICE, DECIMAL, FK, INT, PASSWORD, PIN
from spex.models import RoutingStep

from masters_forms import SLUGS, row_counts, valid_form

OVERSIZED = "X" * 10_000
MALFORMED = {
    "text": ["nul\x00byte", "bell\x07"],
    PASSWORD: ["nul\x00byte", "short"],
    PIN: ["nul\x00byte", "12", "123456789", "12a4", "１２３４", " 1234"],
    INT: ["abc", "-5", "1e400", "12.5", "9" * 5000, "１２"],
    DECIMAL: ["abc", "-1", "1e400", "NaN", "Infinity", "1,5", "0x10"],
    CHOICE: ["not-a-choice", "<script>"],
    FK: ["424242", "abc", "-1", "99999999999999", "1.5"],
    BOOL: ["maybe"],
}


def _cases():
    for slug in SLUGS:
        for field in MASTERS[slug].fields:
            yield pytest.param(slug, field, id=f"{slug}-{field.name}")


def _bad_values(field):
    values = ["", OVERSIZED] + MALFORMED.get(field.kind, MALFORMED["text"])
    if field.code:
        values += ["has space", "-leading-dash"]
    return values


def _snapshot(record):
    db.session.refresh(record)
    return {c.key: getattr(record, c.key) for c in record.__mapper__.column_attrs}


def _may_be_accepted(field, value) -> bool:
    """Only leaving an optional field empty is a valid form; everything else must be refused."""
    return value == "" and not field.required


@pytest.mark.parametrize("slug, field", list(_cases()))
def test_bad_values_are_refused_at_the_field(client, admin, linked, slug, field):
    master = MASTERS[slug]
    made = client.post(f"/masters/{slug}/new", data=valid_form(slug, "EDITME", linked))
    assert made.status_code == 302, made.get_data(as_text=True)
    record = db.session.scalars(select(master.model).order_by(master.model.id.desc())).first()
    for n, value in enumerate(_bad_values(field)):
        before, kept = row_counts(), _snapshot(record)
        form = valid_form(slug, f"N{n}", linked) | {field.name: value}
        created = client.post(f"/masters/{slug}/new", data=form)
        assert created.status_code != 500
        if _may_be_accepted(field, value) and created.status_code == 302:
            continue
        assert created.status_code == 422, (value[:40], created.status_code)
        assert f'id="f-{field.name}-msg"' in created.get_data(as_text=True), value[:40]
        assert row_counts() == before, value[:40]

        edit_form = valid_form(slug, "EDITME", linked) | {field.name: value}
        edited = client.post(f"/masters/{slug}/{record.id}", data=edit_form)
        if _may_be_accepted(field, value) and edited.status_code == 302:
            continue  # an empty password on an edit keeps the current one
        assert edited.status_code == 422, (value[:40], edited.status_code)
        assert row_counts() == before and _snapshot(record) == kept, value[:40]


def test_a_form_of_nothing_at_all_is_refused_everywhere(client, admin):
    before = row_counts()
    for slug in SLUGS:
        response = client.post(f"/masters/{slug}/new", data={})
        assert response.status_code == 422, slug
    assert row_counts() == before


def test_repeated_and_unknown_fields_do_not_confuse_the_form(client, admin, linked):
    before = row_counts()
    response = client.post("/masters/customers/new",
                           data={"code": ["A", "B"], "name": "Two codes", "active": "0", "id": "1"})
    assert response.status_code in (302, 422)
    customer = db.session.scalar(select(MASTERS["customers"].model).where(MASTERS["customers"].model.code == "A"))
    if response.status_code == 302:
        assert customer.active is True and row_counts()["customers"] == before["customers"] + 1


@pytest.mark.parametrize("field", [f for f in ROUTING_STEPS.fields], ids=lambda f: f.name)
def test_bad_routing_step_values_are_refused(client, admin, make, field):
    part = make.part(ops=("lathe",), outside=("anodize",))
    make.commit()
    wc_id, vendor_id = part.routing[0].work_center_id, part.routing[1].vendor_id
    good = {"seq": "30", "kind": "inhouse", "description": "Deburr", "work_center_id": str(wc_id),
            "setup_min": "15", "run_min_per_piece": "0.5", "vendor_id": "", "turnaround_days": "0"}
    for value in _bad_values(field):
        before = row_counts()
        response = client.post(f"/masters/parts/{part.id}/steps", data=good | {field.name: value})
        assert response.status_code != 500
        if response.status_code == 302:
            assert _may_be_accepted(field, value), value[:40]
            db.session.execute(RoutingStep.__table__.delete().where(RoutingStep.seq == 30))
            db.session.commit()
            continue
        assert response.status_code == 422, value[:40]
        assert f'id="step-{field.name}-msg"' in response.get_data(as_text=True), value[:40]
        assert row_counts() == before

"""Every master: create, edit, deactivate and bring back, search as you type, paging."""
import pytest
from sqlalchemy import func, select

from spex.extensions import db
from spex.masters.catalog import MASTERS
from spex.models import Customer, Location, User, Vendor

from masters_forms import EDITS, SLUGS, row_counts, valid_form

HTMX = {"HX-Request": "true"}


def _create(client, slug, token, linked):
    response = client.post(f"/masters/{slug}/new", data=valid_form(slug, token, linked))
    assert response.status_code == 302, response.get_data(as_text=True)
    model = MASTERS[slug].model
    return db.session.scalars(select(model).order_by(model.id.desc())).first()


@pytest.mark.parametrize("slug", SLUGS)
def test_create_shows_in_the_list(client, admin, linked, slug):
    before = row_counts()[MASTERS[slug].model.__tablename__]
    record = _create(client, slug, "ALPHA", linked)
    assert row_counts()[MASTERS[slug].model.__tablename__] == before + 1
    assert record.active
    page = client.get(f"/masters/{slug}").get_data(as_text=True)
    assert f'id="row-{record.id}"' in page


@pytest.mark.parametrize("slug", SLUGS)
def test_edit_saves_the_change(client, admin, linked, slug):
    record = _create(client, slug, "ALPHA", linked)
    form = valid_form(slug, "ALPHA", linked)
    field, new_value = EDITS[slug]
    form[field] = new_value
    if slug == "users":
        form["password"] = ""  # empty keeps the current password
    form_page = client.get(f"/masters/{slug}/{record.id}")
    assert form_page.status_code == 200
    response = client.post(f"/masters/{slug}/{record.id}", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.refresh(record)
    assert getattr(record, field) == new_value
    assert new_value in client.get(f"/masters/{slug}").get_data(as_text=True)


@pytest.mark.parametrize("slug", SLUGS)
def test_deactivate_hides_and_reactivate_brings_back(client, admin, linked, slug):
    record = _create(client, slug, "ALPHA", linked)
    response = client.post(f"/masters/{slug}/{record.id}/deactivate")
    assert response.status_code == 302
    db.session.refresh(record)
    assert record.active is False
    assert f'id="row-{record.id}"' not in client.get(f"/masters/{slug}").get_data(as_text=True)
    assert f'id="row-{record.id}"' in client.get(f"/masters/{slug}?inactive=1").get_data(as_text=True)
    # From the list, htmx swaps just the row, now offering to bring it back.
    row = client.post(f"/masters/{slug}/{record.id}/reactivate", headers=HTMX)
    assert row.status_code == 200
    assert row.get_data(as_text=True).lstrip().startswith("<tr") and "Deactivate" in row.get_data(as_text=True)
    db.session.refresh(record)
    assert record.active is True


@pytest.mark.parametrize("slug", SLUGS)
def test_search_as_you_type_returns_only_matching_rows(client, admin, linked, slug):
    alpha = _create(client, slug, "ALPHA", linked)
    bravo = _create(client, slug, "BRAVO", linked)
    fragment = client.get(f"/masters/{slug}?q=alph", headers=HTMX)
    assert fragment.status_code == 200
    text = fragment.get_data(as_text=True)
    assert "<html" not in text  # just the rows, not the page
    assert f'id="row-{alpha.id}"' in text and f'id="row-{bravo.id}"' not in text
    # Without JavaScript the same search is a plain GET that answers the whole page.
    page = client.get(f"/masters/{slug}?q=BRAVO").get_data(as_text=True)
    assert "<html" in page and f'id="row-{bravo.id}"' in page and f'id="row-{alpha.id}"' not in page


def test_search_text_is_literal_and_tolerates_junk(client, admin, linked):
    for query in ("%", "_", "\\", "a\x00b", "x" * 10_000, "'; drop table materials; --"):
        response = client.get("/masters/materials", query_string={"q": query, "page": "abc"})
        assert response.status_code == 200
    text = client.get("/masters/materials?q=%25", headers=HTMX).get_data(as_text=True)
    assert "303-RD-1.000" not in text  # a % typed is a percent sign, not "anything"


def test_long_lists_page(client, admin, make):
    for n in range(60):
        make.customer(code=f"C{n:03d}")
    make.commit()
    first = client.get("/masters/customers").get_data(as_text=True)
    assert "page 1 of 3" in first and "C000" in first and "C030" not in first
    second = client.get("/masters/customers?page=2", headers=HTMX).get_data(as_text=True)
    assert "C030" in second and "C000" not in second and "page=3" in second
    assert client.get("/masters/customers?page=99999999999").status_code == 200


def test_duplicate_code_is_refused_and_writes_nothing(client, admin, linked):
    client.post("/masters/customers/new", data={"code": "ZEISS", "name": "Zeiss"})
    before = row_counts()
    response = client.post("/masters/customers/new", data={"code": "zeiss", "name": "Another"})
    assert response.status_code == 422
    assert "That code is already used." in response.get_data(as_text=True)
    assert row_counts() == before


def test_a_code_another_office_pc_saved_meanwhile_is_refused_and_writes_nothing(client, admin, linked,
                                                                                saved_meanwhile):
    with saved_meanwhile(Customer, lambda row: {"code": row.code, "name": "Zeiss (other PC)"}) as saved:
        response = client.post("/masters/customers/new", data={"code": "zeiss", "name": "Zeiss (this PC)"})
    assert saved, "the form's own check must have passed and reached the write"
    assert response.status_code == 422
    assert "That code is already used." in response.get_data(as_text=True)
    db.session.rollback()
    names = db.session.scalars(select(Customer.name).where(func.upper(Customer.code) == "ZEISS")).all()
    assert names == ["Zeiss (other PC)"]


def test_scanned_prefix_is_dropped_and_codes_upper_cased(client, admin, linked):
    client.post("/masters/locations/new", data={"code": " bin-r2-a03 ", "name": "", "kind": "bin",
                                                "parent_id": str(linked.rack.id)})
    location = db.session.scalar(select(Location).where(Location.code == "R2-A03"))
    assert location is not None and location.barcode == "BIN-R2-A03"
    assert location.path == "Bar racks > Rack 1 > R2-A03"


def test_new_vendor_gets_its_virtual_location(client, admin, linked):
    client.post("/masters/vendors/new", data=valid_form("vendors", "ANODIZE", linked))
    vendor = db.session.scalar(select(Vendor).where(Vendor.code == "PLATE-ANODIZE"))
    place = db.session.scalar(select(Location).where(Location.vendor_id == vendor.id))
    assert (place.code, place.kind, place.name) == ("VND-PLATE-ANODIZE", "vendor", vendor.name)
    form = valid_form("vendors", "ANODIZE", linked) | {"code": "ACME-ANODIZE", "name": "Acme Anodize"}
    assert client.post(f"/masters/vendors/{vendor.id}", data=form).status_code == 302
    db.session.refresh(place)
    assert (place.code, place.name) == ("VND-ACME-ANODIZE", "Acme Anodize")
    client.post(f"/masters/vendors/{vendor.id}/deactivate")
    db.session.refresh(place)
    assert place.active is False


def test_vendor_code_whose_location_code_is_taken_is_refused(client, admin, linked, make):
    make.location(code="VND-TAKEN", kind="bin")
    make.commit()
    before = row_counts()
    response = client.post("/masters/vendors/new", data=valid_form("vendors", "X", linked) | {"code": "TAKEN"})
    assert response.status_code == 422 and "already used" in response.get_data(as_text=True)
    assert row_counts() == before


@pytest.mark.parametrize("kind, parent, message", [
    ("rack", "rack", "A rack belongs in an area."),
    ("bin", "bin", "choose one from the list"),  # only areas and racks hold other locations
    ("area", "rack", "An area is the top of the tree"),
    ("vendor", None, "made by adding the vendor"),
    ("bin", "missing", "does not exist"),
])
def test_location_tree_rules(client, admin, linked, kind, parent, message):
    parent_id = {"bin": str(linked.bin.id), "rack": str(linked.rack.id), None: "", "missing": "424242"}[parent]
    before = row_counts()
    response = client.post("/masters/locations/new", data={"code": "X1", "name": "", "kind": kind,
                                                           "parent_id": parent_id})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert row_counts() == before


def test_a_bin_with_stock_cannot_be_deactivated(client, admin, make):
    lot = make.lot()
    make.commit()
    bin_id = db.session.scalar(select(Location.id).where(Location.kind == "bin"))
    response = client.post(f"/masters/locations/{bin_id}/deactivate", headers=HTMX)
    assert response.status_code == 200 and "still holds stock" in response.get_data(as_text=True)
    assert db.session.get(Location, bin_id).active is True
    assert lot.units


def test_user_password_is_hashed_and_works_at_login(client, admin, linked):
    client.post("/masters/users/new", data=valid_form("users", "PW", linked) | {"role": "planner"})
    user = db.session.scalar(select(User).where(User.username == "user.pw"))
    assert user.password_hash and "long-enough-password" not in user.password_hash
    client.post("/logout")
    response = client.post("/login", data={"username": "user.pw", "password": "long-enough-password"})
    assert response.status_code == 302
    assert client.get("/masters/materials").status_code == 200


def test_office_login_needs_a_password(client, admin, linked):
    before = row_counts()
    response = client.post("/masters/users/new", data=valid_form("users", "NOPW", linked) | {"password": ""})
    assert response.status_code == 422 and "needs a password" in response.get_data(as_text=True)
    assert row_counts() == before


def test_an_admin_cannot_lock_themselves_out(client, admin):
    response = client.post(f"/masters/users/{admin.id}/deactivate")
    assert response.status_code == 302
    assert db.session.get(User, admin.id).active is True
    form = {"name": admin.name, "badge": admin.badge, "role": "operator", "username": admin.username, "password": ""}
    response = client.post(f"/masters/users/{admin.id}", data=form)
    assert response.status_code == 422 and "own administrator role" in response.get_data(as_text=True)
    assert db.session.get(User, admin.id).role == "admin"


def test_station_page_offers_to_register_this_browser(client, admin, make):
    station = make.station(code="SAW-1")
    make.commit()
    page = client.get(f"/masters/stations/{station.id}").get_data(as_text=True)
    assert f'action="/stations/{station.id}/register"' in page
    response = client.post(f"/stations/{station.id}/register", data={"next": "/masters/stations"})
    assert response.status_code == 302 and "spex_station=" in response.headers["Set-Cookie"]


def test_unknown_master_and_record_are_404(client, admin):
    assert client.get("/masters/widgets").status_code == 404
    assert client.get("/masters/customers/999").status_code == 404
    assert client.get("/masters/customers/99999999999").status_code == 404
    assert client.post("/masters/customers/99999999999/deactivate").status_code == 404


def test_edit_keeps_a_link_to_something_deactivated_since(client, admin, linked):
    record = _create(client, "parts", "KEEP", linked)
    db.session.get(Customer, linked.customer.id).active = False
    db.session.commit()
    response = client.post(f"/masters/parts/{record.id}", data=valid_form("parts", "KEEP", linked))
    assert response.status_code == 302

"""Who may open what: CSRF on every POST, roles on every masters page and action, sign-in for anyone else."""
import pytest
from sqlalchemy import func, select

from spex import codes
from spex.extensions import db
from spex.models import Customer, Location, Material, User

OFFICE_LISTS = ("materials", "lots", "locations", "parts", "work-centers", "vendors", "customers")
ADMIN_LISTS = ("users", "stations")


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def one_of_each(make):
    """One record of every master, so each list has a row to show."""
    make.lot()  # a material, a bin and a lot
    make.part(ops=("lathe",), outside=("anodize",))  # a customer, work center, vendor and its location
    station = make.station(code="CELL-1")
    make.commit()
    return station


def test_post_without_csrf_token_is_refused_and_writes_nothing(client, login_as):
    login_as(codes.PLANNER)
    response = client.post("/masters/customers/new", data={"code": "FORGED", "name": "Forged"}, csrf=False)
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)
    assert _count(Customer) == 0
    # The same form with its token goes through: it was the token that was missing, nothing else.
    assert client.post("/masters/customers/new", data={"code": "REAL", "name": "Real"}).status_code == 302
    assert _count(Customer) == 1


def test_htmx_post_without_csrf_token_gets_a_red_fragment(client, login_as, make):
    login_as(codes.ADMIN)
    customer = make.customer()
    make.commit()
    response = client.post(f"/masters/customers/{customer.id}/deactivate", headers={"HX-Request": "true"},
                           csrf=False)
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "msg-refused" in text and "<html" not in text
    db.session.refresh(customer)
    assert customer.active is True


def test_sign_in_without_csrf_token_is_refused(client, make):
    user = make.user(codes.PLANNER)
    make.commit()
    response = client.post("/login", data={"username": user.username, "password": "correct-horse-battery"},
                           csrf=False)
    assert response.status_code == 400


@pytest.mark.parametrize("role", [codes.OPERATOR, codes.MATERIAL_HANDLER, codes.INSPECTOR, codes.SHIPPING])
def test_floor_roles_cannot_open_masters(client, login_as, one_of_each, role):
    login_as(role)
    assert client.get("/masters").status_code == 403
    for slug in OFFICE_LISTS + ADMIN_LISTS:
        assert client.get(f"/masters/{slug}").status_code == 403, slug
        assert client.get(f"/masters/{slug}/new").status_code == 403, slug
        assert client.get(f"/masters/{slug}/1").status_code == 403, slug
        assert client.post(f"/masters/{slug}/new", data={"code": "X", "name": "X"}).status_code == 403, slug
        assert client.post(f"/masters/{slug}/1/deactivate").status_code == 403, slug
    assert client.post("/masters/parts/1/steps", data={"seq": "90"}).status_code == 403
    assert client.post("/masters/parts/1/steps/1/remove").status_code == 403
    assert db.session.scalar(select(Location.active).where(Location.id == 1)) is True


def test_operator_gets_a_clear_refusal_page(client, login_as):
    login_as(codes.OPERATOR)
    response = client.get("/masters/materials")
    assert response.status_code == 403 and "Your role does not allow" in response.get_data(as_text=True)


def test_planner_cannot_open_users_or_stations(client, login_as, one_of_each):
    planner = login_as(codes.PLANNER)
    users_before = _count(User)
    for slug in ADMIN_LISTS:
        assert client.get(f"/masters/{slug}").status_code == 403
        assert client.get(f"/masters/{slug}/new").status_code == 403
        assert client.get(f"/masters/{slug}/{one_of_each.id}").status_code == 403
        assert client.post(f"/masters/{slug}/{one_of_each.id}/deactivate").status_code == 403
    response = client.post("/masters/users/new", data={"name": "Sneaky", "badge": "9999", "role": "admin",
                                                       "username": "sneaky", "password": "long-enough-pw"})
    assert response.status_code == 403
    response = client.post(f"/masters/users/{planner.id}", data={"name": planner.name, "badge": planner.badge,
                                                                 "role": "admin", "username": planner.username})
    assert response.status_code == 403
    assert client.post(f"/stations/{one_of_each.id}/register").status_code == 403
    assert _count(User) == users_before
    assert db.session.get(User, planner.id).role == codes.PLANNER
    # The masters page does not offer what the planner may not open.
    index = client.get("/masters").get_data(as_text=True)
    assert "/masters/users" not in index and "/masters/stations" not in index and "/masters/materials" in index


@pytest.mark.parametrize("path", ["/masters", "/masters/materials", "/masters/users", "/masters/parts/new",
                                  "/masters/lots/1/cert"])
def test_anonymous_is_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_anonymous_post_writes_nothing(client):
    response = client.post("/masters/materials/new", data={"code": "ANON", "grade": "303"})
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert _count(Material) == 0


def test_deactivated_user_is_refused_at_sign_in(client, make):
    user = make.user(codes.PLANNER)
    user.active = False
    make.commit()
    response = client.post("/login", data={"username": user.username, "password": "correct-horse-battery"})
    assert response.status_code == 401


def test_planner_signs_in_and_browses_every_masters_list(client, make, one_of_each):
    planner = make.user(codes.PLANNER, username="pat.planner")
    make.commit()
    response = client.post("/login", data={"username": "pat.planner", "password": "correct-horse-battery"})
    assert response.status_code == 302
    index = client.get("/masters")
    assert index.status_code == 200
    for slug in OFFICE_LISTS:
        page = client.get(f"/masters/{slug}")
        assert page.status_code == 200, slug
        assert 'id="row-' in page.get_data(as_text=True), f"{slug} shows no rows"
        assert client.get(f"/masters/{slug}/new").status_code == 200, slug
    assert planner.active


def test_admin_browses_users_and_stations(client, login_as, one_of_each):
    login_as(codes.ADMIN)
    for slug in OFFICE_LISTS + ADMIN_LISTS:
        page = client.get(f"/masters/{slug}")
        assert page.status_code == 200 and 'id="row-' in page.get_data(as_text=True), slug

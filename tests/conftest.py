"""Fixtures: a fresh Spex on a real database per test (SQLite always; PostgreSQL with --db=postgresql),
a client that sends the CSRF token like the pages do, small factories, a live server, and Chromium."""
from __future__ import annotations

import os
import re
import shutil
import threading
import uuid
from contextlib import ExitStack, contextmanager
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.orm import Session
from werkzeug.serving import WSGIRequestHandler, make_server

from spex import codes, create_app, demo, ledger, production, shoptime
from spex.extensions import db
from spex.models import (Customer, Location, Material, Part, RoutingStep, Station, User, Vendor, WorkCenter,
                         clock_running_from)

PG_ADMIN_URL = os.environ.get("SPEX_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
CHROMIUM = os.environ.get("SPEX_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "correct-horse-battery"
# Every test runs on this shop clock, whatever the machine's date: an ordinary working day (a
# Wednesday, mid-month, far from a daylight-saving change), late enough that the demo shop's history
# for the day is all in the past. A test that needs a weekend or a month's end sets its own moment
# with clock_at or clock_running_from.
SHOP_NOW = datetime(2026, 11, 25, 17, 0, tzinfo=timezone.utc)
# The station PIN every test inspector and administrator gets (their badge alone does not sign in).
TEST_PIN = "2468"
# A keyboard-wedge scanner types a character every few milliseconds; browser tests type codes at its pace.
SCANNER_KEY_DELAY_MS = 2


def pytest_addoption(parser):
    parser.addoption("--db", default=os.environ.get("SPEX_TEST_DB", "sqlite"), choices=("sqlite", "postgresql"),
                     help="database engine the suite runs against")


def pytest_collection_modifyitems(items):
    # A test that drives Chromium is a browser test whether or not its module says so, so that
    # -m "not browser" (the fake-date run in CI) leaves out every one.
    for item in items:
        if {"browser", "page"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)


def pytest_report_header(config):
    return f"spex database: {config.getoption('--db')}"


@pytest.fixture(autouse=True)
def shop_clock():
    """The shop's clock for the test, in every thread (the live server's too); it ticks on from SHOP_NOW."""
    with clock_running_from(SHOP_NOW):
        yield SHOP_NOW


# --- databases ------------------------------------------------------------------------------

def _migrate(url: str) -> None:
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        from spex.cli import upgrade_schema
        upgrade_schema()
        db.engine.dispose()


@pytest.fixture(scope="session")
def database(request, tmp_path_factory):
    """A migrated database for this test process: a template file (SQLite) or a database of our own (PostgreSQL)."""
    engine_name = request.config.getoption("--db")
    if engine_name == "sqlite":
        template = tmp_path_factory.mktemp("db") / "template.db"
        _migrate(f"sqlite:///{template}")
        yield {"engine": "sqlite", "template": template}
        return
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure to reach the server means: cannot run here
        # Locally the PostgreSQL run is skipped when no server answers; CI provides one, so there it fails.
        pytest.exit(f"--db=postgresql but no PostgreSQL server answers at {PG_ADMIN_URL}: {exc}",
                    returncode=3 if os.environ.get("CI") else 0)
    name = f"spex_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    try:
        _migrate(url)
        yield {"engine": "postgresql", "url": url}
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture
def db_url(database, tmp_path):
    """A clean database for one test."""
    if database["engine"] == "sqlite":
        path = tmp_path / "spex.db"
        shutil.copyfile(database["template"], path)
        yield f"sqlite:///{path}"
        return
    url = database["url"]
    engine = create_engine(url)
    with engine.begin() as conn:
        tables = [r[0] for r in conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"))]
        conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    engine.dispose()
    yield url


# --- the app ------------------------------------------------------------------------------

class CsrfClient(FlaskClient):
    """Sends the CSRF token on every POST, as the pages' forms and htmx do; pass csrf=False to leave it out."""

    _token: str | None = None

    def csrf_token(self) -> str:
        if self._token is None:
            page = super().get("/login").get_data(as_text=True)
            self._token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        return self._token

    def post(self, *args, csrf: bool = True, **kwargs):
        if csrf:
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRFToken", self.csrf_token())
            kwargs["headers"] = headers
        return super().post(*args, **kwargs)


@pytest.fixture
def app(db_url, tmp_path):
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": db_url,
        "SECRET_KEY": "test-secret",
        "SPEX_UPLOAD_DIR": str(tmp_path / "uploads"),
        "SPEX_BOARD_TOKEN": "board-token",
        "SPEX_TIMEZONE": "UTC",  # the shop's clock, whatever the machine running the tests says
    })
    app.test_client_class = CsrfClient
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def session(app):
    return db.session


@pytest.fixture
def saved_meanwhile(app, request):
    """Another office PC or station saves a row between this request's checks and its write: when
    the request is about to insert a `model` row, a second connection inserts `values(row)` first
    and commits, up to `times` times. Yields the list of rows it saved (counted once committed).
    PostgreSQL only: on SQLite a write holds the lock from its first query, so nothing comes between."""
    if request.config.getoption("--db") != "postgresql":
        pytest.skip("on SQLite a write holds the write lock from its first query: nothing comes between")

    @contextmanager
    def meanwhile(model, values, times=1):
        other = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
        saved = []

        def before_flush(flushing, flush_context, instances):
            for row in [o for o in flushing.new if isinstance(o, model)]:
                if len(saved) < times:
                    with other.begin() as connection:
                        connection.execute(model.__table__.insert().values(**values(row)))
                    saved.append(values(row))

        event.listen(Session, "before_flush", before_flush)
        try:
            yield saved
        finally:
            event.remove(Session, "before_flush", before_flush)
            other.dispose()

    return meanwhile


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# --- factories ------------------------------------------------------------------------------

class Factory:
    """Small builders for the records a test needs; each test makes its own."""

    def __init__(self, session):
        self.session = session
        self.n = 0

    def _next(self) -> int:
        self.n += 1
        return self.n

    def commit(self):
        self.session.commit()

    def user(self, role=codes.OPERATOR, *, name=None, username=None, badge=None, password=PASSWORD,
             pin=TEST_PIN) -> User:
        n = self._next()
        user = User(name=name or f"{role.title()} {n}", username=username or f"{role}{n}",
                    badge=badge or f"{n:04d}", role=role)
        user.set_password(password)
        if pin and role in codes.PIN_ROLES:
            user.set_pin(pin)
        self.session.add(user)
        self.session.flush()
        return user

    def location(self, code=None, kind="bin", parent=None, name=None) -> Location:
        n = self._next()
        loc = Location(code=code or f"T{n}-A{n:02d}", name=name or (code or f"Bin {n}"), kind=kind, parent=parent)
        self.session.add(loc)
        self.session.flush()
        return loc

    def material(self, grade="303 stainless", size="1.000 dia", **kw) -> Material:
        n = self._next()
        mat = Material(code=kw.pop("code", f"M{n}-{grade[:3]}"), grade=grade, family="stainless steel",
                       form=kw.pop("form", "round bar"), size=size, unit=kw.pop("unit", "in"),
                       diameter_in=kw.pop("diameter_in", Decimal("1")), density_lb_per_in3=Decimal("0.289"),
                       stocking="stocked", lead_time_days=10, **kw)
        self.session.add(mat)
        self.session.flush()
        return mat

    def lot(self, material=None, bin=None, lengths=(144, 144), heat="H12345") -> "production.MaterialLot":
        material = material or self.material()
        bin = bin or self.location()
        return production.receive_lot(self.session, material, heat, list(lengths), bin, supplier="Test Metals")

    def work_center(self, code=None, kind="lathe") -> WorkCenter:
        n = self._next()
        wc = WorkCenter(code=code or f"WC{n}", name=f"Work center {n}", kind=kind)
        self.session.add(wc)
        self.session.flush()
        return wc

    def vendor(self, code=None, process="anodize") -> Vendor:
        n = self._next()
        vendor = Vendor(code=code or f"VEND{n}-{process.upper()}", name=f"Vendor {n}", process=process,
                        turnaround_days=5)
        self.session.add(vendor)
        self.session.flush()
        self.session.add(Location(code=f"VND-{vendor.code}", name=vendor.name, kind="vendor", vendor_id=vendor.id))
        self.session.flush()
        return vendor

    def customer(self, code=None) -> Customer:
        n = self._next()
        customer = Customer(code=code or f"CUST{n}", name=f"Customer {n}")
        self.session.add(customer)
        self.session.flush()
        return customer

    def part(self, ops=("lathe", "mill"), *, outside=(), material=None, customer=None, number=None) -> Part:
        """A part whose routing has in-house ops at new work centers, then outside ops at new vendors."""
        n = self._next()
        part = Part(customer=customer or self.customer(), number=number or f"P-{n:04d}", rev="A",
                    description=f"Test part {n}", material=material or self.material(),
                    bar_length_per_piece=Decimal("1.250"))
        seq = 10
        for kind in ops:
            part.routing.append(RoutingStep(seq=seq, kind="inhouse", work_center=self.work_center(kind=kind),
                                            description=kind.title(), setup_min=30, run_min_per_piece=2))
            seq += 10
        for process in outside:
            part.routing.append(RoutingStep(seq=seq, kind="outside", vendor=self.vendor(process=process),
                                            description=process.title(), turnaround_days=5))
            seq += 10
        self.session.add(part)
        self.session.flush()
        return part

    def job(self, part=None, quantity=100, *, release=True, due_in_days=14, **part_kw):
        part = part or self.part(**part_kw)
        job = production.create_job(self.session, part, quantity, shoptime.today() + timedelta(days=due_in_days))
        if release:
            production.release_job(self.session, job)
        return job

    def station(self, code=None, kind="floor") -> Station:
        n = self._next()
        station = Station(code=code or f"ST{n}", name=f"Station {n}", kind=kind, token=uuid.uuid4().hex)
        self.session.add(station)
        self.session.flush()
        return station


@pytest.fixture
def demo_shop(app, session):
    """The demo shop, built for the test's day (SHOP_NOW), so what its board shows is the same every run."""
    demo.seed(session, today=shoptime.today())
    session.commit()


@pytest.fixture
def make(session):
    return Factory(session)


def login(client, user, password=PASSWORD):
    response = client.post("/login", data={"username": user.username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


@pytest.fixture
def login_as(client, make):
    """Log the client in as a new user of a role; returns the user."""

    def _login(role=codes.PLANNER):
        user = make.user(role)
        make.commit()
        login(client, user)
        return user

    return _login


# --- a live server and a browser --------------------------------------------------------------

class _OneRequestPerConnection(WSGIRequestHandler):
    # A real restart drops every open connection; without keep-alive the dev server does the same,
    # so a stopped server really is gone for the browser (nothing is served by a lingering thread).
    protocol_version = "HTTP/1.0"


class LiveServer:
    """A Spex app served over real HTTP on loopback from a thread of its own. Started on the port of
    a stopped one it stands for the same service after a restart."""

    def __init__(self, app, port=0, *, keep_alive=True):
        self.app = app
        self.server = make_server("127.0.0.1", port, app, threaded=True,
                                  request_handler=None if keep_alive else _OneRequestPerConnection)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.stopped = False

    def stop(self):
        if self.stopped:
            return
        self.stopped = True
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def start_server(app):
    """Start live servers for an app (the test's, or a second process's worth of one), on a given port
    to stand for a restart; any still running stop at teardown, before the test's app is closed."""
    with ExitStack() as running:
        def _start(server_app, port=0, *, keep_alive=True):
            server = LiveServer(server_app, port, keep_alive=keep_alive)
            running.callback(server.stop)
            return server

        yield _start


@pytest.fixture
def live_server(app, start_server):
    """The test's app over real HTTP."""
    return start_server(app)


@pytest.fixture
def sign_in():
    """Sign a person in through the login form, as they would, and wait for the page they asked for.
    `user` is a User or a user name; `server` anything with the server's `url`."""

    def _sign_in(page, server, user, path="/", *, password=PASSWORD):
        page.goto(f"{server.url}/login?next={path}")
        page.fill("input[name=username]", getattr(user, "username", user))
        page.fill("input[name=password]", password)
        page.keyboard.press("Enter")
        page.wait_for_url(f"{server.url}{path}")

    return _sign_in


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        message = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI installs it: a missing browser must not pass as skipped tests
        pytest.skip(message)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def screen(browser):
    """Open pages on screens of a given size, each in a browser of its own (cookies, downloads);
    all closed at teardown."""
    with ExitStack() as opened:
        def _open(size, *, timeout=10_000):
            context = browser.new_context(viewport=size, accept_downloads=True)
            opened.callback(context.close)
            page = context.new_page()
            page.set_default_timeout(timeout)
            return page

        yield _open


@pytest.fixture
def page(screen):
    """A page on an office laptop's screen."""
    return screen({"width": 1366, "height": 768})

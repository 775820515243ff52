"""Scan station fixtures: a registered station for the test client, a scan helper, and small shop
set-ups (a job with its bar stock, scrap bin and FG bin) the flows scan against; a station over HTTP,
and one in Chromium with the person at it."""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from spex import codes, ledger, shopfloor, shoptime
from spex.auth import STATION_COOKIE
from spex.models import Balance, CustomerOrder, LedgerEntry, OrderLine, Release, clock_at, utcnow
from tests.conftest import SCANNER_KEY_DELAY_MS, TEST_PIN


def entries(session) -> int:
    return session.scalar(select(func.count(LedgerEntry.id)))


def balances(session) -> dict:
    return {(b.item, b.place): b.quantity for b in session.scalars(select(Balance))}


def headline(html: str) -> str:
    match = re.search(r'<p class="scan-headline">(.*?)</p>', html, re.S)
    return match.group(1).strip() if match else ""


def outcome(html: str) -> str:
    match = re.search(r'data-outcome="(\w+)"', html)
    return match.group(1) if match else ""


@dataclass
class Answer:
    status: int
    html: str
    replayed: bool

    @property
    def outcome(self) -> str:
        return outcome(self.html)

    @property
    def headline(self) -> str:
        return headline(self.html)

    @property
    def asks_pin(self) -> bool:
        return "data-asks-pin" in self.html


class Scanner:
    """Posts scans to /station/scan as the station script does (htmx header, CSRF, a fresh scan id).

    A badge that the station answers with "Enter your PIN" gets the test PIN typed after it (the
    answer is then the PIN's), so a test that signs an inspector in says only whom; with pin=None
    the station's own answer to the badge comes back.
    """

    def __init__(self, client, pin: str | None = TEST_PIN):
        self.client = client
        self.pin = pin
        self.pinned: datetime | None = None

    def __call__(self, code, scan_id: str | None = None, *, gap_ms: int | None = None) -> Answer:
        answer = self.post(code, scan_id, gap_ms=gap_ms)
        if self.pin and answer.asks_pin and str(code).strip().upper().startswith(codes.EMP):
            return self.post(self.pin)
        return answer

    def post(self, code, scan_id: str | None = None, *, gap_ms: int | None = None) -> Answer:
        data = {"code": code, "scan_id": scan_id or uuid.uuid4().hex}
        if gap_ms is not None:  # the station script's own gap between this read and the one before
            data["gap_ms"] = str(gap_ms)
        response = self.client.post("/station/scan", data=data, headers={"HX-Request": "true"})
        assert response.status_code in (200, 204, 403, 422), response.get_data(as_text=True)
        return Answer(response.status_code, response.get_data(as_text=True),
                      response.headers.get("X-Spex-Replayed") == "1")

    def all(self, *codes_):
        return [self(code) for code in codes_]

    def later(self, code, seconds: float = 2.0, **kwargs) -> Answer:
        """A scan some seconds after the one before by the shop's clock: the same card scanned again
        on purpose, not a scanner's double read of it."""
        self.pinned = max(utcnow(), self.pinned or utcnow()) + timedelta(seconds=seconds)
        with clock_at(self.pinned):
            return self(code, **kwargs)


@pytest.fixture
def station(make, client):
    station = make.station()
    make.commit()
    client.set_cookie(STATION_COOKIE, station.token)
    return station


@pytest.fixture
def scan(client, station):
    return Scanner(client)


@dataclass
class Shop:
    operator: object
    inspector: object
    shipper: object
    handler: object
    job: object
    lot: object
    rack: object
    fg_bin: object
    scrap_bin: object


@pytest.fixture
def shop(session, make):
    """Job of 100 pcs (op 10 lathe, op 20 mill, op 30 anodize outside), two 144 in bars of its material."""
    operator = make.user(codes.OPERATOR, name="Olga Operator")
    inspector = make.user(codes.INSPECTOR, name="Ida Inspector")
    shipper = make.user(codes.SHIPPING, name="Sam Shipper")
    handler = make.user(codes.MATERIAL_HANDLER, name="Max Handler")
    material = make.material()
    part = make.part(ops=("lathe", "mill"), outside=("anodize",), material=material)
    job = make.job(part, quantity=100)
    rack = make.location("R1-A01")
    lot = make.lot(material=material, bin=rack, lengths=(144, 144), heat="H4711")
    fg_bin = make.location("FG-01", kind="fg")
    scrap_bin = make.location("SCRAP", kind="scrap")
    make.commit()
    return Shop(operator, inspector, shipper, handler, job, lot, rack, fg_bin, scrap_bin)


@pytest.fixture
def at_receiving(scan, shop, session):
    """Ten pieces of the shop's job at the anodizer, the shipper signed in at the station to receive them."""
    op10, op20, op30 = shop.job.operations
    shopfloor.complete_operation(session, op10, 10, user=shop.operator)
    shopfloor.complete_operation(session, op20, 10, user=shop.operator)
    shopfloor.ship_out(session, op30, 10, user=shop.shipper)
    session.commit()
    scan.all(shop.shipper.barcode, f"{shop.job.barcode}-30", "CMD-RECEIVE")
    return shop


def order_with_releases(session, make, job, quantities=(30, 70)):
    """A scheduled order line for the job's part with one release per quantity, linked to the job."""
    order = CustomerOrder(number=f"SO{uuid.uuid4().hex[:6]}", customer_id=job.part.customer_id, po_number="PO-881",
                          order_date=shoptime.today())
    line = OrderLine(order=order, line_no=1, part_id=job.part_id, quantity=sum(quantities), strategy="scheduled")
    for n, quantity in enumerate(quantities):
        line.releases.append(Release(kind="release", due_date=shoptime.today() + timedelta(days=7 * (n + 1)),
                                     quantity=quantity))
    session.add(order)
    session.flush()
    job.order_lines.append(line)
    session.commit()
    return line


def pieces_at(session, op) -> int:
    from spex.shopfloor import available_at
    return available_at(session, op)


class HttpStation:
    """A station browser over real HTTP: its station cookie, its session and CSRF token, like the page's script."""

    def __init__(self, base_url: str, station_token: str):
        import requests

        self.base_url = base_url
        self.http = requests.Session()
        self.http.cookies.set(STATION_COOKIE, station_token, domain="127.0.0.1", path="/")
        page = self.http.get(base_url + "/station", timeout=30).text
        self.token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)

    def __call__(self, code: str, scan_id: str | None = None, *, gap_ms: int | None = None) -> Answer:
        data = {"code": code, "scan_id": scan_id or uuid.uuid4().hex}
        if gap_ms is not None:  # the station script's own gap between this read and the one before
            data["gap_ms"] = str(gap_ms)
        response = self.http.post(self.base_url + "/station/scan", data=data,
                                  headers={"HX-Request": "true", "X-CSRFToken": self.token}, timeout=60)
        return Answer(response.status_code, response.text, response.headers.get("X-Spex-Replayed") == "1")


class Operator:
    """The person at the station: scans codes, reads the big answer."""

    def __init__(self, page, url):
        self.page = page
        page.goto(url + "/station")
        page.wait_for_selector("#scan-input:focus")

    def answers(self) -> int:
        return int(self.page.evaluate("document.body.getAttribute('data-answers') || '0'"))

    def scan(self, *codes_, wait=True):
        before = self.answers()
        for code in codes_:
            self.page.keyboard.type(code, delay=SCANNER_KEY_DELAY_MS)
            self.page.keyboard.press("Enter")
        if wait:
            # Selectors, not wait_for_function: the page's CSP forbids evaluating strings (no unsafe-eval).
            self.page.wait_for_selector(f'body[data-answers="{before + len(codes_)}"]')
        return self

    @property
    def headline(self) -> str:
        return self.page.inner_text("#scan-feedback .scan-headline")

    @property
    def outcome(self) -> str:
        return self.page.get_attribute("#scan-feedback [data-outcome]", "data-outcome")

    @property
    def context(self) -> str:
        return self.page.inner_text("#scan-context")


@pytest.fixture
def operator_at(page, live_server, station):
    page.context.add_cookies([{"name": STATION_COOKIE, "value": station.token, "url": live_server.url}])

    def _open():
        return Operator(page, live_server.url)

    return _open

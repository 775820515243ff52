"""Every GET and POST route of the app, found from its URL map, fed what no person types: NUL and the
other control characters, a right-to-left override, a megabyte, a 26-digit number, -1 and nothing,
in each part of the URL, in every query and form field the code or the pages name, and in each field
of the route's own form filled in as the page offers it. Signed in as an admin and anonymously: never
a 5xx. A route added later is covered without touching this file."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone
from html.parser import HTMLParser
from pathlib import Path
from functools import lru_cache
from urllib.parse import quote, quote_plus, urlsplit

import pytest
from werkzeug.routing import AnyConverter, IntegerConverter

from spex import codes, production
from spex.auth import STATION_COOKIE
from spex.extensions import db
from spex.models import clock_at
from spex.planning.orders import LineRequest, create_order

from tests.conftest import login

SPEX = Path(__file__).resolve().parent.parent / "spex"
MEGABYTE = "M" * 1_000_000
# In a URL, past what gunicorn lets through in a request line (4 KB: it answers 414 itself), a megabyte
# would only time the test client's quoting.
LONG_IN_URL = "U" * 8_000
HUGE = "99999999999999999999999999"
CONTROLS = [f"A{chr(c)}B" for c in range(0x00, 0x20)] + ["A\x7fB"]
# The few that stand for all others where every field of every form gets each of them in turn.
FEW = ["A\x00B", "\x01", "\u202eRTL", MEGABYTE, HUGE, "-1", "", "²"]
EVERY = CONTROLS + ["\u202eRTL", LONG_IN_URL, HUGE, "-1", "", "1.5", "1e400", "٣", "²"]
# Every named field at once gets each of these (a megabyte in a hundred fields would be 100 MB).
AT_ONCE = ["A\x00B", "\x01", "\x1b", "\u202eRTL", "L" * 5000, HUGE, "-1", "", "1.5", "1e400", "٣", "²"]
# Searches and scanned codes, the fields every room reads, get the megabyte each on their own.
MEGABYTE_FIELDS = ("q", "code")
TODAY = date(2026, 3, 10)
NOON = datetime(2026, 3, 10, 17, 0, tzinfo=timezone.utc)
ARGUMENT = re.compile(r"<(?:(\w+)(?:\((.*?)\))?:)?(\w+)>")
# Field names the code reads (request.args.get("q"), form.getlist("code"), read_int(form, "quantity", ...))
# and that the pages' inputs carry.
READ_IN_CODE = re.compile(r"""(?:args|form|values|files)\s*(?:\.get|\.getlist|\[)\(?\s*f?["']([A-Za-z_][\w-]*)""")
READ_BY_HELPER = re.compile(r"""read_(?:int|date|id)\(\s*[\w.]+\s*,\s*f?["']([A-Za-z_][\w-]*)""")
NAMED_IN_PAGE = re.compile(r"""\bname=["']([A-Za-z_][\w-]*)["']""")


def field_names() -> list[str]:
    found = set()
    for source in SPEX.rglob("*.py"):
        text = source.read_text()
        found.update(READ_IN_CODE.findall(text))
        found.update(READ_BY_HELPER.findall(text))
    for page in SPEX.rglob("*.html"):
        found.update(NAMED_IN_PAGE.findall(page.read_text()))
    found.discard("csrf_token")
    return sorted(found)


class Forms(HTMLParser):
    """The forms of one page: where each posts, and its fields filled in as the page offers them."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str, str, dict]] = []
        self._current = None
        self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            action = attrs.get("hx-post") or attrs.get("action") or ""
            method = "post" if attrs.get("hx-post") else (attrs.get("method") or "get").lower()
            self._current = {}
            self.forms.append((action, method, self._current))
        elif self._current is None or not attrs.get("name"):
            return
        elif tag == "input":
            if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                self._current.setdefault(attrs["name"], "")
                if attrs.get("type") == "radio":
                    self._current[attrs["name"]] = self._current[attrs["name"]] or attrs.get("value", "on")
                return
            self._current[attrs["name"]] = attrs.get("value", "on" if attrs.get("type") == "checkbox" else "")
        elif tag in ("select", "textarea"):
            self._select = attrs["name"]
            self._current.setdefault(self._select, "")
        elif tag == "option" and self._select and (not self._current[self._select] or "selected" in attrs):
            self._current[self._select] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None
        elif tag == "select":
            self._select = None


@pytest.fixture
def shop(app, session, make):
    """A little of everything, so pages with ids and codes render: a released job, a lot of bars in a bin,
    a station with a printer that does not answer, an order with a line, a work center and a vendor."""
    with clock_at(NOON):
        admin = make.user(codes.ADMIN)
        bin = make.location(code="R1-A01")
        part = make.part(ops=("lathe",), outside=("anodize",))
        job = production.create_job(session, part, 20, TODAY)
        production.release_job(session, job)
        lot = make.lot(material=part.material, bin=bin)
        station = make.station(code="LATHE-1")
        station.printer_host, station.printer_port = "127.0.0.1", 9  # nothing listens: a refused connection
        create_order(session, part.customer, "PO-1", [LineRequest(part_id=part.id, quantity=10, strategy="blanket",
                                                                  due_date=TODAY)])
        make.commit()
    return {"admin": admin, "job": job, "lot": lot, "unit": lot.units[0], "bin": bin, "station": station,
            "part": part}


def _good_arguments(shop) -> dict[str, list[str]]:
    """Real values for each URL argument name, so the routes get past their look-ups too."""
    return {
        "number": [shop["job"].number, shop["lot"].number],
        "code": [shop["unit"].code, shop["bin"].code, shop["unit"].barcode],
        "slug": ["materials", "parts", "stations", "users", "lots"],
        "filename": ["spex.css"],
    }


def _url(rule, values: dict[str, str]) -> str:
    def put(match):
        return _encoded(values[match.group(3)]).replace("+", "%20")
    return ARGUMENT.sub(put, rule.rule)


def _argument_choices(rule, good: dict[str, list[str]]) -> dict[str, list[str]]:
    choices = {}
    for converter_name, converter_args, name in ARGUMENT.findall(rule.rule):
        converter = rule._converters[name]
        if isinstance(converter, AnyConverter):
            choices[name] = [a.strip() for a in converter_args.split(",")]
        elif isinstance(converter, IntegerConverter):
            choices[name] = ["1", "2"]
        else:
            choices[name] = good.get(name, ["X"])
    return choices


def _routes(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        for method in sorted(rule.methods & {"GET", "POST"}):
            yield rule, method


@lru_cache(maxsize=None)
def _encoded(value: str) -> str:
    return quote_plus(value)  # a megabyte takes a while: once per distinct value


def _body(fields: dict) -> str:
    return "&".join(f"{_encoded(k)}={_encoded(v)}" for k, v in fields.items())


def _send(app, method, url, fields, cookies):
    # A fresh client each time, with the signed-in session's cookies: a request that signs out or
    # forgets the station leaves the next one as it was.
    client = app.test_client()
    client._token = cookies.get("csrf")
    for key, value in cookies.items():
        if key != "csrf":
            client.set_cookie(key, value)
    if method == "GET":
        return client.get(url + ("?" + _body(fields) if fields else ""))
    return client.post(url, data=_body(fields), content_type="application/x-www-form-urlencoded",
                       csrf=client._token is not None)


def _own_forms(app, cookies, good) -> dict[str, list[dict]]:
    """Every form on every page that renders, by the path it posts (or gets) to."""
    forms: dict[str, list[dict]] = {}
    for rule, method in _routes(app):
        if method != "GET":
            continue
        choices = _argument_choices(rule, good)
        response = _send(app, "GET", _url(rule, {k: v[0] for k, v in choices.items()}), {}, cookies)
        if response.status_code != 200 or "html" not in (response.mimetype or ""):
            continue
        parser = Forms()
        parser.feed(response.get_data(as_text=True))
        for action, _method, fields in parser.forms:
            path = urlsplit(action).path or _url(rule, {k: v[0] for k, v in choices.items()})
            forms.setdefault(path, []).append(fields)
    return forms


def _bad_requests(app, shop, own_forms):
    """(method, url, fields) for every route: each bad value in each URL argument, in every named field
    at once, and in each field of the route's own forms in turn."""
    good = _good_arguments(shop)
    names = field_names()
    for rule, method in _routes(app):
        choices = _argument_choices(rule, good)
        first = {k: v[0] for k, v in choices.items()}
        for name in choices:
            for value in choices[name][1:] + EVERY:
                if value:
                    yield method, _url(rule, first | {name: value}), {}
        url = _url(rule, first)
        for value in AT_ONCE:
            yield method, url, {name: value for name in names}
        for name in MEGABYTE_FIELDS:
            yield method, url, {name: MEGABYTE if method == "POST" else LONG_IN_URL}
        for fields in own_forms.get(url, []):
            yield method, url, dict(fields)
            for name in fields:
                for value in FEW:
                    yield method, url, fields | {name: LONG_IN_URL if value is MEGABYTE and method == "GET" else value}


def _never_5xx(app, shop, cookies):
    own_forms = _own_forms(app, cookies, _good_arguments(shop))
    failures, sent = [], 0
    with clock_at(NOON):
        for method, url, fields in _bad_requests(app, shop, own_forms):
            sent += 1
            try:  # under TESTING an error in a view is raised here instead of answering 500
                status = _send(app, method, url, fields, cookies).status_code
                answer = str(status)
            except Exception as exc:  # noqa: BLE001 - each one is a 500 to report, all of them at once
                status, answer = 500, f"500 ({type(exc).__name__}: {str(exc)[:80]})"
                db.session.rollback()
            if status >= 500:
                shown = {k: (v[:20] + "…" if len(v) > 20 else v) for k, v in fields.items() if v}
                failures.append(f"{answer} {method} {url[:120]} {shown if len(shown) < 6 else ''}")
    return failures, sent, own_forms


def test_no_route_answers_5xx_to_bad_input_signed_in(app, client, shop):
    login(client, shop["admin"])
    cookies = {"session": client.get_cookie("session").value, STATION_COOKIE: shop["station"].token,
               "csrf": client.csrf_token()}
    failures, sent, own_forms = _never_5xx(app, shop, cookies)
    # The run must really reach the routes and their forms, or it proves nothing.
    assert sent > 1000 and len(own_forms) > 10, (sent, sorted(own_forms))
    assert not failures, "\n".join(failures[:60]) + f"\n({len(failures)} of {sent})"


def test_no_route_answers_5xx_to_bad_input_anonymously(app, shop):
    failures, sent, _ = _never_5xx(app, shop, {})
    assert not failures, "\n".join(failures[:60]) + f"\n({len(failures)} of {sent})"


def test_unreadable_characters_are_refused_with_a_message_before_any_view(app, client, shop):
    login(client, shop["admin"])
    for url in (f"/jobs/{shop['job'].number}%00", "/labels/?q=A%00B", "/plan/jobs?q=%01"):
        response = client.get(url)
        assert response.status_code == 400, url
        assert "characters no label or form has" in response.get_data(as_text=True)
    response = client.post("/labels/print", data={"q": "A\x00B", "kind": "bin"})
    assert response.status_code == 400
    # What a scanner sends after a code is still a search.
    assert client.get("/labels/?q=" + quote(shop["bin"].barcode + "\r\n\t")).status_code == 200


def test_an_id_past_what_the_database_holds_is_not_found(app, client, shop):
    login(client, shop["admin"])
    assert client.get(f"/masters/materials/{HUGE}").status_code == 404
    assert client.get(f"/masters/materials/{2**31}").status_code == 404
    assert client.get("/masters/materials/1").status_code == 200
    response = client.post("/labels/print", data={"kind": "bin", "code": shop["bin"].barcode, "station_id": HUGE})
    assert response.status_code == 422
    assert "that printer station does not exist" in response.get_data(as_text=True)

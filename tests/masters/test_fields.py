"""Reading one field against its description, and lists that cost the same few queries however long they are."""
from contextlib import contextmanager
from decimal import Decimal

import pytest
from sqlalchemy import event
from werkzeug.datastructures import MultiDict

from spex.extensions import db
from spex.masters.catalog import MASTERS
from spex.masters.fields import BOOL, DECIMAL, INT, Field, Master, read_form
from spex.models import Customer

CHECKS = Master(
    slug="checks", title="Checks", singular="check", model=Customer, columns=(), search=(), order_by=("code",),
    fields=(
        Field("code", "Code", code=True, prefix="CUST-"),
        Field("flag", "Flag", BOOL, stored=False),
        Field("amount", "Amount", DECIMAL, stored=False, max=1000),
        Field("count", "Count", INT, stored=False, min=1, max=10),
    ),
)


@pytest.mark.parametrize("raw, expected", [("on", True), ("", False), ("1", True), ("no", False)])
def test_a_checkbox_reads_as_yes_or_no(app, raw, expected):
    reading = read_form(db.session, CHECKS, MultiDict({"code": "A", "flag": raw, "amount": "1", "count": "1"}))
    assert reading.ok and reading.values["flag"] is expected


@pytest.mark.parametrize("raw, expected", [("12.5", Decimal("12.500")), (" 0.289 ", Decimal("0.289")),
                                           (".5", Decimal("0.500")), ("1000", Decimal("1000.000"))])
def test_a_decimal_is_kept_to_the_thousandth(app, raw, expected):
    reading = read_form(db.session, CHECKS, MultiDict({"code": "A", "amount": raw, "count": "1"}))
    assert reading.ok and reading.values["amount"] == expected


@pytest.mark.parametrize("field, raw, message", [
    ("amount", "1000.001", "at most 1,000"),
    ("amount", "0.2894", "kept to 3 decimal places; 0.2894 has 4"),  # refused, not rounded to 0.289
    ("amount", "1e400", "Enter a number"),
    ("count", "0", "at least 1"),
    ("count", "11", "at most 10"),
    ("code", "cust-", "letters, digits"),
])
def test_out_of_range_and_malformed_numbers(app, field, raw, message):
    form = {"code": "A", "amount": "1", "count": "1"} | {field: raw}
    reading = read_form(db.session, CHECKS, MultiDict(form))
    assert message in reading.errors[field] and field not in reading.values


def test_a_scanned_code_loses_its_prefix(app):
    reading = read_form(db.session, CHECKS, MultiDict({"code": " cust-acme\r", "amount": "1", "count": "1"}))
    assert reading.values["code"] == "ACME"


@contextmanager
def counted_queries():
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


@pytest.mark.parametrize("slug", ["locations", "parts", "stations", "lots"])
def test_a_list_costs_the_same_queries_for_two_rows_or_twenty(client, admin, make, slug):
    def add(n):
        for _ in range(n):
            if slug == "locations":
                area = make.location(kind="area")
                make.location(kind="bin", parent=make.location(kind="rack", parent=area))
            elif slug == "parts":
                make.part(ops=("lathe", "mill"), outside=("anodize",))
            elif slug == "stations":
                station = make.station()
                station.location, station.work_center = make.location(), make.work_center()
            else:
                make.lot()
        make.commit()

    add(2)
    db.session.commit()  # both measurements start with everything expired, as after any write
    with counted_queries() as few:
        assert client.get(f"/masters/{slug}").status_code == 200
    add(20)
    with counted_queries() as many:
        assert client.get(f"/masters/{slug}").status_code == 200
    assert len(many) == len(few), MASTERS[slug].title

"""Prepared statements: on SQLite straight on the driver, elsewhere through SQLAlchemy; either way the
same values, the same transaction and the same errors as any other statement."""
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from spex import ledger
from spex.models import Balance, ScanRecord, Station
from spex.prepared import Prepared

_BALANCE_ROW = Prepared(select(Balance.item, Balance.place, Balance.quantity, Balance.updated_at)
                        .where(Balance.item == bindparam("b_item")))
_RAISE = Prepared(update(Balance).where(Balance.item == bindparam("b_item"))
                  .values(quantity=Balance.quantity + bindparam("b_more"), updated_at=bindparam("b_at")))
_NOW = datetime(2026, 11, 25, 14, 30, tzinfo=timezone.utc)
_ACTIVE_STATIONS = Prepared(select(Station.code, Station.active).where(Station.active.is_(True)).order_by(Station.code))
_SCAN = Prepared(insert(ScanRecord).values(uid=bindparam("b_uid"), station_id=bindparam("b_station"), raw="x",
                                           outcome="done", message="", created_at=bindparam("b_at")))


def _shop(session, make):
    unit = make.lot(lengths=(144,)).units[0]
    session.commit()
    return ledger.unit_item(unit.id)


def test_a_row_reads_as_sqlalchemy_reads_it(session, make):
    item = _shop(session, make)
    expected = session.execute(select(Balance.item, Balance.place, Balance.quantity, Balance.updated_at)
                               .where(Balance.item == item)).one()
    row = _BALANCE_ROW.first(session, {"b_item": item})
    assert row == tuple(expected)
    assert row[2] == Decimal("144.000") and isinstance(row[2], Decimal)  # thousandths back to inches
    assert row[3].tzinfo is not None  # times come back in UTC, as the model's type gives them
    assert _BALANCE_ROW.scalar(session, {"b_item": item}) == item
    assert _BALANCE_ROW.first(session, {"b_item": "unit:0"}) is None


def test_constants_in_the_statement_and_booleans_are_bound(session, make):
    make.station(code="ST-ON")
    off = make.station(code="ST-OFF")
    off.active = False
    session.commit()
    assert _ACTIVE_STATIONS.rows(session, {}) == [("ST-ON", True)]


def test_a_write_belongs_to_the_session_transaction(session, make):
    item = _shop(session, make)
    assert _RAISE.write(session, {"b_item": item, "b_more": Decimal("0.5"), "b_at": _NOW}) == 1
    assert ledger.balance(session, item, _BALANCE_ROW.first(session, {"b_item": item})[1]) == Decimal("144.5")
    session.rollback()  # the write goes with the transaction it ran in
    assert _BALANCE_ROW.first(session, {"b_item": item})[2] == Decimal("144")
    assert _RAISE.write(session, {"b_item": item, "b_more": 1, "b_at": _NOW}) == 1
    session.commit()
    # A new transaction after the commit: the statement runs in it, not in the finished one.
    assert _RAISE.write(session, {"b_item": item, "b_more": 1, "b_at": _NOW}) == 1
    session.rollback()
    assert _BALANCE_ROW.first(session, {"b_item": item})[2] == Decimal("145")
    assert _RAISE.write(session, {"b_item": "unit:0", "b_more": 1, "b_at": _NOW}) == 0


def test_a_duplicate_is_sqlalchemys_integrity_error_and_the_insert_gives_the_new_id(session, make):
    station = make.station()
    session.commit()
    when = _NOW
    new_id = _SCAN.insert(session, {"b_uid": "scan-0001", "b_station": station.id, "b_at": when})
    stored = session.get(ScanRecord, new_id)
    assert (stored.uid, stored.created_at) == ("scan-0001", when)
    with pytest.raises(IntegrityError):
        _SCAN.insert(session, {"b_uid": "scan-0001", "b_station": station.id, "b_at": when})
    session.rollback()


def test_what_the_driver_path_cannot_do_is_refused_on_sqlite(session, make):
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("the driver path is SQLite's")
    item = _shop(session, make)
    listed = Prepared(select(Balance.item).where(Balance.item.in_(bindparam("b_items", expanding=True))))
    with pytest.raises(ValueError, match="not a fixed statement"):
        listed.rows(session, {"b_items": [item]})
    # balances.updated_at follows every update (onupdate): a statement that leaves it out would
    # write NULL there on the driver path, so it is refused instead.
    undated = Prepared(update(Balance).where(Balance.item == bindparam("b_item"))
                       .values(quantity=Balance.quantity + 1))
    with pytest.raises(ValueError, match="updated_at"):
        undated.write(session, {"b_item": item})
    session.rollback()
    assert _BALANCE_ROW.first(session, {"b_item": item})[2] == Decimal("144")

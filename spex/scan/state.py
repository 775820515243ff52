"""A station's state as one scan reads and writes it: the station, its context, who is signed in and
its last scan, in the scan's first query; the record of each scan; the people a badge names.

This is the station's speed layer. Every station queues on SQLite's one write lock, so these
statements are built once and run as prepared statements (spex.prepared) inside it; the rest of
the scan path uses the models and plain SQLAlchemy.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import bindparam, desc, func, insert, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from spex.models import ScanRecord, Station, StationState, User, utcnow
from spex.models.people import role_allows
from spex.prepared import Prepared


class ScanLine(NamedTuple):
    """A scan as the station's list of recent scans shows it."""
    uid: str
    created_at: datetime
    raw: str
    outcome: str
    message: str


# --- the statements a scan runs, built once ----------------------------------------------------
# Building a statement (and its cache key) costs SQLAlchemy several times what running it does, and
# every scan runs a handful of these inside the write lock; so they are built here, once, with
# parameters bound at each run.

_STATE_FIELDS = ("operator_id", "job_id", "job_operation_id", "stock_unit_id", "fg_lot_id", "pending", "data")
_STATION_FIELDS = ("id", "code", "name")
_PERSON_FIELDS = ("id", "name", "badge", "role", "active")
_LAST_SCAN_FIELDS = ("raw", "outcome", "created_at", "response")


def _station_state_and_last_scan(last_scan_columns, join_last_scan):
    """The station (by its browser's token), its state, its signed-in operator and its last scan (to
    tell a scanner's double read), in one query, as plain rows; on PostgreSQL the station's row is
    locked for the scan, so one station's scans take turns."""
    query = (select(*(getattr(Station, f) for f in _STATION_FIELDS), StationState.station_id,
                    *(getattr(StationState, f) for f in _STATE_FIELDS), StationState.updated_at,
                    *(getattr(User, f) for f in _PERSON_FIELDS), *last_scan_columns)
             .select_from(Station)
             .outerjoin(StationState, StationState.station_id == Station.id)
             .outerjoin(User, User.id == StationState.operator_id))
    return (join_last_scan(query).where(Station.token == bindparam("b_token"), Station.active.is_(True))
            .with_for_update(of=Station))


# The last scan is one step down the scans' (station_id, id) index. SQLite finds it by its id, the
# highest of the station's; PostgreSQL, which plans that join as a hash of the whole table when the
# table is small, by a lateral look-up of the station's newest scan.
_EARLIER_SCAN = aliased(ScanRecord)
_LAST_SCAN_ID = (select(func.max(_EARLIER_SCAN.id)).where(_EARLIER_SCAN.station_id == Station.id)
                 .correlate(Station).scalar_subquery())
_LAST_SCAN = (select(*(getattr(ScanRecord, f) for f in _LAST_SCAN_FIELDS))
              .where(ScanRecord.station_id == Station.id).order_by(desc(ScanRecord.id)).limit(1)
              .correlate(Station).lateral("last_scan"))
_STATE = Prepared(
    _station_state_and_last_scan([getattr(ScanRecord, f) for f in _LAST_SCAN_FIELDS],
                                 lambda query: query.outerjoin(ScanRecord, ScanRecord.id == _LAST_SCAN_ID)),
    postgresql=_station_state_and_last_scan([_LAST_SCAN.c[f] for f in _LAST_SCAN_FIELDS],
                                            lambda query: query.outerjoin(_LAST_SCAN, true())))
# Where each part sits in a row of _STATE (the state's part: station_id, its fields, updated_at).
_STATION_COLUMNS = slice(0, len(_STATION_FIELDS))
_STATE_COLUMNS = slice(_STATION_COLUMNS.stop, _STATION_COLUMNS.stop + len(_STATE_FIELDS) + 2)
_PERSON_COLUMNS = slice(_STATE_COLUMNS.stop, _STATE_COLUMNS.stop + len(_PERSON_FIELDS))
_LAST_SCAN_COLUMNS = slice(_PERSON_COLUMNS.stop, None)
_STATE_BINDS = tuple("b_" + f for f in _STATE_FIELDS)
_SAVE_STATE = Prepared(update(StationState).where(StationState.station_id == bindparam("b_station"))
                       .values({**{f: bindparam(b) for f, b in zip(_STATE_FIELDS, _STATE_BINDS)},
                                "updated_at": bindparam("b_now")}))


def _new_state(dialect_insert):
    # A station's first scan makes its state row. Two first scans of a new station may race to make
    # it: the loser's insert does nothing and it reads the winner's.
    return (dialect_insert(StationState).values(station_id=bindparam("b_station"), updated_at=bindparam("b_now"))
            .on_conflict_do_nothing(index_elements=["station_id"]))


_NEW_STATE = Prepared(_new_state(sqlite.insert), postgresql=_new_state(postgresql.insert))
_SCAN_FIELDS = ("uid", "station_id", "user_id", "raw", "outcome", "message", "response", "created_at")
_SCAN_RECORD = Prepared(insert(ScanRecord).values({f: bindparam("b_" + f) for f in _SCAN_FIELDS}))
_PERSON_BY_BADGE = Prepared(select(*(getattr(User, f) for f in _PERSON_FIELDS))
                            .where(User.badge == bindparam("b_value")))
# A person and, last, their PIN's hash: read only for a person who signs in with a PIN.
_PERSON_WITH_PIN = Prepared(select(*(getattr(User, f) for f in _PERSON_FIELDS), User.pin_hash)
                            .where(User.id == bindparam("b_value")))
_SCAN_BY_UID = select(ScanRecord).where(ScanRecord.uid == bindparam("b_value"))
_RECENT = Prepared(select(*(getattr(ScanRecord, f) for f in ScanLine._fields))
                   .where(ScanRecord.station_id == bindparam("b_value"))
                   .order_by(desc(ScanRecord.id)).limit(bindparam("b_limit")))


# --- the station's state ---------------------------------------------------------------------


@dataclass


class State:
    """A station's state row as one scan reads and changes it: plain values, written back with one
    UPDATE when the scan changed them (the ORM's unit of work costs more than the whole statement)."""
    station_id: int
    operator_id: int | None
    job_id: int | None
    job_operation_id: int | None
    stock_unit_id: int | None
    fg_lot_id: int | None
    pending: str | None
    data: str | None
    updated_at: object
    as_read: tuple = field(default=(), repr=False, compare=False)
    last_scan: LastScan | None = field(default=None, repr=False, compare=False)  # the station's scan before this one

    def values(self) -> tuple:
        return (self.operator_id, self.job_id, self.job_operation_id, self.stock_unit_id, self.fg_lot_id,
                self.pending, self.data)

    def restore(self) -> None:
        """Back to the state as it was read: what a refused scan leaves."""
        (self.operator_id, self.job_id, self.job_operation_id, self.stock_unit_id, self.fg_lot_id,
         self.pending, self.data) = self.as_read


class LastScan(NamedTuple):
    """The station's previous scan, read with its state."""
    raw: str
    outcome: str
    created_at: datetime
    response: str | None


class StationRef(NamedTuple):
    """The station a scan came from, read with its state in the scan's first query: what recording
    and showing the scan need (loading it as a Station object would cost more than the query)."""
    id: int
    code: str
    name: str


class Person(NamedTuple):
    """Who is signed in at the station, read with its state: what the shop floor's checks and the
    answer ask of a user."""
    id: int
    name: str
    badge: str
    role: str
    active: bool

    def has_role(self, *roles: str) -> bool:
        return role_allows(self.role, roles)


def load_state(session: Session, token: str) -> tuple[StationRef | None, State | None, Person | None]:
    """The active station registered with this token, its state and its signed-in operator, locked
    for this scan (PostgreSQL row lock; SQLite holds the write lock). All None for no such station."""
    row = _STATE.first(session, {"b_token": token})
    if row is None:
        return None, None, None
    if row[_STATE_COLUMNS.start] is None:  # the station's first scan
        _NEW_STATE.write(session, {"b_station": row[0], "b_now": utcnow()})
        row = _STATE.first(session, {"b_token": token})
    state = State(*row[_STATE_COLUMNS])
    state.as_read = state.values()
    if row[_LAST_SCAN_COLUMNS.start] is not None:
        state.last_scan = LastScan._make(row[_LAST_SCAN_COLUMNS])
    operator = Person._make(row[_PERSON_COLUMNS]) if row[_PERSON_COLUMNS.start] is not None else None
    return StationRef._make(row[_STATION_COLUMNS]), state, operator


def save_state(session: Session, state: State) -> None:
    """Write the state back if the scan changed it; updated_at follows only a real change."""
    if state.values() == state.as_read:
        return
    state.updated_at = utcnow()
    _SAVE_STATE.write(session, {"b_station": state.station_id, "b_now": state.updated_at,
                                **dict(zip(_STATE_BINDS, state.values()))})
    state.as_read = state.values()


def read_state(session: Session, station: StationRef | Station) -> StationState | None:
    return session.get(StationState, station.id)


def person_with_pin(session: Session, user_id: int) -> tuple[Person | None, str | None]:
    """The person and their PIN's hash (None when they have none), for the PIN step."""
    row = _PERSON_WITH_PIN.first(session, {"b_value": user_id})
    return (Person._make(row[:-1]), row[-1]) if row is not None else (None, None)


def person_by_badge(session: Session, badge: str) -> Person | None:
    row = _PERSON_BY_BADGE.first(session, {"b_value": badge})
    return Person._make(row) if row is not None else None


def write_scan_record(session: Session, line: ScanLine, station_id: int, user_id: int | None, response: str) -> None:
    """One INSERT; a resent scan id meets the unique key here, and the caller replays the first answer."""
    _SCAN_RECORD.insert(session, {"b_uid": line.uid, "b_station_id": station_id, "b_user_id": user_id,
                                  "b_raw": line.raw, "b_outcome": line.outcome, "b_message": line.message,
                                  "b_response": response, "b_created_at": line.created_at})


def scan_by_uid(session: Session, scan_uid: str) -> ScanRecord | None:
    return session.scalar(_SCAN_BY_UID, {"b_value": scan_uid})


def recent_lines(session: Session, station_id: int, limit: int) -> list[ScanLine]:
    """The station's last scans, newest first."""
    return [ScanLine._make(row) for row in _RECENT.rows(session, {"b_value": station_id, "b_limit": limit})]


def decode(text: str | None) -> dict:
    """The values a station's state (or a scan record) keeps as JSON text; {} for anything else."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}

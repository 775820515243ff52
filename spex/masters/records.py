"""Masters room: finding, saving and (de)activating master records, whatever their kind.

Plain functions of a session and a Master description; they know nothing of Flask's request.
Nothing here deletes: the ledger and old jobs refer to these rows, so retiring one is active=False.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from spex.masters import history
from spex.masters.fields import (BOOL, CONTROL_CHARS, DB_INT_MAX, FK, SECRET_KINDS, FormReading, Master, read_form,
                                 redisplayed, shown)

PAGE_SIZE = 25
QUERY_CHARS = 100
MAX_PAGE = 100_000


@dataclass
class Row:
    id: int
    cells: list[tuple[str, bool]]  # (text, numeric)
    active: bool


@dataclass
class Found:
    rows: list[Row]
    page: int
    pages: int
    total: int


@dataclass
class Widget:
    """One form input, ready to print: the template only places it."""

    name: str
    label: str
    kind: str
    input_type: str
    value: str
    error: str | None
    required: bool
    maxlength: int | None
    inputmode: str | None
    hint: str
    options: list[tuple[str, str]]


def clean_query(raw) -> str:
    text = raw if isinstance(raw, str) else ""
    return CONTROL_CHARS.sub("", text).strip()[:QUERY_CHARS]


def page_number(raw) -> int:
    text = raw if isinstance(raw, str) else ""
    return min(int(text), MAX_PAGE) if text.isascii() and text.isdigit() and len(text) < 7 and int(text) > 0 else 1


def valid_id(record_id: int) -> bool:
    """An id from a URL that the database can be asked about (PostgreSQL integers are 32-bit)."""
    return 0 < record_id <= DB_INT_MAX


def _cell(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return shown(value)
    return "" if value is None else str(value)


def row_of(master: Master, record) -> Row:
    return Row(record.id, [(_cell(column.read(record)), column.numeric) for column in master.columns],
               bool(record.active))


def find(session: Session, master: Master, text: str, *, include_inactive: bool = False, page: int = 1) -> Found:
    """One page of a master's list, filtered by what was typed in the search box."""
    model = master.model
    conditions = []
    if not include_inactive:
        conditions.append(model.active.is_(True))
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(or_(*(getattr(model, name).ilike(pattern, escape="\\") for name in master.search)))
    total = session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(page, pages)
    statement = (select(model).where(*conditions)
                 .order_by(*(getattr(model, name) for name in master.order_by), model.id)
                 .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))
    if master.eager:
        statement = statement.options(*master.eager())
    records = session.scalars(statement).unique().all()
    return Found([row_of(master, record) for record in records], page, pages, total)


def count(session: Session, master: Master) -> int:
    return session.scalar(select(func.count()).select_from(master.model).where(master.model.active.is_(True))) or 0


def read(session: Session, master: Master, form, record=None, actor=None, fixed: dict | None = None) -> FormReading:
    """The posted form checked field by field, then by the master's own rules."""
    reading = read_form(session, master, form, record, fixed)
    if master.check is not None:
        master.check(session, record, reading, actor)
    return reading


def save(session: Session, master: Master, reading: FormReading, record=None, *, actor=None, **fixed):
    """Write a checked form into a new or existing record, and what changed into its history
    (flushed, not committed)."""
    created = record is None
    if created:
        record = master.model(**fixed)
        session.add(record)
    before = None if created else history.snapshot(master, record)
    for field in master.fields:
        if field.stored and field.name in reading.values:
            setattr(record, field.name, reading.values[field.name])
    session.flush()
    changes = None if created else history.changes_between(session, master, before, record)
    history.note_save(session, master, record, changes, actor)
    if changes and master.on_changes is not None:
        master.on_changes(session, record, changes, actor)
    if master.after_save is not None:
        master.after_save(session, record, reading, created)
    session.flush()
    return record


def set_active(session: Session, master: Master, record, active: bool, actor=None) -> str | None:
    """Retire or bring back a record; returns why not, or None when done (flushed, not committed)."""
    if not active and master.refuse_deactivate is not None:
        refusal = master.refuse_deactivate(session, record, actor)
        if refusal:
            return refusal
    if bool(record.active) != active:
        history.note_active(session, master, record, active, actor)
    record.active = active
    if master.on_active is not None:
        master.on_active(session, record, active)
    session.flush()
    return None


def new_values(session: Session, master: Master) -> dict:
    """What a new record's form starts with: the model's column defaults, then the master's own."""
    values = {}
    for field in master.fields:
        if not field.stored:
            continue
        default = master.model.__table__.c[field.name].default
        if default is not None and default.is_scalar:
            values[field.name] = shown(default.arg)
    if master.new_defaults is not None:
        values.update(master.new_defaults(session))
    return values


def record_values(master: Master, record) -> dict:
    return {f.name: shown(getattr(record, f.name)) for f in master.fields if f.stored}


def widgets(session: Session, master: Master, values: dict, errors: dict) -> list[Widget]:
    """The form's inputs with their current values and messages; one query per foreign-key list."""
    result = []
    for field in master.fields:
        options = []
        if field.choices is not None:
            options = [("", "—")] * (not field.required) + list(field.choices.items())
        elif field.kind == FK:
            rows = session.scalars(field.options(session)).all()
            options = [("", "—")] + [(str(row.id), field.describe(row)) for row in rows]
        value = "" if field.kind in SECRET_KINDS else redisplayed(values.get(field.name, ""))
        if field.kind == FK and value and value not in {v for v, _ in options}:
            options.append((value, f"#{value} (deactivated)"))
        maxlength = None
        if field.kind not in (FK, BOOL) and field.choices is None:
            maxlength = field.max_length or _column_length(master, field)
        result.append(Widget(field.name, field.label, field.kind, field.input_type, value, errors.get(field.name),
                             field.required, maxlength, field.inputmode, field.hint, options))
    return result


def _column_length(master: Master, field) -> int | None:
    if not field.stored:
        return None
    return getattr(master.model.__table__.c[field.name].type, "length", None)

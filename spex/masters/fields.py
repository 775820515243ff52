"""Masters room: the declarative description of a master (its fields, list columns, search) and the
reading of a posted form against it.

Reading never writes. It returns clean values and one message per bad field, so a route can
re-render the form with 422 and leave the database untouched.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from spex import codes
# NUL and other control characters cannot be stored by PostgreSQL or printed on a label; ids must fit
# PostgreSQL's 32-bit integer, or the query itself fails.
from spex.forms import CONTROL_CHARS, DB_INT_MAX
from spex.models._types import QTY_DECIMALS

TEXT, INT, DECIMAL, CHOICE, BOOL, FK, PASSWORD = "text", "int", "decimal", "choice", "bool", "fk", "password"
PIN = "pin"  # a station PIN: digits, never shown back
SECRET_KINDS = (PASSWORD, PIN)

# Before parsing a number we look at its length: a 10,000-digit "quantity" is a mis-paste, and
# Python refuses to turn more than 4,300 digits into an int anyway.
NUMBER_CHARS = 24
DEFAULT_INT_MAX = 1_000_000
DEFAULT_DECIMAL_MAX = Decimal("10000000")
PASSWORD_MIN = 8
PASSWORD_MAX = 200

# Codes end up in Code 128 barcodes that a wedge scanner types back: keep them plain.
CODE_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9._/-]*", re.ASCII)
INT_PATTERN = re.compile(r"[+-]?[0-9]+", re.ASCII)
# No exponents, no NaN or Infinity: people type 12.5, not 1.25e1.
DECIMAL_PATTERN = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)", re.ASCII)
TRUE_WORDS = ("on", "1", "true", "yes", "y")
FALSE_WORDS = ("", "0", "off", "false", "no", "n")


@dataclass(frozen=True)
class Field:
    """One input of a master's form, and the rules its value must follow."""

    name: str
    label: str
    kind: str = TEXT
    required: bool = False
    max_length: int | None = None  # text: defaults to the column's length
    min: Any = 0  # int and decimal
    max: Any = None  # int and decimal: defaults to DEFAULT_INT_MAX / DEFAULT_DECIMAL_MAX
    choices: dict | None = None  # choice: stored value -> what people read
    options: Callable[[Session], Any] | None = None  # foreign key: a select() of the rows one may choose
    describe: Callable[[Any], str] | None = None  # foreign key: how a chosen row reads in the list
    code: bool = False  # a barcode code: trimmed, upper case, letters, digits and - . / _ only
    prefix: str = ""  # a scanned prefix to drop (someone scans BIN-R2-A03 into the code field)
    unique: bool = False
    pattern: re.Pattern | None = None
    pattern_message: str = ""
    hint: str = ""
    stored: bool = True  # False: read and checked here, used by a hook (a password), not a column

    @property
    def input_type(self) -> str:
        kinds = {INT: "text", DECIMAL: "text", PASSWORD: "password", PIN: "password", BOOL: "checkbox"}
        return kinds.get(self.kind, "text")

    @property
    def inputmode(self) -> str | None:
        return {INT: "numeric", DECIMAL: "decimal", PIN: "numeric"}.get(self.kind)


@dataclass(frozen=True)
class Column:
    """One column of a master's list: a heading and how to read it from a record."""

    heading: str
    read: Callable[[Any], Any]
    numeric: bool = False


def path(dotted: str) -> Callable[[Any], Any]:
    """Reader for an attribute path such as "customer.code"; empty where a link is missing."""
    names = dotted.split(".")

    def read(record):
        value = record
        for name in names:
            value = getattr(value, name, None)
            if value is None:
                return ""
        return value

    return read


@dataclass(frozen=True)
class Unique:
    """Columns that together must be unique, and the field the message is shown at."""

    columns: tuple[str, ...]
    field: str
    message: str


@dataclass(frozen=True)
class Master:
    """One kind of master record: its form, its list and the rules beyond single fields."""

    slug: str
    title: str
    singular: str
    model: type
    fields: tuple[Field, ...]
    columns: tuple[Column, ...]
    search: tuple[str, ...]  # columns searched as you type
    order_by: tuple[str, ...]
    hint: str = ""
    heading: Callable[[Any], str] = lambda record: record.code  # how the edit page names one record
    roles: tuple[str, ...] = codes.OFFICE_ROLES
    unique_together: tuple[Unique, ...] = ()
    eager: Callable[[], tuple] | None = None  # loader options so the list makes no query per row
    check: Callable[..., None] | None = None  # (session, record, reading, actor): rules across fields
    after_save: Callable[..., None] | None = None  # (session, record, reading, created): what else one save makes
    on_active: Callable[..., None] | None = None  # (session, record, active): keep companions in step
    refuse_deactivate: Callable[..., str | None] | None = None  # (session, record, actor) -> why not
    new_defaults: Callable[[Session], dict] | None = None
    extras: str | None = None  # template shown under the form on the edit page
    open_after_create: bool = False  # the edit page has more to do (routing steps)
    multipart: bool = False
    history_key: Callable[[Any], tuple[str, int, str]] | None = None  # (kind, id, prefix) its history is kept under
    on_changes: Callable[..., None] | None = None  # (session, record, changes, actor): what a change also records

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


class FormReading:
    """Clean values and messages from one posted form."""

    def __init__(self):
        self.values: dict[str, Any] = {}
        self.errors: dict[str, str] = {}

    @property
    def ok(self) -> bool:
        return not self.errors

    def refuse(self, field: str, message: str) -> None:
        self.errors.setdefault(field, message)


def _column(model, name):
    return model.__table__.c[name]


def _max_length(model, field: Field) -> int:
    if field.max_length:
        return field.max_length
    if field.kind == PASSWORD:
        return PASSWORD_MAX
    if field.kind == PIN:
        return codes.PIN_MAX_DIGITS
    length = getattr(_column(model, field.name).type, "length", None) if field.stored else None
    return length or 200


def _read_text(model, field: Field, raw: str, reading: FormReading):
    if CONTROL_CHARS.search(raw):
        return reading.refuse(field.name, "Contains control characters (such as NUL) that cannot be stored.")
    value = raw if field.kind in SECRET_KINDS else raw.strip()
    limit = _max_length(model, field)
    if len(value) > limit:
        return reading.refuse(field.name, f"At most {limit} characters (this has {len(value)}).")
    if field.code and value:
        value = value.upper()
        if field.prefix and value.startswith(field.prefix):
            value = value[len(field.prefix):]
        if not CODE_PATTERN.fullmatch(value):
            return reading.refuse(field.name, "Use letters, digits and - . / _ only, starting with a letter or digit.")
    if field.pattern is not None and value and not field.pattern.fullmatch(value):
        return reading.refuse(field.name, field.pattern_message or "Not in the expected form.")
    if field.kind == PASSWORD and value and len(value) < PASSWORD_MIN:
        return reading.refuse(field.name, f"At least {PASSWORD_MIN} characters.")
    if field.kind == PIN and value and not codes.is_pin(value):
        return reading.refuse(field.name, f"{codes.PIN_MIN_DIGITS} to {codes.PIN_MAX_DIGITS} digits.")
    if not value:
        if field.required:
            return reading.refuse(field.name, "Required.")
        value = None if (not field.stored or _column(model, field.name).nullable) else ""
    reading.values[field.name] = value


def _in_range(field: Field, value, default_max, reading: FormReading) -> bool:
    top = field.max if field.max is not None else default_max
    if field.min is not None and value < field.min:
        reading.refuse(field.name, "Must not be negative." if field.min == 0 else f"Must be at least {field.min}.")
        return False
    if value > top:
        reading.refuse(field.name, f"Must be at most {top:,}.")
        return False
    return True


def _read_number(model, field: Field, raw: str, reading: FormReading):
    value = raw.strip()
    if not value:
        if field.required:
            return reading.refuse(field.name, "Required.")
        reading.values[field.name] = None
        return
    if len(value) > NUMBER_CHARS:
        return reading.refuse(field.name, "That number is far too long.")
    if field.kind == INT:
        if not INT_PATTERN.fullmatch(value):
            return reading.refuse(field.name, "Enter a whole number, such as 12.")
        number = int(value)
        if _in_range(field, number, DEFAULT_INT_MAX, reading):
            reading.values[field.name] = number
        return
    if not DECIMAL_PATTERN.fullmatch(value):
        return reading.refuse(field.name, "Enter a number, such as 12.5.")
    try:
        number = Decimal(value)
    except InvalidOperation:  # the pattern lets through only what Decimal reads; kept for safety
        return reading.refuse(field.name, "Enter a number, such as 12.5.")
    # Each figure is kept to its column's places (models._types): finer input is refused, not rounded,
    # or 0.0975 lb/in³ would quietly become 0.098 and every weight built on it half a percent off.
    places = _places(model, field)
    given = _decimal_places(number)
    if given > places:
        name = field.label.split(" (")[0]
        return reading.refuse(field.name, f"{name} is kept to {places} decimal places; {value} has {given}.")
    if _in_range(field, number, DEFAULT_DECIMAL_MAX, reading):
        reading.values[field.name] = number.quantize(Decimal(1).scaleb(-places))


def _places(model, field: Field) -> int:
    return getattr(_column(model, field.name).type, "places", QTY_DECIMALS) if field.stored else QTY_DECIMALS


def _decimal_places(number: Decimal) -> int:
    """Places a typed number really has: 0.09750 has 4 (a trailing zero says nothing more)."""
    exponent = number.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _read_choice(field: Field, raw: str, reading: FormReading):
    value = raw.strip()
    if not value:
        if field.required:
            return reading.refuse(field.name, "Choose one.")
        reading.values[field.name] = None
        return
    if value not in field.choices:
        return reading.refuse(field.name, "Choose one of the listed values.")
    reading.values[field.name] = value


def _read_bool(field: Field, raw: str, reading: FormReading):
    value = raw.strip().lower()
    if value in TRUE_WORDS:
        reading.values[field.name] = True
    elif value in FALSE_WORDS:
        reading.values[field.name] = False
    else:
        reading.refuse(field.name, "Tick the box or leave it empty.")


def _read_foreign_key(session: Session, field: Field, raw: str, current, reading: FormReading):
    value = raw.strip()
    if not value:
        if field.required:
            return reading.refuse(field.name, "Choose one.")
        reading.values[field.name] = None
        return
    if len(value) > 10 or not INT_PATTERN.fullmatch(value) or not 0 < int(value) <= DB_INT_MAX:
        return reading.refuse(field.name, "Choose one from the list.")
    chosen = int(value)
    if chosen != current:  # a record may keep a link to something deactivated since
        statement = field.options(session)
        target = statement.column_descriptions[0]["entity"]
        found = session.scalar(select(func.count()).select_from(statement.where(target.id == chosen).subquery()))
        if not found:
            return reading.refuse(field.name, "That choice does not exist or is deactivated; choose one from the list.")
    reading.values[field.name] = chosen


def read_form(session: Session, master: Master, form, record=None, fixed: dict | None = None) -> FormReading:
    """Every field of `master` from a posted form, checked; nothing is written.

    `fixed` are values the form does not choose (a routing step's part) but uniqueness depends on.
    """
    reading = FormReading()
    reading.values.update(fixed or {})
    for field in master.fields:
        raw = form.get(field.name, "")
        if not isinstance(raw, str):
            raw = ""
        if field.kind in (TEXT, *SECRET_KINDS):
            _read_text(master.model, field, raw, reading)
        elif field.kind in (INT, DECIMAL):
            _read_number(master.model, field, raw, reading)
        elif field.kind == CHOICE:
            _read_choice(field, raw, reading)
        elif field.kind == BOOL:
            _read_bool(field, raw, reading)
        elif field.kind == FK:
            current = getattr(record, field.name, None) if record is not None else None
            _read_foreign_key(session, field, raw, current, reading)
    _check_unique(session, master, record, reading)
    return reading


def _check_unique(session: Session, master: Master, record, reading: FormReading) -> None:
    model = master.model
    rules = [Unique((f.name,), f.name, "That code is already used.") for f in master.fields if f.unique]
    rules += list(master.unique_together)
    for rule in rules:
        if rule.field in reading.errors or any(c not in reading.values for c in rule.columns):
            continue
        if any(reading.values[c] is None for c in rule.columns):
            continue  # NULLs never collide (an office username left empty)
        statement = select(model.id).where(*(_column(model, c) == reading.values[c] for c in rule.columns))
        if record is not None:
            statement = statement.where(model.id != record.id)
        if session.scalar(statement.limit(1)) is not None:
            reading.refuse(rule.field, rule.message)


def shown(value) -> str:
    """A stored value as it reads in a form field: 1.250 -> 1.25, None -> empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else ""
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    return str(value)


def redisplayed(raw) -> str:
    """What a person typed, shown back beside its message (control characters taken out)."""
    return CONTROL_CHARS.sub("", raw if isinstance(raw, str) else "")

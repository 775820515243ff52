"""Reading what a request carries: one guard against characters no form or label holds, a bounded
integer for URLs, and the readers of whole numbers and dates that the rooms' forms share.

The guard runs before any view, so a NUL byte or a 30-digit id never reaches a query: PostgreSQL
refuses NUL in text and both engines refuse integers past 64 bits, and either would be a 500.
"""
from __future__ import annotations

import re
from datetime import date

from flask import request
from werkzeug.routing import IntegerConverter

# Ids are PostgreSQL `integer` columns (32-bit): anything larger cannot name a record.
DB_INT_MAX = 2**31 - 1
# Longest whole number a form field may hold before it is read: a 10,000-digit "quantity" is a
# mis-paste, and Python refuses to turn more than 4,300 digits into an int at all.
INT_CHARS = 10

# Control characters nothing in the shop types. A wedge scanner ends a code with TAB, CR or LF,
# and a text area holds line breaks, so those three are allowed in values; never in a path.
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_IN_PATH = re.compile(r"[\x00-\x1f\x7f]")

UNREADABLE_TITLE = "Characters no form holds"
UNREADABLE_MESSAGE = ("The request held characters no label or form has (a NUL byte or another control "
                      "character). Nothing was recorded. Type or scan the value again.")


class FormError(Exception):
    """One field of a form that cannot be read, with what to tell the person who filled it in."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


class RecordId(IntegerConverter):
    """`<int:...>` in a URL: a whole number that can be a record's id, else the page does not exist (404)."""

    def __init__(self, map, fixed_digits=0, min=None, max=DB_INT_MAX, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def checks_its_own_characters(view):
    """Mark a view that reads its query and form values itself, refusing or dropping control characters
    field by field (the masters' forms show a message at the field; the scan station drops a scanner's
    stray GS or NUL as noise). The guard still checks its path."""
    view.checks_its_own_characters = True
    return view


def unreadable_request(view) -> bool:
    """True when the path, the query or the form holds a character that no form or label has."""
    if _CONTROL_IN_PATH.search(request.path):
        return True
    if getattr(view, "checks_its_own_characters", False):
        return False
    if _has_control(request.args):
        return True
    if request.method == "POST" and request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return _has_control(request.form)
    return False


def _has_control(values) -> bool:
    for key, items in values.lists():
        if CONTROL_CHARS.search(key):
            return True
        for item in items:
            if CONTROL_CHARS.search(item):
                return True
    return False


def read_int(values, name: str, label: str, *, low: int = 1, high: int = 1_000_000,
             required: bool = True) -> int | None:
    """A whole number from a form or query, between low and high; None when empty and not required."""
    raw = (values.get(name) or "").strip()
    if not raw:
        if required:
            raise FormError(name, f"Enter {label}.")
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > INT_CHARS:
        raise FormError(name, f"{label.capitalize()} must be a whole number.")
    value = int(raw)
    if not low <= value <= high:
        raise FormError(name, f"{label.capitalize()} must be between {low} and {high:,}.")
    return value


def read_id(values, name: str) -> int | None:
    """A record's id from a form or query (a chosen option); None when empty or when it cannot be an id."""
    try:
        return read_int(values, name, "the id", high=DB_INT_MAX, required=False)
    except FormError:
        return None


def read_date(values, name: str, label: str, *, required: bool = True) -> date | None:
    """A date typed as YYYY-MM-DD (what a date input sends), within this century."""
    raw = (values.get(name) or "").strip()
    if not raw:
        if required:
            raise FormError(name, f"Enter {label}.")
        return None
    try:
        value = date.fromisoformat(raw[:10])
    except ValueError:
        raise FormError(name, f"{label.capitalize()} must be a date (YYYY-MM-DD).") from None
    if not 2000 <= value.year <= 2100:
        raise FormError(name, f"{label.capitalize()} is not a plausible date.")
    return value

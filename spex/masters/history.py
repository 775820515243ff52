"""Masters room: the history of every master record — who changed what, when, from what to what.

records.save and records.set_active write it in the same transaction as the change; the record's
page shows it. Nothing here is ever edited or deleted.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from spex.masters.fields import CHOICE, FK, Master, shown
from spex.models import MasterChange

HISTORY_LIMIT = 200
CREATED, CHANGED, DEACTIVATED, REACTIVATED, REMOVED = "created", "changed", "deactivated", "reactivated", "removed"


@dataclass
class Change:
    """One field of one save, old -> new, as people read them."""

    name: str
    label: str
    old: str
    new: str


def key_of(master: Master, record) -> tuple[str, int, str]:
    """(kind, id, prefix) the record's history is kept under: a routing step's under its part."""
    if master.history_key is not None:
        return master.history_key(record)
    return master.slug, record.id, ""


def value_text(session: Session, field, value) -> str:
    """A stored value as the form's list shows it: a material's code and name, not its id."""
    if value is None or value == "":
        return ""
    if field.kind == FK:
        target = field.options(session).column_descriptions[0]["entity"]
        row = session.get(target, value)
        return field.describe(row) if row is not None and field.describe else f"#{value}"
    if field.kind == CHOICE and field.choices:
        return str(field.choices.get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    return shown(value)


def snapshot(master: Master, record) -> dict:
    return {f.name: getattr(record, f.name) for f in master.fields if f.stored}


def changes_between(session: Session, master: Master, before: dict, record) -> list[Change]:
    found = []
    for field in master.fields:
        if not field.stored or field.name not in before:
            continue
        old, new = before[field.name], getattr(record, field.name)
        if (old if old != "" else None) != (new if new != "" else None):
            found.append(Change(field.name, field.label, value_text(session, field, old),
                                value_text(session, field, new)))
    return found


def note(session: Session, kind: str, record_id: int, action: str, *, field: str | None = None,
         old: str | None = None, new: str | None = None, actor=None) -> MasterChange:
    row = MasterChange(record_kind=kind, record_id=record_id, action=action, field=field, old_value=old,
                       new_value=new, user_id=getattr(actor, "id", None))
    session.add(row)
    return row


def note_save(session: Session, master: Master, record, changes: list[Change] | None, actor=None) -> None:
    """A new record (changes None) or the fields one save changed."""
    kind, record_id, prefix = key_of(master, record)
    if changes is None:
        note(session, kind, record_id, CREATED, field=prefix.strip() or None, actor=actor)
        return
    for change in changes:
        note(session, kind, record_id, CHANGED, field=f"{prefix}{change.label}", old=change.old, new=change.new,
             actor=actor)


def note_active(session: Session, master: Master, record, active: bool, actor=None) -> None:
    kind, record_id, prefix = key_of(master, record)
    note(session, kind, record_id, REACTIVATED if active else DEACTIVATED, field=prefix.strip() or None, actor=actor)


@dataclass
class Line:
    when: datetime
    who: str
    text: str


def lines_of(session: Session, kind: str, record_id: int) -> list[Line]:
    """The record's history, newest first."""
    rows = session.scalars(select(MasterChange).where(MasterChange.record_kind == kind,
                                                      MasterChange.record_id == record_id)
                           .options(joinedload(MasterChange.user))
                           .order_by(MasterChange.id.desc()).limit(HISTORY_LIMIT)).all()
    return [Line(row.created_at, row.user.name if row.user else "—", _text(row)) for row in rows]


def _text(row: MasterChange) -> str:
    if row.action == CHANGED:
        return f"{row.field}: {row.old_value or '—'} → {row.new_value or '—'}"
    return f"{row.field} {row.action}" if row.field else row.action.capitalize()

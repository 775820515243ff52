"""Material in: a lot's heat, material and supplier — what every trace rests on.

Before the lot's first movement beyond its receipt a change is a plain edit, recorded; after it the
lot is used, and a change is a correction with its reason (who, when, why, old -> new), never an
edit in place that would quietly rewrite every job that used the lot.
"""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from spex import ledger, shoptime
from spex.models import LedgerEntry, LotCorrection, Material, MaterialLot, StockUnit

TRACE_FIELDS = {"heat_number": "Heat number", "material_id": "Material", "supplier": "Supplier"}
EDIT, CORRECTION = "edit", "correction"
REASON_MIN = 5
LIMITS = {"heat_number": 60, "supplier": 120}


class TraceError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


def first_movement(session: Session, lot_id: int) -> LedgerEntry | None:
    """The first ledger entry on any of the lot's bars that is not its receipt (a pull, a move...)."""
    return session.scalar(select(LedgerEntry).join(StockUnit, StockUnit.id == LedgerEntry.stock_unit_id)
                          .where(StockUnit.lot_id == lot_id, LedgerEntry.kind != ledger.RECEIVE)
                          .order_by(LedgerEntry.id).limit(1))


def material_text(material: Material | None) -> str:
    return f"{material.code} · {material.label}" if material is not None else ""


def locked_message(lot: MaterialLot, field: str, moved: LedgerEntry) -> str:
    when = shoptime.local_date(moved.created_at).isoformat()
    return (f"Lot {lot.number} has been used since {when}: its {TRACE_FIELDS[field].lower()} is not edited in place. "
            "Correct it on the lot's page with the reason; the correction shows on every trace.")


def refuse_edit_of_used_lot(session: Session, lot: MaterialLot | None, values: dict, refuse) -> None:
    """The lot form's rule: after the first movement, heat, material and supplier stay as they are."""
    if lot is None:
        return
    changed = [f for f in TRACE_FIELDS if f in values and (values[f] or "") != (getattr(lot, f) or "")]
    if not changed:
        return
    moved = first_movement(session, lot.id)
    if moved is not None:
        for field in changed:
            refuse(field, locked_message(lot, field, moved))


def note_edits(session: Session, lot: MaterialLot, changes, actor) -> None:
    """A plain edit (before first movement) of a traced field is recorded like a correction, without a reason."""
    for change in changes:
        if change.name in TRACE_FIELDS:
            session.add(LotCorrection(lot_id=lot.id, field=change.name, kind=EDIT, old_value=change.old[:200],
                                      new_value=change.new[:200], user_id=getattr(actor, "id", None)))


def correct_lot(session: Session, lot: MaterialLot, field: str, raw_value, reason, user) -> LotCorrection:
    """Change a lot's heat, material or supplier with the reason; written beside the lot (flushed)."""
    if field not in TRACE_FIELDS:
        raise TraceError("field", "Choose what to correct: heat number, material or supplier.")
    reason = (reason if isinstance(reason, str) else "").strip()
    if len(reason) < REASON_MIN:
        raise TraceError("reason", "Say why (the cert, the supplier's letter...): a correction needs its reason.")
    if len(reason) > 2000:
        raise TraceError("reason", "At most 2,000 characters.")
    value = (raw_value if isinstance(raw_value, str) else "").strip()
    if field == "material_id":
        material = session.get(Material, int(value)) if value.isdecimal() and len(value) < 10 else None
        if material is None or not material.active:
            raise TraceError("value", "Choose the material from the list.")
        if material.id == lot.material_id:
            raise TraceError("value", f"Lot {lot.number} is already {material.code}.")
        old, new = material_text(lot.material), material_text(material)
        stored = material.id
    else:
        if field == "heat_number" and not value:
            raise TraceError("value", "Enter the right heat number.")
        if len(value) > LIMITS[field]:
            raise TraceError("value", f"At most {LIMITS[field]} characters.")
        if value == (getattr(lot, field) or ""):
            raise TraceError("value", f"That is already the lot's {TRACE_FIELDS[field].lower()}.")
        old, new, stored = getattr(lot, field) or "", value, value
    kind = CORRECTION if first_movement(session, lot.id) is not None else EDIT
    correction = LotCorrection(lot_id=lot.id, field=field, kind=kind, old_value=old[:200], new_value=new[:200],
                               reason=reason, user_id=user.id)
    session.add(correction)
    setattr(lot, field, stored)
    from spex.masters import history  # the lot's master page shows it too
    history.note(session, "lots", lot.id, history.CHANGED, field=TRACE_FIELDS[field], old=old, new=new, actor=user)
    session.flush()
    return correction


def corrections_of(session: Session, lot_ids) -> dict[int, list[dict]]:
    """Each lot's corrections and recorded edits, oldest first, as every trace shows them."""
    lot_ids = list(lot_ids)
    if not lot_ids:
        return {}
    found: dict[int, list[dict]] = defaultdict(list)
    for row in session.scalars(select(LotCorrection).where(LotCorrection.lot_id.in_(lot_ids))
                               .options(joinedload(LotCorrection.user)).order_by(LotCorrection.id)):
        found[row.lot_id].append({
            "field": row.field, "what": TRACE_FIELDS[row.field], "kind": row.kind, "old": row.old_value,
            "new": row.new_value, "reason": row.reason, "by": row.user.name if row.user else None,
            "at": row.created_at.isoformat(), "date": shoptime.local_date(row.created_at).isoformat()})
    return dict(found)

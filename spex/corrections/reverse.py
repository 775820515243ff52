"""Reversing an entry as a correction: whoever made it and however long ago, by a planner or an
inspector, with the reason written on the reversing entry. Refused, with nothing written, when the
reversal would take a place below zero or undo work that later entries built on; the refusal names
those entries. Holds, shipments, releases and job status are kept in step as a station's undo does."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from spex import codes, ledger
from spex.models import JobOperation, LedgerEntry, StockUnit, User
from spex.shopfloor.undo import _undo_side_records

CORRECTORS = (codes.PLANNER, codes.INSPECTOR)
# Entries a correction may reverse. Releases, plan changes and splits are changed on the job's plan
# page; a hold's disposition by placing a new hold (its NCR keeps the record).
CORRECTABLE = (ledger.RECEIVE, ledger.PUTAWAY, ledger.PULL, ledger.REMNANT, ledger.COMPLETE, ledger.SCRAP,
               ledger.HOLD, ledger.SHIP_OUT, ledger.RECEIVE_BACK, ledger.FG_RECEIPT, ledger.SHIP, ledger.ADJUST)
NAMED = 3  # dependent entries named in a refusal; more are counted


class CorrectionRefused(ledger.LedgerError):
    """A correction the books cannot take; the message says why and, when later work depends on the
    entry, which entries those are."""

    def __init__(self, message: str, dependents: list[LedgerEntry] | None = None):
        super().__init__(message)
        self.dependents = dependents or []


def describe(session: Session, entry: LedgerEntry) -> str:
    """An entry as a refusal names it: "#57 Completed · op 20, 40 pcs, by Operator 2 on 2026-11-25 14:03"."""
    from spex import shoptime
    from spex.wip.status import KIND_NAMES
    seq = session.scalar(select(JobOperation.seq).where(JobOperation.id == entry.job_operation_id)) \
        if entry.job_operation_id else None
    who = entry.user.name if entry.user else "nobody signed in"
    return (f"#{entry.id} {KIND_NAMES.get(entry.kind, entry.kind)}{f' · op {seq}' if seq else ''}, "
            f"{ledger.format_qty(entry.quantity)} {entry.unit}, by {who} on "
            f"{shoptime.local(entry.created_at):%Y-%m-%d %H:%M}")


def _not_reversed():
    undo = aliased(LedgerEntry)
    return ~select(undo.id).where(undo.reverses_id == LedgerEntry.id).exists()


def built_on(session: Session, entry: LedgerEntry) -> list[LedgerEntry]:
    """Later entries that took what this one put somewhere (newest first), and remnants cut from a bar
    after this pull: the work a reversal of it would undo."""
    found: list[LedgerEntry] = []
    if entry.to_place is not None:
        found += session.scalars(select(LedgerEntry).where(
            LedgerEntry.item == entry.item, LedgerEntry.from_place == entry.to_place, LedgerEntry.id > entry.id,
            LedgerEntry.kind != ledger.REVERSAL, _not_reversed()).order_by(LedgerEntry.id.desc()).limit(20))
    if entry.kind == ledger.PULL and entry.stock_unit_id:
        remnants = select(StockUnit.id).where(StockUnit.parent_id == entry.stock_unit_id)
        found += session.scalars(select(LedgerEntry).where(
            LedgerEntry.kind == ledger.REMNANT, LedgerEntry.stock_unit_id.in_(remnants), LedgerEntry.id > entry.id,
            _not_reversed()).order_by(LedgerEntry.id.desc()))
    return found


def _partner(session: Session, entry: LedgerEntry) -> list[LedgerEntry]:
    """A put-away to finished goods is two entries (the job's pieces leave, the FG lot appears): one
    is never reversed without the other."""
    if entry.kind != ledger.FG_RECEIPT:
        return [entry]
    other_id = entry.id + 1 if entry.fg_lot_id is None else entry.id - 1
    other = session.get(LedgerEntry, other_id)
    if other is None or other.kind != ledger.FG_RECEIPT or other.job_id != entry.job_id:
        return [entry]
    return sorted([entry, other], key=lambda e: -e.id)


def _check(session: Session, entry: LedgerEntry, user: User | None, reason: str) -> None:
    if user is None or not user.has_role(*CORRECTORS):
        raise CorrectionRefused("Only a planner or an inspector may reverse an entry.")
    if not reason:
        raise CorrectionRefused("Say why the entry is reversed: the reason is written on the reversal.")
    if entry.kind == ledger.REVERSAL:
        raise CorrectionRefused("A reversal is not itself reversed; record the movement again instead.")
    reversal = session.scalar(select(LedgerEntry.id).where(LedgerEntry.reverses_id == entry.id))
    if reversal is not None:
        raise CorrectionRefused(f"Entry #{entry.id} was already reversed, by entry #{reversal}.")
    if entry.kind not in CORRECTABLE:
        raise CorrectionRefused(
            "A release, a change of plan or a split is changed on the job's plan page; a hold's disposition "
            "by placing a new hold.")
    if entry.hold_id is not None and entry.kind == ledger.SCRAP:
        raise CorrectionRefused("These pieces were scrapped by a hold's disposition; its NCR keeps the decision. "
                                "Place a new hold to correct it.")


@dataclass
class Correction:
    reversals: list[LedgerEntry]
    reason: str


def reverse_entry(session: Session, entry: LedgerEntry, *, user: User | None, reason: str | None) -> Correction:
    """Reverse an entry (and its other half, for a put-away to finished goods) with the reason on the
    reversing entry. Raises CorrectionRefused before anything is written, or the caller rolls back."""
    reason = (reason or "").strip()[:400]
    _check(session, entry, user, reason)
    group = _partner(session, entry)
    for part in group:
        dependents = built_on(session, part)
        if dependents and (part.kind == ledger.PULL or _would_overdraw(session, part)):
            raise _refusal(session, entry, dependents)
    ledger.lock_balances(session, [(e.item, place) for e in group for place in (e.from_place, e.to_place)
                                   if place is not None])
    reversals = []
    for part in group:
        try:
            reversals.append(ledger.reverse(session, part, user_id=user.id, note=f"correction: {reason}"))
        except ledger.NotReversible as exc:
            raise CorrectionRefused(f"Entry #{entry.id} cannot be reversed: {exc.message}") from None
    _undo_side_records(session, group)
    return Correction(reversals, reason)


def _would_overdraw(session: Session, entry: LedgerEntry) -> bool:
    return ledger.balance(session, entry.item, entry.to_place) < entry.quantity


def _refusal(session: Session, entry: LedgerEntry, dependents: list[LedgerEntry]) -> CorrectionRefused:
    named = "; ".join(describe(session, d) for d in dependents[:NAMED])
    more = f" and {len(dependents) - NAMED} more" if len(dependents) > NAMED else ""
    return CorrectionRefused(
        f"Entry #{entry.id} cannot be reversed: later work depends on it — {named}{more}. "
        "Reverse that first (newest first), or record a new movement.", dependents)

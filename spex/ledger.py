"""The ledger: the only code that moves anything.

Every movement is one append-only LedgerEntry, and the on-hand Balance rows change in the same
transaction. A movement that would take a place below zero is refused with nothing written, a
scan id is recorded once (a unique constraint, not only a check), and a correction is a new,
reversing entry.

Items and places are short text keys, built only by the functions below.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import String, bindparam, cast, insert, literal, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached, scoped_session
from sqlalchemy.orm.attributes import instance_state, set_committed_value
from sqlalchemy.orm.util import identity_key

from spex.models import Balance, JobOperation, LedgerEntry, qty, utcnow
from spex.prepared import Prepared

# Kinds of movement.
RECEIVE = "receive"            # material received from a supplier into a bin
PUTAWAY = "putaway"            # stock moved between locations
PULL = "pull"                  # material issued to a job (consumed)
REMNANT = "remnant"            # a drop returned to stock as a new stock unit
RELEASE = "release"            # a job's pieces released to its first operation
COMPLETE = "complete"          # good pieces passed from one operation to the next
SCRAP = "scrap"                # pieces scrapped at an operation
HOLD = "hold"                  # pieces put on quality hold
HOLD_RELEASE = "hold_release"  # held pieces released with a disposition
SHIP_OUT = "ship_out"          # pieces sent to an outside processor
RECEIVE_BACK = "receive_back"  # pieces back from an outside processor (completes its operation)
FG_RECEIPT = "fg_receipt"      # finished pieces put away as a finished-goods lot
SHIP = "ship"                  # finished goods shipped to a customer
ADJUST = "adjust"              # a counted correction
REPLAN = "replan"              # pieces added to or taken from a job by a change of plan (quantity, cancel, close)
SPLIT = "split"                # pieces moved from one job to the job split from it
CARTON = "carton"              # finished pieces moved between an FG lot and a carton split from it
REVERSAL = "reversal"          # undoes an earlier entry

# Kinds that count pieces done at their operation, and pieces scrapped there.
GOOD_KINDS = (COMPLETE, RECEIVE_BACK)
SCRAP_KINDS = (SCRAP,)


class LedgerError(Exception):
    """A movement the ledger refuses; the message is meant for the person who scanned."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Overdraw(LedgerError):
    def __init__(self, message: str, available: Decimal):
        super().__init__(message)
        self.available = available


class DuplicateScan(LedgerError):
    pass


class NotReversible(LedgerError):
    pass


# --- item and place keys -------------------------------------------------------------------

def unit_item(unit_id: int) -> str:
    return f"unit:{unit_id}"


def job_item(job_id: int) -> str:
    return f"job:{job_id}"


def fg_item(fg_lot_id: int) -> str:
    return f"fg:{fg_lot_id}"


def at_location(location_id: int) -> str:
    return f"loc:{location_id}"


def at_operation(job_operation_id: int) -> str:
    return f"op:{job_operation_id}"


def on_hold(job_operation_id: int) -> str:
    return f"hold:{job_operation_id}"


def finished(job_id: int) -> str:
    return f"done:{job_id}"


# The kind of each key (before its colon), for code that reads a key back with parse_key.
UNIT_KEY, JOB_KEY, FG_KEY = "unit", "job", "fg"
LOCATION_KEY, OPERATION_KEY, HOLD_KEY, DONE_KEY = "loc", "op", "hold", "done"
_LOCATION_PREFIX = "loc:"


def place_is_location(column):
    """SQL: the place in `column` is a location (the key builders above, said in SQL)."""
    return column.like(_LOCATION_PREFIX + "%")


def key_sql(kind: str, id_column):
    """SQL: the key of `kind` for a column of ids, e.g. key_sql(LOCATION_KEY, Location.id) is
    'loc:' || location.id, to join balances to the rows they belong to."""
    return literal(kind + ":", String) + cast(id_column, String)


@dataclass(frozen=True)
class Key:
    kind: str
    id: int


def parse_key(key: str | None) -> Key | None:
    if key is None:
        return None
    kind, _, ident = key.partition(":")
    return Key(kind, int(ident))


# --- writing -------------------------------------------------------------------------------

def begin_write(session: Session) -> None:
    """Start the transaction as a writer.

    On SQLite the transaction takes the write lock at BEGIN (BEGIN IMMEDIATE), so two stations
    checking and then moving the same stock cannot interleave; on PostgreSQL the balance
    updates below lock their rows. Call before the first query of a writing request.
    """
    if isinstance(session, scoped_session):
        session = session()
    if session.get_bind().dialect.name == "sqlite" and not session.in_transaction():
        session.connection(execution_options={"spex_begin_immediate": True})


def takes_write_lock_itself(view):
    """Mark a POST view that reads first and calls begin_write itself, so the write lock is held
    only for the part that writes (the scan endpoint: every station waits on that lock)."""
    view.takes_write_lock_itself = True
    return view


def _positive(quantity) -> Decimal:
    try:
        value = qty(quantity)
    except (InvalidOperation, ValueError, TypeError):
        raise LedgerError(f"{quantity!r} is not a quantity.") from None
    if not value.is_finite() or value <= 0:
        raise LedgerError("A quantity must be more than zero.")
    if value >= Decimal("1e9"):
        raise LedgerError("That quantity is too large to be real.")
    return value


# The statements of a movement, built once: building a statement (and its cache key) costs several
# times what running it does, and every scan runs these.
_TAKE = Prepared(update(Balance)
                 .where(Balance.item == bindparam("b_item"), Balance.place == bindparam("b_place"),
                        Balance.quantity >= bindparam("b_quantity"))
                 .values(quantity=Balance.quantity - bindparam("b_quantity"), updated_at=bindparam("b_now")))


def _upsert(insert):
    stmt = insert(Balance).values(item=bindparam("b_item"), place=bindparam("b_place"),
                                  quantity=bindparam("b_quantity"), unit=bindparam("b_unit"),
                                  updated_at=bindparam("b_now"))
    return stmt.on_conflict_do_update(
        index_elements=[Balance.item, Balance.place],
        set_={"quantity": Balance.quantity + stmt.excluded.quantity, "updated_at": stmt.excluded.updated_at},
    )


_PUT = Prepared(_upsert(sqlite.insert), postgresql=_upsert(postgresql.insert))
_BALANCE = Prepared(select(Balance.quantity)
                    .where(Balance.item == bindparam("b_item"), Balance.place == bindparam("b_place")))
_BALANCES_OF = Prepared(select(Balance.place, Balance.quantity)
                        .where(Balance.item == bindparam("b_item"), Balance.quantity > 0))
_ENTRY_COLUMNS = tuple(c.key for c in LedgerEntry.__table__.columns if c.key != "id")
_ENTRY = Prepared(insert(LedgerEntry).values({key: bindparam("b_" + key) for key in _ENTRY_COLUMNS}))
_KIND_OF = Prepared(select(LedgerEntry.kind).where(LedgerEntry.id == bindparam("b_id")))
_REVERSED_BY = Prepared(select(LedgerEntry.id).where(LedgerEntry.reverses_id == bindparam("b_id")))


def _locks_rows(session: Session) -> bool:
    """PostgreSQL locks the rows a transaction changes; SQLite holds one lock for the whole database
    from the writer's BEGIN, so there the order of rows does not matter."""
    return session.get_bind().dialect.name != "sqlite"


def lock_balances(session: Session, keys) -> None:
    """Lock the balance rows of these (item, place) keys, in key order, for the rest of the transaction.

    Balance rows are locked in the one order of their keys: a movement locks its two in order (see
    move), and an undo, which reverses every movement of a scan, locks all their rows first with
    this. A completion and the undo of one at the same operation touch the same two rows the other
    way round; taken in one order, neither can hold a row the other waits for (a deadlock, which
    PostgreSQL breaks by failing one of them). A key without a row yet locks nothing; on SQLite this
    is a no-op (the write lock covers everything).
    """
    keys = sorted(set(keys))
    if not keys or not _locks_rows(session):
        return
    # Sorted as Python sorts the keys (by code point), whatever the database's collation.
    session.execute(select(Balance.item, Balance.place)
                    .where(tuple_(Balance.item, Balance.place).in_(keys))
                    .order_by(Balance.item.collate("C"), Balance.place.collate("C"))
                    .with_for_update())


def _take(session: Session, item: str, place: str, quantity: Decimal) -> None:
    """Lower a balance, refusing to go below zero. One conditional UPDATE: atomic on both engines."""
    taken = _TAKE.write(session, {"b_item": item, "b_place": place, "b_quantity": quantity, "b_now": utcnow()})
    if taken != 1:
        available = balance(session, item, place)
        raise Overdraw(f"Only {format_qty(available)} on hand there; {format_qty(quantity)} asked.", available)


def _put(session: Session, item: str, place: str, quantity: Decimal, unit: str) -> None:
    """Raise a balance, creating its row when it is the first."""
    _PUT.write(session, {"b_item": item, "b_place": place, "b_quantity": quantity, "b_unit": unit, "b_now": utcnow()})


_COUNTS = {field: Prepared(update(JobOperation).where(JobOperation.id == bindparam("b_op"))
                           .values({field: getattr(JobOperation, field) + bindparam("b_pieces")})
                           .returning(getattr(JobOperation, field)))
           for field in ("qty_good", "qty_scrap")}


def _count_pieces(session: Session, kind: str, job_operation_id: int | None, quantity: Decimal, sign: int):
    """An operation's good or scrap count goes with the movement: one UPDATE that adds to the row (so
    two stations counting at once both count, on either engine) and says the new figure, which a
    loaded operation is given as its own. (The ORM's bulk update does the same at about three times
    the cost of the whole movement's other statements; bench/README.md, "Scan station".)"""
    if job_operation_id is None:
        return
    if kind in GOOD_KINDS:
        field = "qty_good"
    elif kind in SCRAP_KINDS:
        field = "qty_scrap"
    else:
        return
    _add_to_count(session, field, job_operation_id, int(quantity) * sign)


def _add_to_count(session: Session, field: str, job_operation_id: int, pieces: int) -> None:
    loaded = session.identity_map.get(identity_key(JobOperation, job_operation_id))
    if loaded is not None and field in instance_state(loaded).committed_state:
        session.flush()  # a count changed in hand goes to the row first, not lost under the new figure
    counted = _COUNTS[field].scalar(session, {"b_op": job_operation_id, "b_pieces": pieces})
    if loaded is not None and counted is not None:
        set_committed_value(loaded, field, counted)


def move(session: Session, kind: str, item: str, quantity, src: str | None, dst: str | None, *,
         unit: str, user_id: int | None = None, station_id: int | None = None,
         scan_uid: str | None = None, scan_seq: int = 0, job_id: int | None = None,
         job_operation_id: int | None = None, reason: str | None = None, note: str | None = None,
         order_line_id: int | None = None, release_id: int | None = None,
         hold_id: int | None = None, shipment_id: int | None = None,
         reverses_id: int | None = None, passes_again: tuple[int, ...] = ()) -> LedgerEntry:
    """Record one movement and change the balances it touches, in the caller's transaction.

    `passes_again` names the operations the pieces moved have passed good and are sent back to pass
    once more (a rework further up the routing, a return to a vendor): their good counts give the
    pieces up with this movement, and count them again when they pass (an operation's good count is
    the distinct pieces it has passed good; the entries keep every pass).

    Raises LedgerError (and writes nothing of this movement) when it cannot be done. The caller
    commits, or rolls back the whole scan when any of its movements is refused.
    """
    amount = _positive(quantity)
    if src is None and dst is None:
        raise LedgerError("A movement needs a place to come from or to go to.")
    if src == dst:
        raise LedgerError("It is already there.")
    # A repeated scan id is refused by the unique constraint on (scan_uid, scan_seq) when the entry
    # is written below; the caller rolls the whole scan back, so nothing of it stays.

    # The balance changes come first: a refused take leaves nothing to undo.
    if src is not None and dst is not None and dst < src and _locks_rows(session):
        # Balance rows are locked in key order (see lock_balances): the destination sorts first, so
        # its row is locked first, by an upsert of nothing (which also makes the row if it is new).
        _put(session, item, dst, qty(0), unit)
    if src is not None:
        _take(session, item, src, amount)
    if dst is not None:
        _put(session, item, dst, amount, unit)
    sign = -1 if kind == REVERSAL else 1
    _count_pieces(session, kind if sign == 1 else _reversed_kind(session, reverses_id),
                  job_operation_id, amount, sign)
    for passed in passes_again:
        _add_to_count(session, "qty_good", passed, -int(amount) * sign)

    item_key, src_key, dst_key = parse_key(item), parse_key(src), parse_key(dst)
    entry = LedgerEntry(
        kind=kind, item=item, quantity=amount, unit=unit, from_place=src, to_place=dst,
        stock_unit_id=item_key.id if item_key.kind == "unit" else None,
        fg_lot_id=item_key.id if item_key.kind == "fg" else None,
        job_id=job_id if job_id is not None else (item_key.id if item_key.kind == "job" else None),
        job_operation_id=job_operation_id,
        from_location_id=src_key.id if src_key and src_key.kind == "loc" else None,
        to_location_id=dst_key.id if dst_key and dst_key.kind == "loc" else None,
        order_line_id=order_line_id, release_id=release_id, hold_id=hold_id, shipment_id=shipment_id,
        user_id=user_id, station_id=station_id, scan_uid=scan_uid, scan_seq=scan_seq,
        reverses_id=reverses_id, reason=reason, note=note, created_at=utcnow(),
    )
    # One prepared INSERT rather than the ORM's flush (which costs several times the statement);
    # the entry is then attached to the session as if loaded, for callers that show or undo it.
    try:
        entry_id = _ENTRY.insert(session, {"b_" + key: getattr(entry, key) for key in _ENTRY_COLUMNS})
    except IntegrityError as exc:
        # The unique constraints are the last word when two requests race past the checks: the
        # reversal of an entry (two undos at once, on PostgreSQL) or else the scan id.
        if reverses_id is not None and "reverses_id" in str(exc.orig):
            raise NotReversible("That entry was already undone.") from exc
        raise DuplicateScan("That scan was already recorded.") from exc
    entry.id = entry_id
    make_transient_to_detached(entry)
    session.add(entry)
    return entry


def _reversed_kind(session: Session, reverses_id: int | None) -> str | None:
    if reverses_id is None:
        return None
    return _KIND_OF.scalar(session, {"b_id": reverses_id})


def reverse(session: Session, entry: LedgerEntry, *, user_id: int | None = None, station_id: int | None = None,
            scan_uid: str | None = None, scan_seq: int = 0, note: str | None = None) -> LedgerEntry:
    """Undo an entry with a new entry going the other way. Refused if already reversed or if the
    stock has since moved on (the balance it would take from is too small)."""
    if entry.kind == REVERSAL:
        raise NotReversible("A reversal cannot itself be undone; record the movement again.")
    already = _REVERSED_BY.scalar(session, {"b_id": entry.id})
    if already is not None:
        raise NotReversible("That entry was already undone.")
    try:
        return move(session, REVERSAL, entry.item, entry.quantity, entry.to_place, entry.from_place,
                    unit=entry.unit, user_id=user_id, station_id=station_id, scan_uid=scan_uid,
                    scan_seq=scan_seq, job_id=entry.job_id, job_operation_id=entry.job_operation_id,
                    reason=entry.reason, note=note, order_line_id=entry.order_line_id,
                    release_id=entry.release_id, hold_id=entry.hold_id, shipment_id=entry.shipment_id,
                    reverses_id=entry.id)
    except Overdraw as exc:
        raise NotReversible("It cannot be undone: what it moved has moved on since "
                            f"(only {format_qty(exc.available)} left there).") from None


# --- reading -------------------------------------------------------------------------------

def balance(session: Session, item: str, place: str) -> Decimal:
    # On the connection: balances change only through the statements above, never through the ORM,
    # so there is nothing pending to flush first (and the ORM's execution path costs more than the query).
    value = _BALANCE.scalar(session, {"b_item": item, "b_place": place})
    return value if value is not None else qty(0)


def balances_of(session: Session, item: str) -> dict[str, Decimal]:
    rows = _BALANCES_OF.rows(session, {"b_item": item})
    return {place: quantity for place, quantity in rows}


def location_of(session: Session, item: str) -> tuple[str | None, Decimal]:
    """Which bin it is in: the location holding an item (a bar, a finished-goods lot) and how much
    of it is there; (None, 0) when none of it is in a location any more."""
    for place, amount in _BALANCES_OF.rows(session, {"b_item": item}):
        if place.startswith(_LOCATION_PREFIX):
            return place, amount
    return None, qty(0)


def ledger_sums(session: Session, items=None) -> dict[tuple[str, str], Decimal]:
    """Every (item, place) total computed from the entries alone: the audit of the balances."""
    totals: dict[tuple[str, str], Decimal] = {}
    stmt = select(LedgerEntry.item, LedgerEntry.from_place, LedgerEntry.to_place, LedgerEntry.quantity)
    if items is not None:
        stmt = stmt.where(LedgerEntry.item.in_(list(items)))
    rows = session.execute(stmt)
    for item, src, dst, amount in rows:
        if src is not None:
            totals[(item, src)] = totals.get((item, src), qty(0)) - amount
        if dst is not None:
            totals[(item, dst)] = totals.get((item, dst), qty(0)) + amount
    return totals


def audit(session: Session, items=None) -> list[str]:
    """Differences between the balances and the sums of the ledger (of some items, or all); empty when all is well."""
    expected = ledger_sums(session, items)
    stmt = select(Balance)
    if items is not None:
        stmt = stmt.where(Balance.item.in_(list(items)))
    actual = {(b.item, b.place): b.quantity for b in session.scalars(stmt)}
    problems = []
    for key in sorted(set(expected) | set(actual)):
        want, have = expected.get(key, qty(0)), actual.get(key, qty(0))
        if want != have:
            problems.append(f"{key[0]} at {key[1]}: balance {have}, ledger {want}")
        if have < 0:
            problems.append(f"{key[0]} at {key[1]} is negative: {have}")
    return problems


def format_qty(value: Decimal) -> str:
    """A quantity as people write it: 144, 18.5, 0.25."""
    value = qty(value)
    return f"{value.normalize():f}" if value != value.to_integral() else str(int(value))

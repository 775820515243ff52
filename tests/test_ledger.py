"""The ledger's promises: balances always equal the sum of the entries, never negative, a scan once,
nothing written on refusal, corrections as reversing entries, entries never changed."""
import threading
import time
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from spex import ledger
from spex.extensions import db
from spex.models import Balance, LedgerEntry, MaterialLot, StockUnit, qty


def count_entries(session):
    return session.scalar(select(func.count(LedgerEntry.id)))


def snapshot(session):
    return {(b.item, b.place): b.quantity for b in session.scalars(select(Balance))}


def test_receipt_and_pull_keep_balance_and_entries_together(session, make):
    bin = make.location("R1-A01")
    lot = make.lot(lengths=[144, 72], bin=bin)
    session.commit()
    bar = lot.units[0]
    assert ledger.balance(session, ledger.unit_item(bar.id), ledger.at_location(bin.id)) == Decimal("144.000")

    ledger.move(session, ledger.PULL, ledger.unit_item(bar.id), "37.5", ledger.at_location(bin.id), None,
                unit="in", scan_uid="scan-1")
    session.commit()
    # 144 - 37.5 = 106.5 inches left on the rack
    assert ledger.balance(session, ledger.unit_item(bar.id), ledger.at_location(bin.id)) == Decimal("106.500")
    assert ledger.audit(session) == []


def test_overdraw_is_refused_and_writes_nothing(session, make):
    bin = make.location()
    lot = make.lot(lengths=[10], bin=bin)
    session.commit()
    bar = lot.units[0]
    before_entries, before_balances = count_entries(session), snapshot(session)

    with pytest.raises(ledger.Overdraw) as refused:
        ledger.move(session, ledger.PULL, ledger.unit_item(bar.id), "10.001", ledger.at_location(bin.id), None,
                    unit="in", scan_uid="too-much")
    session.rollback()

    assert "Only 10 on hand" in refused.value.message
    assert count_entries(session) == before_entries
    assert snapshot(session) == before_balances


def test_exact_decimal_arithmetic_never_refuses_what_is_there(session, make):
    # 0.7 - 0.4 leaves exactly 0.3: binary floating point would leave 0.29999... and refuse the last pull.
    bin = make.location()
    bar = make.lot(lengths=["0.7"], bin=bin).units[0]
    session.commit()
    item, place = ledger.unit_item(bar.id), ledger.at_location(bin.id)
    ledger.move(session, ledger.PULL, item, "0.4", place, None, unit="in")
    ledger.move(session, ledger.PULL, item, "0.3", place, None, unit="in")
    session.commit()
    assert ledger.balance(session, item, place) == Decimal("0")


def test_duplicate_scan_id_records_once(session, make):
    bin = make.location()
    bar = make.lot(lengths=[100], bin=bin).units[0]
    session.commit()
    args = (session, ledger.PULL, ledger.unit_item(bar.id), 5, ledger.at_location(bin.id), None)
    ledger.move(*args, unit="in", scan_uid="abc-123")
    session.commit()
    with pytest.raises(ledger.DuplicateScan):
        ledger.move(*args, unit="in", scan_uid="abc-123")
    session.rollback()
    assert session.scalar(select(func.count()).where(LedgerEntry.scan_uid == "abc-123")) == 1
    assert ledger.balance(session, ledger.unit_item(bar.id), ledger.at_location(bin.id)) == Decimal("95")


def test_duplicate_scan_id_is_a_database_constraint(session, make):
    bin = make.location()
    bar = make.lot(lengths=[100], bin=bin).units[0]
    session.commit()
    ledger.move(session, ledger.PULL, ledger.unit_item(bar.id), 5, ledger.at_location(bin.id), None,
                unit="in", scan_uid="race")
    session.commit()
    # Written past the ledger's own check, as a racing second request would: the database refuses it.
    session.add(LedgerEntry(kind="pull", item=ledger.unit_item(bar.id), quantity=qty(5), unit="in",
                            from_place=ledger.at_location(bin.id), scan_uid="race", scan_seq=0))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def _twenty_pulled_from_a_50_in_bar(session, make):
    bin = make.location()
    bar = make.lot(lengths=[50], bin=bin).units[0]
    session.commit()
    pull = ledger.move(session, ledger.PULL, ledger.unit_item(bar.id), 20, ledger.at_location(bin.id), None,
                       unit="in")
    session.commit()
    return bin, bar, pull


def test_reversal_restores_balance_once(session, make):
    bin, bar, pull = _twenty_pulled_from_a_50_in_bar(session, make)
    undo = ledger.reverse(session, pull)
    session.commit()
    assert undo.reverses_id == pull.id and undo.from_place is None and undo.to_place == pull.from_place
    assert ledger.balance(session, ledger.unit_item(bar.id), ledger.at_location(bin.id)) == Decimal("50")
    with pytest.raises(ledger.NotReversible):
        ledger.reverse(session, pull)
    session.rollback()
    assert ledger.audit(session) == []


def test_the_entry_a_movement_returns_is_the_stored_row(session, make):
    """The entry is written with one INSERT, not the ORM's flush, and handed back as the session's own
    row: the same object a look-up finds, with its relationships, as stored."""
    bin, bar, pull = _twenty_pulled_from_a_50_in_bar(session, make)
    assert session.get(LedgerEntry, pull.id) is pull
    undo = ledger.reverse(session, pull, note="wrong bar")
    assert session.get(LedgerEntry, undo.id) is undo and undo.reverses is pull
    session.commit()
    stored = session.execute(select(LedgerEntry.kind, LedgerEntry.quantity, LedgerEntry.note, LedgerEntry.item,
                                    LedgerEntry.to_place).where(LedgerEntry.id == undo.id)).one()
    assert tuple(stored) == (ledger.REVERSAL, Decimal("20"), "wrong bar", ledger.unit_item(bar.id),
                             ledger.at_location(bin.id))


def test_two_undos_of_one_entry_at_once_reverse_it_once_and_tell_the_second(session, make):
    """Two stations undo the same entry at the same moment: one reversal; the other is told it was
    already undone (on PostgreSQL the second passes the check and meets the unique reversal)."""
    bin, bar, pull = _twenty_pulled_from_a_50_in_bar(session, make)
    first, second = Session(db.engine), Session(db.engine)
    outcome = {}

    def second_station():
        try:
            ledger.begin_write(second)
            ledger.reverse(second, second.get(LedgerEntry, pull.id))
            second.commit()
            outcome["second"] = "reversed"
        except ledger.LedgerError as refusal:
            second.rollback()
            outcome["second"] = refusal
    try:
        ledger.begin_write(first)
        ledger.reverse(first, first.get(LedgerEntry, pull.id))
        first.flush()
        racer = threading.Thread(target=second_station)
        racer.start()
        time.sleep(0.5)  # the second waits on the first's lock, past its own "already undone" check on PostgreSQL
        first.commit()
        racer.join(timeout=30)
    finally:
        first.close()
        second.close()
    refusal = outcome["second"]
    assert isinstance(refusal, ledger.NotReversible) and refusal.message == "That entry was already undone."
    session.rollback()  # end this session's read, which began before the undos
    assert session.scalar(select(func.count(LedgerEntry.id)).where(LedgerEntry.reverses_id == pull.id)) == 1
    assert ledger.balance(session, ledger.unit_item(bar.id), ledger.at_location(bin.id)) == Decimal("50")
    assert ledger.audit(session) == []


def test_reversal_refused_when_stock_moved_on(session, make):
    a, b = make.location(), make.location()
    bar = make.lot(lengths=[50], bin=a).units[0]
    session.commit()
    item = ledger.unit_item(bar.id)
    moved = ledger.move(session, ledger.PUTAWAY, item, 50, ledger.at_location(a.id), ledger.at_location(b.id), unit="in")
    ledger.move(session, ledger.PULL, item, 30, ledger.at_location(b.id), None, unit="in")
    session.commit()
    with pytest.raises(ledger.NotReversible) as refused:
        ledger.reverse(session, moved)
    session.rollback()
    assert "moved on" in refused.value.message


def test_piece_counters_follow_completions_and_their_reversal(session, make):
    job = make.job(quantity=100, ops=("lathe", "mill"))
    session.commit()
    op10, op20 = job.operations
    done = ledger.move(session, ledger.COMPLETE, ledger.job_item(job.id), 80, ledger.at_operation(op10.id),
                       ledger.at_operation(op20.id), unit="pcs", job_operation_id=op10.id)
    ledger.move(session, ledger.SCRAP, ledger.job_item(job.id), 3, ledger.at_operation(op10.id), None,
                unit="pcs", job_operation_id=op10.id, reason="DIM")
    session.commit()
    session.refresh(op10)
    assert (op10.qty_good, op10.qty_scrap) == (80, 3)
    # 100 released - 80 passed on - 3 scrapped = 17 still at op 10
    assert ledger.balance(session, ledger.job_item(job.id), ledger.at_operation(op10.id)) == 17
    ledger.reverse(session, done)
    session.commit()
    session.refresh(op10)
    assert op10.qty_good == 0
    assert ledger.balance(session, ledger.job_item(job.id), ledger.at_operation(op10.id)) == 97


def test_entries_cannot_be_changed_or_deleted(session, make):
    make.lot(lengths=[10])
    session.commit()
    entry_id = session.scalar(select(LedgerEntry.id))
    with pytest.raises(DBAPIError):
        session.execute(text("UPDATE ledger_entries SET quantity = 1 WHERE id = :id"), {"id": entry_id})
    session.rollback()
    with pytest.raises(DBAPIError):
        session.execute(text("DELETE FROM ledger_entries WHERE id = :id"), {"id": entry_id})
    session.rollback()
    entry = session.get(LedgerEntry, entry_id)
    entry.quantity = qty(1)
    with pytest.raises(ValueError):
        session.flush()
    session.rollback()


@pytest.mark.parametrize("bad", [0, -5, "abc", "NaN", "Infinity", "1e12", None])
def test_nonsense_quantities_are_refused(session, make, bad):
    bin = make.location()
    bar = make.lot(lengths=[10], bin=bin).units[0]
    session.commit()
    with pytest.raises(ledger.LedgerError):
        ledger.move(session, ledger.PULL, ledger.unit_item(bar.id), bad, ledger.at_location(bin.id), None, unit="in")
    session.rollback()
    assert ledger.audit(session) == []


# --- the property: any sequence of movements, reversals and repeated scan ids ------------------------

step = st.one_of(
    st.tuples(st.just("move"), st.integers(0, 2), st.integers(0, 3), st.integers(0, 3),
              st.decimals(min_value=Decimal("0.001"), max_value=Decimal("200"), places=3)),
    st.tuples(st.just("reverse"), st.integers(0, 50)),
    st.tuples(st.just("repeat"), st.integers(0, 50)),
)


@pytest.fixture
def places(session, make):
    bins = [make.location() for _ in range(3)]
    material = make.material()
    session.commit()
    # Place index 3 is "outside the shop" (a receipt from a supplier, or a pull into a job).
    return [ledger.at_location(b.id) for b in bins] + [None], material


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(steps=st.lists(step, min_size=1, max_size=25))
def test_balances_always_equal_the_ledger(session, places, steps):
    place_keys, material = places
    lot = MaterialLot(number=f"P{session.scalar(select(func.count(MaterialLot.id))) + 1}", material=material,
                      heat_number="PROP")
    units = [StockUnit(code=f"{lot.number}-{i}", lot=lot, kind="bar", initial_qty=qty(1)) for i in range(3)]
    session.add_all(units)
    session.commit()
    items = [ledger.unit_item(u.id) for u in units]
    recorded: list[LedgerEntry] = []
    scans: list[str] = []

    for n, action in enumerate(steps):
        before_entries, before = count_entries(session), snapshot(session)
        try:
            if action[0] == "move":
                _, i, s, d, amount = action
                uid = f"{lot.number}-{n}"
                entry = ledger.move(session, ledger.ADJUST, items[i], amount, place_keys[s], place_keys[d],
                                    unit="in", scan_uid=uid)
                scans.append(uid)
            elif action[0] == "reverse" and recorded:
                entry = ledger.reverse(session, recorded[action[1] % len(recorded)])
            elif action[0] == "repeat" and scans:
                # A scanner firing twice, or a network retry: the same scan id again.
                uid = scans[action[1] % len(scans)]
                entry = ledger.move(session, ledger.ADJUST, items[0], 1, None, place_keys[0], unit="in",
                                    scan_uid=uid)
            else:
                continue
            session.commit()
            recorded.append(entry)
        except ledger.LedgerError:
            session.rollback()
            assert count_entries(session) == before_entries, "a refused movement wrote an entry"
            assert snapshot(session) == before, "a refused movement changed a balance"
        problems = ledger.audit(session, items)
        assert problems == [], problems

    uids = [e.scan_uid for e in recorded if e.scan_uid]
    assert len(uids) == len(set(uids)), "a scan id was recorded twice"

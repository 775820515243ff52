"""Stock moves at the station, through the state machine: CMD-MOVE, a bar or FG lot, its bin; a bin
first and then several things put away in it; and every move the floor refuses, with nothing written."""
from decimal import Decimal

import pytest
from sqlalchemy import select

from spex import codes, ledger, shopfloor
from spex.models import LedgerEntry
from spex.scan import flows
from spex.scan.answers import DONE, REFUSED, WAITING
from spex.scan.steps.move import MOVE_TO, MOVE_WHAT, PUT_AWAY
from tests.scan.conftest import balances, entries
from tests.scan.test_flows import Desk, fg_lot


@pytest.fixture
def desk(session, make):
    station = make.station(kind="dock")
    make.commit()
    return Desk(session, station)


@pytest.fixture
def yard(shop, session, make):
    """The scan fixtures' shop, a second rack bin, the dock, inspection, and an FG lot of 10 in FG-01."""
    shop.bin_b = make.location("R1-B02")
    shop.dock = make.location("DOCK", kind="receiving")
    shop.qc = make.location("QC", kind="inspection")
    shop.rack_only = make.location("R1", kind="rack")
    make.commit()
    fg_lot(shop, session, make)
    return shop


def putaways(session):
    return session.scalars(select(LedgerEntry).where(LedgerEntry.kind == ledger.PUTAWAY)
                           .order_by(LedgerEntry.id)).all()


def test_a_bar_then_its_bin_moves_it(desk, yard, session):
    bar = yard.lot.units[0]
    desk(yard.handler.barcode)
    started = desk(codes.CMD_MOVE)
    assert (started.outcome, started.headline, started.state.pending) == (WAITING, "Move stock", MOVE_WHAT)
    desk(bar.barcode)
    moved = desk("bin-r1-b02")
    assert moved.outcome == DONE and moved.headline == f"Moved {bar.barcode} to BIN-R1-B02"
    assert moved.detail == "144 in from BIN-R1-A01."
    assert moved.state.pending is None and moved.state.stock_unit_id is None
    [entry] = putaways(session)
    assert (entry.stock_unit_id, entry.from_location_id, entry.to_location_id, entry.quantity, entry.station_id) == \
        (bar.id, yard.rack.id, yard.bin_b.id, Decimal("144"), desk.station.id)
    assert ledger.location_of(session, ledger.unit_item(bar.id)) == (ledger.at_location(yard.bin_b.id), Decimal("144"))


def test_an_fg_lot_then_its_bin_moves_it(desk, yard, session):
    desk(yard.handler.barcode, codes.CMD_MOVE)
    waiting = desk(yard.fg.barcode)
    assert waiting.headline == f"Move {yard.fg.barcode} from BIN-FG-01: 10 pcs" and waiting.state.pending == MOVE_TO
    moved = desk("BIN-R1-B02")
    assert moved.outcome == DONE and moved.headline == f"Moved {yard.fg.barcode} to BIN-R1-B02"
    assert shopfloor.fg_location(session, yard.fg) == (ledger.at_location(yard.bin_b.id), 10)


def test_put_away_a_bin_first_then_each_unit_until_done(desk, yard, session):
    bar1, bar2 = yard.lot.units
    desk(yard.handler.barcode, codes.CMD_MOVE)
    into = desk("BIN-R1-B02")
    assert into.headline == "Put away into BIN-R1-B02" and into.state.pending == PUT_AWAY
    first = desk(bar1.barcode)
    assert first.outcome == DONE and first.headline == f"{bar1.barcode} into BIN-R1-B02"
    second = desk(bar2.barcode)
    assert second.headline == f"{bar2.barcode} into BIN-R1-B02" and "2 put away here so far" in second.detail
    assert second.state.pending == PUT_AWAY
    again = desk(bar2.barcode)  # the same bar again: already there, nothing written
    assert again.outcome == REFUSED and again.headline == f"{bar2.barcode} is already in BIN-R1-B02."
    assert again.state.pending == PUT_AWAY
    done = desk(codes.CMD_DONE)
    assert (done.outcome, done.headline, done.state.pending) == (WAITING, "Put-away done: 2 moved into BIN-R1-B02",
                                                                  None)
    assert [(e.stock_unit_id, e.to_location_id) for e in putaways(session)] == [(bar1.id, yard.bin_b.id),
                                                                                 (bar2.id, yard.bin_b.id)]


def test_put_away_ends_when_something_else_starts(desk, yard, session):
    desk(yard.handler.barcode, codes.CMD_MOVE, "BIN-DOCK", yard.lot.units[0].barcode)
    job = desk(yard.job.barcode)
    assert job.outcome == WAITING and job.headline == f"Job {yard.job.number}" and job.state.pending is None
    assert len(putaways(session)) == 1


def test_cmd_done_before_anything_moved_ends_the_move(desk, yard, session):
    desk(yard.handler.barcode, codes.CMD_MOVE)
    done = desk(codes.CMD_DONE)
    assert (done.outcome, done.headline, done.state.pending) == (WAITING, "Move ended: nothing moved", None)


def _refused(desk, session, *scans, says: str, waits: str):
    before, held = entries(session), balances(session)
    answer = desk(*scans)
    assert answer.outcome == REFUSED and says in answer.headline, answer.headline
    assert answer.state.pending == waits
    assert (entries(session), balances(session)) == (before, held)
    return answer


def test_refusals_write_nothing(desk, yard, session, make):
    bar1, bar2 = yard.lot.units
    shopfloor.pull_material(session, bar2, yard.job, 144, user=yard.operator)
    ledger.move(session, ledger.PUTAWAY, ledger.unit_item(bar1.id), 144, ledger.at_location(yard.rack.id),
                ledger.at_location(yard.qc.id), unit="in")
    session.commit()
    desk(yard.handler.barcode, codes.CMD_MOVE)
    _refused(desk, session, bar2.barcode, says=f"{bar2.barcode} is issued to job {yard.job.number}", waits=MOVE_WHAT)
    answer = _refused(desk, session, bar1.barcode, says=f"{bar1.barcode} is on hold at inspection", waits=MOVE_WHAT)
    assert "CMD-CANCEL to drop the move" in answer.next_step
    _refused(desk, session, "LOT-NOPE-99", says="There is no bar or plate LOT-NOPE-99.", waits=MOVE_WHAT)
    _refused(desk, session, "CMD-MOOVE", says="CMD-MOOVE is not a code Spex knows.", waits=MOVE_WHAT)
    _refused(desk, session, "BIN-R1", says="BIN-R1 (rack) cannot hold stock.", waits=MOVE_WHAT)
    desk(yard.fg.barcode)
    _refused(desk, session, "BIN-DOCK", says="BIN-DOCK (receiving) does not take finished goods", waits=MOVE_TO)
    _refused(desk, session, "BIN-QC", says="BIN-QC (inspection) cannot hold finished goods", waits=MOVE_TO)
    _refused(desk, session, "BIN-FG-01", says=f"{yard.fg.barcode} is already in BIN-FG-01.", waits=MOVE_TO)
    _refused(desk, session, "BIN-NOPE", says="There is no bin BIN-NOPE.", waits=MOVE_TO)
    _refused(desk, session, "25", says="A quantity (25) does not fit here.", waits=MOVE_TO)
    assert flows.read_state(session, desk.station).fg_lot_id == yard.fg.id


def test_a_shipped_fg_lot_stays_and_an_inspector_may_not_move(desk, yard, session, make):
    line = yard.fg.job.order_lines[0]
    shopfloor.ship_finished_goods(session, yard.fg, 10, release=line.releases[0], user=yard.shipper)
    session.commit()
    desk(yard.handler.barcode, codes.CMD_MOVE)
    _refused(desk, session, yard.fg.barcode, says=f"{yard.fg.barcode} is used up: all of it has shipped", waits=MOVE_WHAT)
    desk(yard.inspector.barcode, "2468")
    before = entries(session)
    answer = desk(codes.CMD_MOVE)
    assert answer.outcome == REFUSED and answer.headline.startswith("Only an operator or material handler or shipping clerk may move stock")
    assert entries(session) == before


def test_a_move_is_undone_by_its_mover_and_the_bar_is_back_in_its_bin(desk, yard, session):
    bar = yard.lot.units[0]
    desk(yard.handler.barcode, codes.CMD_MOVE, bar.barcode, "BIN-R1-B02")
    undone = desk(codes.CMD_UNDO)
    assert undone.outcome == DONE, undone.headline
    assert ledger.location_of(session, ledger.unit_item(bar.id)) == (ledger.at_location(yard.rack.id), Decimal("144"))
    [move] = putaways(session)
    reversal = session.scalars(select(LedgerEntry).where(LedgerEntry.reverses_id == move.id)).one()
    assert (reversal.from_location_id, reversal.to_location_id) == (yard.bin_b.id, yard.rack.id)

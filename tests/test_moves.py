"""Stock moves on the shop floor: a bar or an FG lot carried to another bin as one PUTAWAY entry, the
balances moved with it; and every move that cannot be done refused with nothing written."""
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from spex import codes, ledger, shopfloor
from spex.models import Balance, LedgerEntry, Location
from spex.shopfloor import FloorError
from tests.scan.conftest import order_with_releases


def entries(session) -> int:
    return session.scalar(select(func.count(LedgerEntry.id)))


def balances(session) -> dict:
    return {(b.item, b.place): b.quantity for b in session.scalars(select(Balance))}


@pytest.fixture
def yard(session, make):
    """A rack bin with two 144 in bars, a second rack bin, the dock, FG and shipping bins, inspection,
    scrap, a rack (no bin) and a job of 12 pcs, 10 of them finished into an FG lot in FG-01."""
    class Yard:
        pass
    y = Yard()
    y.handler = make.user(codes.MATERIAL_HANDLER, name="Max Handler")
    y.operator = make.user(codes.OPERATOR)
    y.inspector = make.user(codes.INSPECTOR)
    y.rack = make.location("R1", kind="rack")
    y.bin_a = make.location("R1-A01", parent=y.rack)
    y.bin_b = make.location("R1-B02", parent=y.rack)
    y.dock = make.location("DOCK", kind="receiving")
    y.fg_bin = make.location("FG-01", kind="fg")
    y.fg_bin2 = make.location("FG-02", kind="fg")
    y.shipping = make.location("SHIP-1", kind="shipping")
    y.qc = make.location("QC", kind="inspection")
    y.scrap = make.location("SCRAP", kind="scrap")
    material = make.material()
    y.lot = make.lot(material=material, bin=y.bin_a, lengths=(144, 96), heat="H4711")
    y.bar, y.bar2 = y.lot.units
    y.job = make.job(make.part(ops=("lathe",), material=material), quantity=12)
    shopfloor.complete_operation(session, y.job.operations[0], 10, user=y.operator)
    y.fg = shopfloor.receive_finished_goods(session, y.job, 10, y.fg_bin, user=y.operator)
    make.commit()
    return y


def test_a_bar_moves_with_its_whole_length_as_one_putaway(session, yard):
    before = entries(session)
    moved = shopfloor.move_unit(session, yard.bar, yard.bin_b, user=yard.handler)
    session.commit()
    item = ledger.unit_item(yard.bar.id)
    assert entries(session) == before + 1
    assert (moved.entry.kind, moved.quantity, moved.unit, moved.came_from.code, moved.went_to.code) == \
        (ledger.PUTAWAY, Decimal("144"), "in", "R1-A01", "R1-B02")
    assert ledger.balance(session, item, ledger.at_location(yard.bin_a.id)) == 0
    assert ledger.balance(session, item, ledger.at_location(yard.bin_b.id)) == Decimal("144")
    assert ledger.location_of(session, item) == (ledger.at_location(yard.bin_b.id), Decimal("144"))
    entry = session.get(LedgerEntry, moved.entry.id)
    assert (entry.from_location_id, entry.to_location_id, entry.stock_unit_id, entry.user_id) == \
        (yard.bin_a.id, yard.bin_b.id, yard.bar.id, yard.handler.id)
    assert ledger.audit(session) == []


def test_what_is_left_of_a_pulled_bar_moves(session, yard):
    shopfloor.pull_material(session, yard.bar, yard.job, "37.5", user=yard.operator)
    moved = shopfloor.move_unit(session, yard.bar, yard.dock, user=yard.handler)
    session.commit()
    assert moved.quantity == Decimal("106.5")
    assert ledger.balance(session, ledger.unit_item(yard.bar.id), ledger.at_location(yard.dock.id)) == Decimal("106.5")


def test_an_fg_lot_moves_every_piece_to_shipping(session, yard):
    moved = shopfloor.move_fg_lot(session, yard.fg, yard.shipping, user=yard.handler)
    session.commit()
    assert (moved.quantity, moved.unit, moved.entry.fg_lot_id, moved.entry.job_id) == (10, "pcs", yard.fg.id, yard.job.id)
    assert shopfloor.fg_location(session, yard.fg) == (ledger.at_location(yard.shipping.id), 10)
    assert ledger.audit(session) == []


def _refused(session, attempt, match):
    """The attempt is refused with this message; the ledger and every balance are as they were."""
    before, held = entries(session), balances(session)
    with pytest.raises(FloorError, match=match):
        attempt()
    session.rollback()
    assert entries(session) == before and balances(session) == held


def test_stock_that_is_not_free_on_the_shelf_stays(session, make, yard):
    # The second bar wholly pulled to the job; the first one at inspection.
    shopfloor.pull_material(session, yard.bar2, yard.job, 96, user=yard.operator)
    ledger.move(session, ledger.PUTAWAY, ledger.unit_item(yard.bar.id), 144, ledger.at_location(yard.bin_a.id),
                ledger.at_location(yard.qc.id), unit="in")
    session.commit()
    _refused(session, lambda: shopfloor.move_unit(session, yard.bar2, yard.bin_b, user=yard.handler),
             rf"{yard.bar2.barcode} is issued to job {yard.job.number}")
    _refused(session, lambda: shopfloor.move_unit(session, yard.bar, yard.bin_b, user=yard.handler),
             rf"{yard.bar.barcode} is on hold at inspection \(BIN-QC\)")


def test_a_bar_at_a_vendor_stays_there(session, make, yard):
    vendor = make.vendor(process="grind")
    vendor_bin = session.scalars(select(Location).where(Location.vendor_id == vendor.id)).one()
    ledger.move(session, ledger.PUTAWAY, ledger.unit_item(yard.bar.id), 144, ledger.at_location(yard.bin_a.id),
                ledger.at_location(vendor_bin.id), unit="in")
    session.commit()
    _refused(session, lambda: shopfloor.move_unit(session, yard.bar, yard.bin_b, user=yard.handler),
             rf"{yard.bar.barcode} is at the vendor")


def test_an_fg_lot_shipped_or_on_hold_stays(session, make, yard):
    line = order_with_releases(session, make, yard.job, quantities=(10,))
    shopfloor.ship_finished_goods(session, yard.fg, 10, release=line.releases[0], user=make.user(codes.SHIPPING))
    session.commit()
    _refused(session, lambda: shopfloor.move_fg_lot(session, yard.fg, yard.fg_bin2, user=yard.handler),
             rf"{yard.fg.barcode} is used up: all of it has shipped")


def test_an_fg_lot_at_inspection_stays(session, make, yard):
    ledger.move(session, ledger.PUTAWAY, ledger.fg_item(yard.fg.id), 10, ledger.at_location(yard.fg_bin.id),
                ledger.at_location(yard.qc.id), unit="pcs")
    session.commit()
    _refused(session, lambda: shopfloor.move_fg_lot(session, yard.fg, yard.fg_bin2, user=yard.handler),
             rf"{yard.fg.barcode} is on hold at inspection")


def test_a_place_that_cannot_hold_it_is_refused(session, make, yard):
    retired = make.location("R9-Z99")
    retired.active = False
    session.commit()
    cases = [
        (lambda: shopfloor.move_unit(session, yard.bar, yard.rack, user=yard.handler), r"BIN-R1 \(rack\) cannot hold bar stock"),
        (lambda: shopfloor.move_unit(session, yard.bar, yard.qc, user=yard.handler), r"BIN-QC \(inspection\) cannot hold bar stock"),
        (lambda: shopfloor.move_unit(session, yard.bar, yard.scrap, user=yard.handler), r"BIN-SCRAP \(scrap\) cannot hold bar stock"),
        (lambda: shopfloor.move_unit(session, yard.bar, yard.fg_bin, user=yard.handler),
         r"BIN-FG-01 \(finished goods\) does not take bar stock"),
        (lambda: shopfloor.move_fg_lot(session, yard.fg, yard.dock, user=yard.handler),
         r"BIN-DOCK \(receiving\) does not take finished goods"),
        (lambda: shopfloor.move_unit(session, yard.bar, retired, user=yard.handler), r"BIN-R9-Z99 is no longer in use"),
        (lambda: shopfloor.move_unit(session, yard.bar, yard.bin_a, user=yard.handler),
         rf"{yard.bar.barcode} is already in BIN-R1-A01"),
        (lambda: shopfloor.move_fg_lot(session, yard.fg, yard.fg_bin, user=yard.handler),
         rf"{yard.fg.barcode} is already in BIN-FG-01"),
        (lambda: shopfloor.move_unit(session, yard.bar, yard.bin_b, user=yard.inspector), r"Only an operator"),
        (lambda: shopfloor.move_unit(session, yard.bar, yard.bin_b, user=None), r"Nobody is signed in"),
    ]
    for attempt, match in cases:
        _refused(session, attempt, match)

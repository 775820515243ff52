"""Stock moves at the station in Chromium: a material handler moves a bar and an FG lot to other bins
with the keyboard-wedge scanner, and puts two bars away in a bin scanned first; the bar's and the
lot's pages then show the new bin and the move, and the ledger holds one PUTAWAY entry per move."""
from decimal import Decimal

import pytest
from sqlalchemy import select

from spex import codes, ledger
from spex.models import LedgerEntry
from tests.scan.test_flows import fg_lot


@pytest.fixture
def yard(shop, session, make):
    shop.bin_b = make.location("R2-B02")
    shop.fg_bin2 = make.location("FG-02", kind="fg")
    shop.planner = make.user(codes.PLANNER, name="Pat Planner")
    make.commit()
    fg_lot(shop, session, make)
    return shop


def putaways(session):
    session.rollback()
    return [(e.item, e.from_location_id, e.to_location_id, e.quantity)
            for e in session.scalars(select(LedgerEntry).where(LedgerEntry.kind == ledger.PUTAWAY)
                                     .order_by(LedgerEntry.id))]


def test_a_bar_and_an_fg_lot_move_by_scanning(operator_at, yard, session, screen, sign_in, live_server, tmp_path):
    bar = yard.lot.units[0]
    person = operator_at()
    person.page.set_viewport_size({"width": 1280, "height": 800})
    person.scan(yard.handler.barcode, codes.CMD_MOVE)
    assert person.outcome == "waiting" and person.headline == "Move stock"
    person.scan(bar.barcode.lower())
    assert person.outcome == "waiting" and person.headline == f"Move {bar.barcode} from BIN-R1-A01: 144 in"
    assert "Move" in person.context and bar.barcode in person.context
    assert person.page.inner_text("#scan-expected") == "Next: Scan the bin (BIN-…) it goes to."
    person.page.screenshot(path=str(tmp_path / "move-waiting-for-bin.png"))
    person.scan("BIN-R1-A01")  # where it already is
    assert person.outcome == "refused" and person.headline == f"Refused: {bar.barcode} is already in BIN-R1-A01."
    person.scan("BIN-R2-B02")
    assert person.outcome == "done" and person.headline == f"Moved {bar.barcode} to BIN-R2-B02"
    person.page.screenshot(path=str(tmp_path / "move-done.png"))
    person.scan(codes.CMD_MOVE, yard.fg.barcode, "BIN-FG-02")
    assert person.outcome == "done" and person.headline == f"Moved {yard.fg.barcode} to BIN-FG-02"

    assert putaways(session) == [(ledger.unit_item(bar.id), yard.rack.id, yard.bin_b.id, Decimal("144")),
                                 (ledger.fg_item(yard.fg.id), yard.fg_bin.id, yard.fg_bin2.id, Decimal("10"))]
    office = screen({"width": 1366, "height": 768})
    sign_in(office, live_server, yard.planner, f"/units/{bar.barcode}")
    assert "In BIN-R2-B02: 144 in left of 144" in office.inner_text("section.card >> nth=0")
    moved_row = office.locator("tr", has_text="Moved")
    assert moved_row.count() == 1 and "BIN-R1-A01" in moved_row.inner_text() and "BIN-R2-B02" in moved_row.inner_text()
    assert "Max Handler" in moved_row.inner_text()
    office.goto(f"{live_server.url}/fg/{yard.fg.barcode}")
    assert "On hand 10 in BIN-FG-02 (10)" in office.inner_text("section.card >> nth=0")
    moved_row = office.locator("tr", has_text="Moved")
    assert moved_row.count() == 1 and "BIN-FG-01" in moved_row.inner_text() and "BIN-FG-02" in moved_row.inner_text()


def test_put_away_at_the_dock_a_bin_then_two_bars(operator_at, yard, session, tmp_path):
    bar1, bar2 = yard.lot.units
    person = operator_at()
    person.page.set_viewport_size({"width": 1280, "height": 800})
    person.scan(yard.handler.barcode, codes.CMD_MOVE, "BIN-R2-B02")
    assert person.outcome == "waiting" and person.headline == "Put away into BIN-R2-B02"
    assert "Put-away" in person.context
    person.scan(bar1.barcode)
    assert person.outcome == "done" and person.headline == f"{bar1.barcode} into BIN-R2-B02"
    person.page.screenshot(path=str(tmp_path / "put-away-mid.png"))
    person.scan(bar2.barcode)
    assert person.outcome == "done" and person.headline == f"{bar2.barcode} into BIN-R2-B02"
    person.scan(codes.CMD_DONE)
    assert person.outcome == "waiting" and person.headline == "Put-away done: 2 moved into BIN-R2-B02"
    assert putaways(session) == [(ledger.unit_item(bar1.id), yard.rack.id, yard.bin_b.id, Decimal("144")),
                                 (ledger.unit_item(bar2.id), yard.rack.id, yard.bin_b.id, Decimal("144"))]
    assert ledger.audit(session) == []

"""The shipping bench by scan, through the station's own entry point: a release's or an order line's code,
then FG lots and pieces, CMD-DONE makes one shipment. Each refusal says why, writes nothing, and leaves
the station where it was."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from spex import codes, ledger, shopfloor
from spex.models import LedgerEntry, Shipment
from spex.scan import flows
from spex.scan.answers import DONE, REFUSED, WAITING
from spex.scan.steps.bench import BENCH_LOT, BENCH_QTY
from tests.scan.conftest import balances
from tests.shipping.test_shipments import counts, ship


class Bench:
    """The shipping bench's station, scanned at as the route does: the write lock, one scan, the commit."""

    def __init__(self, session, station):
        self.session, self.station = session, station

    def __call__(self, *raws: str):
        for raw in raws:
            ledger.begin_write(self.session)
            answer = flows.interpret(self.session, self.station.token, raw, uuid.uuid4().hex, undo_window=300)
            self.session.commit()
        return answer

    @property
    def pending(self):
        return flows.read_state(self.session, self.station).pending


@pytest.fixture
def bench(session, make, shop):
    station = make.station()
    make.commit()
    at = Bench(session, station)
    at(shop.shipping.barcode)
    return at


def line_code(line):
    return f"{codes.LINE}{line.id}"


def release_code(release):
    return f"{codes.REL}{release.id}"


def test_a_ship_complete_line_of_100_from_two_lots_of_50_by_scan(session, shop, part, bench):
    first, second = shop.finished_lot(part, 50, "H100"), shop.finished_lot(part, 50, "H200")
    line = shop.order(part, 100, po="PO-5501")
    session.commit()
    answer = bench(line_code(line))
    assert answer.outcome == WAITING and answer.headline.startswith(f"Ship {line.order.number} line 1 (ship complete): 100 pcs")
    assert f"Oldest first: {first.barcode} (50 pcs in" in answer.detail
    answer = bench(second.barcode)  # the newer lot first: taken, with the older one named
    assert answer.headline == f"{second.barcode}: 50 pcs for the shipment"
    assert any(first.barcode in w and "oldest first" in w for w in answer.warnings)
    assert bench.pending == BENCH_QTY
    bench(first.barcode)
    answer = bench(codes.CMD_DONE)
    assert answer.outcome == DONE, answer.headline
    assert answer.headline == f"Shipped SHP-7001: 100 pcs to {line.order.customer.name}"
    [shipment] = session.scalars(select(Shipment)).all()
    assert [(p.fg_lot.barcode, p.quantity) for p in shipment.lines[0].lots] == [(second.barcode, 50), (first.barcode, 50)]
    session.refresh(line)
    assert line.shipped_qty == 100 and bench.pending is None
    entries = session.scalars(select(LedgerEntry).where(LedgerEntry.kind == ledger.SHIP)).all()
    assert {e.station_id for e in entries} == {bench.station.id} and len({e.scan_uid for e in entries}) == 1
    assert shop.audit_clean(session)


def test_a_release_takes_fewer_pieces_scanned_and_ships_partly(session, shop, part, bench):
    lot = shop.finished_lot(part, 60)
    line = shop.order(part, 80, strategy="scheduled", releases=(40, 40))
    session.commit()
    bench(release_code(line.releases[0]))
    answer = bench(lot.barcode)
    assert answer.headline == f"{lot.barcode}: 40 pcs for the shipment"  # what the release still wants
    answer = bench("15")
    assert answer.headline == f"{lot.barcode}: 15 pcs for the shipment" and bench.pending == BENCH_LOT
    answer = bench(codes.CMD_DONE)
    assert answer.outcome == DONE and "15 pcs" in answer.headline
    session.refresh(line)
    assert (line.releases[0].shipped_qty, shop.on_hand(lot)) == (15, 45)
    # The order line's own code ships against its earliest open release.
    answer = bench(line_code(line))
    assert "release due" in answer.headline and ": 25 pcs of" in answer.headline


REFUSALS = ["over_release", "over_release_by_lot", "used_up", "on_hold", "other_part", "scanned_twice",
            "ship_complete_short", "not_shipping"]


@pytest.mark.parametrize("case", REFUSALS)
def test_each_refusal_says_why_and_writes_nothing(case, session, shop, part, make, bench):
    good = shop.finished_lot(part, 50)
    line = shop.order(part, 50)
    session.commit()
    start, scans = line_code(line), [good.barcode]
    if case == "over_release":
        line = shop.order(part, 60, strategy="scheduled", releases=(30, 30))
        session.commit()
        start, scans, bad, message = release_code(line.releases[0]), [good.barcode], "31", "wants 30 pcs; 31 would ship over it"
    elif case == "over_release_by_lot":
        more = shop.finished_lot(part, 50)
        line = shop.order(part, 60, strategy="scheduled", releases=(30, 30))
        session.commit()
        start, bad = release_code(line.releases[0]), more.barcode
        message = f"wants 30 pcs and all of them are scanned; {more.barcode} would ship over it"
    elif case == "used_up":
        empty = shop.finished_lot(part, 10)
        ship(shop, shop.order(part, 10), [(empty, 10)])
        session.commit()
        scans, bad, message = [], empty.barcode, f"{empty.barcode} is used up"
    elif case == "on_hold":
        job = shop.make_pieces(part, 50, bars=[(shop.bar(part, "H300"), 10)], extra=5)
        shopfloor.place_hold(session, job.operations[-1], 5, "DIM", user=shop.inspector)
        held = shopfloor.receive_finished_goods(session, job, 50, shop.fg_bin, user=shop.inspector)
        session.commit()
        scans, bad, message = [], held.barcode, f"{held.barcode} is on hold: job {job.number}"
    elif case == "other_part":
        other = shop.finished_lot(make.part(ops=("lathe",), customer=part.customer, number="PN-9999"), 50)
        session.commit()
        scans, bad, message = [], other.barcode, f"{other.barcode} is part PN-9999 rev A; "
    elif case == "scanned_twice":
        bad, message = good.barcode, f"{good.barcode} was scanned already for this shipment"
    elif case == "ship_complete_short":
        scans, bad, message = [good.barcode, "30"], codes.CMD_DONE, "ships complete: all 50 pcs in one shipment, not 30"
    else:
        bench(codes.CMD_SIGN_OUT, shop.operator.barcode)
        scans, bad, message = [], None, "Only a shipping clerk may ship finished goods"
    if bad is not None:
        bench(start, *scans)
    pending, before, held_balances = bench.pending, counts(session), balances(session)
    answer = bench(bad if bad is not None else start)
    assert answer.outcome == REFUSED
    assert message in answer.headline, answer.headline
    assert (counts(session), balances(session)) == (before, held_balances)
    assert bench.pending == pending
    assert shop.audit_clean(session)


def test_a_refused_done_keeps_the_picks_to_finish_later(session, shop, part, bench):
    first, second = shop.finished_lot(part, 50), shop.finished_lot(part, 50)
    line = shop.order(part, 100)
    session.commit()
    bench(line_code(line), first.barcode)
    assert bench(codes.CMD_DONE).outcome == REFUSED  # 50 of a ship-complete 100
    bench(second.barcode)
    assert bench(codes.CMD_DONE).outcome == DONE
    session.refresh(line)
    assert line.shipped_qty == 100


def test_unknown_and_closed_codes_are_refused(session, shop, part, bench):
    line = shop.order(part, 10)
    line.status = "cancelled"
    session.commit()
    assert "There is no release or call-off REL-999999" in bench("REL-999999").headline
    assert "There is no order line LINE-999999" in bench("LINE-999999").headline
    assert "is cancelled; nothing ships against it" in bench(line_code(line)).headline
    assert bench("REL-ABC").outcome == REFUSED


def test_the_top_bar_opens_a_delivery_code_on_the_new_shipment_page(session, shop, part):
    from spex.wip import lookup
    line = shop.order(part, 80, strategy="scheduled", releases=(40, 40))
    session.commit()
    for code in (release_code(line.releases[1]), line_code(line).lower()):
        found = lookup.find(session, code)
        assert (found.endpoint, found.args) == ("shipping.new_shipment", {"customer_id": part.customer_id})
    assert lookup.find(session, "REL-999999").message == "No release or call-off REL-999999."


def test_cmd_undo_does_not_take_back_a_shipment_on_record(session, shop, part, bench):
    lot = shop.finished_lot(part, 10)
    line = shop.order(part, 10)
    session.commit()
    assert bench(line_code(line), lot.barcode, codes.CMD_DONE).outcome == DONE
    before, held = counts(session), balances(session)
    answer = bench(codes.CMD_UNDO)
    assert answer.outcome == REFUSED and "Shipment SHP-7001 is on record with its packing list" in answer.headline
    assert (counts(session), balances(session)) == (before, held)
    session.refresh(line)
    assert line.shipped_qty == 10

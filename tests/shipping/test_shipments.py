"""Shipments as records: lines against order lines and releases, filled from one or more FG lots; every
refusal says why and writes nothing; what left is never edited."""
import pytest
from sqlalchemy import func, select, text, update

from spex import ledger, shopfloor, shoptime
from spex.models import LedgerEntry, Shipment, ShipmentLine, ShipmentLot
from spex.shipping.shipments import LineRequest, Pick, ShippingError, make_shipment, open_deliveries


def counts(session):
    return (session.scalar(select(func.count(Shipment.id))), session.scalar(select(func.count(ShipmentLine.id))),
            session.scalar(select(func.count(ShipmentLot.id))), session.scalar(select(func.count(LedgerEntry.id))))


def ship(shop, line, picks, release=None, **kw):
    return make_shipment(shop.session, line.order.customer, [LineRequest(line.id, release.id if release else None,
                                                                         [Pick(lot.id, n) for lot, n in picks])],
                         user=kw.pop("user", shop.shipping), ship_date=shoptime.today(), carrier="UPS Ground",
                         tracking="1Z999", ship_to="Dock 4", **kw)


def test_a_ship_complete_line_of_100_ships_from_two_lots_of_50(session, shop, part):
    first, second = shop.finished_lot(part, 50, "H100"), shop.finished_lot(part, 50, "H200")
    line = shop.order(part, 100)
    session.commit()
    [delivery] = open_deliveries(session, line.order.customer)
    assert delivery.suggested == {first.id: 50, second.id: 50}  # oldest first, whole line
    shipment = ship(shop, line, [(first, 50), (second, 50)])
    session.commit()
    assert (line.shipped_qty, shop.on_hand(first), shop.on_hand(second)) == (100, 0, 0)
    assert shipment.barcode == "SHP-7001" and shipment.quantity == 100
    assert [(p.fg_lot.code, p.quantity) for p in shipment.lines[0].lots] == [(first.code, 50), (second.code, 50)]
    entries = session.scalars(select(LedgerEntry).where(LedgerEntry.kind == ledger.SHIP)).all()
    assert [(e.item, int(e.quantity), e.order_line_id, e.to_place) for e in entries] == [
        (ledger.fg_item(first.id), 50, line.id, None), (ledger.fg_item(second.id), 50, line.id, None)]
    assert shop.audit_clean(session)
    assert open_deliveries(session, line.order.customer) == []


def test_partial_shipments_against_a_release_and_over_shipping_refused(session, shop, part):
    lot = shop.finished_lot(part, 60)
    line = shop.order(part, 80, strategy="scheduled", releases=(40, 40))
    session.commit()
    first_release = line.releases[0]
    ship(shop, line, [(lot, 15)], release=first_release)
    session.commit()
    before = counts(session)
    with pytest.raises(ShippingError, match="wants 25 more pcs; 26 would ship over it"):
        ship(shop, line, [(lot, 26)], release=first_release)
    session.rollback()
    assert counts(session) == before
    ship(shop, line, [(lot, 25)], release=first_release)
    session.commit()
    assert (first_release.shipped_qty, line.shipped_qty, shop.on_hand(lot)) == (40, 40, 20)
    assert first_release.shipped_at is not None


@pytest.mark.parametrize("case", ["ship_complete_short", "used_up", "on_hold", "other_part", "more_than_lot",
                                  "no_release", "not_shipping"])
def test_refusals_say_why_and_write_nothing(session, shop, part, make, case):
    good = shop.finished_lot(part, 50)
    line = shop.order(part, 50)
    session.commit()
    picks, kw, release_line = [(good, 50)], {}, line
    if case == "ship_complete_short":
        picks, message = [(good, 30)], "ships complete: all 50 pcs in one shipment, not 30"
    elif case == "used_up":
        empty = shop.finished_lot(part, 10)
        other_line = shop.order(part, 10)
        ship(shop, other_line, [(empty, 10)])
        session.commit()
        picks, message = [(empty, 10), (good, 40)], f"{empty.barcode} is used up"
    elif case == "on_hold":
        job = shop.make_pieces(part, 50, bars=[(shop.bar(part, "H300"), 10)], extra=5)
        shopfloor.place_hold(session, job.operations[-1], 5, "DIM", user=shop.inspector)
        held = shopfloor.receive_finished_goods(session, job, 50, shop.fg_bin, user=shop.inspector)
        session.commit()
        picks, message = [(held, 50)], f"{held.barcode} is on hold: job {job.number} .* open quality hold"
    elif case == "other_part":
        other = shop.finished_lot(make.part(ops=("lathe",), customer=part.customer, number="PN-9999"), 50)
        session.commit()
        picks, message = [(other, 50)], f"{other.barcode} is part PN-9999 rev A; .* is for PN-2207 rev A"
    elif case == "more_than_lot":
        release_line = shop.order(part, 80)
        session.commit()
        picks, message = [(good, 50), (good, 30)], f"{good.barcode} holds only 50 pcs; 80 asked"
    elif case == "no_release":
        release_line = shop.order(part, 40, strategy="scheduled", releases=(20, 20))
        session.commit()
        picks, message = [(good, 20)], "ships in releases or call-offs: choose the release"
    else:
        kw, message = {"user": shop.operator}, "Only a shipping clerk may"
    before = counts(session)
    with pytest.raises(ShippingError if case != "not_shipping" else shopfloor.FloorError, match=message):
        ship(shop, release_line, picks, **kw)
    session.rollback()
    assert counts(session) == before
    assert shop.on_hand(good) == 50 and release_line.shipped_qty == 0


def test_a_shipment_is_not_edited_in_place(session, shop, part):
    lot = shop.finished_lot(part, 50)
    line = shop.order(part, 50)
    shipment = ship(shop, line, [(lot, 50)])
    session.commit()
    shipment.carrier = "FedEx"
    with pytest.raises(ValueError, match="not edited"):
        session.flush()
    session.rollback()
    for statement in (update(Shipment).values(carrier="FedEx"), update(ShipmentLot).values(quantity=1),
                      text("DELETE FROM shipment_lines")):
        with pytest.raises(Exception, match="not edited"):
            session.execute(statement)
        session.rollback()
    assert session.get(Shipment, shipment.id).carrier == "UPS Ground"


def test_a_cancelled_line_is_not_offered_and_a_forged_shipment_of_it_is_refused(session, shop, part):
    lot = shop.finished_lot(part, 50, "H100")
    line = shop.order(part, 50)
    session.commit()
    line.status = "cancelled"  # as the planner's cancel leaves it
    session.commit()
    assert open_deliveries(session, line.order.customer) == []
    before = counts(session)
    with pytest.raises(ShippingError, match=f"Line {line.line_no} of order {line.order.number} was cancelled"):
        ship(shop, line, [(lot, 50)])
    session.rollback()
    assert counts(session) == before and shop.on_hand(lot) == 50

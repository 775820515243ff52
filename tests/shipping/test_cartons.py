"""Cartons: an FG lot packed into cartons (each its own FG lot and label) and merged back, through the
ledger; the heats, the label and the recall follow a carton as they follow the lot it came from."""
import pytest
from sqlalchemy import select

from spex import codes, ledger
from spex.labels.records import record_for
from spex.models import FinishedGoodsLot, LedgerEntry
from spex.shipping import cartons
from spex.shipping.recall import recall_heat, trace_fg_lot
from spex.shipping.shipments import ShippingError
from tests.scan.conftest import balances, entries
from tests.conftest import login
from tests.shipping.test_shipments import ship


def carton_entries(session):
    return [(e.item, int(e.quantity), e.from_place, e.to_place) for e in
            session.scalars(select(LedgerEntry).where(LedgerEntry.kind == ledger.CARTON).order_by(LedgerEntry.id))]


def test_a_lot_of_50_packed_in_two_cartons_of_20_and_one_merged_back(session, shop, part):
    lot = shop.finished_lot(part, 50, "H7701")
    session.commit()
    first, second = cartons.split_into_cartons(session, lot, [20, 20], user=shop.shipping)
    session.commit()
    assert (shop.on_hand(lot), shop.on_hand(first), shop.on_hand(second)) == (10, 20, 20)
    assert first.parent_id == lot.id and first.job_id == lot.job_id and first.barcode.startswith(codes.FG)
    assert first.created_at == lot.created_at  # as old as its pieces: oldest first still holds
    place = ledger.at_location(shop.fg_bin.id)
    assert carton_entries(session) == [(ledger.fg_item(lot.id), 20, place, None), (ledger.fg_item(first.id), 20, None, place),
                                       (ledger.fg_item(lot.id), 20, place, None), (ledger.fg_item(second.id), 20, None, place)]
    # Its own label, with the heat of the lot it came from.
    label = record_for(session, "finished_goods", first.barcode)
    assert label["code"] == first.barcode and label["heats"] == "H7701" and label["quantity"] == "20"
    parent, pieces = cartons.merge_back(session, second, user=shop.shipping)
    session.commit()
    assert (parent.id, pieces, shop.on_hand(lot), shop.on_hand(second)) == (lot.id, 20, 30, 0)
    assert [(c.barcode, pcs) for c, _, pcs in cartons.cartons_of(session, lot)] == [(first.barcode, 20), (second.barcode, 0)]
    assert shop.audit_clean(session)


def test_a_shipped_carton_is_found_by_the_heat_recall_and_traced_back(session, shop, part):
    lot = shop.finished_lot(part, 50, "H7702")
    line = shop.order(part, 25, po="PO-9001")
    session.commit()
    [carton] = cartons.split_into_cartons(session, lot, [25], user=shop.shipping)
    shipment = ship(shop, line, [(carton, 25)])
    session.commit()
    recall = recall_heat(session, "H7702")
    [job] = recall["jobs"]
    rows = {row["fg_lot"]: row for row in job["fg_lots"]}
    assert rows[lot.code]["on_hand"] == 25 and rows[lot.code]["carton_of"] is None
    assert rows[carton.code]["carton_of"] == lot.code and rows[carton.code]["on_hand"] == 0
    assert [s["shipment"] for s in rows[carton.code]["shipments"]] == [shipment.barcode]
    assert recall["customers"] == [line.order.customer.name] and recall["pieces_in_shop"] == 25
    back = trace_fg_lot(session, carton)
    assert back["carton_of"] == lot.code and back["jobs"][0]["job"] == lot.job.number


@pytest.mark.parametrize("case", ["too_many", "zero", "used_up", "not_a_carton", "empty_carton", "not_shipping"])
def test_carton_refusals_write_nothing(case, session, shop, part):
    lot = shop.finished_lot(part, 30)
    session.commit()
    [carton] = cartons.split_into_cartons(session, lot, [10], user=shop.shipping)
    session.commit()
    before, held = entries(session), balances(session)
    lots_before = len(session.scalars(select(FinishedGoodsLot)).all())
    if case == "too_many":
        call, message = lambda: cartons.split_into_cartons(session, lot, [15, 6], user=shop.shipping), "holds only 20 pcs; cartons of 21 pcs"
    elif case == "zero":
        call, message = lambda: cartons.split_into_cartons(session, lot, [5, 0], user=shop.shipping), "at least one piece"
    elif case == "used_up":
        cartons.split_into_cartons(session, lot, [20], user=shop.shipping)
        session.commit()
        before, held = entries(session), balances(session)
        lots_before += 1
        call, message = lambda: cartons.split_into_cartons(session, lot, [1], user=shop.shipping), "is used up"
    elif case == "not_a_carton":
        call, message = lambda: cartons.merge_back(session, lot, user=shop.shipping), "is not a carton"
    elif case == "empty_carton":
        cartons.merge_back(session, carton, user=shop.shipping)
        session.commit()
        before, held = entries(session), balances(session)
        call, message = lambda: cartons.merge_back(session, carton, user=shop.shipping), "is empty"
    else:
        call, message = lambda: cartons.split_into_cartons(session, lot, [5], user=shop.operator), "Only a shipping clerk"
    with pytest.raises(ledger.LedgerError, match=message):
        call()
    session.rollback()
    assert (entries(session), balances(session)) == (before, held)
    assert len(session.scalars(select(FinishedGoodsLot)).all()) == lots_before


def test_the_cartons_page_packs_and_merges(client, session, shop, part):
    lot = shop.finished_lot(part, 40)
    session.commit()
    login(client, shop.shipping)
    page = client.get(f"/ship/lots/{lot.code}/cartons")
    assert page.status_code == 200 and "40</b> pcs in" in page.get_data(as_text=True)
    response = client.post(f"/ship/lots/{lot.code}/cartons", data={"sizes": "15, 15"}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Packed 2 carton(s) from " + lot.barcode in html
    made = session.scalars(select(FinishedGoodsLot).where(FinishedGoodsLot.parent_id == lot.id)).all()
    assert len(made) == 2 and all(f'data-carton="{c.barcode}"' in html for c in made)
    assert f"/labels/?q={made[0].barcode}" in html  # printed through the label station
    before = entries(session)
    bad = client.post(f"/ship/lots/{lot.code}/cartons", data={"sizes": "20"})
    assert bad.status_code == 422 and "holds only 10 pcs" in bad.get_data(as_text=True)
    bad = client.post(f"/ship/lots/{lot.code}/cartons", data={"sizes": "five; DROP"})
    assert bad.status_code == 422 and "whole numbers" in bad.get_data(as_text=True)
    assert entries(session) == before
    merged = client.post(f"/ship/lots/{made[0].code}/merge", follow_redirects=True)
    assert f"Merged {made[0].barcode} back into {lot.barcode}: 15 pcs." in merged.get_data(as_text=True)
    assert shop.on_hand(lot) == 25

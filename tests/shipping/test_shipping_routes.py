"""The shipment page: what is due with the oldest lots filled in, a shipment made from the form, a
refusal as a red message with nothing written, the order showing the line shipped, no editing."""
import re

from sqlalchemy import func, select

from spex import codes, shopfloor
from spex.models import LedgerEntry, Shipment
from tests.conftest import login


def test_the_page_fills_the_oldest_lots_and_makes_the_shipment(client, session, shop, part, make):
    older, newer = shop.finished_lot(part, 50, "H100"), shop.finished_lot(part, 50, "H200")
    spare = shop.finished_lot(part, 30, "H300")
    line = shop.order(part, 100)
    admin = make.user(codes.ADMIN)
    session.commit()
    login(client, admin)
    page = client.get(f"/ship/new?customer_id={part.customer_id}").get_data(as_text=True)
    assert re.search(rf'name="pick-L{line.id}-{older.id}"[^>]*value="50"', page)
    assert re.search(rf'name="pick-L{line.id}-{newer.id}"[^>]*value="50"', page)
    assert re.search(rf'name="pick-L{line.id}-{spare.id}"[^>]*value=""', page)
    response = client.post("/ship/new", data={
        "customer_id": part.customer_id, "ship_date": "2026-11-25", "carrier": "UPS Ground", "tracking": "1Z42",
        f"pick-L{line.id}-{older.id}": "50", f"pick-L{line.id}-{spare.id}": "30", f"pick-L{line.id}-{newer.id}": "20"})
    assert response.status_code == 302
    shipment = session.scalar(select(Shipment))
    assert response.headers["Location"].endswith(f"/ship/{shipment.number}")
    page = client.get(f"/ship/{shipment.number}").get_data(as_text=True)
    assert "SHP-7001" in page and "UPS Ground" in page and "1Z42" in page
    for lot, pieces, heat in ((older, 50, "H100"), (newer, 20, "H200"), (spare, 30, "H300")):
        assert f"{lot.barcode}</strong> · {pieces} pcs" in page and f"heat {heat}" in page
    orders = client.get("/plan/orders").get_data(as_text=True)
    assert "shipped Nov 25" in orders
    assert shop.on_hand(newer) == 30
    listing = client.get("/ship/shipments.csv")
    assert listing.mimetype == "text/csv" and "SHP-7001,2026-11-25" in listing.get_data(as_text=True)


def test_a_refused_shipment_is_a_red_message_and_nothing_is_written(client, session, shop, part, make):
    lot = shop.finished_lot(part, 50)
    job = shop.make_pieces(part, 50, bars=[(shop.bar(part, "H300"), 10)], extra=5)
    shopfloor.place_hold(session, job.operations[-1], 5, "DIM", user=shop.inspector)
    held = shopfloor.receive_finished_goods(session, job, 50, shop.fg_bin, user=shop.inspector)
    line = shop.order(part, 100)
    clerk = make.user(codes.SHIPPING)
    session.commit()
    login(client, clerk)
    page = client.get(f"/ship/new?customer_id={part.customer_id}").get_data(as_text=True)
    assert f"{held.barcode} is on hold" in page and f'name="pick-L{line.id}-{held.id}"' not in page
    entries = session.scalar(select(func.count(LedgerEntry.id)))
    for data, message in (
            ({f"pick-L{line.id}-{lot.id}": "50", f"pick-L{line.id}-{held.id}": "50"}, f"{held.barcode} is on hold"),
            ({f"pick-L{line.id}-{lot.id}": "50"}, "ships complete: all 100 pcs"),
            ({f"pick-L{line.id}-{lot.id}": "fifty"}, "must be a whole number"),
            ({f"pick-L{line.id}-999999": "100"}, "That FG lot does not exist"),
            ({}, "Nothing to ship")):
        response = client.post("/ship/new", data={"customer_id": part.customer_id, "ship_date": "2026-11-25", **data})
        assert response.status_code == 422, message
        assert message in response.get_data(as_text=True) and "Nothing was shipped." in response.get_data(as_text=True)
    assert session.scalar(select(func.count(Shipment.id))) == 0
    assert session.scalar(select(func.count(LedgerEntry.id))) == entries
    assert client.post("/ship/new", data={"ship_date": "2026-11-25"}).status_code == 422


def test_a_shipment_offers_no_editing(client, session, shop, part, make):
    from tests.shipping.test_shipments import ship
    lot = shop.finished_lot(part, 50)
    shipment = ship(shop, shop.order(part, 50), [(lot, 50)])
    clerk = make.user(codes.SHIPPING)
    session.commit()
    login(client, clerk)
    assert client.get(f"/ship/{shipment.number}/edit").status_code == 409
    response = client.post(f"/ship/{shipment.number}/edit", data={"carrier": "FedEx"})
    assert response.status_code == 409 and "not edited" in response.get_data(as_text=True)
    assert client.get("/ship/SHP-7999").status_code == 404
    assert client.get(f"/ship/{shipment.barcode}").status_code == 200

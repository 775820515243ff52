"""Customer material-stocking agreements: the planner's page, releases kept with who/when/why, and an
agreement below its minimum on the buy list."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from spex import codes
from spex.materials import stocking
from spex.models import MasterChange, StockingProgram, StockingRelease
from spex.purchasing.needs import buy_list


def _held_lot(make, customer, material, bars=4):
    lot = make.lot(material=material, lengths=[144] * bars)
    lot.customer_id = customer.id
    make.session.flush()
    return lot


def test_agreement_below_its_minimum_is_on_the_buy_list(session, make):
    # Hold 6 bars of 144 in for the customer; 4 are held: 2 short = 2 × 144 = 288 in to buy.
    customer = make.customer()
    material = make.material(typical_bar_length_in=Decimal(144))
    _held_lot(make, customer, material, bars=4)
    planner = make.user(codes.PLANNER)
    stocking.save_agreement(session, customer, material, 6, user=planner)
    (agreement,) = stocking.agreements(session)
    assert (agreement.minimum, agreement.held, agreement.short, agreement.held_quantity) == (6, 4, 2, Decimal(576))
    (short,) = stocking.shortfalls(session)
    assert short.quantity == Decimal(288)
    (line,) = [b for b in buy_list(session) if b.material.id == material.id]
    assert line.quantity == Decimal(288)
    assert line.reason == f"stocking agreement with {customer.name}: hold 6 bars, 4 held"
    # A released bar no longer counts as held: 3 held, 3 short.
    stocking.release_bar(session, agreement.bars[0].unit, "lent to job 24017", user=planner)
    (agreement,) = stocking.agreements(session)
    assert (agreement.held, agreement.short) == (3, 3)
    assert agreement.releases[0].reason == "lent to job 24017"


def test_changing_the_minimum_is_kept_in_the_history(session, make):
    customer, material, planner = make.customer(), make.material(), make.user(codes.PLANNER)
    program = stocking.save_agreement(session, customer, material, 6, user=planner)
    again = stocking.save_agreement(session, customer, material, 8, user=planner)
    assert again.id == program.id and program.quantity == 8
    changes = session.scalars(select(MasterChange).where(MasterChange.record_kind == "stocking")
                              .order_by(MasterChange.id)).all()
    assert [(c.action, c.old_value, c.new_value) for c in changes][-1] == ("changed", "6", "8")


def test_the_page_saves_releases_and_refuses_with_nothing_written(client, session, make, login_as):
    customer = make.customer()
    material = make.material(typical_bar_length_in=Decimal(144))
    lot = _held_lot(make, customer, material, bars=2)
    shop_lot = make.lot(material=material)
    make.commit()
    planner = login_as(codes.PLANNER)
    answer = client.post("/material/stocking", data={"customer_id": customer.id, "material_id": material.id,
                                                     "minimum": "3"})
    assert answer.status_code == 302
    page = client.get("/material/stocking").get_data(as_text=True)
    assert material.code in page and "1 short — on the buy list" in page
    count = lambda model: session.scalar(select(func.count(model.id)))  # noqa: E731
    for form, message in (({"customer_id": customer.id, "material_id": material.id, "minimum": "0"}, "between 1"),
                          ({"customer_id": "", "material_id": material.id, "minimum": "3"}, "Choose the customer"),
                          ({"customer_id": customer.id, "material_id": "99999", "minimum": "3"}, "Choose the material")):
        refused = client.post("/material/stocking", data=form)
        assert refused.status_code == 422 and message in refused.get_data(as_text=True)
    assert count(StockingProgram) == 1 and session.get(StockingProgram, 1).quantity == 3
    bar = lot.units[0]
    for form, message in (({"unit": bar.barcode, "reason": " "}, "Say why"),
                          ({"unit": shop_lot.units[0].barcode, "reason": "x"}, "is shop stock"),
                          ({"unit": "LOT-NOPE-1", "reason": "x"}, "There is no such bar")):
        refused = client.post("/material/stocking/release", data=form)
        assert refused.status_code == 422 and message in refused.get_data(as_text=True)
    assert count(StockingRelease) == 0
    assert client.post("/material/stocking/release", data={"unit": bar.barcode.lower(),
                                                           "reason": "customer agreed"}).status_code == 302
    page = client.get("/material/stocking").get_data(as_text=True)
    assert "customer agreed" in page and planner.name in page
    twice = client.post("/material/stocking/release", data={"unit": bar.barcode, "reason": "again"})
    assert twice.status_code == 422 and "released already" in twice.get_data(as_text=True)
    csv = client.get("/material/stocking.csv")
    assert csv.mimetype == "text/csv"
    header, row = csv.get_data(as_text=True).splitlines()
    assert row.startswith(f"{customer.name},{material.code},3,1,144,in,2,")


def test_operators_cannot_keep_agreements(client, login_as):
    login_as(codes.OPERATOR)
    assert client.get("/material/stocking").status_code in (302, 403)


def test_an_agreement_short_of_its_minimum_is_on_the_purchasing_buy_list_and_the_start_page(
        client, session, make, login_as):
    customer = make.customer()
    material = make.material(typical_bar_length_in=Decimal(144))
    _held_lot(make, customer, material, bars=4)
    stocking.save_agreement(session, customer, material, 6, user=make.user(codes.PLANNER))
    make.commit()
    (item,) = [i for i in buy_list(session) if i.material.id == material.id]
    assert item.words == (f"order 2 bars × 144 in of {material.label} — "
                          f"stocking agreement with {customer.name}: hold 6 bars, 4 held")
    login_as(codes.PLANNER)
    home = client.get("/").get_data(as_text=True)
    buy = home[home.index('id="work-buy-now"'):]
    assert item.words in buy[:buy.index("</section>")]

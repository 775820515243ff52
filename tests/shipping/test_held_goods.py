"""Finished goods held for customers: for whom and why, value, age and carrying cost on a pinned clock;
a safety-stock program below its minimum on the held-goods page, the planner's start page and the
board, with a job of the economic batch size suggested."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from spex import codes, shoptime
from spex.models import CustomerOrder, OrderLine, StockingProgram, clock_at
from spex.shipping.held import carrying_cost, held_goods, safety_stock_shorts
from tests.conftest import SHOP_NOW


def _held_shop(shop, part, session):
    # 40 pieces put away 30 days before the test's day, at $12.50 a piece.
    part.unit_price = Decimal("12.50")
    part.setup_cost = Decimal(200)
    with clock_at(SHOP_NOW - timedelta(days=30)):
        lot = shop.finished_lot(part, 40)
    shop.order(part, 40, strategy="scheduled", releases=(20, 20))
    big = CustomerOrder(number="SO-9960", customer_id=part.customer_id, po_number="PO-9",
                        order_date=shoptime.today() - timedelta(days=100))
    big.lines.append(OrderLine(line_no=1, part_id=part.id, quantity=960))
    session.add(big)
    session.add(StockingProgram(customer_id=part.customer_id, kind="safety_stock", part_id=part.id,
                                quantity=Decimal(100)))
    session.flush()
    return lot


def test_carrying_cost_by_hand():
    # $500 held 30 days at 25 % a year: 500 × 0.25 × 30 / 365 = $10.27.
    assert carrying_cost(Decimal(500), Decimal("0.25"), 30) == Decimal("10.27")
    assert carrying_cost(Decimal(500), Decimal("0.25"), 0) == Decimal("0.00")


def test_what_is_held_for_whom_why_its_value_age_and_carrying_cost(shop, part, session):
    lot = _held_shop(shop, part, session)
    (held,) = held_goods(session, shoptime.today(), holding_rate=Decimal("0.25"))
    assert held.lot.id == lot.id and held.pieces == 40 and held.lot.part.customer_id == part.customer_id
    # 40 × $12.50 = $500.00, 30 days: $10.27 carrying.
    assert (held.value, held.age_days, held.carrying) == (Decimal("500.00"), 30, Decimal("10.27"))
    today = shoptime.today()
    assert len(held.why) == 3 and held.why[2] == "safety-stock program: hold at least 100"
    assert held.why[0].startswith(f"release of 20 due {today:%a %d %b} on SO-")
    assert held.why[1].startswith(f"release of 20 due {today + timedelta(days=7):%a %d %b}")


def test_a_program_below_its_minimum_suggests_the_economic_batch(shop, part, session):
    _held_shop(shop, part, session)
    (short,) = safety_stock_shorts(session, shoptime.today(), holding_rate=Decimal("0.25"), shop_rate=Decimal(60))
    # Minimum 100, 40 on hand, no open job: 60 missing.
    assert (short.minimum, short.on_hand, short.in_jobs, short.short) == (100, 40, 0, 60)
    # D = 40 + 960 = 1,000 ordered in the last year, S = $200, H = 0.25 × $12.50 = $3.125:
    # EOQ = √(2 · 1,000 · 200 / 3.125) = √128,000 = 357.8 → a job of 358 pcs (more than the 60 missing).
    assert (short.suggested_job, short.economic, short.missing) == (358, 358, 60)
    # An open job of 70 covers what is missing: still below the minimum, but no job suggested.
    shop.make.job(part, quantity=70)
    (short,) = safety_stock_shorts(session, shoptime.today())
    assert short.in_jobs == 70 and short.suggested_job is None


def test_held_page_csv_start_page_and_board(client, shop, part, session, login_as):
    _held_shop(shop, part, session)
    session.commit()
    login_as(codes.PLANNER)
    page = client.get("/ship/held").get_data(as_text=True)
    assert "FG-" in page and "$500.00" in page and "$10.27" in page and "safety-stock program: hold at least 100" in page
    assert "Start a job of 358 pcs" in page and "the economic batch; 60 missing" in page
    csv = client.get("/ship/held.csv")
    assert csv.mimetype == "text/csv"
    header, row = csv.get_data(as_text=True).splitlines()
    assert header.startswith("FG lot,Customer,Part,Pieces") and ",40," in row and row.endswith(",500.00,30,10.27")
    home = client.get("/").get_data(as_text=True)
    assert "Safety stock below its minimum" in home and "Start a job of 358 pcs" in home
    board = client.get("/board").get_data(as_text=True)
    assert "below safety stock" in board


def test_nothing_short_nothing_on_the_start_page(client, login_as):
    login_as(codes.PLANNER)
    assert "Safety stock below its minimum" not in client.get("/").get_data(as_text=True)


def test_the_boards_count_agrees_with_the_list(shop, part, session):
    from spex.shipping.held import safety_short_count
    assert safety_short_count(session) == 0
    _held_shop(shop, part, session)
    assert safety_short_count(session) == 1 == len(safety_stock_shorts(session, with_batch=False))
    other = shop.make.part(ops=("lathe",))
    session.add(StockingProgram(customer_id=other.customer_id, kind="safety_stock", part_id=other.id, quantity=Decimal(5)))
    session.add(StockingProgram(customer_id=part.customer_id, kind="safety_stock", part_id=part.id,
                                quantity=Decimal(40)))  # 40 on hand: not below
    session.flush()
    assert safety_short_count(session) == 2

"""Cost by batch size with hand-worked figures: setup spread over the batch, run and material per
piece, the EOQ, the cap of a year's demand, the quote line, the part page and its CSV."""
from datetime import timedelta
from decimal import Decimal

from spex import codes, shoptime
from spex.metrics.batchcost import CostInputs, batch_cost, cost_per_piece, for_part, total_cost
from spex.models import CustomerOrder, OrderLine


def inputs(setup="1000", run="3", material="2", demand=0, value=None, rate="0.25"):
    return CostInputs(setup=Decimal(setup), run=Decimal(run), material=Decimal(material), annual_demand=demand,
                      piece_value=Decimal(value) if value else Decimal(run) + Decimal(material),
                      holding_rate=Decimal(rate))


def test_ten_pieces_cost_nearly_what_fifty_do():
    # S = $1,000 a setup, v = $3 run + $2 material = $5 a piece.
    # 10 pcs: T = 1,000 + 10 · 5 = $1,050, c = 1,000 / 10 + 5 = $105.00 a piece.
    # 50 pcs: T = 1,000 + 50 · 5 = $1,250, c = 1,000 / 50 + 5 = $25.00 a piece.
    assert total_cost(Decimal(1000), Decimal(5), 10) == Decimal("1050.00")
    assert cost_per_piece(Decimal(1000), Decimal(5), 10) == Decimal("105.00")
    assert total_cost(Decimal(1000), Decimal(5), 50) == Decimal("1250.00")
    assert cost_per_piece(Decimal(1000), Decimal(5), 50) == Decimal("25.00")
    # No demand known: the quote sets 10 beside 5 × 10 = 50.
    quote = batch_cost(inputs()).quote(10)
    assert quote.text == ("10 pcs: $1,050.00 total, $105.00/pc · 50 pcs: $1,250.00 total, $25.00/pc"
                          " — 40 more pieces for $200.00 more")


def test_eoq_marked_and_the_quote_beside_it():
    # D = 2,000 a year, S = $1,000, a piece worth $40, H = 0.25 · 40 = $10 a piece a year:
    # EOQ = √(2 · 2,000 · 1,000 / 10) = √400,000 = 632.46 → 632 pieces.
    found = batch_cost(inputs(demand=2000, value="40"))
    assert found.eoq == 632 and found.economic == 632
    eoq_row = next(row for row in found.rows if row.pieces == 632)
    assert eoq_row.marks == ["EOQ"]
    # c(632) = 1,000 / 632 + 5 = 1.5823 + 5 = $6.58; T = 1,000 + 3,160 = $4,160.
    assert (eoq_row.per_piece, eoq_row.total) == (Decimal("6.58"), Decimal("4160.00"))
    assert found.quote(10).other == 632
    assert found.curve is not None and found.curve.eoq_x is not None


def test_batches_beyond_a_years_demand_are_set_apart_and_the_eoq_capped():
    # D = 600, piece worth v = $5, H = $1.25: EOQ = √(2 · 600 · 1,000 / 1.25) = √960,000 = 979.8 → 980,
    # more than the 600 a year takes: the batch to suggest is 600.
    found = batch_cost(inputs(demand=600))
    assert found.eoq == 980 and found.economic == 600
    by_size = {row.pieces: row for row in found.rows}
    assert by_size[600].marks == ["a year's demand"] and not by_size[600].beyond_demand
    assert by_size[980].beyond_demand and by_size[1000].beyond_demand
    assert not by_size[500].beyond_demand
    assert max(by_size) == 1000  # one ladder step past the demand, no further
    # Quoting 300: 5 × 300 = 1,500 would be more than a year's demand, so 600 stands beside it.
    assert found.quote(300).other == 600
    assert found.quote(600).other is None


def _order(session, part, pieces, days_ago, status="open", number=None):
    order = CustomerOrder(number=number or f"SO-{days_ago}-{pieces}", customer_id=part.customer_id, po_number="PO-1",
                          order_date=shoptime.today() - timedelta(days=days_ago), status=status)
    order.lines.append(OrderLine(line_no=1, part_id=part.id, quantity=pieces))
    session.add(order)
    session.flush()


def test_a_parts_costs_from_its_routing_material_and_orders(session, make):
    # The part's routing: two in-house ops of 30 min setup and 2 min a piece; no setup cost typed.
    # Shop rate $60/h = $1 a minute: S = 60 min · $1 = $60, run = 4 min · $1 = $4 a piece.
    # Material $0.50/in, 1.250 in a piece: $0.625 a piece. v = $4.625.
    material = make.material(unit_cost=Decimal("0.50"))
    part = make.part(material=material)
    _order(session, part, 400, days_ago=30)
    _order(session, part, 1000, days_ago=400)  # more than a year ago: not demand
    _order(session, part, 700, days_ago=10, status="cancelled")
    found = for_part(session, part, shoptime.today(), shop_rate=Decimal(60), holding_rate=Decimal("0.25"))
    assert (found.inputs.setup, found.inputs.run, found.inputs.material) == (Decimal(60), Decimal(4), Decimal("0.625"))
    assert found.cap == 400
    # H = 0.25 · 4.625 = 1.15625; EOQ = √(2 · 400 · 60 / 1.15625) = √41,513.5 = 203.7 → 204.
    assert found.eoq == 204
    # 10 pcs: 60 + 46.25 = $106.25, $10.63 a piece; 50 pcs: 60 + 231.25 = $291.25, $5.83 a piece.
    assert found.quote(10).text.startswith("10 pcs: $106.25 total, $10.63/pc · 204 pcs:")
    assert found.quote(10).other_total == Decimal("1003.50")  # 60 + 204 · 4.625 = 1,003.50


def test_part_page_shows_the_quote_table_curve_and_csv(client, session, make, login_as):
    material = make.material(unit_cost=Decimal("0.50"))
    part = make.part(material=material)
    part.setup_cost = Decimal(1000)
    make.commit()
    login_as(codes.PLANNER)
    page = client.get(f"/masters/parts/{part.id}").get_data(as_text=True)
    assert "Cost by batch size" in page and "data-batch-quote" in page and "<polyline" in page
    assert "10 pcs: $" in page and "50 pcs: $" in page
    asked = client.get(f"/masters/parts/{part.id}?quote=25").get_data(as_text=True)
    assert "25 pcs: $" in asked and "125 pcs: $" in asked
    bad = client.get(f"/masters/parts/{part.id}?quote=-4")
    assert bad.status_code == 200 and "Type a whole number of pieces" in bad.get_data(as_text=True)
    csv = client.get(f"/masters/parts/{part.id}/batch-cost.csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    lines = csv.get_data(as_text=True).splitlines()
    assert lines[0].startswith("Pieces,Total cost,Cost per piece")
    assert any(line.startswith("10,") for line in lines)
    assert client.get("/masters/parts/999999/batch-cost.csv").status_code == 404

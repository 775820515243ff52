"""Recall across a remnant: a heat's bar is pulled for job A, its remnant returned and pulled for job B;
the heat's recall lists both jobs, their FG lots, the shipments and customers, and what is still here.
And back: from a shipment to heats, vendors, operators, stations and times."""
import csv
import io

from spex import shopfloor, shoptime
from spex.shipping import recall
from spex.shipping.shipments import LineRequest, Pick, make_shipment


def ship(shop, line, lot, pieces):
    return make_shipment(shop.session, line.order.customer, [LineRequest(line.id, None, [Pick(lot.id, pieces)])],
                         user=shop.shipping, ship_date=shoptime.today())


def across_a_remnant(session, shop, make):
    part_a = make.part(ops=("lathe",), number="PN-A")
    part_b = make.part(ops=("lathe",), material=part_a.material, number="PN-B")
    station = make.station(code="LATHE-3")
    bar = shop.bar(part_a, "H777", length=144)
    other_heat = shop.bar(part_a, "H888", length=144)
    job_a = make.job(part_a, quantity=20)
    shopfloor.pull_material(session, bar, job_a, 144, user=shop.operator, station=station)
    remnant = shopfloor.return_remnant(session, bar, 30, shop.rack, user=shop.operator, station=station)
    lot_a = shop.through_routing(job_a, 20)
    job_b = make.job(part_b, quantity=10)
    shopfloor.pull_material(session, remnant, job_b, 30, user=shop.operator, station=station)
    shopfloor.pull_material(session, other_heat, job_b, 10, user=shop.operator, station=station)
    lot_b = shop.through_routing(job_b, 10)
    first = ship(shop, shop.order(part_a, 20, po="PO-A1"), lot_a, 20)
    second = ship(shop, shop.order(part_b, 5, po="PO-B1"), lot_b, 5)
    session.commit()
    return dict(bar=bar, remnant=remnant, job_a=job_a, job_b=job_b, lot_a=lot_a, lot_b=lot_b, first=first,
                second=second, part_a=part_a, part_b=part_b, station=station)


def test_a_heats_recall_follows_the_remnant_to_both_jobs_and_their_customers(session, shop, make):
    made = across_a_remnant(session, shop, make)
    found = recall.recall_heat(session, "h777")
    assert found["heat"] == "H777"
    units = {u["stock_unit"]: u for u in found["stock_units"]}
    assert units[made["remnant"].code]["cut_from"] == made["bar"].code
    assert units[made["remnant"].code]["kind"] == "remnant" and units[made["bar"].code]["on_hand"] == 0
    jobs = {j["job"]: j for j in found["jobs"]}
    assert list(jobs) == [made["job_a"].number, made["job_b"].number]
    assert jobs[made["job_a"].number]["from_this_heat"] == "all"
    assert jobs[made["job_b"].number]["from_this_heat"] == "one of H777, H888"
    [lot_a] = jobs[made["job_a"].number]["fg_lots"]
    [lot_b] = jobs[made["job_b"].number]["fg_lots"]
    assert (lot_a["fg_lot"], lot_a["on_hand"]) == (made["lot_a"].code, 0)
    assert [(s["shipment"], s["pieces"], s["customer"], s["po_number"]) for s in lot_a["shipments"]] == [
        ("SHP-7001", 20, made["part_a"].customer.name, "PO-A1")]
    assert (lot_b["fg_lot"], lot_b["on_hand"]) == (made["lot_b"].code, 5)
    assert [(s["shipment"], s["customer"]) for s in lot_b["shipments"]] == [("SHP-7002", made["part_b"].customer.name)]
    assert found["customers"] == sorted([made["part_a"].customer.name, made["part_b"].customer.name])
    assert found["pieces_in_shop"] == 5
    assert recall.recall_heat(session, "H999") is None


def test_recall_as_page_json_and_csv_and_trace_back_from_the_shipment(client, session, shop, make, login_as):
    made = across_a_remnant(session, shop, make)
    login_as("admin")
    page = client.get("/ship/recall?heat=H777").get_data(as_text=True)
    assert f'data-job="{made["job_a"].number}"' in page and f'data-job="{made["job_b"].number}"' in page
    assert "one of H777, H888" in page and "SHP-7001" in page and "SHP-7002" in page
    assert client.get("/ship/recall?heat=NOPE").status_code == 404
    data = client.get("/ship/recall/heat/H777?format=json").get_json()
    assert [j["job"] for j in data["jobs"]] == [made["job_a"].number, made["job_b"].number]
    rows = list(csv.reader(io.StringIO(client.get("/ship/recall/heat/H777?format=csv").get_data(as_text=True))))
    assert rows[0][0] == "heat"
    assert ["H777", made["job_b"].number, "PN-B rev A", "one of H777, H888", f"FG-{made['lot_b'].code}", "5",
            shop.fg_bin.code] in [r[:7] for r in rows]
    shipped = [r for r in rows if r[7] == "SHP-7001"]
    assert shipped and shipped[0][9:11] == ["20", made["part_a"].customer.name]
    trace = client.get("/ship/trace/shipment/SHP-7002?format=json").get_json()
    [job] = trace["jobs"]
    assert job["job"] == made["job_b"].number and job["pieces_are"] == "one of heats H777, H888"
    assert {h["heat"] for h in job["heats"]} == {"H777", "H888"}
    pulls = [h for h in job["history"] if h["what"] == "pull"]
    assert {(h["operator"], h["station"]) for h in pulls} == {(shop.operator.name, made["station"].name)}
    assert all(h["at"] for h in job["history"])
    assert client.get(f"/ship/trace/fg/FG-{made['lot_a'].code}").status_code == 200
    assert client.get(f"/ship/trace/job/{made['job_a'].number}?format=csv").mimetype == "text/csv"
    assert client.get("/ship/trace/job/99999").status_code == 404


def test_the_top_bar_finds_heats_shipments_orders_and_pos(client, session, shop, make, login_as):
    made = across_a_remnant(session, shop, make)
    login_as("admin")
    order = made["first"].lines[0].order_line.order
    for typed, where in (("h777", "/ship/recall/heat/H777"), ("SHP-7002", "/ship/7002"),
                         ("po-a1", f"/plan/orders?q={order.number}"), (order.number, f"/plan/orders?q={order.number}")):
        response = client.get("/search", query_string={"q": typed})
        assert response.status_code == 302 and response.headers["Location"].endswith(where), typed
    assert client.get("/search", query_string={"q": "SHP-7999"}).status_code == 404

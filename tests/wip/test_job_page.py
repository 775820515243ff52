"""The job page and its JSON: every operation, heats, holds, vendors, finished goods, history, and the status line."""
import json
import os
from datetime import date, timedelta

import jsonschema
import pytest

from spex import codes, shopfloor, shoptime
from spex.models import CustomerOrder, OrderLine
from spex.wip import status as st

SCHEMA_PATH = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "job-status.schema.json")


@pytest.fixture
def schema():
    with open(SCHEMA_PATH) as fh:
        return json.load(fh)


def _finished_job(session, make, floor):
    """A job through both in-house ops with scrap, a released hold, a vendor trip, FG put away and a shipment."""
    part = make.part(ops=("lathe", "mill"), outside=("anodize",))
    lot = make.lot(material=part.material, heat="H-77123")
    job = make.job(part, quantity=20)
    shopfloor.pull_material(session, lot.units[0], job, 30, user=floor.operator)
    floor.complete(job, 10, 18)
    floor.scrap(job, 10, 2, "TOOL")
    hold = floor.hold(job, 20, 3, "DIM")
    shopfloor.release_hold(session, hold, codes.USE_AS_IS, user=floor.inspector, note="within drawing note 4")
    floor.complete(job, 20, 18)
    floor.ship_out(job, 30, 18, expected_back=shoptime.today() + timedelta(days=3))
    shopfloor.receive_back(session, floor.op(job, 30), 18, user=floor.shipping)
    fg_bin = make.location(kind="fg")
    fg = shopfloor.receive_finished_goods(session, job, 18, fg_bin, user=floor.shipping)
    order = CustomerOrder(number="SO-1", customer_id=part.customer_id, po_number="PO-9", order_date=shoptime.today())
    line = OrderLine(order=order, line_no=1, part_id=part.id, quantity=10, strategy="ship_complete")
    session.add_all([order, line])
    session.flush()
    shopfloor.ship_finished_goods(session, fg, 10, user=floor.shipping, order_line=line)
    make.commit()
    return job, lot, fg


def test_status_line_answers_where_is_my_order(session, make, floor):
    part = make.part(ops=("lathe", "mill"))
    job = make.job(part, quantity=100)
    floor.complete(job, 10, 80)
    make.commit()
    data = st.job_status(session, job)
    op20 = data["operations"][1]
    # 80 of 100 done at op 10 (20 still there); the 80 wait at op 20, which is free today: no start day said.
    mill = part.routing[1].work_center.name
    assert data["summary"] == f"Op 10 done 80/100 (20 waiting); op 20: 80 waiting at {mill}."
    assert data["current_operations"] == [10, 20]
    assert op20["status"] == "waiting" and op20["waiting"] == 80
    assert data["operations"][0]["status"] == "in_progress"


def test_status_line_names_the_next_operation_and_its_day(session, make, floor):
    part = make.part(ops=("lathe", "mill"))
    job = make.job(part, quantity=100)
    make.commit()
    data = st.job_status(session, job)
    mill = part.routing[1].work_center.name
    assert "op 20 next, " in data["summary"] and f" on {mill}" in data["summary"]
    assert data["operations"][1]["projected_start"] is not None


def test_day_phrases():
    wednesday = date(2026, 11, 25)
    assert st.day_phrase(wednesday, wednesday) == "today"
    assert st.day_phrase(date(2026, 11, 26), wednesday) == "tomorrow"
    assert st.day_phrase(date(2026, 12, 1), wednesday) == "Tuesday"
    assert st.day_phrase(date(2026, 12, 9), wednesday) == "Wed 9 Dec"


def test_job_page_shows_the_whole_traveler(client, session, make, floor, login_as):
    job, lot, fg = _finished_job(session, make, floor)
    login_as(codes.PLANNER)
    response = client.get(f"/jobs/{job.number}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for expected in ("H-77123", f"LOT-{lot.units[0].code}", "DIM", "Use as is", "within drawing note 4",
                     fg.barcode, 'id="op-30"', "Shipped to customer", floor.operator.name):
        assert expected in html, expected
    assert "data-job-summary" in html


def test_job_json_validates_against_the_documented_schema(client, session, make, floor, login_as, schema):
    job, lot, fg = _finished_job(session, make, floor)
    in_progress = make.job(make.part(outside=("plate",)), quantity=50)
    floor.complete(in_progress, 10, 30)
    floor.hold(in_progress, 20, 4, "FIN")
    planned = make.job(release=False)
    make.commit()
    login_as(codes.OPERATOR)
    for number in (job.number, in_progress.number, planned.number):
        by_suffix = client.get(f"/jobs/{number}.json")
        by_accept = client.get(f"/jobs/{number}", headers={"Accept": "application/json"})
        assert by_suffix.status_code == by_accept.status_code == 200
        assert by_suffix.mimetype == "application/json"
        data = by_suffix.get_json()
        jsonschema.validate(data, schema, format_checker=jsonschema.FormatChecker())
        jsonschema.validate(by_accept.get_json(), schema)
    done = client.get(f"/jobs/{job.number}.json").get_json()
    assert done["materials"][0]["heat_number"] == "H-77123" and done["materials"][0]["quantity"] == 30
    assert done["holds"][0]["disposition"] == "use_as_is" and not done["holds"][0]["open"]
    assert done["outside_shipments"][0]["quantity_back"] == 18
    assert done["finished_goods"][0]["on_hand"] == 8 and done["finished_goods"][0]["shipped"] == 10
    assert done["status"] == "complete" and done["risk"]["level"] is None
    assert client.get(f"/jobs/{planned.number}.json").get_json()["summary"].startswith("Planned, not yet released")
    held = client.get(f"/jobs/{in_progress.number}.json").get_json()
    assert held["holds"][0]["open"] and held["operations"][1]["on_hold"] == 4


def test_schema_rejects_a_wrong_document(schema):
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"job": "1"}, schema)


def test_history_pages(client, session, make, floor, login_as):
    job = make.job(quantity=100)
    for _ in range(30):
        floor.complete(job, 10, 1)
    make.commit()
    login_as(codes.PLANNER)
    first = client.get(f"/jobs/{job.number}").get_data(as_text=True)
    assert "31 ledger entries" in first and "Page 1 of 2" in first
    second = client.get(f"/jobs/{job.number}?page=2&part=history", headers={"HX-Request": "true"})
    body = second.get_data(as_text=True)
    assert second.status_code == 200 and "Page 2 of 2" in body and "<html" not in body
    assert "Released to the floor" in body  # the oldest entry is on the last page
    assert client.get(f"/jobs/{job.number}?page=zz").status_code == 200


def test_history_says_where_pieces_and_bars_went_not_outside_the_shop(session, make, floor):
    # The ledger's "no place" was shown as "outside the shop" for a bar pulled into the job, a release,
    # a put-away and a shipment alike; each says where it went now.
    job, lot, fg = _finished_job(session, make, floor)
    moves = {(e["kind"], e["from"], e["to"]) for e in st.job_history(session, job, per_page=100).entries}
    kinds = {kind: (frm, to) for kind, frm, to in moves}
    assert kinds["pull"][1] == "into the job"
    assert kinds["release"][0] == "planning"
    assert kinds["ship"][1] == "customer"
    assert ("fg_receipt", "finished", "FG lot") in moves
    assert any(kind == "fg_receipt" and frm == "job's finished pieces" for kind, frm, _ in moves)
    assert not any("outside the shop" in (frm, to) for _, frm, to in moves)


def test_bar_history_names_the_job_it_was_pulled_into(client, session, make, floor, login_as):
    job, lot, _ = _finished_job(session, make, floor)
    login_as(codes.PLANNER)
    html = client.get(f"/units/{lot.units[0].code}").get_data(as_text=True)
    assert f"job {job.number}" in html and "outside the shop" not in html


def test_unknown_job_is_a_clear_404_never_a_500(client, login_as):
    login_as(codes.PLANNER)
    page = client.get("/jobs/99999")
    assert page.status_code == 404 and "There is no job 99999" in page.get_data(as_text=True)
    as_json = client.get("/jobs/99999.json")
    assert as_json.status_code == 404 and as_json.get_json()["message"] == "There is no job 99999."
    assert client.get("/jobs/" + "9" * 300).status_code == 404


def test_job_pages_need_login(client, make):
    job = make.job()
    make.commit()
    assert client.get(f"/jobs/{job.number}").status_code == 302
    assert client.get(f"/jobs/{job.number}.json").status_code in (302, 401)


def test_status_line_says_which_day_queued_work_starts(session, make):
    from datetime import datetime, timezone
    from decimal import Decimal
    part = make.part(ops=("lathe",))
    part.routing[0].setup_min, part.routing[0].run_min_per_piece = Decimal(0), Decimal("4.8")
    first = make.job(part, quantity=200, due_in_days=3)   # 200 x 4.8 min = 16 h: two 8-hour days
    second = make.job(part, quantity=100, due_in_days=10)
    make.commit()
    wednesday_noon = datetime(2026, 11, 25, 12, tzinfo=timezone.utc)
    lathe = part.routing[0].work_center.name
    assert st.job_status(session, first, now=wednesday_noon)["summary"] == f"Op 10: 200 waiting at {lathe}."
    # The second job waits for the first on the same lathe: Wednesday and Thursday, so it starts Friday.
    data = st.job_status(session, second, now=wednesday_noon)
    assert data["summary"] == f"Op 10: 100 waiting at {lathe}, starts Friday."
    assert data["operations"][0]["projected_start"] == "2026-11-27"


def test_job_page_says_past_due_or_by_how_much_it_will_be_late(client, session, make, login_as):
    from decimal import Decimal
    slow = make.part(ops=("lathe",))
    slow.routing[0].run_min_per_piece = Decimal(60)  # 100 pcs x 60 min: weeks of lathe work
    will_be_late = make.job(slow, due_in_days=3)
    overdue = make.job(due_in_days=-2)
    make.commit()
    login_as("planner")
    page = client.get(f"/jobs/{will_be_late.number}").get_data(as_text=True)
    assert "LATE +" in page and "PAST DUE" not in page
    assert "PAST DUE" in client.get(f"/jobs/{overdue.number}").get_data(as_text=True)
    # the JSON keeps its documented level and fixed text for integrations
    assert client.get(f"/jobs/{overdue.number}.json").get_json()["risk"]["text"] in ("LATE", "AT RISK", "ON TIME")

"""A part's routing on its page: add in-house and outside operations, edit, move up and down, remove."""
from decimal import Decimal

import pytest
from sqlalchemy import select

from spex.extensions import db
from spex.models import RoutingStep

from masters_forms import row_counts

HTMX = {"HX-Request": "true"}


@pytest.fixture
def part(make):
    part = make.part(ops=("lathe",), outside=("anodize",))  # 10 lathe, 20 anodize
    make.commit()
    return part


def _seqs(part):
    return [(s.seq, s.description) for s in db.session.scalars(
        select(RoutingStep).where(RoutingStep.part_id == part.id).order_by(RoutingStep.seq))]


def _inhouse(part, seq="30", **changes):
    form = {"seq": seq, "kind": "inhouse", "description": "Deburr", "work_center_id": str(part.routing[0].work_center_id),
            "setup_min": "15", "run_min_per_piece": "0.75", "vendor_id": "", "turnaround_days": "0"}
    return form | changes


def test_part_page_lists_the_routing_and_offers_the_next_number(client, admin, part):
    page = client.get(f"/masters/parts/{part.id}").get_data(as_text=True)
    assert 'id="routing"' in page and "Lathe" in page and "Anodize" in page
    assert 'name="seq" type="text" value="30"' in page


def test_add_inhouse_and_outside_operations(client, admin, part):
    assert client.post(f"/masters/parts/{part.id}/steps", data=_inhouse(part)).status_code == 302
    vendor_id = part.routing[1].vendor_id
    outside = {"seq": "40", "kind": "outside", "description": "Passivate", "work_center_id": "",
               "setup_min": "0", "run_min_per_piece": "0", "vendor_id": str(vendor_id), "turnaround_days": "4"}
    assert client.post(f"/masters/parts/{part.id}/steps", data=outside).status_code == 302
    assert _seqs(part) == [(10, "Lathe"), (20, "Anodize"), (30, "Deburr"), (40, "Passivate")]
    deburr = db.session.scalar(select(RoutingStep).where(RoutingStep.part_id == part.id, RoutingStep.seq == 30))
    assert (deburr.kind, deburr.setup_min, deburr.run_min_per_piece) == ("inhouse", Decimal("15"), Decimal("0.75"))
    passivate = db.session.scalar(select(RoutingStep).where(RoutingStep.part_id == part.id, RoutingStep.seq == 40))
    assert (passivate.vendor_id, passivate.work_center_id, passivate.turnaround_days) == (vendor_id, None, 4)


@pytest.mark.parametrize("changes, message", [
    ({"work_center_id": ""}, "needs its work center"),
    ({"kind": "outside", "vendor_id": ""}, "needs its vendor"),
    ({"seq": "10"}, "already used in this routing"),
    ({"seq": "0"}, "at least 1"),
    ({"setup_min": "-3"}, "Must not be negative"),
])
def test_refused_operations_write_nothing(client, admin, part, changes, message):
    before = row_counts()
    response = client.post(f"/masters/parts/{part.id}/steps", data=_inhouse(part, **changes))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert row_counts() == before


def test_edit_an_operation(client, admin, part):
    step = part.routing[0]
    assert client.get(f"/masters/parts/{part.id}/steps/{step.id}").status_code == 200
    form = _inhouse(part, seq="10", description="Turn OD, drill, part off", setup_min="45")
    assert client.post(f"/masters/parts/{part.id}/steps/{step.id}", data=form).status_code == 302
    db.session.refresh(step)
    assert (step.description, step.setup_min) == ("Turn OD, drill, part off", Decimal("45"))
    refused = client.post(f"/masters/parts/{part.id}/steps/{step.id}", data=form | {"seq": "20"})
    assert refused.status_code == 422 and "already used" in refused.get_data(as_text=True)


def test_move_swaps_neighbours_and_keeps_the_numbers(client, admin, part):
    first = part.routing[0]
    response = client.post(f"/masters/parts/{part.id}/steps/{first.id}/move", data={"direction": "down"},
                           headers=HTMX)
    assert response.status_code == 200 and 'id="routing"' in response.get_data(as_text=True)
    assert _seqs(part) == [(10, "Anodize"), (20, "Lathe")]
    # At the bottom already: nothing moves.
    client.post(f"/masters/parts/{part.id}/steps/{first.id}/move", data={"direction": "down"})
    assert _seqs(part) == [(10, "Anodize"), (20, "Lathe")]
    client.post(f"/masters/parts/{part.id}/steps/{first.id}/move", data={"direction": "up"})
    assert _seqs(part) == [(10, "Lathe"), (20, "Anodize")]
    assert client.post(f"/masters/parts/{part.id}/steps/{first.id}/move", data={"direction": "sideways"}).status_code == 400


def test_remove_an_operation(client, admin, part):
    outside = part.routing[1]
    response = client.post(f"/masters/parts/{part.id}/steps/{outside.id}/remove")
    assert response.status_code == 302
    assert _seqs(part) == [(10, "Lathe")]


def test_a_step_of_another_part_is_not_found(client, admin, part, make):
    other = make.part(ops=("mill",))
    make.commit()
    step = other.routing[0]
    assert client.post(f"/masters/parts/{part.id}/steps/{step.id}/remove").status_code == 404
    assert client.get(f"/masters/parts/{part.id}/steps/{step.id}").status_code == 404


def test_jobs_keep_their_operations_when_the_routing_changes(client, admin, make, part):
    job = make.job(part=part, quantity=10)
    make.commit()
    client.post(f"/masters/parts/{part.id}/steps/{part.routing[1].id}/remove")
    db.session.refresh(job)
    assert [op.seq for op in job.operations] == [10, 20]

"""Corrections by people who may make them: a planner or an inspector reverses anyone's entry, however
old, with a reason that shows in every history; a reversal that later work depends on is refused and
names the dependent entry, with nothing written."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from spex import codes, ledger, shopfloor
from spex.corrections.reverse import CorrectionRefused, reverse_entry
from spex.models import LedgerEntry, NonConformance, clock_at
from spex.quality import ncrs
from tests.conftest import SHOP_NOW


def op(job, seq):
    return next(o for o in job.operations if o.seq == seq)


def pieces_at(session, job, seq) -> int:
    return int(ledger.balance(session, ledger.job_item(job.id), ledger.at_operation(op(job, seq).id)))


def entries(session) -> int:
    return session.scalar(select(func.count(LedgerEntry.id)))


@pytest.fixture
def people(make):
    return {"planner": make.user(codes.PLANNER), "inspector": make.user(codes.INSPECTOR),
            "operator": make.user(codes.OPERATOR)}


def test_a_planner_reverses_an_operators_completion_from_hours_ago_with_a_reason(session, make, people):
    job = make.job(quantity=100, ops=("lathe", "mill", "deburr"))
    with clock_at(SHOP_NOW - timedelta(hours=3)):
        completion = shopfloor.complete_operation(session, op(job, 10), 40, user=people["operator"]).entry
    session.commit()
    done = reverse_entry(session, completion, user=people["planner"], reason="counted 40, was 4")
    session.commit()
    reversal = done.reversals[0]
    assert (reversal.reverses_id, reversal.user_id, reversal.note) == (completion.id, people["planner"].id,
                                                                      "correction: counted 40, was 4")
    assert (pieces_at(session, job, 10), pieces_at(session, job, 20)) == (100, 0)
    session.refresh(op(job, 10))
    assert op(job, 10).qty_good == 0
    assert ledger.audit(session) == []


def test_a_reversal_later_work_depends_on_is_refused_and_names_the_dependent_entry(session, make, people):
    job = make.job(quantity=50, ops=("lathe", "mill", "deburr"))
    first = shopfloor.complete_operation(session, op(job, 10), 50, user=people["operator"]).entry
    onward = shopfloor.complete_operation(session, op(job, 20), 30, user=people["operator"]).entry
    session.commit()
    before = entries(session)
    with pytest.raises(CorrectionRefused) as refused:
        reverse_entry(session, first, user=people["inspector"], reason="wrong job")
    session.rollback()
    assert f"#{onward.id} Completed · op 20, 30 pcs, by {people['operator'].name}" in refused.value.message
    assert [d.id for d in refused.value.dependents] == [onward.id]
    assert entries(session) == before
    assert (pieces_at(session, job, 20), pieces_at(session, job, 30)) == (20, 30)
    # Reversing the later work first (newest first), then the first entry goes through.
    reverse_entry(session, onward, user=people["inspector"], reason="op 20 not run yet")
    reverse_entry(session, first, user=people["inspector"], reason="wrong job")
    session.commit()
    assert pieces_at(session, job, 10) == 50
    assert ledger.audit(session) == []


def test_reversing_a_receipt_whose_bar_was_pulled_is_refused_naming_the_pull(session, make, people):
    material = make.material()
    make.lot(material=material, lengths=(144,))
    receipt = session.scalar(select(LedgerEntry).where(LedgerEntry.kind == ledger.RECEIVE))
    unit = receipt.stock_unit
    job = make.job(quantity=10, material=material)
    pull = shopfloor.pull_material(session, unit, job, 144, user=people["operator"]).entry
    session.commit()
    with pytest.raises(CorrectionRefused, match=f"#{pull.id} Material pulled"):
        reverse_entry(session, receipt, user=people["planner"], reason="never arrived")
    session.rollback()
    assert ledger.audit(session) == []


def test_who_may_correct_and_what_is_refused(session, make, people):
    job = make.job(quantity=10)
    completion = shopfloor.complete_operation(session, op(job, 10), 5, user=people["operator"]).entry
    session.commit()
    with pytest.raises(CorrectionRefused, match="Only a planner or an inspector"):
        reverse_entry(session, completion, user=people["operator"], reason="mine")
    with pytest.raises(CorrectionRefused, match="Say why"):
        reverse_entry(session, completion, user=people["planner"], reason="  ")
    release = session.scalar(select(LedgerEntry).where(LedgerEntry.kind == ledger.RELEASE))
    with pytest.raises(CorrectionRefused, match="plan page"):
        reverse_entry(session, release, user=people["planner"], reason="x")
    reversal = reverse_entry(session, completion, user=people["planner"], reason="miscount").reversals[0]
    session.commit()
    with pytest.raises(CorrectionRefused, match=f"already reversed, by entry #{reversal.id}"):
        reverse_entry(session, completion, user=people["planner"], reason="again")
    with pytest.raises(CorrectionRefused, match="not itself reversed"):
        reverse_entry(session, reversal, user=people["planner"], reason="undo the undo")


def test_a_finished_goods_put_away_is_reversed_whole_and_a_hold_reversal_closes_its_ncr(session, make, people):
    job = make.job(quantity=10, ops=("lathe",))
    shopfloor.complete_operation(session, op(job, 10), 10, user=people["operator"])
    lot = shopfloor.receive_finished_goods(session, job, 6, make.location(kind="fg"), user=people["operator"])
    session.commit()
    put_away = session.scalar(select(LedgerEntry).where(LedgerEntry.fg_lot_id == lot.id))
    done = reverse_entry(session, put_away, user=people["planner"], reason="wrong bin")
    session.commit()
    assert len(done.reversals) == 2
    assert int(ledger.balance(session, ledger.job_item(job.id), ledger.finished(job.id))) == 10
    job2 = make.job(quantity=8)
    hold = shopfloor.place_hold(session, op(job2, 10), 3, "DIM", user=people["operator"])
    session.commit()
    hold_entry = session.scalar(select(LedgerEntry).where(LedgerEntry.hold_id == hold.id))
    reverse_entry(session, hold_entry, user=people["inspector"], reason="measured with a worn gauge")
    session.commit()
    assert not hold.is_open and pieces_at(session, job2, 10) == 8
    assert session.scalar(select(NonConformance.status).where(NonConformance.hold_id == hold.id)) == "closed"
    assert ncrs.of_hold(session, hold) is not None
    assert ledger.audit(session) == []


# --- the pages ----------------------------------------------------------------------------------

def test_the_reversal_and_its_reason_show_in_the_job_and_bin_histories(client, login_as, session, make, people):
    login_as(codes.INSPECTOR)
    bin = make.location(code="R9-A01")
    make.lot(bin=bin, lengths=(144, 72))
    job = make.job(quantity=20)
    completion = shopfloor.complete_operation(session, op(job, 10), 12, user=people["operator"]).entry
    move = session.scalar(select(LedgerEntry).where(LedgerEntry.kind == ledger.RECEIVE).order_by(LedgerEntry.id))
    session.commit()
    job_page = client.get(f"/jobs/{job.number}").get_data(as_text=True)
    assert f"/corrections/entries/{completion.id}" in job_page
    response = client.post(f"/corrections/entries/{completion.id}?next=/jobs/{job.number}",
                           data={"reason": "double scan at the lathe"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/jobs/{job.number}")
    job_page = client.get(f"/jobs/{job.number}").get_data(as_text=True)
    assert "correction: double scan at the lathe" in job_page and f"reversed by #" in job_page
    client.post(f"/corrections/entries/{move.id}", data={"reason": "bar went back to the mill"})
    bin_page = client.get("/bins/BIN-R9-A01").get_data(as_text=True)
    assert "correction: bar went back to the mill" in bin_page and f"(reverses #{move.id})" in bin_page
    assert ledger.audit(session) == []


def test_the_correction_page_refuses_with_the_dependent_entry_named(client, login_as, session, make, people):
    login_as(codes.PLANNER)
    job = make.job(quantity=10, ops=("lathe", "mill", "deburr"))
    first = shopfloor.complete_operation(session, op(job, 10), 10, user=people["operator"]).entry
    onward = shopfloor.complete_operation(session, op(job, 20), 10, user=people["operator"]).entry
    session.commit()
    before = entries(session)
    response = client.post(f"/corrections/entries/{first.id}", data={"reason": "wrong"})
    assert response.status_code == 422
    assert f"#{onward.id} Completed · op 20" in response.get_data(as_text=True)
    assert client.post(f"/corrections/entries/{first.id}", data={"reason": ""}).status_code == 422
    session.expire_all()
    assert entries(session) == before


def test_an_operator_cannot_open_the_correction_page(client, login_as, session, make, people):
    login_as(codes.OPERATOR)
    job = make.job(quantity=10)
    entry = shopfloor.complete_operation(session, op(job, 10), 1, user=people["operator"]).entry
    session.commit()
    assert client.post(f"/corrections/entries/{entry.id}", data={"reason": "x"}).status_code == 403

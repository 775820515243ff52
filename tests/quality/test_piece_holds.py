"""Holds on the held pieces only: a 4-piece hold at op 20 of a 165-piece job takes those 4 out of the
flow while the other 161 complete op 20 and the operations after it; each disposition then puts the 4
where it says, by ledger entries alone, and a refused hold or release writes nothing."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from spex import codes, ledger, shopfloor
from spex.models import Balance, JobOperation, LedgerEntry, OutsideShipment, QualityHold, RoutingStep
from spex.quality import inspection, ncrs
from spex.shopfloor import FloorError
from spex.wip.board import load_board

JOB_QTY, HELD, FREE = 165, 4, 161


@pytest.fixture
def people(make):
    return {"inspector": make.user(codes.INSPECTOR), "operator": make.user(codes.OPERATOR),
            "shipping": make.user(codes.SHIPPING), "planner": make.user(codes.PLANNER)}


def op(job, seq):
    return next(o for o in job.operations if o.seq == seq)


def pieces(session, job) -> dict[str, int]:
    """Where the job's pieces are, by place, as the floor names them: op 20, hold at op 20, done, scrap."""
    names = {}
    for o in job.operations:
        names[ledger.at_operation(o.id)] = f"op {o.seq}"
        names[ledger.on_hold(o.id)] = f"held at op {o.seq}"
    names[ledger.finished(job.id)] = "done"
    found = {}
    for place, amount in ledger.balances_of(session, ledger.job_item(job.id)).items():
        found[names.get(place, place)] = int(amount)
    return found


def entries(session) -> int:
    return session.scalar(select(func.count(LedgerEntry.id)))


def balances(session) -> dict:
    return {(b.item, b.place): b.quantity for b in session.scalars(select(Balance))}


def held_job(session, make, people, *, part=None, at=20):
    """A released 165-piece job with all 165 passed to op 20 (op 10 complete) and 4 of them held there."""
    job = make.job(part, quantity=JOB_QTY, ops=("lathe", "mill", "deburr")) if part is None \
        else make.job(part, quantity=JOB_QTY)
    for o in job.operations:
        if o.seq >= at:
            break
        shopfloor.complete_operation(session, o, JOB_QTY, user=people["operator"])
    hold = shopfloor.place_hold(session, op(job, at), HELD, "DIM", user=people["operator"], note="OD oversize")
    session.commit()
    return job, hold


def complete(session, job, seq, count, people):
    done = shopfloor.complete_operation(session, op(job, seq), count, user=people["operator"])
    session.commit()
    return done


def test_a_hold_of_4_leaves_the_other_161_free_to_complete_op_20_and_after(session, make, people):
    job, hold = held_job(session, make, people)
    assert pieces(session, job) == {"op 20": FREE, "held at op 20": HELD}
    assert shopfloor.available_at(session, op(job, 20)) == FREE

    # The 161 pass op 20 and op 30 while the 4 stay on hold.
    complete(session, job, 20, 100, people)
    complete(session, job, 20, 61, people)
    complete(session, job, 30, FREE, people)
    assert pieces(session, job) == {"held at op 20": HELD, "done": FREE}
    assert (op(job, 20).qty_good, op(job, 30).qty_good) == (FREE, FREE)
    # Not complete while the 4 are held: neither op 20, nor op 30 after it, nor the job.
    assert op(job, 20).completed_at is None and op(job, 30).completed_at is None and job.status == "released"
    assert hold.is_open and ledger.audit(session) == []


def test_the_board_and_job_page_show_the_held_pieces_apart_from_the_free_ones(client, login_as, session, make,
                                                                              people):
    job, hold = held_job(session, make, people)
    number = hold.ncr.number
    bj = next(j for j in load_board(session) if j.id == job.id)
    op20 = next(o for o in bj.ops if o.seq == 20)
    assert (op20.waiting, op20.held, op20.ncrs) == (FREE, HELD, [number])
    assert bj.held_line == f"161 at op 20 · 4 held ({number})"
    login_as(codes.PLANNER)
    board = re.sub(r"<[^>]+>", "", client.get("/board").get_data(as_text=True))
    assert f"161 at op 20 · 4 held ({number})" in board
    page = client.get(f"/jobs/{job.number}").get_data(as_text=True)
    assert f"161 at op 20 · 4 held ({number})" in page
    # The line the office reads out: the free pieces waiting, the held ones apart, the next op still planned.
    assert f"op 20: 161 waiting at {op(job, 20).work_center.name} (4 held, {number}); op 30 next" in page


def test_use_as_is_puts_the_4_back_at_op_20_free_to_complete(session, make, people):
    job, hold = held_job(session, make, people)
    complete(session, job, 20, FREE, people)
    shopfloor.release_hold(session, hold, codes.USE_AS_IS, user=people["inspector"], note="within drawing limits")
    session.commit()
    assert pieces(session, job) == {"op 20": HELD, "op 30": FREE}
    assert hold.ncr.disposition == codes.USE_AS_IS and hold.ncr.decided_by_id == people["inspector"].id
    complete(session, job, 20, HELD, people)
    complete(session, job, 30, JOB_QTY, people)
    assert pieces(session, job) == {"done": JOB_QTY}
    assert op(job, 20).qty_good == JOB_QTY and op(job, 20).completed_at is not None
    assert ledger.audit(session) == []


def test_rework_at_an_earlier_operation_sends_the_4_back_to_op_10(session, make, people):
    job, hold = held_job(session, make, people)
    assert op(job, 10).completed_at is not None
    inspection.decide(session, hold.ncr, codes.REWORK, "re-turn the OD", user=people["inspector"],
                      rework_target=f"op:{op(job, 10).id}")
    session.commit()
    assert pieces(session, job) == {"op 10": HELD, "op 20": FREE}
    assert hold.rework_operation_id == op(job, 10).id and hold.ncr.disposition == codes.REWORK
    # Op 10 has work again; the 4 pass it and op 20 once more, and join the rest.
    assert op(job, 10).completed_at is None
    complete(session, job, 10, HELD, people)
    complete(session, job, 20, JOB_QTY, people)
    complete(session, job, 30, JOB_QTY, people)
    assert pieces(session, job) == {"done": JOB_QTY}
    assert all(o.completed_at is not None for o in job.operations)
    assert ledger.audit(session) == []


def test_rework_at_an_added_rework_operation_returns_the_4_to_op_20(session, make, people):
    job, hold = held_job(session, make, people)
    complete(session, job, 20, 100, people)
    inspection.decide(session, hold.ncr, codes.REWORK, "polish out the chatter", user=people["inspector"],
                      rework_target=inspection.REWORK_NEW)
    session.commit()
    rework = session.scalar(select(JobOperation).where(JobOperation.job_id == job.id,
                                                       JobOperation.rework_of_id.is_not(None)))
    # Op 21, between op 20 and op 30, with who added it and why.
    assert (rework.seq, rework.rework_of_id, rework.added_by_id) == (21, op(job, 20).id, people["inspector"].id)
    assert rework.added_reason == f"{hold.ncr.number}: polish out the chatter" and rework.added_at is not None
    assert rework.description == f"Rework of op 20 ({hold.ncr.number})"
    assert hold.rework_operation_id == rework.id
    assert pieces(session, job) == {"op 21": HELD, "op 20": 61, "op 30": 100}

    # The routing's own pieces pass over the rework operation: op 20's good pieces go on to op 30.
    done = complete(session, job, 20, 61, people)
    assert done.following.seq == 30
    # The reworked pieces go back to op 20, which then passes them on with the rest.
    back = complete(session, job, 21, HELD, people)
    assert back.following.seq == 20
    assert pieces(session, job) == {"op 20": HELD, "op 30": FREE}
    complete(session, job, 20, HELD, people)
    complete(session, job, 30, JOB_QTY, people)
    assert pieces(session, job) == {"done": JOB_QTY}
    assert (op(job, 20).qty_good, rework.qty_good, op(job, 30).qty_good) == (JOB_QTY, HELD, JOB_QTY)
    assert all(o.completed_at is not None for o in job.operations)
    bj = next(j for j in load_board(session) if j.id == job.id)
    added = next(o for o in bj.ops if o.seq == 21)
    assert (added.rework, added.good, added.expected) == (True, HELD, HELD)
    assert ledger.audit(session) == []


def test_scrap_puts_the_4_in_scrap_with_the_ncr_as_reason(session, make, people):
    scrap_bin = make.location(kind="scrap")
    job, hold = held_job(session, make, people)
    complete(session, job, 20, FREE, people)
    shopfloor.release_hold(session, hold, codes.SCRAP, user=people["inspector"], note="beyond rework")
    session.commit()
    entry = session.scalars(select(LedgerEntry).where(LedgerEntry.hold_id == hold.id,
                                                      LedgerEntry.kind == ledger.SCRAP)).one()
    assert (entry.from_place, entry.to_place, int(entry.quantity)) == (
        ledger.on_hold(op(job, 20).id), ledger.at_location(scrap_bin.id), HELD)
    assert entry.reason == "NCR" and entry.note == f"{hold.ncr.number}: beyond rework"
    assert pieces(session, job) == {"op 30": FREE, f"loc:{scrap_bin.id}": HELD}
    assert op(job, 20).qty_scrap == HELD and op(job, 20).completed_at is not None
    assert hold.ncr.disposition == codes.SCRAP
    complete(session, job, 30, FREE, people)
    assert pieces(session, job) == {"done": FREE, f"loc:{scrap_bin.id}": HELD}
    assert ledger.audit(session) == []


def test_return_to_vendor_sends_the_4_back_out_to_the_outside_process(session, make, people):
    # Op 10 lathe, op 20 anodize at a vendor, op 30 inspection: the 4 are held at the inspection of
    # what came back from the anodizer, and go back out to it.
    part = make.part(ops=("lathe",), outside=("anodize",))
    part.routing.append(RoutingStep(seq=30, kind="inhouse", work_center=make.work_center(kind="inspection"),
                                    description="Inspect", setup_min=0, run_min_per_piece=1))
    session.flush()
    job = make.job(part, quantity=JOB_QTY)
    complete(session, job, 10, JOB_QTY, people)
    shopfloor.ship_out(session, op(job, 20), JOB_QTY, user=people["shipping"])
    shopfloor.receive_back(session, op(job, 20), JOB_QTY, user=people["shipping"])
    hold = shopfloor.place_hold(session, op(job, 30), HELD, "FIN", user=people["inspector"], note="anodize streaks")
    session.commit()
    complete(session, job, 30, FREE, people)
    shopfloor.release_hold(session, hold, codes.RETURN_TO_VENDOR, user=people["inspector"],
                           note="strip and re-anodize")
    session.commit()
    shipment = session.scalars(select(OutsideShipment).where(OutsideShipment.packing_slip == f"RTV hold {hold.id}")).one()
    assert (shipment.job_operation_id, shipment.quantity_out, shipment.outstanding) == (op(job, 20).id, HELD, HELD)
    at_places = pieces(session, job)
    vendor_place = next(p for p in at_places if p.startswith("loc:"))
    assert at_places == {"done": FREE, vendor_place: HELD}
    assert shopfloor.at_vendor(session, op(job, 20)) == HELD and hold.ncr.disposition == codes.RETURN_TO_VENDOR
    # Back from the vendor, they are inspected again with the rest.
    shopfloor.receive_back(session, op(job, 20), HELD, user=people["shipping"])
    session.commit()
    assert pieces(session, job) == {"done": FREE, "op 30": HELD}
    complete(session, job, 30, HELD, people)
    assert pieces(session, job) == {"done": JOB_QTY}
    assert ledger.audit(session) == []


# --- refusals: a clear message, nothing written ------------------------------------------------

def refused(session, action, message):
    before, before_balances = entries(session), balances(session)
    with pytest.raises((FloorError, ncrs.NcrError), match=message):
        action()
    session.rollback()
    assert entries(session) == before and balances(session) == before_balances


def test_holding_more_pieces_than_are_at_the_operation_is_refused(session, make, people):
    job, hold = held_job(session, make, people)
    holds = session.scalar(select(func.count(QualityHold.id)))
    refused(session, lambda: shopfloor.place_hold(session, op(job, 20), FREE + 1, "DIM", user=people["operator"]),
            rf"Only 161 pcs at op 20 are free to work: 4 held \({hold.ncr.number}\) on quality hold; 162 asked\.")
    refused(session, lambda: shopfloor.place_hold(session, op(job, 30), 1, "DIM", user=people["operator"]),
            r"Only 0 pcs are at op 30")
    assert session.scalar(select(func.count(QualityHold.id))) == holds


def test_releasing_twice_is_refused(session, make, people):
    job, hold = held_job(session, make, people)
    shopfloor.release_hold(session, hold, codes.USE_AS_IS, user=people["inspector"])
    session.commit()
    refused(session, lambda: shopfloor.release_hold(session, hold, codes.SCRAP, user=people["inspector"]),
            "That hold was already released.")
    refused(session, lambda: inspection.decide(session, hold.ncr, codes.SCRAP, None, user=people["inspector"]),
            rf"The hold of {hold.ncr.number} was already released \(use_as_is\)")
    assert pieces(session, job) == {"op 20": JOB_QTY}


def test_forged_dispositions_are_refused(session, make, people):
    job, hold = held_job(session, make, people)
    inspector = people["inspector"]
    refused(session, lambda: shopfloor.release_hold(session, hold, "melt", user=inspector), "Choose a disposition")
    refused(session, lambda: inspection.decide(session, hold.ncr, codes.REWORK, None, user=inspector,
                                               rework_target="op:99999"), "Choose where the pieces are reworked")
    refused(session, lambda: inspection.decide(session, hold.ncr, codes.REWORK, None, user=inspector,
                                               rework_target=f"op:{op(job, 30).id}"),
            "Choose where the pieces are reworked")
    refused(session, lambda: shopfloor.release_hold(session, hold, codes.REWORK, user=inspector,
                                                    rework_to=op(job, 30)),
            "Reworked pieces go back to op 20 of job .* or an operation before it")
    refused(session, lambda: shopfloor.release_hold(session, hold, codes.SCRAP, user=inspector,
                                                    rework_to=op(job, 10)), "Only a rework sends the pieces")
    refused(session, lambda: shopfloor.release_hold(session, hold, codes.RETURN_TO_VENDOR, user=inspector),
            "No outside process comes before this operation")
    refused(session, lambda: shopfloor.release_hold(session, hold, codes.USE_AS_IS, user=people["operator"]),
            "Only an inspector may release a quality hold")
    assert hold.is_open and hold.ncr.disposition is None
    assert session.scalar(select(func.count(JobOperation.id)).where(JobOperation.job_id == job.id)) == 3


def test_the_ncr_page_offers_where_to_rework_and_refuses_a_forged_choice(client, login_as, session, make, people):
    job, hold = held_job(session, make, people)
    number = hold.ncr.number
    login_as(codes.INSPECTOR)
    page = client.get(f"/quality/ncrs/{number}").get_data(as_text=True)
    assert 'name="rework_target"' in page and "A new rework operation after op 20" in page
    assert f'value="op:{op(job, 10).id}"' in page and f'value="op:{op(job, 30).id}"' not in page
    before, before_balances = entries(session), balances(session)
    forged = client.post(f"/quality/ncrs/{number}", data={"action": "disposition", "disposition": codes.REWORK,
                                                          "rework_target": "op:abc"})
    assert forged.status_code == 422 and "Choose where the pieces are reworked" in forged.get_data(as_text=True)
    assert entries(session) == before and balances(session) == before_balances
    done = client.post(f"/quality/ncrs/{number}", data={"action": "disposition", "disposition": codes.REWORK,
                                                        "rework_target": "new", "disposition_note": "deburr again"},
                       follow_redirects=True)
    text = done.get_data(as_text=True)
    assert done.status_code == 200 and f"{number}: rework at op 21; the hold is released." in text
    assert "Rework · decided by" in text and "at op 21 Rework of op 20" in text
    session.expire_all()
    assert pieces(session, job) == {"op 20": FREE, "op 21": HELD}
    again = client.post(f"/quality/ncrs/{number}", data={"action": "disposition", "disposition": codes.SCRAP})
    assert again.status_code == 422 and "already released" in again.get_data(as_text=True)
    assert ledger.audit(session) == []



# --- good counts: distinct pieces passed, however often rework sends them round ----------------

def good_counts(job) -> dict[int, int]:
    return {o.seq: o.qty_good for o in job.operations}


def test_pieces_reworked_at_an_earlier_operation_are_counted_once_at_the_operations_they_pass_again(
        client, login_as, session, make, people):
    # 165 pass op 10 and op 20; 4 of them are held at op 30 and sent back to op 10 to be re-turned.
    job, hold = held_job(session, make, people, at=30)
    assert good_counts(job) == {10: JOB_QTY, 20: JOB_QTY, 30: 0}
    shopfloor.release_hold(session, hold, codes.REWORK, user=people["inspector"], rework_to=op(job, 10))
    session.commit()
    # Op 10 and op 20 have 4 pieces to pass again: 161 of 165 have passed them good for now.
    assert good_counts(job) == {10: FREE, 20: FREE, 30: 0}
    bj = next(j for j in load_board(session) if j.id == job.id)
    op10 = next(o for o in bj.ops if o.seq == 10)
    assert (op10.good, op10.expected, op10.remaining, op10.waiting) == (FREE, JOB_QTY, HELD, HELD)
    login_as(codes.PLANNER)
    page = re.sub(r"<[^>]+>", "", client.get(f"/jobs/{job.number}").get_data(as_text=True))
    assert "Op 10 done 161/165 (4 waiting); op 20 done 161/165" in page
    complete(session, job, 10, HELD, people)
    complete(session, job, 20, HELD, people)
    # Not "169 of 165 done": each operation has passed the 165 pieces once.
    assert good_counts(job) == {10: JOB_QTY, 20: JOB_QTY, 30: 0}
    complete(session, job, 30, JOB_QTY, people)
    assert good_counts(job) == {10: JOB_QTY, 20: JOB_QTY, 30: JOB_QTY}
    # The ledger still has every pass: op 10 completed 165 + 4 pieces.
    passes = session.scalar(select(func.sum(LedgerEntry.quantity)).where(
        LedgerEntry.kind == ledger.COMPLETE, LedgerEntry.job_operation_id == op(job, 10).id))
    assert int(passes) == JOB_QTY + HELD
    assert ledger.audit(session) == []


def test_a_rework_then_a_scrap_at_the_operation_passed_again_keeps_good_and_scrap_within_the_job(
        session, make, people):
    job, hold = held_job(session, make, people)
    shopfloor.release_hold(session, hold, codes.REWORK, user=people["inspector"], rework_to=op(job, 10))
    session.commit()
    make.location(kind="scrap")
    shopfloor.scrap_pieces(session, op(job, 10), 1, "DIM", user=people["operator"])
    complete(session, job, 10, HELD - 1, people)
    # 164 good and 1 scrapped at op 10: the 165 pieces that reached it, each counted once.
    assert (op(job, 10).qty_good, op(job, 10).qty_scrap) == (JOB_QTY - 1, 1)
    assert ledger.audit(session) == []


def test_pieces_returned_to_the_vendor_are_counted_once_at_the_outside_operation(session, make, people):
    # Op 10 lathe, op 20 anodize at a vendor, op 30 mill: the 4 held at op 30 go back to the anodizer.
    part = make.part(ops=("lathe",), outside=("anodize",))
    part.routing.append(RoutingStep(seq=30, kind="inhouse", work_center=make.work_center(kind="mill"),
                                    description="Mill", setup_min=0, run_min_per_piece=1))
    session.flush()
    job = make.job(part, quantity=JOB_QTY)
    complete(session, job, 10, JOB_QTY, people)
    shopfloor.ship_out(session, op(job, 20), JOB_QTY, user=people["shipping"])
    shopfloor.receive_back(session, op(job, 20), JOB_QTY, user=people["shipping"])
    hold = shopfloor.place_hold(session, op(job, 30), HELD, "FIN", user=people["inspector"])
    shopfloor.release_hold(session, hold, codes.RETURN_TO_VENDOR, user=people["inspector"])
    session.commit()
    assert good_counts(job) == {10: JOB_QTY, 20: FREE, 30: 0}
    shopfloor.receive_back(session, op(job, 20), HELD, user=people["shipping"])
    session.commit()
    assert good_counts(job) == {10: JOB_QTY, 20: JOB_QTY, 30: 0}
    assert ledger.audit(session) == []


def test_pieces_held_again_at_a_rework_operation_and_sent_to_op_10_leave_only_op_10s_count(session, make, people):
    job, hold = held_job(session, make, people)
    complete(session, job, 20, FREE, people)
    shopfloor.release_hold(session, hold, codes.REWORK, user=people["inspector"], add_rework=True)
    rework = op(job, 21)
    again = shopfloor.place_hold(session, rework, 2, "DIM", user=people["inspector"])
    shopfloor.release_hold(session, again, codes.REWORK, user=people["inspector"], rework_to=op(job, 10))
    session.commit()
    # The 2 had passed op 10, not op 20 (they were held before it): only op 10 passes them again.
    assert good_counts(job) == {10: JOB_QTY - 2, 20: FREE, 21: 0, 30: 0}
    assert pieces(session, job) == {"op 10": 2, "op 21": 2, "op 30": FREE}
    assert ledger.audit(session) == []

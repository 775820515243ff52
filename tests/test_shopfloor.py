"""Shop-floor rules with hand-worked figures: pieces flow op to op, holds stop work, outside ops go
out and come back, finished goods ship against releases, undo reverses only one's own last scan."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from spex import codes, ledger, shopfloor, shoptime
from spex.models import Location, CustomerOrder, LedgerEntry, OrderLine, Release
from spex.shopfloor import FloorError


@pytest.fixture
def people(make):
    return {role: make.user(role) for role in codes.ROLES}


def entries(session):
    return session.scalar(select(func.count(LedgerEntry.id)))


def test_pieces_flow_op_to_op(session, make, people):
    op_user = people[codes.OPERATOR]
    job = make.job(quantity=100, ops=("lathe", "mill"))
    op10, op20 = job.operations
    shopfloor.complete_operation(session, op10, 80, user=op_user)
    session.commit()
    # op 20 has only what op 10 passed on: 80 of 100
    assert shopfloor.available_at(session, op20) == 80
    with pytest.raises(FloorError, match=r"Only 80 pcs are at op 20 \(op 10 has passed on 80 of 100\)"):
        shopfloor.complete_operation(session, op20, 81, user=op_user)
    session.rollback()
    shopfloor.complete_operation(session, op20, 80, user=op_user)
    shopfloor.scrap_pieces(session, op10, 2, "DIM", user=op_user)
    session.commit()
    assert (op10.qty_good, op10.qty_scrap, shopfloor.available_at(session, op10)) == (80, 2, 18)
    assert ledger.balance(session, ledger.job_item(job.id), ledger.finished(job.id)) == 80


def test_refusals_write_nothing(session, make, people):
    job = make.job(quantity=10, ops=("lathe",), outside=("anodize",))
    op10, op20 = job.operations
    session.commit()
    before = entries(session)
    cases = [
        lambda: shopfloor.complete_operation(session, op10, 11, user=people[codes.OPERATOR]),
        lambda: shopfloor.complete_operation(session, op10, 0, user=people[codes.OPERATOR]),
        lambda: shopfloor.complete_operation(session, op10, 10**9, user=people[codes.OPERATOR]),
        lambda: shopfloor.complete_operation(session, op10, "2.5", user=people[codes.OPERATOR]),
        lambda: shopfloor.complete_operation(session, op20, 1, user=people[codes.OPERATOR]),
        lambda: shopfloor.ship_out(session, op10, 1, user=people[codes.SHIPPING]),
        lambda: shopfloor.complete_operation(session, op10, 1, user=None),
        lambda: shopfloor.complete_operation(session, op10, 1, user=people[codes.SHIPPING]),
        lambda: shopfloor.scrap_pieces(session, op10, 1, "BOGUS", user=people[codes.OPERATOR]),
    ]
    for case in cases:
        with pytest.raises(FloorError):
            case()
        session.rollback()
    assert entries(session) == before


def test_hold_stops_the_held_pieces_until_an_inspector_releases(session, make, people):
    job = make.job(quantity=50, ops=("lathe", "mill"))
    op10 = job.operations[0]
    hold = shopfloor.place_hold(session, op10, 5, "DIM", user=people[codes.OPERATOR])
    session.commit()
    assert shopfloor.available_at(session, op10) == 45
    # The 5 held are out of the flow: the 45 others may be worked, but not one more.
    with pytest.raises(FloorError, match=r"Only 45 pcs at op 10 are free to work: 5 held \(NCR-\d+\) on quality hold"):
        shopfloor.complete_operation(session, op10, 46, user=people[codes.OPERATOR])
    session.rollback()
    with pytest.raises(FloorError, match=r"Only an inspector may release a quality hold; .* signed in as operator\.$"):
        shopfloor.release_hold(session, hold, codes.USE_AS_IS, user=people[codes.OPERATOR])
    session.rollback()
    shopfloor.release_hold(session, hold, codes.SCRAP, user=people[codes.INSPECTOR])
    session.commit()
    # 5 scrapped by the disposition: 45 left to work, scrap counted at op 10
    assert shopfloor.available_at(session, op10) == 45 and op10.qty_scrap == 5
    shopfloor.complete_operation(session, op10, 45, user=people[codes.OPERATOR])
    session.commit()
    assert ledger.audit(session) == []


def test_outside_process_partial_return_and_short_count(session, make, people):
    job = make.job(quantity=100, ops=("lathe",), outside=("anodize",))
    op10, op20 = job.operations
    shopfloor.complete_operation(session, op10, 100, user=people[codes.OPERATOR])
    shipment = shopfloor.ship_out(session, op20, 100, user=people[codes.SHIPPING])
    session.commit()
    assert shipment.expected_back == shoptime.today() + timedelta(days=5)
    shopfloor.receive_back(session, op20, 60, user=people[codes.SHIPPING])
    session.commit()
    assert shopfloor.at_vendor(session, op20) == 40 and op20.qty_good == 60
    with pytest.raises(FloorError, match="Only 40 pcs"):
        shopfloor.receive_back(session, op20, 41, user=people[codes.SHIPPING])
    session.rollback()
    shopfloor.receive_back(session, op20, 38, user=people[codes.SHIPPING], close_short=True)
    session.commit()
    # 60 + 38 back, 2 short: flagged and counted as scrap at the outside op
    assert (op20.qty_good, op20.qty_scrap, shipment.short_count, shipment.closed) == (98, 2, 2, True)
    assert ledger.balance(session, ledger.job_item(job.id), ledger.finished(job.id)) == 98
    assert ledger.audit(session) == []


def test_finished_goods_ship_against_a_release(session, make, people):
    job = make.job(quantity=20, ops=("lathe",))
    fg_bin = make.location(kind="fg")
    shopfloor.complete_operation(session, job.operations[0], 20, user=people[codes.OPERATOR])
    lot = shopfloor.receive_finished_goods(session, job, 20, fg_bin, user=people[codes.OPERATOR])
    session.commit()
    assert job.status == "complete"
    order = CustomerOrder(number="SO-1", customer_id=job.part.customer_id, po_number="PO-9", order_date=shoptime.today())
    line = OrderLine(order=order, line_no=1, part_id=job.part_id, quantity=40, strategy="scheduled")
    release = Release(line=line, due_date=shoptime.today(), quantity=15)
    session.add_all([order, line, release])
    session.commit()
    with pytest.raises(FloorError, match="wants 15 more"):
        shopfloor.ship_finished_goods(session, lot, 16, user=people[codes.SHIPPING], release=release)
    session.rollback()
    shopfloor.ship_finished_goods(session, lot, 15, user=people[codes.SHIPPING], release=release)
    session.commit()
    assert (release.shipped_qty, line.shipped_qty, shopfloor.fg_location(session, lot)[1]) == (15, 15, 5)
    with pytest.raises(FloorError, match="Only a shipping"):
        shopfloor.ship_finished_goods(session, lot, 1, user=people[codes.OPERATOR], release=release)
    session.rollback()


def test_material_pull_and_remnant(session, make, people):
    job = make.job(quantity=10)
    rack = make.location()
    lot = make.lot(material=job.part.material, bin=rack, lengths=[144])
    bar = lot.units[0]
    other = make.lot(material=make.material(grade="6061-T6 aluminum")).units[0]
    session.commit()
    with pytest.raises(FloorError, match="calls for"):
        shopfloor.pull_material(session, other, job, 10, user=people[codes.OPERATOR])
    session.rollback()
    shopfloor.pull_material(session, bar, job, 144, user=people[codes.OPERATOR])
    session.commit()
    with pytest.raises(FloorError, match="empty or used up"):
        shopfloor.pull_material(session, bar, job, 1, user=people[codes.OPERATOR])
    session.rollback()
    remnant = shopfloor.return_remnant(session, bar, "18.5", rack, user=people[codes.OPERATOR])
    session.commit()
    assert remnant.code == f"{lot.number}-02" and remnant.lot.heat_number == lot.heat_number
    assert ledger.balance(session, ledger.unit_item(remnant.id), ledger.at_location(rack.id)) == 18.5


def test_undo_reverses_own_last_scan_only(session, make, people):
    job = make.job(quantity=30, ops=("lathe", "mill"))
    op10 = job.operations[0]
    me, other = people[codes.OPERATOR], make.user(codes.OPERATOR)
    shopfloor.complete_operation(session, op10, 10, user=me, scan_uid="s1")
    shopfloor.complete_operation(session, op10, 5, user=other, scan_uid="s2")
    session.commit()
    shopfloor.undo_last(session, user=me, scan_uid="u1")
    session.commit()
    session.refresh(op10)
    assert op10.qty_good == 5 and shopfloor.available_at(session, op10) == 25
    with pytest.raises(FloorError, match="already undone"):
        shopfloor.undo_last(session, user=me)
    session.rollback()
    with pytest.raises(FloorError, match="min old"):
        shopfloor.undo_last(session, user=other, window_seconds=-1)
    session.rollback()


def test_undoing_a_remnant_return_cancels_its_queued_label(session, make, people):
    from spex.labels import queue_label
    from spex.models import PrintJob
    job = make.job(quantity=10)
    rack = make.location()
    bar = make.lot(material=job.part.material, bin=rack, lengths=[144]).units[0]
    me = people[codes.OPERATOR]
    shopfloor.pull_material(session, bar, job, 144, user=me, scan_uid="p1")
    remnant = shopfloor.return_remnant(session, bar, 20, rack, user=me, scan_uid="r1")
    queue_label(session, "remnant", remnant.barcode)
    session.commit()
    shopfloor.undo_last(session, user=me, scan_uid="u1")
    session.commit()
    assert ledger.balance(session, ledger.unit_item(remnant.id), ledger.at_location(rack.id)) == 0
    assert session.scalar(select(PrintJob.status).where(PrintJob.code == remnant.barcode)) == "cancelled"


def test_new_numbers_follow_the_highest_numeric_one_and_skip_hand_typed_codes(session, make):
    from spex import production

    part = make.part()
    due = shoptime.today() + timedelta(days=30)
    assert production.next_job_number(session) == "24001"  # the first job of a new shop
    production.create_job(session, part, 10, due, number="24007")
    assert production.next_job_number(session) == "24008"
    # Numbers typed by hand with letters in them, or too long to be a number, do not count...
    for typed in ("A-100", "24999B", "9" * 20, "2.5e9"):
        production.create_job(session, part, 10, due, number=typed)
    assert production.next_job_number(session) == "24008"
    # ...a number with leading zeros does, by its value.
    production.create_job(session, part, 10, due, number="0030000")
    assert production.next_job_number(session) == "30001"
    assert production.next_lot_number(session) == "1101"
    assert shopfloor.next_fg_code(session) == "5501"

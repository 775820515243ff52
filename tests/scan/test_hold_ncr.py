"""A hold placed at the station names the non-conformance report it opened, so the operator can tell
the inspector which report to open."""
from sqlalchemy import select

from spex import codes, ledger
from spex.models import NonConformance
from tests.scan.conftest import pieces_at
from tests.scan.test_flows import at_hold_reason, desk  # noqa: F401  (the station fixture, shared)


def test_the_hold_answer_names_its_ncr(desk, shop, session, make):
    at_hold_reason(desk, shop, session, make)
    answer = desk("CMD-R-MAT")
    ncr = session.scalars(select(NonConformance)).one()
    assert answer.detail == f"{ncr.number} opened, reason: {codes.HOLD_REASONS['MAT']}. An inspector releases it."
    assert ncr.number.startswith(codes.NCR_PREFIX) and ncr.quantity == 10


def test_at_the_station_the_pieces_not_held_keep_completing(scan, shop, session):
    """A 4-piece hold at op 10 of the 100: the other 96 complete op 10 and op 20 by scan while the 4 wait;
    the inspector's rework card sends the 4 back to op 10, where they complete with the rest."""
    job = shop.job
    op10, op20 = job.operations[0], job.operations[1]
    held = scan.all(shop.operator.barcode, f"{job.barcode}-10", "CMD-HOLD", "4", "CMD-R-DIM")[-1]
    ncr = session.scalars(select(NonConformance)).one()
    assert held.outcome == "done" and ncr.number in held.html
    at_op = scan(f"{job.barcode}-10")
    assert f"4 held ({ncr.number}) on quality hold at op 10" in at_op.html
    assert scan("96").outcome == "done"
    assert [a.outcome for a in scan.all(f"{job.barcode}-20", "96")] == ["waiting", "done"]
    assert pieces_at(session, op10) == 0 and op20.qty_good == 96
    assert ledger.balance(session, ledger.job_item(job.id), ledger.on_hold(op10.id)) == 4

    released = scan.all(shop.inspector.barcode, job.barcode, "CMD-RELEASE", "CMD-D-REWORK")
    assert released[-1].outcome == "done" and "Hold released: 4 pcs" in released[-1].headline
    session.expire_all()
    assert pieces_at(session, op10) == 4 and session.get(NonConformance, ncr.id).disposition == codes.REWORK
    assert ledger.audit(session) == []

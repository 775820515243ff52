"""A fault in the server while it handles a scan (its bug, not the scan's): the answer is a 500 that
says whether the scan was kept, so the station knows whether "scan it again" is true; the same scan
id sent again records it once."""
import pytest
from sqlalchemy import func, select

from spex import shopfloor
from spex.models import LedgerEntry, ScanRecord
from spex.scan import flows
from tests.scan.conftest import entries, pieces_at

SCAN_ID = "fault-scan-0001"


@pytest.fixture
def faults_answered(app):
    """The app answers a fault as it does in the shop (a 500 page), not by raising it into the test."""
    app.config["PROPAGATE_EXCEPTIONS"] = False


def post(client, code, scan_id=SCAN_ID):
    return client.post("/station/scan", data={"code": code, "scan_id": scan_id}, headers={"HX-Request": "true"})


def test_a_fault_before_the_commit_says_not_recorded_and_the_resend_records_it_once(
        faults_answered, client, scan, shop, session, monkeypatch):
    op10 = shop.job.operations[0]
    scan(shop.operator.barcode)
    scan(f"{shop.job.barcode}-10")
    complete = shopfloor.complete_operation

    def writes_then_fails(*args, **kwargs):
        complete(*args, **kwargs)
        raise RuntimeError("fault after the ledger entries were written")

    monkeypatch.setattr(shopfloor, "complete_operation", writes_then_fails)
    before = entries(session)
    failed = post(client, "7")
    assert failed.status_code == 500 and failed.headers["X-Spex-Recorded"] == "0"
    assert "Nothing was recorded" in failed.get_data(as_text=True)
    session.rollback()
    assert entries(session) == before and op10.qty_good == 0
    assert session.scalar(select(ScanRecord).where(ScanRecord.uid == SCAN_ID)) is None

    monkeypatch.setattr(shopfloor, "complete_operation", complete)
    for _ in range(2):  # the station's resend, and one more: the second is answered from the first
        answered = post(client, "7")
        assert answered.status_code == 200 and "X-Spex-Recorded" not in answered.headers
    assert answered.headers["X-Spex-Replayed"] == "1"
    session.rollback()
    assert op10.qty_good == 7 and pieces_at(session, op10) == 93
    assert session.scalar(select(func.count(ScanRecord.id)).where(ScanRecord.uid == SCAN_ID)) == 1
    assert session.scalar(select(func.count(LedgerEntry.id)).where(LedgerEntry.scan_uid == SCAN_ID)) > 0


def test_a_fault_after_the_commit_says_recorded_and_the_resend_shows_the_answer(
        faults_answered, client, scan, shop, session, monkeypatch):
    """The scan was kept and only its answer failed: scanning it again would record it twice, so
    the 500 says it was recorded; the same scan id sent again shows the answer, recording nothing."""
    op10 = shop.job.operations[0]
    scan(shop.operator.barcode)
    scan(f"{shop.job.barcode}-10")
    describe = flows.describe
    failures = []

    def fails_once(*args, **kwargs):
        if not failures:
            failures.append(1)
            raise RuntimeError("fault while drawing the answer")
        return describe(*args, **kwargs)

    monkeypatch.setattr(flows, "describe", fails_once)
    failed = post(client, "7")
    assert failed.status_code == 500 and failed.headers["X-Spex-Recorded"] == "1"
    answered = post(client, "7")
    assert answered.status_code == 200 and answered.headers["X-Spex-Replayed"] == "1"
    assert f"7 good at op 10 of job {shop.job.number}" in answered.get_data(as_text=True)
    session.rollback()
    assert op10.qty_good == 7
    assert session.scalar(select(func.count(ScanRecord.id)).where(ScanRecord.uid == SCAN_ID)) == 1


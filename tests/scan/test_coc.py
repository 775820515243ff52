"""Vendors' certificates of conformance: checked at the station as mill certs are, opened from the job page."""
import io
import os

import pytest
from sqlalchemy import func, select

from spex import codes
from spex.models import OutsideReceipt
from tests.conftest import login

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _upload(client, data: bytes, name: str):
    return client.post("/station/coc", data={"coc": (io.BytesIO(data), name)}, content_type="multipart/form-data",
                       headers={"HX-Request": "true"})


def _coc_files(app) -> list[str]:
    folder = os.path.join(app.config["SPEX_UPLOAD_DIR"], "coc")
    return os.listdir(folder) if os.path.isdir(folder) else []


@pytest.mark.parametrize("data,name,message", [
    (b"MZ\x90\x00 an executable", "coc.pdf", "not a real PDF, PNG or JPEG"),
    (b"<html><script>alert(1)</script></html>", "coc.jpg", "not a real PDF, PNG or JPEG"),
    (PDF, "coc.png", "is really a PDF"),
    (PDF, "coc.html", "must be a PDF, PNG or JPEG"),
    (b"", "coc.pdf", "That file is empty"),
])
def test_a_coc_that_is_not_what_its_name_says_is_refused_and_nothing_is_kept(
        at_receiving, client, scan, session, app, data, name, message):
    response = _upload(client, data, name)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True) and "Nothing was attached" in response.get_data(as_text=True)
    assert _coc_files(app) == []
    assert scan("10").outcome == "done"  # the receipt goes through, without a CoC
    receipt = session.scalar(select(OutsideReceipt))
    assert receipt.quantity == 10 and receipt.coc_filename is None


def test_a_checked_coc_opens_from_the_job_page(at_receiving, client, scan, session, make):
    assert _upload(client, PDF, "acme coc.pdf").status_code == 200
    assert scan("10").outcome == "done"
    receipt = session.scalar(select(OutsideReceipt))
    login(client, make.user(codes.OPERATOR))
    page = client.get(f"/jobs/{at_receiving.job.number}").get_data(as_text=True)
    link = f"/jobs/{at_receiving.job.number}/receipts/{receipt.id}/coc"
    assert f'href="{link}"' in page
    response = client.get(link)
    assert response.status_code == 200 and response.data == PDF
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == \
        f"inline; filename=coc-job-{at_receiving.job.number}-receipt-{receipt.id}.pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    receipts = client.get(f"/jobs/{at_receiving.job.number}.json").get_json()["outside_shipments"][0]["receipts"]
    assert receipts == [{"id": receipt.id, "quantity": 10, "received_at": receipts[0]["received_at"], "coc": True}]


def test_a_coc_is_only_for_the_signed_in_and_only_under_its_own_job(at_receiving, client, scan, session, make):
    _upload(client, PDF, "coc.pdf")
    scan("10")
    receipt = session.scalar(select(OutsideReceipt))
    link = f"/jobs/{at_receiving.job.number}/receipts/{receipt.id}/coc"
    response = client.get(link)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    login(client, make.user(codes.OPERATOR))
    other_job = make.job(quantity=5)
    make.commit()
    assert client.get(f"/jobs/{other_job.number}/receipts/{receipt.id}/coc").status_code == 404
    assert client.get(f"/jobs/{at_receiving.job.number}/receipts/{receipt.id + 1}/coc").status_code == 404
    assert session.scalar(select(func.count(OutsideReceipt.id))) == 1


def test_a_stored_name_cannot_reach_outside_the_coc_folder(at_receiving, client, scan, session, make, app):
    secret = os.path.join(app.config["SPEX_UPLOAD_DIR"], "secret.pdf")
    os.makedirs(os.path.dirname(secret), exist_ok=True)
    with open(secret, "wb") as fh:
        fh.write(PDF)
    scan("10")
    receipt = session.scalar(select(OutsideReceipt))
    receipt.coc_filename = "../secret.pdf"
    session.commit()
    login(client, make.user(codes.OPERATOR))
    assert client.get(f"/jobs/{at_receiving.job.number}/receipts/{receipt.id}/coc").status_code == 404


def test_a_coc_kept_before_the_check_is_a_download_never_shown_in_the_browser(at_receiving, client, scan, session,
                                                                              make, app):
    # Before the check a station kept any .tif (or a page renamed .tif) as it came.
    scan("10")
    receipt = session.scalar(select(OutsideReceipt))
    folder = os.path.join(app.config["SPEX_UPLOAD_DIR"], "coc")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "0a1b2c3d4e5f-old.tif"), "wb") as fh:
        fh.write(b"<html><script>alert(1)</script></html>")
    receipt.coc_filename = "0a1b2c3d4e5f-old.tif"
    session.commit()
    login(client, make.user(codes.OPERATOR))
    response = client.get(f"/jobs/{at_receiving.job.number}/receipts/{receipt.id}/coc")
    assert response.status_code == 200 and response.mimetype == "application/octet-stream"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"

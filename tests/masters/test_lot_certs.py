"""Mill certs on material lots: PDF, PNG and JPEG accepted by content, stored, and served to anyone signed in."""
import io
import os

import pytest
from PIL import Image
from sqlalchemy import select

from spex import codes
from spex.extensions import db
from spex.models import MaterialLot

from masters_forms import row_counts, valid_form

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 10), "white").save(buffer, "PNG")
    return buffer.getvalue()


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 10), "white").save(buffer, "JPEG")
    return buffer.getvalue()


def _upload(client, linked, data, filename, token="CERT"):
    form = valid_form("lots", token, linked) | {"cert": (io.BytesIO(data), filename)}
    return client.post("/masters/lots/new", data=form, content_type="multipart/form-data")


@pytest.mark.parametrize("data, filename, mimetype", [
    (PDF, "mill cert 4471.PDF", "application/pdf"),
    (_png(), "cert.png", "image/png"),
    (_jpeg(), "scan.jpeg", "image/jpeg"),
])
def test_cert_is_stored_and_served_back(client, app, admin, linked, make, data, filename, mimetype):
    assert _upload(client, linked, data, filename).status_code == 302
    lot = db.session.scalar(select(MaterialLot).where(MaterialLot.number == "LCERT"))
    assert lot.cert_filename and filename not in lot.cert_filename  # our name, not the uploader's
    assert os.path.exists(os.path.join(app.config["SPEX_UPLOAD_DIR"], lot.cert_filename))
    assert "Open the mill cert" in client.get(f"/masters/lots/{lot.id}").get_data(as_text=True)
    # Anyone signed in may read it: a material handler checks the heat at the rack.
    client.post("/logout")
    handler = make.user(codes.MATERIAL_HANDLER)
    make.commit()
    client.post("/login", data={"username": handler.username, "password": "correct-horse-battery"})
    served = client.get(f"/masters/lots/{lot.id}/cert")
    assert served.status_code == 200 and served.mimetype == mimetype and served.data == data


@pytest.mark.parametrize("data, filename, message", [
    (b"MZ\x90\x00 not a cert", "virus.exe", "must be a PDF, PNG or JPEG"),
    (b"just some text", "cert.pdf", "not a real PDF, PNG or JPEG"),
    (PDF, "cert.png", "is really a PDF"),
    (b"", "empty.pdf", "empty"),
])
def test_bad_certs_are_refused_and_nothing_is_kept(client, app, admin, linked, data, filename, message):
    before = row_counts()
    response = _upload(client, linked, data, filename)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert row_counts() == before
    upload_dir = app.config["SPEX_UPLOAD_DIR"]
    assert not os.path.isdir(upload_dir) or os.listdir(upload_dir) == []


def test_a_cert_over_the_size_limit_is_refused(client, app, admin, linked):
    app.config["SPEX_CERT_MAX_BYTES"] = 1024
    before = row_counts()
    response = _upload(client, linked, PDF + b"0" * 2048, "big.pdf")
    assert response.status_code == 422 and "larger than" in response.get_data(as_text=True)
    assert row_counts() == before


def test_a_new_cert_replaces_the_one_shown(client, admin, linked):
    _upload(client, linked, PDF, "first.pdf")
    lot = db.session.scalar(select(MaterialLot).where(MaterialLot.number == "LCERT"))
    first = lot.cert_filename
    form = valid_form("lots", "CERT", linked) | {"cert": (io.BytesIO(_png()), "second.png")}
    response = client.post(f"/masters/lots/{lot.id}", data=form, content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.refresh(lot)
    assert lot.cert_filename != first and lot.cert_filename.endswith(".png")


def test_editing_without_a_file_keeps_the_cert(client, admin, linked):
    _upload(client, linked, PDF, "first.pdf")
    lot = db.session.scalar(select(MaterialLot).where(MaterialLot.number == "LCERT"))
    first = lot.cert_filename
    client.post(f"/masters/lots/{lot.id}", data=valid_form("lots", "CERT", linked) | {"supplier": "Other"})
    db.session.refresh(lot)
    assert lot.cert_filename == first and lot.supplier == "Other"


def test_a_lot_without_a_cert_has_nothing_to_serve(client, admin, linked):
    client.post("/masters/lots/new", data=valid_form("lots", "NOCERT", linked))
    lot = db.session.scalar(select(MaterialLot).where(MaterialLot.number == "LNOCERT"))
    assert client.get(f"/masters/lots/{lot.id}/cert").status_code == 404

"""Receiving at the dock: one heat into one bin, a stock unit and a ledger entry per bar, the mill cert
kept; bad input answers at the field and writes nothing."""
import io
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from spex import codes, ledger
from spex.models import LedgerEntry, MaterialLot, StockUnit

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def counts(session):
    return tuple(session.scalar(select(func.count()).select_from(m)) for m in (MaterialLot, StockUnit, LedgerEntry))


def test_material_handler_receives_six_bars_with_cert(client, session, make, login_as, app):
    material = make.material(grade="316 stainless", size="1.250 dia")
    bin = make.location("R2-A03")
    make.commit()
    login_as(codes.MATERIAL_HANDLER)
    response = client.post("/receive/", data={
        "material_id": str(material.id), "heat_number": " H52311 ", "count": "6", "each": "144",
        "bin": "bin-r2-a03", "supplier": "Atlas Metals", "po_number": "PO-7788",
        "cert": (io.BytesIO(PDF), "mtr.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 302
    lot = session.scalar(select(MaterialLot))
    assert lot.heat_number == "H52311" and lot.cert_filename.endswith(".pdf")
    assert [u.code for u in lot.units] == [f"{lot.number}-{n:02d}" for n in range(1, 7)]
    # 6 bars x 144 in, each on its own in R2-A03
    assert all(ledger.balance(session, ledger.unit_item(u.id), ledger.at_location(bin.id)) == 144 for u in lot.units)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"LOT-{lot.number}-06" in page and "Print the 6 labels" in page


def test_a_list_of_lengths_makes_one_unit_each(client, session, make, login_as):
    material = make.material()
    make.location("R1-B01")
    make.commit()
    login_as(codes.PLANNER)
    client.post("/receive/", data={"material_id": str(material.id), "heat_number": "K1", "each": "144, 96.5",
                                   "bin": "R1-B01"})
    assert sorted(u.initial_qty for u in session.scalars(select(StockUnit))) == [Decimal("96.5"), Decimal("144")]


@pytest.mark.parametrize("field, value, message", [
    ("heat_number", "", "heat number"),
    ("each", "", "length or quantity"),
    ("each", "abc", "must be a number"),
    ("each", "-5", "more than zero"),
    ("each", "1e400", "more than zero"),
    ("each", "144.0005", "kept to 3 decimal places; 144.0005 has 4"),  # refused, not rounded to 144.001
    ("material_id", "²", "Choose the material"),
    ("count", "0", "how many"),
    ("count", "9999", "how many"),
    ("bin", "BIN-NOPE", "no bin BIN-NOPE"),
    ("material_id", "77777", "Choose the material"),
    ("material_id", "x" * 5000, "Choose the material"),
])
def test_bad_receipt_writes_nothing(client, session, make, login_as, field, value, message):
    material = make.material()
    make.location("R1-B02")
    make.commit()
    login_as(codes.MATERIAL_HANDLER)
    before = counts(session)
    data = {"material_id": str(material.id), "heat_number": "H1", "count": "2", "each": "144", "bin": "R1-B02",
            field: value}
    response = client.post("/receive/", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert counts(session) == before


def test_a_fake_cert_is_refused(client, session, make, login_as):
    material = make.material()
    make.location("R1-B03")
    make.commit()
    login_as(codes.MATERIAL_HANDLER)
    before = counts(session)
    response = client.post("/receive/", data={
        "material_id": str(material.id), "heat_number": "H1", "count": "1", "each": "144", "bin": "R1-B03",
        "cert": (io.BytesIO(b"MZ\x90\x00 not a pdf"), "mtr.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 422 and "not a real PDF" in response.get_data(as_text=True)
    assert counts(session) == before


def test_operators_do_not_receive(client, login_as):
    login_as(codes.OPERATOR)
    assert client.get("/receive/").status_code == 403

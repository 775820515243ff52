"""The packing list and the cert pack, opened with pypdf and read back: parts, revisions, PO, lots and
the heats each lot was made from; the pack's index first, the shop's C of C, every heat's mill cert
(a PDF's pages merged, an image as a page), the vendor's CoC, and a missing cert named on the index."""
import os
from decimal import Decimal

import pypdfium2
import zxingcpp
from sqlalchemy import select

from spex.masters.certs import COC_FOLDER
from spex.materials.millcerts import CertFigures, enter_cert
from spex.models import MaterialLimit, MaterialLot
from tests.shipping.cert_files import anodized_shipment, pdf_text, put


def test_the_packing_list_names_parts_po_lots_and_their_heats(app, client, session, shop, make, login_as):
    shipment, lot_a, lot_b, first, second = anodized_shipment(app, session, shop, make)
    login_as("admin")
    response = client.get(f"/ship/{shipment.number}/packing-list.pdf")
    assert response.mimetype == "application/pdf"
    reader, pages = pdf_text(response.data)
    text = " ".join(pages)
    assert len(reader.pages) == 1
    for words in ("Packing list SHP-7001", "PN-3310 rev A - 100 pcs", "Customer PO PO-88120 line 1",
                  "ship complete", f"{lot_a.barcode}: 50 pcs, job {first.number}, one of heats H100, H200",
                  f"{lot_b.barcode}: 50 pcs, job {second.number}, heat H300", "Total: 100 pcs", "Our truck"):
        assert words in text, words
    # the shipment's own barcode, for the bench scanner, reads back as SHP-7001
    picture = pypdfium2.PdfDocument(response.data)[0].render(scale=3).to_pil()
    assert [b.text for b in zxingcpp.read_barcodes(picture)] == ["SHP-7001"]


def test_the_cert_pack_holds_coc_mill_certs_and_vendor_coc_and_names_what_is_missing(app, client, session, shop,
                                                                                     make, login_as):
    shipment, lot_a, lot_b, first, second = anodized_shipment(app, session, shop, make)
    login_as("admin")
    response = client.get(f"/ship/{shipment.number}/cert-pack.pdf")
    assert response.mimetype == "application/pdf"
    reader, pages = pdf_text(response.data)
    # index, C of C, H100's two pages, H200's photo, the anodizer's CoC; H300's cert and job 2's CoC missing
    assert len(reader.pages) == 6
    index, conformance, mill_1, mill_2, photo, vendor = pages
    assert "Certification pack SHP-7001" in index
    assert "1. Certificate of conformance - page 2" in index
    assert "Mill cert for heat H100 (lot" in index and "- page 3" in index
    assert "- page 5" in index and "- page 6" in index
    assert "Mill cert for heat H300: not on file" in index
    assert f"Vendor CoC of Vendor" in index and f"op 30 of job {second.number}: not on file" in index
    assert "Certificate of conformance" in conformance
    for words in ("PN-3310", "Revision A", "PO-88120", "100 pcs", lot_a.barcode, lot_b.barcode, "H100, H200, H300",
                  shop.inspector.name, "We certify that the parts listed above"):
        assert words in conformance, words
    assert "MILL TEST REPORT heat H100 page 1" in mill_1 and "page 2" in mill_2
    assert "Mill cert for heat H200" in photo and reader.pages[4].images
    assert "ANODIZE CERTIFICATE OF CONFORMANCE" in vendor


def test_a_cert_file_gone_from_disk_or_damaged_is_named_on_the_index(app, client, session, shop, make, login_as):
    shipment, lot_a, lot_b, first, second = anodized_shipment(app, session, shop, make)
    uploads = app.config["SPEX_UPLOAD_DIR"]
    os.remove(os.path.join(uploads, "cert-h100.pdf"))
    put(os.path.join(uploads, COC_FOLDER), "coc-anodize.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\ntrailer")
    login_as("admin")
    reader, pages = pdf_text(client.get(f"/ship/{shipment.number}/cert-pack.pdf").data)
    assert "Mill cert for heat H100: not on file (the uploaded file is missing)" in pages[0]
    assert f"op 30 of job {first.number}: on file but unreadable; open the original" in pages[0]
    assert len(reader.pages) == 3  # the index, the C of C, H200's photo


def test_the_cert_pack_shows_a_cert_records_figures_against_the_limits_and_names_those_not_entered(
        app, client, session, shop, make, login_as):
    shipment, lot_a, lot_b, first, second = anodized_shipment(app, session, shop, make)
    material = first.part.material
    material.cert_required = True
    session.add_all([MaterialLimit(material_id=material.id, property="Cr", minimum=Decimal("16"),
                                   maximum=Decimal("18")),
                     MaterialLimit(material_id=material.id, property="tensile", minimum=Decimal("515")),
                     MaterialLimit(material_id=material.id, property="hardness", maximum=Decimal("250"))])
    session.flush()
    lot = session.scalar(select(MaterialLot).where(MaterialLot.heat_number == "H100"))
    enter_cert(session, lot, CertFigures("3.1", "ASTM A582", "303", "H100",
                                         chemistry={"Cr": Decimal("17.25"), "Ni": Decimal("8.9")},
                                         mechanical={"tensile": Decimal("640"), "hardness": Decimal("262")}),
               user=shop.inspector)
    session.commit()
    login_as("admin")
    reader, pages = pdf_text(client.get(f"/ship/{shipment.number}/cert-pack.pdf").data)
    # index, C of C, H100's two file pages, then its record's figures, H200's photo, the anodizer's CoC
    assert len(reader.pages) == 7
    index, figures = pages[0], pages[4]
    assert "Cert record for heat H100: EN 10204 3.1, ASTM A582 303 - page 5" in index
    assert "Cert record for heat H200: no figures entered, and" in index and "requires them" in index
    assert "Cert record for heat H300: no figures entered" in index
    for words in ("Mill cert figures - heat H100", "EN 10204 type 3.1", "ASTM A582 303", shop.inspector.name,
                  "Cr 17.25 % 16.0–18.0 % within", "Ni 8.9 % no limit set",
                  "Tensile strength 640.0 MPa 515.0 MPa min within", "Hardness 262.0 HB 250.0 HB max OUTSIDE"):
        assert words in figures, words

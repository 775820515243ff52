"""The packing list and the cert pack, opened with pypdf and read back: parts, revisions, PO, lots and
the heats each lot was made from; the pack's index first, the shop's C of C, every heat's mill cert
(a PDF's pages merged, an image as a page), the vendor's CoC, and a missing cert named on the index."""
import io
import os

import pypdfium2
import zxingcpp
from fpdf import FPDF
from PIL import Image
from pypdf import PdfReader

from spex import shopfloor, shoptime
from spex.masters.certs import COC_FOLDER
from spex.shipping.shipments import LineRequest, Pick, make_shipment


def a_pdf(*pages: str) -> bytes:
    pdf = FPDF()
    for words in pages:
        pdf.add_page()
        pdf.set_font("Helvetica", size=14)
        pdf.cell(0, 10, words)
    return bytes(pdf.output())


def put(folder, name, data: bytes) -> str:
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as fh:
        fh.write(data)
    return name


def pdf_text(data: bytes) -> tuple[PdfReader, list[str]]:
    reader = PdfReader(io.BytesIO(data))
    return reader, [" ".join(page.extract_text().split()) for page in reader.pages]


def anodized_shipment(app, session, shop, make):
    """Two FG lots of 50 of an anodized part: one job fed from heats H100 (PDF cert) and H200 (a photo
    of its cert), its CoC back from the anodizer; the other from H300, whose cert and CoC are missing."""
    uploads = app.config["SPEX_UPLOAD_DIR"]
    part = make.part(ops=("lathe", "inspection"), outside=("anodize",), number="PN-3310")
    bars = {heat: shop.bar(part, heat) for heat in ("H100", "H200", "H300")}
    bars["H100"].lot.cert_filename = put(uploads, "cert-h100.pdf", a_pdf("MILL TEST REPORT heat H100 page 1",
                                                                         "MILL TEST REPORT heat H100 page 2"))
    photo = io.BytesIO()
    Image.new("RGB", (300, 400), "white").save(photo, "PNG")
    bars["H200"].lot.cert_filename = put(uploads, "cert-h200.png", photo.getvalue())
    coc = put(os.path.join(uploads, COC_FOLDER), "coc-anodize.pdf", a_pdf("ANODIZE CERTIFICATE OF CONFORMANCE"))
    first = make.job(part, quantity=50)
    shopfloor.pull_material(session, bars["H100"], first, 40, user=shop.operator)
    shopfloor.pull_material(session, bars["H200"], first, 30, user=shop.operator)
    lot_a = shop.through_routing(first, 50, coc=coc)
    second = make.job(part, quantity=50)
    shopfloor.pull_material(session, bars["H300"], second, 70, user=shop.operator)
    lot_b = shop.through_routing(second, 50)
    line = shop.order(part, 100, po="PO-88120")
    shipment = make_shipment(session, part.customer, [LineRequest(line.id, None, [Pick(lot_a.id, 50),
                                                                                  Pick(lot_b.id, 50)])],
                             user=shop.shipping, ship_date=shoptime.today(), carrier="Our truck")
    session.commit()
    return shipment, lot_a, lot_b, first, second


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

"""Cert files and a shipment that uses them, for the documents' tests and the browser's: two FG lots of
an anodized part from three heats, one cert a PDF, one a photo, one missing, and the anodizer's CoC."""
import io
import os

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


def anodized_lots(app, session, shop, make):
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
    return part, bars, lot_a, lot_b, first, second


def anodized_shipment(app, session, shop, make):
    """The two lots shipped together against one ship-complete line of 100."""
    part, bars, lot_a, lot_b, first, second = anodized_lots(app, session, shop, make)
    line = shop.order(part, 100, po="PO-88120")
    shipment = make_shipment(session, part.customer, [LineRequest(line.id, None, [Pick(lot_a.id, 50),
                                                                                  Pick(lot_b.id, 50)])],
                             user=shop.shipping, ship_date=shoptime.today(), carrier="Our truck")
    session.commit()
    return shipment, lot_a, lot_b, first, second

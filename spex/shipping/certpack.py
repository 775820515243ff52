"""The certification pack: one PDF in a fixed order — an index, the shop's certificate of conformance,
the mill cert of every heat used (its file, then its record's figures against the material's limits),
the outside vendors' CoCs — merged with pypdf.

A cert that is not on file (never uploaded, or its file gone or unreadable) is named on the index
page, never skipped silently.
"""
from __future__ import annotations

import io
import os
from dataclasses import dataclass

from pypdf import PdfReader, PdfWriter
from pypdf.errors import PdfReadError
from sqlalchemy.orm import Session

from spex.masters.certs import COC_FOLDER
from spex.models import Shipment
from spex.shipping.certfigures import figures_pdf, figures_title, record_of
from spex.shipping.documents import conformance_pdf, facts_of
from spex.shipping.pdfdoc import Document

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")


@dataclass
class Section:
    """One entry of the index: its title, and its pages (None when the cert is not on file)."""
    title: str
    pages: PdfReader | None
    missing: str = ""
    span: tuple[int, int] | None = None  # the slice of `pages` that is this section's, when it shares them

    @property
    def count(self) -> int:
        if self.pages is None:
            return 0
        return self.span[1] - self.span[0] if self.span else len(self.pages.pages)


def cert_pack_pdf(session: Session, shipment: Shipment, upload_dir: str, shop: str) -> bytes:
    facts = facts_of(session, shipment)
    sections = [Section("Certificate of conformance", _reader(conformance_pdf(facts, shop)))]
    records: list[tuple[Section, tuple]] = []
    for use in facts.heat_uses():
        title = f"Mill cert for heat {use.heat_number} (lot {use.lot_number}, {use.material}" + \
                (f", {use.supplier})" if use.supplier else ")")
        sections.append(_from_file(title, upload_dir, use.cert_filename, shop,
                                   f"Mill cert for heat {use.heat_number}"))
        cert, material = record_of(session, use)
        if cert is not None:
            records.append((Section(figures_title(use, cert), None), (use, cert, material)))
            sections.append(records[-1][0])
        elif material.cert_required:
            sections.append(Section(f"Cert record for heat {use.heat_number}", None,
                                    f"Cert record for heat {use.heat_number}: no figures entered, "
                                    f"and {material.code} requires them"))
    for work in facts.outside:
        title = f"CoC of {work.vendor} for {work.process}, op {work.seq} of job {work.job_number}"
        sections.append(_from_file(title, os.path.join(upload_dir, COC_FOLDER), work.coc_filename, shop,
                                   f"Vendor CoC of {work.vendor} for op {work.seq} of job {work.job_number}"))
    if records:  # every record's figures in one document, each section its own pages of it
        data, starts = figures_pdf([figures for _, figures in records], shop)
        reader = _reader(data)
        for (section, _), start, end in zip(records, starts, [*starts[1:], len(reader.pages)]):
            section.pages, section.span = reader, (start, end)
    return _merge(shipment, sections, shop)


def _reader(data: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(data))


def _from_file(title: str, folder: str, name: str | None, shop: str, what: str) -> Section:
    if not name:
        return Section(title, None, f"{what}: not on file")
    path = os.path.join(folder, os.path.basename(name))
    if not os.path.isfile(path):
        return Section(title, None, f"{what}: not on file (the uploaded file is missing)")
    try:
        if name.lower().endswith(IMAGE_EXTENSIONS):
            return Section(title, _reader(_image_page(title, path, shop)))
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise PdfReadError("encrypted")
        PdfWriter().append(reader)  # a damaged upload fails here, before the index counts its pages
        if not reader.pages:
            raise PdfReadError("no pages")
        return Section(title, reader)
    except Exception:  # noqa: BLE001 - whatever is wrong inside an uploaded file, the pack names it
        return Section(title, None, f"{what}: on file but unreadable; open the original")


def _image_page(title: str, path: str, shop: str) -> bytes:
    """A scanned or photographed cert as a page of its own, fitted inside the margins."""
    doc = Document(shop, title)
    doc.add_page()
    top = doc.get_y()
    doc.image(path, x=doc.l_margin, y=top, w=doc.epw, h=doc.h - top - 20, keep_aspect_ratio=True)
    return doc.bytes()


def _index_pdf(shipment: Shipment, sections: list[Section], starts: list[int | None], shop: str) -> bytes:
    doc = Document(shop, f"Certification pack {shipment.barcode}")
    doc.add_page()
    doc.facts([("Customer", shipment.customer.name), ("Ship date", f"{shipment.ship_date:%b %d, %Y}"),
               ("Pieces", f"{shipment.quantity} in {len(shipment.lines)} line(s)")])
    doc.line_of("Contents", size=12, bold=True)
    for number, (section, start) in enumerate(zip(sections, starts), start=1):
        where = f"page {start}" if start else "NOT ON FILE (below)"
        doc.line_of(f"{number}. {section.title} - {where}")
    missing = [s.missing for s in sections if s.pages is None]
    if missing:
        doc.ln(3)
        doc.line_of("Not in this pack:", size=11, bold=True)
        for words in missing:
            doc.line_of(words)
    return doc.bytes()


def _merge(shipment: Shipment, sections: list[Section], shop: str) -> bytes:
    # The index comes first and names the page each section starts on, so its own length is found
    # by making it once with guessed pages, then again with the real ones.
    index_pages = 1
    for _ in range(3):
        starts, page = [], index_pages + 1
        for section in sections:
            starts.append(page if section.pages is not None else None)
            page += section.count
        index = _reader(_index_pdf(shipment, sections, starts, shop))
        if len(index.pages) == index_pages:
            break
        index_pages = len(index.pages)
    writer = PdfWriter()
    writer.append(index)
    for section in sections:
        if section.pages is not None:
            writer.append(section.pages, pages=section.span)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()

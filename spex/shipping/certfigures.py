"""A cert record's figures as a page of the cert pack: what the mill certificate states for a heat
(EN 10204 type, standard and grade, chemistry, mechanical properties), each beside the material's
specification limit and whether it is inside it, so the customer's auditor reads the check the shop made.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from spex.materials.millcerts import MECHANICAL, PROPERTIES, cert_value, figure, latest_cert, limit_words
from spex.models import Material, MaterialLot, MillCert
from spex.shipping.genealogy import HeatUse
from spex.shipping.pdfdoc import Document

COLUMNS = (("Property", 52), ("Stated", 34), ("Limit", 52), ("", 30))


def record_of(session: Session, use: HeatUse) -> tuple[MillCert | None, Material]:
    lot = session.get(MaterialLot, use.lot_id)
    return latest_cert(session, use.lot_id), session.get(Material, lot.material_id)


def figures_title(use: HeatUse, cert: MillCert) -> str:
    return f"Cert record for heat {use.heat_number}: EN 10204 {cert.cert_type}" + \
        (f", {cert.standard} {cert.grade}".rstrip() if cert.standard or cert.grade else "")


def figures_pdf(records: list[tuple[HeatUse, MillCert, Material]], shop: str) -> tuple[bytes, list[int]]:
    """Every record's page(s) in one document; returns it and the first page index of each record."""
    doc = Document(shop, "Mill cert figures")
    starts = [_record_pages(doc, use, cert, material) for use, cert, material in records]
    return doc.bytes(), starts


def _record_pages(doc: Document, use: HeatUse, cert: MillCert, material: Material) -> int:
    start = doc.new_section(f"Mill cert figures - heat {use.heat_number}")
    doc.facts([
        ("Heat", cert.heat_number),
        ("Lot", f"{use.lot_number} ({use.material})"),
        ("Supplier", use.supplier),
        ("Certificate", f"EN 10204 type {cert.cert_type}"),
        ("Standard, grade", " ".join(p for p in (cert.standard, cert.grade) if p)),
        ("Entered", f"{cert.entered_at:%b %d, %Y}" + (f" by {cert.entered_by.name}" if cert.entered_by else "")),
    ])
    limits = {limit.property: limit for limit in material.limits}
    chemistry = [(e.element, e.percent) for e in cert.elements]
    mechanical = [(key, cert_value(cert, key)) for key in MECHANICAL if cert_value(cert, key) is not None]
    for heading, rows in (("Chemical analysis (weight %)", chemistry), ("Mechanical properties", mechanical)):
        doc.line_of(heading, size=12, bold=True)
        if not rows:
            doc.line_of("none stated on the certificate")
        else:
            _row(doc, [name for name, _ in COLUMNS], bold=True)
            for prop, value in rows:
                _row(doc, _cells(prop, value, limits.get(prop)))
        doc.ln(3)
    unstated = [PROPERTIES.get(p, (p, ""))[0] for p in limits if cert_value(cert, p) is None]
    if unstated:
        doc.line_of("Limited but not stated on the certificate: " + ", ".join(unstated), bold=True)
    return start


def _cells(prop: str, value, limit) -> list[str]:
    name, unit = PROPERTIES.get(prop, (prop, ""))
    stated = f"{figure(value)} {unit}".strip()
    if limit is None:
        return [name, stated, "no limit set", ""]
    inside = (limit.minimum is None or value >= limit.minimum) and (limit.maximum is None or value <= limit.maximum)
    return [name, stated, limit_words(limit.minimum, limit.maximum, unit), "within" if inside else "OUTSIDE"]


def _row(doc: Document, cells: list[str], bold: bool = False) -> None:
    doc.use(10, bold)
    for (_, width), text in zip(COLUMNS, cells):
        doc.cell(width, 6, doc.text_of(text), border="B")
    doc.ln(6)

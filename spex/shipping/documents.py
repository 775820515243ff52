"""A shipment's customer documents: the packing list, and what the cert pack's own pages say.

Both read one ShipmentFacts: each line's part, PO, release and quantity, and each FG lot's job and
heats (read from the ledger's pulls), so the two documents cannot disagree.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from spex.models import Shipment, ShipmentLine
from spex.shipping import genealogy
from spex.shipping.pdfdoc import Document

STATEMENT = ("We certify that the parts listed above were manufactured and inspected in accordance with the "
             "drawing, revision and purchase order requirements stated, from the material heats listed, "
             "and that they conform to those requirements. Records of manufacture, inspection and material "
             "traceability are on file and available for review.")


@dataclass
class ShipmentFacts:
    shipment: Shipment
    heats: dict[int, list[genealogy.HeatUse]]        # job id -> heats, first pulled first
    inspectors: dict[int, list[str]]                 # job id -> who recorded final inspection
    outside: list[genealogy.OutsideWork]

    @property
    def job_ids(self) -> list[int]:
        return list(dict.fromkeys(p.fg_lot.job_id for line in self.shipment.lines for p in line.lots))

    def line_heats(self, line: ShipmentLine) -> list[str]:
        return list(dict.fromkeys(h for p in line.lots for h in genealogy.heat_numbers(self.heats[p.fg_lot.job_id])))

    def heat_uses(self) -> list[genealogy.HeatUse]:
        """Every material lot used, once, in the order the shipment's lots name them."""
        return list(dict.fromkeys(use for job_id in self.job_ids for use in self.heats[job_id]))


def facts_of(session: Session, shipment: Shipment) -> ShipmentFacts:
    jobs = list(dict.fromkeys(p.fg_lot.job_id for line in shipment.lines for p in line.lots))
    return ShipmentFacts(shipment, genealogy.heats_by_job(session, jobs), genealogy.final_inspectors(session, jobs),
                         genealogy.outside_work(session, jobs))


def delivery_words(line: ShipmentLine) -> str:
    if line.release is None:
        return "ship complete"
    kind = "call-off" if line.release.kind == "calloff" else "release"
    return f"{kind} due {line.release.due_date:%b %d, %Y} ({line.release.quantity} pcs)"


def _lot_words(facts: ShipmentFacts, pick) -> str:
    uses = facts.heats[pick.fg_lot.job_id]
    return (f"{pick.fg_lot.barcode}: {pick.quantity} pcs, job {pick.fg_lot.job.number}, "
            f"{genealogy.heat_words(uses)}")


def packing_list_pdf(session: Session, shipment: Shipment, shop: str) -> bytes:
    facts = facts_of(session, shipment)
    doc = Document(shop, f"Packing list {shipment.barcode}")
    doc.add_page()
    doc.barcode(shipment.barcode)
    doc.set_y(doc.t_margin + 16)
    doc.facts([("Customer", shipment.customer.name), ("Ship to", shipment.ship_to),
               ("Ship date", f"{shipment.ship_date:%b %d, %Y}"), ("Carrier", shipment.carrier),
               ("Tracking", shipment.tracking),
               ("Shipped by", shipment.shipped_by.name if shipment.shipped_by else "")])
    for line in shipment.lines:
        order_line = line.order_line
        doc.line_of(f"Line {line.line_no}: {order_line.part.number} rev {order_line.part.rev} - "
                    f"{line.quantity} pcs", size=12, bold=True)
        doc.line_of(order_line.part.description)
        doc.line_of(f"Customer PO {order_line.order.po_number} line {order_line.line_no} "
                    f"(our order {order_line.order.number}), {delivery_words(line)}")
        for pick in line.lots:
            doc.line_of("    " + _lot_words(facts, pick))
        doc.ln(3)
    doc.line_of(f"Total: {shipment.quantity} pcs in {len(shipment.lines)} line(s)", size=11, bold=True)
    return doc.bytes()


def conformance_pdf(facts: ShipmentFacts, shop: str) -> bytes:
    """The shop's certificate of conformance: one page per shipment line."""
    shipment = facts.shipment
    doc = Document(shop, f"Certificate of conformance - {shipment.barcode}")
    for line in shipment.lines:
        order_line = line.order_line
        inspectors = list(dict.fromkeys(name for p in line.lots for name in facts.inspectors[p.fg_lot.job_id]))
        doc.add_page()
        doc.facts([
            ("Customer", shipment.customer.name),
            ("Part", f"{order_line.part.number} - {order_line.part.description}"),
            ("Revision", order_line.part.rev),
            ("Customer PO", f"{order_line.order.po_number} line {order_line.line_no}, {delivery_words(line)}"),
            ("Quantity", f"{line.quantity} pcs"),
            ("FG lots", "; ".join(_lot_words(facts, p) for p in line.lots)),
            ("Heats", ", ".join(facts.line_heats(line)) or "no material pull recorded"),
            ("Final inspection", ", ".join(inspectors) if inspectors else "not recorded"),
            ("Shipped", f"{shipment.ship_date:%b %d, %Y} on {shipment.barcode}"),
        ])
        doc.line_of(STATEMENT)
        doc.ln(8)
        doc.line_of(f"For {shop}: ______________________________   Date: {shipment.ship_date:%b %d, %Y}")
    return doc.bytes()

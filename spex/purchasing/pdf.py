"""The purchase order a supplier receives: a PDF on the shop's document page, its PO barcode at the top
right so the dock scans the supplier's copy that comes back with the bars."""
from __future__ import annotations

from spex.models import PurchaseOrder
from spex.shipping.pdfdoc import Document


def _money(value) -> str:
    return "-" if value is None else f"${float(value):,.2f}"


def purchase_order_pdf(po: PurchaseOrder, shop: str) -> bytes:
    doc = Document(shop, f"Purchase order {po.barcode}")
    doc.set_creator("Spex purchasing")
    doc.add_page()
    doc.barcode(po.barcode)
    doc.set_y(doc.t_margin + 16)
    vendor = po.vendor
    doc.facts([("To", f"{vendor.name} ({vendor.code})"), ("Contact", vendor.contact or ""),
               ("Sent", f"{po.sent_at:%b %d, %Y}" if po.sent_at else "not yet sent (draft)"),
               ("Status", po.state_name)])
    for line in po.lines:
        material = line.material
        state = " - CANCELLED" if line.status == "cancelled" else ""
        doc.line_of(f"Line {line.line_no}: {line.words} of {material.label}{state}", size=12, bold=True)
        doc.line_of(f"Material {material.code}, {float(line.ordered_qty):,.3f}".rstrip("0").rstrip(".") +
                    f" {material.unit} in all. Due {line.due_date:%a %b %d, %Y}.")
        doc.line_of(f"Price {_money(line.price)} per {line.buy_unit}; line total {_money(line.amount)}.")
        if material.cert_required:
            doc.line_of("A mill test certificate (EN 10204 3.1) with the heat number must come with the material.")
        doc.ln(2)
    doc.line_of(f"Total: {_money(po.total)}", size=11, bold=True)
    doc.line_of(f"Please quote {po.barcode} and the line number on the packing slip and label each bundle "
                "with its heat number.")
    if po.notes:
        doc.line_of(f"Notes: {po.notes}")
    return doc.bytes()

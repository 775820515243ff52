"""Receiving routes: read the dock's form, receive the lot through spex.production, hand off to labels."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask import current_app, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from spex import codes, production
from spex.auth import roles_required
from spex.extensions import db
from spex.forms import FormError, read_id
from spex.ledger import LedgerError
from spex.masters.certs import CertRefused, check_cert, forget_file, store_cert
from spex.materials import millcerts
from spex.materials.holds import open_holds
from spex.models import CERT_TYPES, Customer, Location, Material, MaterialLot, PurchaseReceipt, qty
from spex.models._types import QTY_DECIMALS
from spex.purchasing import orders as purchasing
from spex.receiving import bp
from spex.scan.grammar import read_code

MAX_UNITS = 200  # one truck does not bring more bars of one heat
receiving_roles = roles_required(codes.MATERIAL_HANDLER, codes.PLANNER)


def parse_quantities(count_text: str, each_text: str, unit: str) -> list[Decimal]:
    """'6' bars of '144' in -> six 144s; the 'each' box may also list lengths: '144, 144, 96.5'."""
    each_text = (each_text or "").strip()
    if not each_text:
        raise FormError("each", f"Enter the length or quantity of each ({unit}).")
    try:
        values = [Decimal(part) for part in each_text.replace(";", ",").split(",") if part.strip()]
    except InvalidOperation:
        raise FormError("each", "Each must be a number, or numbers separated by commas.") from None
    if len(values) > MAX_UNITS:
        raise FormError("each", f"At most {MAX_UNITS} pieces in one receipt.")
    if any(not v.is_finite() or v <= 0 or v > 100_000 for v in values):
        raise FormError("each", "Every quantity must be more than zero and believable.")
    finer = next((v for v in values if v.as_tuple().exponent < -QTY_DECIMALS and v != qty(v)), None)
    if finer is not None:  # a length is kept to the thousandth: refused, not rounded
        raise FormError("each", f"Lengths and quantities are kept to {QTY_DECIMALS} decimal places; {finer} has "
                                f"{-finer.normalize().as_tuple().exponent}.")
    if unit == "pcs" and any(v != v.to_integral_value() for v in values):
        raise FormError("each", "Plates and pieces are counted in whole numbers.")
    count_text = (count_text or "").strip()
    if len(values) > 1:
        return values
    if not count_text.isdecimal() or not 1 <= int(count_text) <= MAX_UNITS:
        raise FormError("count", f"Enter how many (1 to {MAX_UNITS}).")
    return values * int(count_text)


def _choices():
    materials = db.session.scalars(select(Material).where(Material.active.is_(True)).order_by(Material.code)).all()
    bins = db.session.scalars(select(Location).where(Location.active.is_(True),
                                                     Location.kind.in_(("bin", "receiving", "cart")))
                              .order_by(Location.code)).all()
    customers = db.session.scalars(select(Customer).where(Customer.active.is_(True)).order_by(Customer.name)).all()
    return materials, bins, customers


def _bin(raw: str) -> Location:
    code = (raw or "").strip().upper().removeprefix(codes.BIN)[:40]
    if not code:
        raise FormError("bin", "Scan or choose the bin it goes into.")
    bin = db.session.scalar(select(Location).where(Location.code == code))
    if bin is None or not bin.active:
        raise FormError("bin", f"There is no bin {codes.BIN}{code}.")
    return bin


def _po_of(raw: str | None):
    """The purchase order the dock scanned (PO-3001), or None when receiving without one."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return purchasing.receivable_po(db.session, read_code(raw))
    except purchasing.PurchasingError as exc:
        raise FormError("po", exc.message) from None


def _po_line(po, raw: str | None):
    """The line a scan or choice names: its material's code (scanned from the bundle's tag) or its number."""
    code = read_code(raw)
    open_lines = [line for line in po.lines if line.status in ("sent", "partly_received")]
    if not code and len(open_lines) == 1:
        return open_lines[0]
    for line in open_lines:
        if code in (line.material.code.upper(), str(line.line_no)):
            return line
    if any(code in (line.material.code.upper(), str(line.line_no)) for line in po.lines):
        raise FormError("po_line", f"{code} on {po.barcode} is already received or cancelled.")
    raise FormError("po_line", f"{po.barcode} has no open line for “{code}”; scan or choose the material of one of its lines."
                    if code else f"Scan or choose which line of {po.barcode} arrived.")


@bp.route("/", methods=["GET", "POST"])
@receiving_roles
def receive():
    materials, bins, customers = _choices()
    errors: dict[str, str] = {}
    form = request.form if request.method == "POST" else request.args
    po = line = None
    try:
        po = _po_of(form.get("po"))
    except FormError as exc:
        errors[exc.field] = exc.message
    if request.method == "POST" and not errors:
        stored = None
        try:
            if po is not None:
                line = _po_line(po, form.get("po_line"))
                material = line.material
            else:
                material_id = (form.get("material_id") or "").strip()
                material = db.session.get(Material, int(material_id)) if material_id.isdecimal() and len(material_id) < 10 else None
            if material is None or not material.active:
                raise FormError("material_id", "Choose the material from the list.")
            heat = (form.get("heat_number") or "").strip()[:60]
            if not heat:
                raise FormError("heat_number", "Enter the heat number from the mill cert.")
            figures = millcerts.read_cert(form, lot_heat=heat, required=False)
            quantities = parse_quantities(form.get("count"), form.get("each"), material.unit)
            bin = _bin(form.get("bin"))
            customer_id = (form.get("customer_id") or "").strip()
            customer = db.session.get(Customer, int(customer_id)) if customer_id.isdecimal() and len(customer_id) < 10 else None
            if customer_id and customer is None:
                raise FormError("customer_id", "Choose the customer from the list.")
            upload = request.files.get("cert")
            cert = None
            if upload is not None and upload.filename:
                data = upload.read(current_app.config["MAX_CONTENT_LENGTH"] + 1)
                try:
                    cert = (check_cert(upload.filename, data), data)
                except CertRefused as exc:
                    raise FormError("cert", str(exc)) from None
            if line is not None:  # refused before anything is written
                purchasing.check_receipt(line, sum(quantities), current_app.config["SPEX_PO_OVER_TOLERANCE"])
            lot = production.receive_lot(
                db.session, material, heat, quantities, bin,
                supplier=po.vendor.name[:120] if po else (form.get("supplier") or "").strip()[:120],
                po_number=po.barcode if po else (form.get("po_number") or "").strip()[:60] or None,
                cert_reference=(form.get("cert_reference") or "").strip()[:120] or None,
                kind="plate" if material.form in ("plate", "sheet") else "bar",
                customer_id=customer.id if customer else None, user_id=current_user.id)
            if figures is not None:
                millcerts.enter_cert(db.session, lot, figures, current_user)
            else:
                millcerts.hold_if_outside(db.session, lot, current_user)
            if line is not None:
                purchasing.record_receipt(db.session, line, lot, sum(quantities),
                                          current_app.config["SPEX_PO_UNDER_TOLERANCE"], user_id=current_user.id)
            if cert is not None:
                stored = store_cert(current_app.config["SPEX_UPLOAD_DIR"], lot.id, cert[1], cert[0])
                lot.cert_filename = stored
            db.session.commit()
        except FormError as exc:
            db.session.rollback()
            errors[exc.field] = exc.message
        except LedgerError as exc:
            db.session.rollback()
            if stored:
                forget_file(current_app.config["SPEX_UPLOAD_DIR"], stored)
            errors["form"] = exc.message
        else:
            return redirect(url_for("receiving.received", number=lot.number))
    if po is not None and request.method == "GET":  # one open line needs no choosing
        try:
            line = _po_line(po, form.get("po_line"))
        except FormError as exc:
            if form.get("po_line"):
                errors[exc.field] = exc.message
    return render_template("receiving/receive.html", materials=materials, bins=bins, customers=customers,
                           errors=errors, form=form, cert_types=CERT_TYPES, mechanical=millcerts.MECHANICAL,
                           po=po, po_line=line), \
        (422 if errors else 200)


@bp.get("/lots/<number>")
@receiving_roles
def received(number: str):
    lot = db.session.scalar(select(MaterialLot).where(MaterialLot.number == number[:40])
                            .options(selectinload(MaterialLot.units), selectinload(MaterialLot.material)))
    if lot is None:
        return render_template("error.html", title="Not found", message=f"There is no lot {number[:40]}."), 404
    where = production.where_are(db.session, lot.units)
    receipt = db.session.scalar(select(PurchaseReceipt).where(PurchaseReceipt.lot_id == lot.id))
    return render_template("receiving/received.html", lot=lot, where=where, holds=open_holds(db.session, lot.id),
                           receipt=receipt)

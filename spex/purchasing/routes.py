"""Purchasing routes: thin — read the form, call spex.purchasing.orders / needs, render a page."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from spex import codes
from spex.auth import office_required
from spex.downloads import csv_response
from spex.extensions import db
from spex.forms import FormError, read_date, read_id
from spex.models import BUY_UNITS, PO_STATES, Material, PurchaseNeed, PurchaseOrder, PurchaseOrderLine, Vendor
from spex.models._types import QTY_DECIMALS
from spex.purchasing import bp
from spex.purchasing.needs import buy_list, by_supplier, day_words, order_from_buy_list
from spex.purchasing.orders import (LineRequest, PurchasingError, cancel_po, create_draft, edit_draft,
                                    lead_times_by_material, send_po)
from spex.purchasing.pdf import purchase_order_pdf

FORM_LINES = 6
FILTERS = {"open": ("draft", "sent", "partly_received"), "all": None, **{s: (s,) for s in PO_STATES}}


def _po(number: str) -> PurchaseOrder:
    number = number.upper().removeprefix(codes.PO)[:20]
    po = db.session.scalar(select(PurchaseOrder).where(PurchaseOrder.number == number).options(
        selectinload(PurchaseOrder.lines).selectinload(PurchaseOrderLine.receipts),
        selectinload(PurchaseOrder.lines).selectinload(PurchaseOrderLine.needs).selectinload(PurchaseNeed.job),
        selectinload(PurchaseOrder.vendor)))
    if po is None:
        abort(404)
    return po


def _orders(shown: str):
    stmt = (select(PurchaseOrder).options(selectinload(PurchaseOrder.vendor),
                                          selectinload(PurchaseOrder.lines).selectinload(PurchaseOrderLine.material))
            .order_by(PurchaseOrder.id.desc()))
    if FILTERS.get(shown):
        stmt = stmt.where(PurchaseOrder.status.in_(FILTERS[shown]))
    return db.session.scalars(stmt.limit(500)).all()


@bp.get("/")
@office_required
def orders():
    shown = request.args.get("status", "open")
    shown = shown if shown in FILTERS else "open"
    return render_template("purchasing/orders.html", orders=_orders(shown), shown=shown, filters=FILTERS,
                           states=PO_STATES)


@bp.get("/orders.csv")
@office_required
def orders_csv():
    shown = request.args.get("status", "all")
    rows = ([po.barcode, po.vendor.name, po.state_name, line.line_no, line.material.code, line.words,
             f"{line.ordered_qty}", f"{line.received_qty}", f"{line.open_qty}", line.material.unit,
             line.price if line.price is not None else "", line.due_date.isoformat(),
             po.sent_at.date().isoformat() if po.sent_at else "", line.status]
            for po in _orders(shown if shown in FILTERS else "all") for line in po.lines)
    return csv_response("purchase-orders.csv", ["PO", "supplier", "status", "line", "material", "ordered as",
                                                "ordered", "received", "on order", "unit", "price each",
                                                "due", "sent", "line status"], rows)


def _decimal(form, name: str, label: str, *, required: bool = True) -> Decimal | None:
    raw = (form.get(name) or "").strip()[:20]
    if not raw:
        if required:
            raise FormError(name, f"Enter {label}.")
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise FormError(name, f"{label.capitalize()} must be a number.") from None
    if not value.is_finite() or value <= 0 or value > 1_000_000:
        raise FormError(name, f"{label.capitalize()} must be more than zero and believable.")
    if value.as_tuple().exponent < -QTY_DECIMALS:
        raise FormError(name, f"{label.capitalize()} is kept to {QTY_DECIMALS} decimal places.")
    return value


def _read_order(form):
    vendor = db.session.get(Vendor, read_id(form, "vendor_id") or 0)
    if vendor is None or not vendor.active:
        raise FormError("vendor_id", "Choose the supplier from the list.")
    requests = []
    for n in range(1, FORM_LINES + 1):
        if not (form.get(f"material_id_{n}") or "").strip():
            continue
        material = db.session.get(Material, read_id(form, f"material_id_{n}") or 0)
        if material is None or not material.active:
            raise FormError(f"material_id_{n}", "Choose the material from the list.")
        unit = form.get(f"buy_unit_{n}") or ""
        if unit not in BUY_UNITS:
            raise FormError(f"buy_unit_{n}", "Choose what it is bought in.")
        count = _decimal(form, f"count_{n}", "how many")
        if unit in ("bar", "plate", "pcs") and count != count.to_integral_value():
            raise FormError(f"count_{n}", "Bars and plates are bought whole.")
        requests.append(LineRequest(material=material, count=count, buy_unit=unit,
                                    each_qty=_decimal(form, f"each_{n}", "the length or quantity of each",
                                                      required=False),
                                    price=_decimal(form, f"price_{n}", "the price", required=False),
                                    due_date=read_date(form, f"due_{n}", "the due date")))
    if not requests:
        raise FormError("material_id_1", "Add at least one line of material.")
    return vendor, requests, (form.get("notes") or "").strip()[:2000] or None


def _form_of(po: PurchaseOrder) -> dict:
    values = {"vendor_id": str(po.vendor_id), "notes": po.notes or ""}
    for line in po.lines:
        n = line.line_no
        values.update({f"material_id_{n}": str(line.material_id), f"buy_unit_{n}": line.buy_unit,
                       f"count_{n}": f"{line.count.normalize():f}", f"each_{n}": f"{line.each_qty.normalize():f}",
                       f"price_{n}": f"{line.price.normalize():f}" if line.price is not None else "",
                       f"due_{n}": line.due_date.isoformat()})
    return values


def _order_form(po: PurchaseOrder | None):
    errors: dict[str, str] = {}
    form = request.form if request.method == "POST" else (_form_of(po) if po else {})
    if request.method == "POST":
        try:
            vendor, requests, notes = _read_order(request.form)
            if po is None:
                po = create_draft(db.session, vendor, requests, user_id=current_user.id, notes=notes)
            else:
                edit_draft(db.session, po, vendor, requests, notes=notes)
            db.session.commit()
        except FormError as exc:
            db.session.rollback()
            errors[exc.field] = exc.message
        except PurchasingError as exc:
            db.session.rollback()
            errors["form"] = exc.message
        else:
            flash(f"Draft {po.barcode} saved for {po.vendor.name}.")
            return redirect(url_for("purchasing.order", number=po.number))
    vendors = db.session.scalars(select(Vendor).where(Vendor.active.is_(True)).order_by(Vendor.name)).all()
    materials = db.session.scalars(select(Material).where(Material.active.is_(True)).order_by(Material.code)).all()
    return render_template("purchasing/order_form.html", po=po, form=form, errors=errors, vendors=vendors,
                           materials=materials, units=BUY_UNITS, line_numbers=range(1, FORM_LINES + 1)), \
        (422 if errors else 200)


@bp.route("/new", methods=["GET", "POST"])
@office_required
def new_order():
    return _order_form(None)


@bp.route("/<number>/edit", methods=["GET", "POST"])
@office_required
def edit_order(number: str):
    po = _po(number)
    if po.status != "draft":
        return render_template("error.html", title="Not a draft",
                               message=f"{po.barcode} is {po.state_name.lower()}; only a draft can be edited."), 409
    return _order_form(po)


@bp.get("/<number>")
@office_required
def order(number: str):
    po = _po(number)
    return render_template("purchasing/order.html", po=po, day_words=day_words)


@bp.get("/<number>/po.pdf")
@office_required
def order_pdf(number: str):
    from spex.shipping.pdfdoc import pdf_response
    po = _po(number)
    return pdf_response(purchase_order_pdf(po, current_app.config["SPEX_SHOP_NAME"]), f"{po.barcode}.pdf")


def _act(number: str, action) -> tuple[PurchaseOrder, str | None]:
    po = _po(number)
    try:
        message = action(po)
        db.session.commit()
        return po, message
    except PurchasingError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return po, None


@bp.post("/<number>/send")
@office_required
def send_order(number: str):
    def send(po):
        send_po(db.session, po, user_id=current_user.id)
        return f"{po.barcode} sent to {po.vendor.name}: its lead time runs from today."
    po, message = _act(number, send)
    if message:
        flash(message)
    return redirect(url_for("purchasing.order", number=po.number))


@bp.post("/<number>/cancel")
@office_required
def cancel_order(number: str):
    def cancel(po):
        cancel_po(db.session, po, (request.form.get("reason") or "")[:200])
        return f"{po.barcode} cancelled: what has not arrived is no longer on order."
    po, message = _act(number, cancel)
    if message:
        flash(message)
    return redirect(url_for("purchasing.order", number=po.number))


# --- the buy list ---------------------------------------------------------------------------------

@bp.get("/buy")
@office_required
def buy():
    items = buy_list(db.session)
    lead_times = lead_times_by_material(db.session)
    return render_template("purchasing/buy.html", groups=by_supplier(items), lead_times=lead_times)


@bp.get("/buy.csv")
@office_required
def buy_csv():
    rows = ([item.supplier.name if item.supplier else "", item.material.code, item.material.label, item.words,
             f"{item.count.normalize():f}", item.buy_unit, f"{item.each.normalize():f}", f"{item.quantity}",
             item.material.unit, f"{item.on_order}", item.needed_by.isoformat() if item.needed_by else "",
             " ".join(sorted({n.job.number for n in item.needs})), item.reason]
            for item in buy_list(db.session))
    return csv_response("buy-list.csv", ["supplier", "material", "description", "order", "count", "bought as",
                                         "each", "quantity", "unit", "on order", "needed by", "jobs", "reason"], rows)


@bp.post("/buy/order")
@office_required
def buy_order():
    try:
        drafts, left = order_from_buy_list(db.session, buy_list(db.session), user_id=current_user.id)
        db.session.commit()
    except PurchasingError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("purchasing.buy"))
    if drafts:
        flash("Drafts made: " + ", ".join(f"{po.barcode} to {po.vendor.name}" for po in drafts) +
              ". Check each and send it.")
    if left:
        flash("No supplier on " + ", ".join(m.code for m in left) +
              ": give each its supplier on its material page, then make the PO.", "error")
    return redirect(url_for("purchasing.orders") if drafts else url_for("purchasing.buy"))

"""Shipping routes: thin — read the form, call the domain, render a page, a PDF or a CSV."""
from __future__ import annotations

import re

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from spex import codes, shoptime
from spex.auth import roles_required
from spex.extensions import db
from spex.forms import FormError, read_date, read_id, read_int
from spex.ledger import LedgerError
from spex.models import Customer, Release, Shipment
from spex.shipping import bp, documents, genealogy
from spex.shipping.certpack import cert_pack_pdf
from spex.shipping.csv_download import csv_response
from spex.shipping.pdfdoc import pdf_response
from spex.shipping.shipments import LineRequest, Pick, find_shipment, make_shipment, open_deliveries

# Who may open the shipping pages: shipping clerks make shipments (the domain checks "ship"),
# planners and admins read them and their documents.
shipping_pages = roles_required(codes.SHIPPING, codes.PLANNER)
PICK_FIELD = re.compile(r"^pick-([LR])(\d{1,9})-(\d{1,9})$")  # ids below the database integer limit
PAGE_SIZE = 100


@bp.get("/")
@shipping_pages
def index():
    shipments = _recent_shipments()
    return render_template("shipping/index.html", shipments=shipments)


def _recent_shipments():
    return db.session.scalars(select(Shipment).options(selectinload(Shipment.customer),
                                                       selectinload(Shipment.lines))
                              .order_by(Shipment.id.desc()).limit(PAGE_SIZE)).all()


@bp.get("/shipments.csv")
@shipping_pages
def shipments_csv():
    rows = [(s.barcode, s.ship_date.isoformat(), s.customer.name, s.quantity, s.carrier, s.tracking)
            for s in _recent_shipments()]
    return csv_response("shipments.csv", ("shipment", "date", "customer", "pieces", "carrier", "tracking"), rows)


@bp.route("/new", methods=["GET", "POST"])
@shipping_pages
def new_shipment():
    customers = db.session.scalars(select(Customer).where(Customer.active.is_(True)).order_by(Customer.name)).all()
    values = request.form if request.method == "POST" else request.args
    customer = db.session.get(Customer, read_id(values, "customer_id") or 0)
    error = None
    if request.method == "POST":
        try:
            if customer is None:
                raise FormError("customer_id", "Choose the customer.")
            shipment = make_shipment(
                db.session, customer, _line_requests(request.form), user=current_user,
                ship_date=read_date(request.form, "ship_date", "the ship date"),
                ship_to=(request.form.get("ship_to") or "")[:500], carrier=(request.form.get("carrier") or "")[:60],
                tracking=(request.form.get("tracking") or "")[:80])
            db.session.commit()
        except (FormError, LedgerError) as exc:
            db.session.rollback()
            error = exc.message
            customer = db.session.get(Customer, customer.id) if customer else None
        else:
            flash(f"Shipment {shipment.barcode} made: {shipment.quantity} pcs to {customer.name}.")
            return redirect(url_for("shipping.shipment", number=shipment.number))
    deliveries = open_deliveries(db.session, customer) if customer else []
    return render_template("shipping/new.html", customers=customers, customer=customer, deliveries=deliveries,
                           error=error, form=request.form, posted=request.method == "POST",
                           today=shoptime.today()), (422 if error else 200)


def _line_requests(form) -> list[LineRequest]:
    """The pieces typed against each delivery and lot: fields named pick-<L line | R release>-<lot id>."""
    requests: dict[tuple[str, int], LineRequest] = {}
    for name in form:
        match = PICK_FIELD.match(name)
        if not match:
            continue
        pieces = read_int(form, name, "the pieces to ship", low=0, high=codes.MAX_SCAN_QUANTITY, required=False)
        if not pieces:
            continue
        kind, ident, lot_id = match.group(1), int(match.group(2)), int(match.group(3))
        request_ = requests.get((kind, ident))
        if request_ is None:
            request_ = requests[(kind, ident)] = _request_for(kind, ident, name)
        request_.picks.append(Pick(lot_id, pieces))
    return list(requests.values())


def _request_for(kind: str, ident: int, name: str) -> LineRequest:
    if kind == "L":
        return LineRequest(order_line_id=ident)
    release = db.session.get(Release, ident)
    if release is None:
        raise FormError(name, "That release does not exist any more; reload the page.")
    return LineRequest(order_line_id=release.order_line_id, release_id=release.id)


def _shipment_or_404(number: str) -> Shipment:
    shipment = find_shipment(db.session, number)
    if shipment is None:
        abort(404)
    return shipment


@bp.get("/<number>")
@shipping_pages
def shipment(number: str):
    found = _shipment_or_404(number)
    heats = genealogy.heats_by_job(db.session, [p.fg_lot.job_id for line in found.lines for p in line.lots])
    return render_template("shipping/shipment.html", shipment=found, heats=heats, heat_words=genealogy.heat_words)


@bp.route("/<number>/edit", methods=["GET", "POST"])
@shipping_pages
def edit_shipment(number: str):
    """There is no editing a shipment: what left is on record. Say so rather than offer a form."""
    found = _shipment_or_404(number)
    message = (f"{found.barcode} is a record of what left the shop and is not edited. A correction "
               "is a new record saying who, when and why.")
    if request.method == "POST":
        db.session.rollback()
    return render_template("error.html", status=409, title="A shipment is not edited", message=message), 409


@bp.get("/<number>/packing-list.pdf")
@shipping_pages
def packing_list(number: str):
    found = _shipment_or_404(number)
    data = documents.packing_list_pdf(db.session, found, current_app.config["SPEX_SHOP_NAME"])
    return pdf_response(data, f"packing-list-{found.barcode}.pdf")


@bp.get("/<number>/cert-pack.pdf")
@shipping_pages
def cert_pack(number: str):
    found = _shipment_or_404(number)
    data = cert_pack_pdf(db.session, found, current_app.config["SPEX_UPLOAD_DIR"], current_app.config["SPEX_SHOP_NAME"])
    return pdf_response(data, f"cert-pack-{found.barcode}.pdf")

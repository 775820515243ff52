"""Carton routes: an FG lot's cartons, packing some of its pieces into new cartons, merging one back."""
from __future__ import annotations

import re

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from spex import ledger
from spex.extensions import db
from spex.labels.links import print_label_url
from spex.ledger import LedgerError
from spex.models import Location
from spex.shipping import bp, cartons
from spex.shipping.routes import shipping_pages

SIZES = re.compile(r"^\s*\d{1,6}(\s*[, ]\s*\d{1,6})*\s*$")


def _lot_or_404(code: str):
    lot = cartons.find_lot(db.session, code)
    if lot is None:
        abort(404)
    return lot


def _page(lot, error=None, sizes=""):
    place, on_hand = ledger.location_of(db.session, ledger.fg_item(lot.id))
    key = ledger.parse_key(place)
    bin = db.session.get(Location, key.id).barcode if key else None
    rows = [(carton, bin_, pieces, print_label_url(carton.barcode))
            for carton, bin_, pieces in cartons.cartons_of(db.session, lot)]
    return render_template("shipping/cartons.html", lot=lot, bin=bin, on_hand=int(on_hand), cartons=rows,
                           error=error, sizes=sizes, label_url=print_label_url(lot.barcode)), (422 if error else 200)


@bp.get("/lots/<code>/cartons")
@shipping_pages
def lot_cartons(code: str):
    return _page(_lot_or_404(code))


@bp.post("/lots/<code>/cartons")
@shipping_pages
def split_lot(code: str):
    lot = _lot_or_404(code)
    text = (request.form.get("sizes") or "")[:400]
    try:
        if not SIZES.match(text):
            raise LedgerError("Enter the pieces of each carton as whole numbers, e.g. 25, 25.")
        made = cartons.split_into_cartons(db.session, lot, [int(n) for n in re.split(r"[, ]+", text.strip())],
                                          user=current_user)
        db.session.commit()
    except LedgerError as exc:
        db.session.rollback()
        return _page(_lot_or_404(code), exc.message, text)
    flash(f"Packed {len(made)} carton(s) from {lot.barcode}: " + ", ".join(c.barcode for c in made) + ".")
    return redirect(url_for("shipping.lot_cartons", code=lot.code))


@bp.post("/lots/<code>/merge")
@shipping_pages
def merge_carton(code: str):
    carton = _lot_or_404(code)
    try:
        parent, pieces = cartons.merge_back(db.session, carton, user=current_user)
        db.session.commit()
    except LedgerError as exc:
        db.session.rollback()
        carton = _lot_or_404(code)
        return _page(carton.parent or carton, exc.message)
    flash(f"Merged {carton.barcode} back into {parent.barcode}: {pieces} pcs.")
    return redirect(url_for("shipping.lot_cartons", code=parent.code))



"""Material in: the lot page's forms — a mill cert's figures, an inspector's release of a receiving
hold, a correction of the lot's heat, material or supplier. Each answers with the lot page."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from spex import codes
from spex.auth import roles_required
from spex.extensions import db
from spex.forms import FormError
from spex.labels.links import print_label_url
from spex.materials import bp, millcerts, trace
from spex.materials.record import lot_record
from spex.models import CERT_TYPES, Material, MaterialLot
from sqlalchemy import select

CERT_ROLES = (codes.MATERIAL_HANDLER, codes.INSPECTOR, *codes.OFFICE_ROLES)
CORRECTION_ROLES = (codes.INSPECTOR, *codes.OFFICE_ROLES)


def lot_page_context(lot: MaterialLot) -> dict:
    """What the lot page shows besides its bars and ledger, and what its forms offer this user."""
    context = lot_record(db.session, lot)
    context.update(
        may_enter_cert=current_user.has_role(*CERT_ROLES),
        may_correct=current_user.has_role(*CORRECTION_ROLES),
        may_release=current_user.has_role(codes.INSPECTOR),
        cert_types=CERT_TYPES,
        mechanical=millcerts.MECHANICAL, trace_fields=trace.TRACE_FIELDS,
        materials=db.session.scalars(select(Material).where(Material.active.is_(True)).order_by(Material.code)).all()
        if current_user.has_role(*CORRECTION_ROLES) else [])
    return context


def _lot(number: str) -> MaterialLot:
    lot = db.session.scalar(select(MaterialLot).where(MaterialLot.number == number[:40]))
    if lot is None:
        abort(404)
    return lot


def _answer(lot: MaterialLot, message: str):
    flash(message)
    return redirect(url_for("wip.stock_unit", code=lot.number))


def _refused(lot: MaterialLot, errors: dict, open_form: str):
    """The lot page again, with the form that was refused open and its message; nothing was written."""
    db.session.rollback()
    from spex.wip import lookup
    info = lookup.stock_unit_page(db.session, lot.number)
    context = lot_page_context(info["lot"])
    return render_template("wip/stock_unit.html", label_url=print_label_url(f"{codes.LOT}{lot.number}"),
                           errors=errors, form=request.form, open_form=open_form, **info, **context), 422


@bp.post("/lots/<number>/cert")
@roles_required(*CERT_ROLES)
def enter_cert(number: str):
    lot = _lot(number)
    try:
        figures = millcerts.read_cert(request.form, lot_heat=lot.heat_number, required=True)
    except FormError as exc:
        return _refused(lot, {exc.field: exc.message}, "cert")
    _, hold = millcerts.enter_cert(db.session, lot, figures, current_user)
    db.session.commit()
    if hold is not None:
        return _answer(lot, f"Mill cert recorded. Lot {lot.number} is on receiving hold: {hold.reason}.")
    return _answer(lot, "Mill cert recorded.")


@bp.post("/lots/<number>/release")
@roles_required(codes.INSPECTOR)
def release_hold(number: str):
    lot = _lot(number)
    try:
        millcerts.release(db.session, lot, current_user, request.form.get("reason"))
    except millcerts.ReleaseRefused as exc:
        return _refused(lot, {"release_reason": str(exc)}, "release")
    db.session.commit()
    return _answer(lot, f"Lot {lot.number} released from receiving hold; its bars may be pulled.")


@bp.post("/lots/<number>/correct")
@roles_required(*CORRECTION_ROLES)
def correct(number: str):
    lot = _lot(number)
    field = request.form.get("field", "")
    value = request.form.get("material_id" if field == "material_id" else "value")
    try:
        correction = trace.correct_lot(db.session, lot, field, value, request.form.get("reason"), current_user)
    except trace.TraceError as exc:
        return _refused(lot, {f"correct_{exc.field}": exc.message}, "correct")
    # A new heat or material is held against the cert and the limits again.
    hold = millcerts.hold_if_outside(db.session, lot, current_user)
    db.session.commit()
    message = f"{trace.TRACE_FIELDS[field]} of lot {lot.number} corrected: {correction.old_value} → {correction.new_value}."
    if hold is not None:
        message += f" The lot is now on receiving hold: {hold.reason}."
    return _answer(lot, message)

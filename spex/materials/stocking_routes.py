"""Material in: the planner's page of customer material-stocking agreements, its forms and its CSV."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from spex.auth import office_required
from spex.downloads import csv_response
from spex.extensions import db
from spex.forms import FormError, read_id, read_int
from spex.materials import bp, stocking
from spex.models import Customer, Material, StockingProgram, StockUnit
from spex import codes, ledger


def _page(errors=None, form=None, status=200):
    session = db.session
    return render_template(
        "materials/stocking.html", agreements=stocking.agreements(session), errors=errors or {}, form=form or {},
        customers=session.scalars(select(Customer).where(Customer.active.is_(True)).order_by(Customer.name)).all(),
        materials=session.scalars(select(Material).where(Material.active.is_(True)).order_by(Material.code)).all(),
    ), status


def _refused(field: str, message: str):
    db.session.rollback()
    return _page({field: message}, request.form, 422)


@bp.get("/stocking")
@office_required
def stocking_page():
    return _page()


@bp.post("/stocking")
@office_required
def save_agreement():
    try:
        customer_id, material_id = read_id(request.form, "customer_id"), read_id(request.form, "material_id")
        minimum = read_int(request.form, "minimum", "the minimum number of bars", high=stocking.MINIMUM_MOST)
        stocking.save_agreement(db.session, db.session.get(Customer, customer_id) if customer_id else None,
                                db.session.get(Material, material_id) if material_id else None, minimum,
                                user=current_user)
    except (FormError, stocking.StockingError) as exc:
        return _refused(exc.field, exc.message)
    db.session.commit()
    flash("Stocking agreement saved.")
    return redirect(url_for(".stocking_page"))


@bp.post("/stocking/<int:program_id>/end")
@office_required
def end_agreement(program_id: int):
    program = db.session.get(StockingProgram, program_id)
    if program is None or program.kind != stocking.MATERIAL or not program.active:
        abort(404)
    stocking.end_agreement(db.session, program, user=current_user)
    db.session.commit()
    flash(f"Agreement with {program.customer.name} for {program.material.code} ended; its lots stay held until released.")
    return redirect(url_for(".stocking_page"))


@bp.post("/stocking/release")
@office_required
def release_bar():
    raw = (request.form.get("unit") or "").strip().upper()
    code = raw[len(codes.LOT):] if raw.startswith(codes.LOT) else raw
    unit = db.session.scalar(select(StockUnit).where(StockUnit.code == code[:40])) if code else None
    try:
        release = stocking.release_bar(db.session, unit, request.form.get("reason", ""), user=current_user)
    except stocking.StockingError as exc:
        return _refused(exc.field, exc.message)
    db.session.commit()
    flash(f"{unit.barcode} released: it may now go to any customer's job.")
    return redirect(url_for(".stocking_page") + f"#release-{release.id}")


@bp.get("/stocking.csv")
@office_required
def stocking_csv():
    rows = [(a.program.customer.name, a.program.material.code, a.minimum, a.held, ledger.format_qty(a.held_quantity),
             a.program.material.unit, a.short, " ".join(bar.unit.barcode for bar in a.bars))
            for a in stocking.agreements(db.session)]
    return csv_response("stocking-agreements.csv", ["Customer", "Material", "Minimum bars", "Held bars", "Held quantity",
                                                    "Unit", "Bars short", "Held bars' codes"], rows)

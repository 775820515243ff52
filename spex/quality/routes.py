"""Quality routes: the NCR list (filters, CSV) and one NCR's page where an inspector records cause,
disposition and corrective action, and closes it. Thin: read the form, call the domain."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from spex import codes
from spex.auth import roles_required
from spex.downloads import csv_response
from spex.extensions import db
from spex.ledger import LedgerError
from spex.quality import inspection, ncrs

bp = Blueprint("quality", __name__, template_folder="templates", url_prefix="/quality")
quality_required = roles_required(codes.INSPECTOR, codes.PLANNER)
ACTIONS = ("cause", "disposition", "close")


@bp.get("/ncrs")
@quality_required
def ncr_list():
    filters = ncrs.Filters.from_args(request.args)
    return render_template("quality/ncrs.html", ncrs=ncrs.listed(db.session, filters), filters=filters,
                           statuses=ncrs.STATUSES)


def _when(value) -> str:
    return value.isoformat(timespec="minutes") if value else ""


def _name(user) -> str:
    return user.name if user else ""


@bp.get("/ncrs.csv")
@quality_required
def ncr_csv():
    filters = ncrs.Filters.from_args(request.args)
    rows = ([n.number, n.status, n.part.number, n.part.rev, n.job.number, n.operation.seq, n.quantity, n.problem,
             _name(n.found_by), _when(n.found_at), n.cause or "", codes.NCR_CAUSES.get(n.cause, "") if n.cause else "",
             n.cause_note or "", codes.DISPOSITIONS.get(n.disposition, "") if n.disposition else "",
             _name(n.decided_by), _when(n.decided_at), n.corrective_action or "", _name(n.closed_by),
             _when(n.closed_at)]
            for n in ncrs.listed(db.session, filters, limit=100_000))
    return csv_response("ncrs.csv", ["NCR", "status", "part", "rev", "job", "op", "quantity", "what is wrong",
                                     "found by", "found at", "cause code", "cause", "cause note", "disposition",
                                     "decided by", "decided at", "corrective action", "closed by", "closed at"], rows)


@bp.route("/ncrs/<number>", methods=["GET", "POST"])
@quality_required
def ncr_page(number: str):
    ncr = ncrs.find(db.session, number)
    if ncr is None:
        abort(404)
    error = None
    if request.method == "POST":
        action, form = request.form.get("action", ""), request.form
        if action not in ACTIONS:
            abort(400)
        try:
            if action == "cause":
                ncrs.record_cause(db.session, ncr, form.get("cause", ""), form.get("cause_note"), user=current_user)
            elif action == "disposition":
                inspection.decide(db.session, ncr, form.get("disposition", ""), form.get("disposition_note"),
                                  user=current_user, rework_target=form.get("rework_target"))
            else:
                ncrs.close(db.session, ncr, form.get("corrective_action"), user=current_user)
            db.session.commit()
        except LedgerError as exc:
            db.session.rollback()
            error = exc.message
            ncr = ncrs.find(db.session, number)
        else:
            flash(_done(ncr, action))
            return redirect(url_for("quality.ncr_page", number=ncr.number))
    return render_template("quality/ncr.html", ncr=ncr, error=error, causes=codes.NCR_CAUSES,
                           dispositions=codes.DISPOSITIONS,
                           rework_targets=inspection.rework_targets(ncr) if ncr.hold.is_open else []), \
        (422 if error else 200)


def _done(ncr, action: str) -> str:
    if action == "cause":
        return f"{ncr.number}: cause recorded."
    if action == "disposition":
        where = ncr.hold.rework_operation
        at = f" at op {where.seq}" if ncr.disposition == codes.REWORK and where is not None else ""
        return f"{ncr.number}: {codes.DISPOSITIONS[ncr.disposition].lower()}{at}; the hold is released."
    return f"{ncr.number} closed."

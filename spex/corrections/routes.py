"""Correction routes: one entry, what depends on it, and the form that reverses it with a reason."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from spex.auth import _safe_next, roles_required
from spex.corrections import bp
from spex.corrections.reverse import CORRECTABLE, CORRECTORS, CorrectionRefused, built_on, describe, reverse_entry
from spex.extensions import db
from spex.models import Job, LedgerEntry

correctors_required = roles_required(*CORRECTORS)


@bp.app_context_processor
def _correctable():
    """Histories offer "Reverse…" only on the kinds of entry a correction may reverse."""
    return {"correctable_kinds": CORRECTABLE}


def _back(entry: LedgerEntry) -> str:
    if request.values.get("next"):
        return _safe_next(request.values.get("next"))
    if entry.job_id:
        number = db.session.scalar(select(Job.number).where(Job.id == entry.job_id))
        return url_for("wip.job_page", number=number)
    return url_for("home.index")


@bp.route("/entries/<int:entry_id>", methods=["GET", "POST"])
@correctors_required
def correct(entry_id: int):
    entry = db.session.get(LedgerEntry, entry_id)
    if entry is None:
        abort(404)
    error = None
    if request.method == "POST":
        try:
            done = reverse_entry(db.session, entry, user=current_user, reason=request.form.get("reason"))
            db.session.commit()
        except CorrectionRefused as exc:
            db.session.rollback()
            error = exc.message
            entry = db.session.get(LedgerEntry, entry_id)
        else:
            flash(f"Entry #{entry.id} reversed by " + ", ".join(f"#{r.id}" for r in done.reversals)
                  + f": {done.reason}.")
            return redirect(_back(entry))
    reversed_by = db.session.scalar(select(LedgerEntry.id).where(LedgerEntry.reverses_id == entry.id))
    dependents = [describe(db.session, d) for d in built_on(db.session, entry)[:10]]
    return render_template("corrections/correct.html", entry=entry, summary=describe(db.session, entry),
                           error=error, reversed_by=reversed_by, dependents=dependents,
                           back=_back(entry), next_url=request.values.get("next", "")), (422 if error else 200)

"""Planning routes for changing a plan: a job's quantity, due date and priority, split, cancel and
close short; an order line's releases and its cancellation. Thin: read the form, call the domain."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from spex import ledger
from spex.auth import office_required
from spex.extensions import db
from spex.forms import FormError, read_date, read_id, read_int
from spex.models import Location, OrderLine, PlanChange, Release
from spex.planning import bp, changes
from spex.production import PlanningError
from spex.wip import status

ACTIONS = ("edit", "split", "cancel", "close")


def _job_or_404(number: str):
    job = status.find_job(db.session, number)
    if job is None:
        abort(404)
    return job


def _bins():
    return db.session.scalars(select(Location).where(Location.active.is_(True),
                                                     Location.kind.in_(("bin", "cart", "inspection", "fg")))
                              .order_by(Location.code)).all()


def _waiting_ops(job) -> list[tuple[int, int]]:
    """(seq, pieces waiting) of the job's operations that have pieces waiting: what a split can take
    (not a rework operation's: those pieces stay with their report)."""
    found = []
    for op in job.operations:
        if op.is_rework:
            continue
        waiting = int(ledger.balance(db.session, ledger.job_item(job.id), ledger.at_operation(op.id)))
        if waiting:
            found.append((op.seq, waiting))
    return found


def _apply(job, action: str, form) -> str:
    reason = (form.get("reason") or "")[:500]
    if action == "edit":
        quantity = read_int(form, "quantity", "the quantity", high=1_000_000)
        due = read_date(form, "due_date", "the due date")
        priority = read_int(form, "priority", "the priority", low=0, high=changes.MAX_PRIORITY)
        made = changes.edit_job(db.session, job, user=current_user, quantity=quantity, due_date=due,
                                priority=priority, reason=reason)
        return (f"Job {job.number}: " + "; ".join(f"{c.what} {c.old_value} → {c.new_value}" for c in made) + "."
                if made else f"Job {job.number}: nothing changed.")
    if action == "split":
        pieces = read_int(form, "pieces", "the pieces to split off", high=1_000_000)
        seq = read_int(form, "seq", "the operation", high=10_000, required=job.status == "released")
        due = read_date(form, "split_due_date", "the new job's due date", required=False)
        new = changes.split_job(db.session, job, pieces, user=current_user, seq=seq, due_date=due, reason=reason)
        return f"Job {new.number} split from {job.number} with {pieces} pcs; {job.number} keeps {job.quantity}."
    if action == "cancel":
        changes.cancel_job(db.session, job, user=current_user, reason=reason)
        return f"Job {job.number} cancelled."
    disposal = form.get("disposal", "")
    bin_id = read_id(form, "bin_id")
    bin = db.session.get(Location, bin_id) if bin_id else None
    changes.close_short(db.session, job, user=current_user, disposal=disposal, reason=reason, bin=bin)
    return f"Job {job.number} closed short."


@bp.route("/jobs/<number>/change", methods=["GET", "POST"])
@office_required
def change_job(number: str):
    job = _job_or_404(number)
    error, failed = None, None
    if request.method == "POST":
        action = request.form.get("action", "")
        if action not in ACTIONS:
            abort(400)
        try:
            message = _apply(job, action, request.form)
            db.session.commit()
        except (FormError, PlanningError) as exc:
            db.session.rollback()
            error, failed = exc.message, action
        else:
            flash(message)
            return redirect(url_for("wip.job_page", number=job.number))
        job = _job_or_404(number)
    return render_template("planning/job_change.html", job=job, error=error, failed=failed, form=request.form,
                           waiting=_waiting_ops(job), bins=_bins(), disposals=changes.CLOSE_DISPOSALS,
                           history=changes.changes_of_job(db.session, job)), (422 if error else 200)


@bp.route("/orders/lines/<int:line_id>/change", methods=["GET", "POST"])
@office_required
def change_line(line_id: int):
    line = db.session.get(OrderLine, line_id)
    if line is None:
        abort(404)
    error = None
    if request.method == "POST":
        form = request.form
        try:
            if form.get("action") == "cancel":
                changes.cancel_line(db.session, line, user=current_user, reason=form.get("reason"))
                message = f"{line.order.number} line {line.line_no} cancelled."
            else:
                release = db.session.get(Release, read_id(form, "release_id") or 0)
                if release is None or release.order_line_id != line.id:
                    raise FormError("release_id", "Choose a release of this line.")
                made = changes.edit_release(db.session, release, user=current_user,
                                            quantity=read_int(form, "quantity", "the quantity"),
                                            due_date=read_date(form, "due_date", "the due date"),
                                            reason=form.get("reason"))
                message = ("; ".join(f"{c.what} {c.old_value} → {c.new_value}" for c in made) or "Nothing changed") + "."
            db.session.commit()
        except (FormError, PlanningError) as exc:
            db.session.rollback()
            error = exc.message
        else:
            flash(message)
            return redirect(url_for("planning.change_line", line_id=line.id))
        line = db.session.get(OrderLine, line_id)
    history = db.session.scalars(select(PlanChange).where(PlanChange.order_line_id == line.id)
                                 .order_by(PlanChange.id.desc())).all()
    return render_template("planning/line_change.html", line=line, error=error, history=history), \
        (422 if error else 200)

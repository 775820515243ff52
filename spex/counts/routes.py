"""Counts pages: the counts (those waiting for approval first, then those left unfinished for a
planner to cancel), one count's variance with the planner's approve / reject, and the schedule of
bins due. Thin: read the form, call the domain."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from spex import codes, ledger
from spex.auth import roles_required
from spex.config import DEFAULT_COUNT_DAYS, DEFAULT_COUNT_STALE_HOURS
from spex.counts import counting, schedule
from spex.downloads import csv_response
from spex.extensions import db
from spex.models import Count

bp = Blueprint("counts", __name__, template_folder="templates", url_prefix="/counts")
viewers_required = roles_required(*codes.COUNT_VIEWERS)
approvers_required = roles_required(*codes.COUNT_APPROVERS)


@bp.app_template_filter("count_status")
def _status(status: str) -> str:
    return counting.STATUS_NAMES.get(status, status)


@bp.app_template_filter("variance_words")
def _variance(line) -> str:
    return "right" if line.is_right else counting.variance_words(line)


@bp.get("/")
@viewers_required
def index():
    return _index()


def _index(error: str | None = None, status: int = 200):
    hours = _stale_hours()
    return render_template("counts/counts.html", waiting=counting.waiting(db.session),
                           unfinished=counting.unfinished(db.session, timedelta(hours=hours)), stale_hours=hours,
                           cancelled=counting.cancelled(db.session), counts=counting.finished(db.session),
                           error=error), status


@bp.post("/<int:count_id>/cancel")
@approvers_required
def cancel(count_id: int):
    count = db.session.get(Count, count_id)
    if count is None:
        abort(404)
    try:
        counting.cancel(db.session, count, user=current_user, note=request.form.get("note", ""))
    except counting.CountError as exc:
        db.session.rollback()
        return _index(exc.message, 422)
    db.session.commit()
    flash(f"{count.number} of {count.location.barcode} cancelled: nothing was adjusted; "
          f"a new count of the bin starts with {codes.CMD_COUNT}.")
    return redirect(url_for("counts.index"))


@bp.get("/counts.csv")
@viewers_required
def counts_csv():
    rows = ([c.id, c.location.barcode, c.status, c.finished_at.isoformat(timespec="minutes"),
             c.counted_by.name if c.counted_by else "", line.barcode, line.unit, ledger.format_qty(line.expected),
             "" if line.counted is None else ledger.format_qty(line.counted), ledger.format_qty(line.difference),
             line.booked_location.barcode if line.booked_location else "", "yes" if line.is_right else "no"]
            for c in counting.finished(db.session, limit=100_000) for line in c.lines)
    return csv_response("counts.csv", ["count", "bin", "status", "finished", "counted by", "unit", "uom", "expected",
                                       "counted", "difference", "books had it in", "right"], rows)


@bp.get("/<int:count_id>")
@viewers_required
def count_page(count_id: int):
    return render_template("counts/count.html", count=_count(count_id), error=None)


@bp.post("/<int:count_id>/approve")
@approvers_required
def approve(count_id: int):
    count = _count(count_id)
    try:
        entries = counting.approve(db.session, count, user=current_user, note=request.form.get("note", ""))
    except counting.CountError as exc:
        return _refused(count_id, exc.message)
    db.session.commit()
    flash(f"{count.number} approved: {len(entries)} ADJUST entr{'y' if len(entries) == 1 else 'ies'} written.")
    return redirect(url_for("counts.count_page", count_id=count_id))


@bp.post("/<int:count_id>/reject")
@approvers_required
def reject(count_id: int):
    count = _count(count_id)
    try:
        counting.reject(db.session, count, user=current_user, note=request.form.get("note", ""))
    except counting.CountError as exc:
        return _refused(count_id, exc.message)
    db.session.commit()
    flash(f"{count.number} rejected: the books are unchanged; count {count.location.barcode} again.")
    return redirect(url_for("counts.count_page", count_id=count_id))


@bp.get("/schedule")
@viewers_required
def schedule_page():
    rows = schedule.schedule(db.session, _days())
    return render_template("counts/schedule.html", due=[r for r in rows if r.is_due],
                           later=[r for r in rows if not r.is_due], days=_days())


@bp.get("/schedule.csv")
@viewers_required
def schedule_csv():
    rows = ([r.location.barcode, r.location.kind, r.abc, f"{r.value:.2f}", r.units,
             r.last_counted.isoformat() if r.last_counted else "never", r.due.isoformat()]
            for r in schedule.due(db.session, _days()))
    return csv_response("count-schedule.csv", ["bin", "kind", "ABC", "value", "units", "last counted", "due"], rows)


def _days() -> dict[str, int]:
    return {**DEFAULT_COUNT_DAYS, **(current_app.config.get("SPEX_COUNT_DAYS") or {})}


def _stale_hours() -> int:
    return int(current_app.config.get("SPEX_COUNT_STALE_HOURS") or DEFAULT_COUNT_STALE_HOURS)


def _count(count_id: int) -> Count:
    count = db.session.get(Count, count_id)
    if count is None or count.status in ("counting", counting.CANCELLED):
        abort(404)
    return count


def _refused(count_id: int, message: str):
    db.session.rollback()
    return render_template("counts/count.html", count=_count(count_id), error=message), 422

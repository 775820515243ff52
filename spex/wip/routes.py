"""WIP routes: the board (office and kiosk), its polled fragment, the job page, search and small read-only pages.

Why polling and not server-sent events: a wall board polled by htmx every few seconds is one
short request that any worker answers (gunicorn sync workers are not held open per TV), it
survives a server restart or a network blip with no reconnect logic beyond "try again in three
seconds", and an unchanged board costs one small query and a 204. See bench/README.md.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, replace

from flask import (abort, current_app, jsonify, make_response, redirect, render_template, request,
                   send_from_directory, url_for)
from flask_login import current_user, login_required

from spex.metrics.material import actual_job_yield, planned_part_yield
from spex.planning.cutplan import plan_of
from spex import codes, config, shoptime
from spex.extensions import db
from spex.shipping.held import safety_short_count
from spex.labels.links import job_links, print_label_url
from spex.masters import certs
from spex.models import utcnow
from spex.planning.changes import changes_of_job
from spex.wip import bp, lookup, status
from spex.wip import kiosk as board_access
from spex.wip.board import (BoardRow, board_version, etag_for, filter_jobs, group_rows, paginate,
                             split_unreleased)
from spex.wip.cache import aged, open_board

GROUPS = {"": "Most urgent first", "wc": "By work center", "customer": "By customer"}
# Unreleased jobs named on the board's bottom line; more are counted ("+12 more").
UNRELEASED_NAMED = 8
BOARD_DEFAULTS = {"SPEX_BOARD_ROWS": config.BOARD_ROWS, "SPEX_BOARD_PAGE_SECONDS": config.BOARD_PAGE_SECONDS,
                  "SPEX_BOARD_POLL_SECONDS": config.BOARD_POLL_SECONDS}


def _setting(name: str) -> int:
    default = BOARD_DEFAULTS[name]
    try:
        return max(1, int(current_app.config.get(name, default)))
    except (TypeError, ValueError):
        return default


@dataclass
class BoardView:
    """What one screen asked to see, from its query string; anything odd falls back to the default."""
    group: str
    work_center: str
    customer: str
    page: int | None
    token: str | None

    @classmethod
    def from_args(cls, args) -> "BoardView":
        group = args.get("group", "")
        page = args.get("page", "")
        return cls(group=group if group in GROUPS else "",
                   work_center=args.get("wc", "").strip()[:40],
                   customer=args.get("customer", "").strip()[:40],
                   page=int(page) if page.isdecimal() and 0 < int(page) < 10_000 else None,
                   token=args.get("token") or None)

    def query(self, **extra) -> dict:
        """The screen's choices as query values: never the board token (the kiosk keeps it in a cookie)."""
        values = {"group": self.group, "wc": self.work_center, "customer": self.customer,
                  "page": self.page, **extra}
        return {k: v for k, v in values.items() if v}

    @property
    def key(self) -> str:
        return f"{self.group}|{self.work_center}|{self.customer}|{self.page}"

    @property
    def title(self) -> str:
        parts = [p for p in (self.work_center, self.customer) if p]
        return " · ".join(parts) if parts else "All open jobs"


def _may_view_board(view: BoardView) -> bool:
    # The token in the address is still taken here: a kiosk that loaded its page before the board
    # kept the token in a cookie polls with it until the page is next loaded.
    return current_user.is_authenticated or board_access.allowed() or board_access.token_matches(view.token)


def _board_context(view: BoardView, kiosk: bool):
    """Everything the board fragment shows, and the version token a screen sends back to skip a repaint."""
    now = utcnow()
    version = board_version(db.session)
    jobs = filter_jobs(open_board(db.session, now=now, version=version), work_center=view.work_center,
                       customer=view.customer)
    released, unreleased = split_unreleased(jobs)
    rows = _setting("SPEX_BOARD_ROWS")
    pages = paginate(group_rows(released, view.group), rows)
    page_seconds = _setting("SPEX_BOARD_PAGE_SECONDS")
    slot = int(now.timestamp() // page_seconds)
    if not kiosk and view.page is None:
        # The office board stays on the page a person is reading; only the wall turns its pages.
        view = replace(view, page=1)
    if view.page is not None:
        index = min(view.page, len(pages)) - 1
    else:
        index = slot % len(pages)
    etag = _etag(version, now, view, slot, len(pages))
    poll_url = url_for("wip.board_rows", **view.query(kiosk=1 if kiosk else None, pages=len(pages), v=etag))
    pager = None
    if not kiosk and len(pages) > 1:
        pager = {"previous": url_for("wip.board", **view.query(page=index)) if index > 0 else None,
                 "next": url_for("wip.board", **view.query(page=index + 2)) if index + 1 < len(pages) else None}
    # Only the rows on this screen are aged now: the kept jobs carry the ages of their load.
    shown = [BoardRow(heading=row.heading, job=aged(row.job, now) if row.job else None) for row in pages[index]]
    return {
        "view": view, "rows": shown, "page_number": index + 1, "page_count": len(pages),
        "pager": pager,
        "unreleased": unreleased[:UNRELEASED_NAMED], "unreleased_more": max(0, len(unreleased) - UNRELEASED_NAMED),
        "job_count": len(jobs), "late_count": sum(1 for j in jobs if j.risk == "late"),
        "held_count": sum(1 for j in jobs if j.holds), "vendor_count": sum(1 for j in jobs if j.shipments),
        "poll_url": poll_url, "poll_seconds": _setting("SPEX_BOARD_POLL_SECONDS"),
        "page_seconds": page_seconds, "etag": etag, "kiosk": kiosk, "today": shoptime.local_date(now),
        "groups": GROUPS,
        "safety_short_count": safety_short_count(db.session),
    }


def _etag(version: str, now, view: BoardView, slot: int, page_count: int) -> str:
    # The minute makes ageing colours and overdue flags move on a quiet board; the page slot only
    # matters when the board rotates through more than one page.
    rotating = view.page is None and page_count > 1
    return etag_for(version, now.strftime("%Y%m%d%H%M"), view.key, slot if rotating else 0, page_count)


@bp.route("/board")
@login_required
def board():
    view = BoardView.from_args(request.args)
    return render_template("wip/board.html", **_board_context(view, kiosk=False))


@bp.route("/board/kiosk")
def board_kiosk():
    view = BoardView.from_args(request.args)
    if view.token is not None:
        # The address with the token is opened once: the token goes into a cookie and the screen on
        # to the same board without it, which the address bar and the board's history entry show.
        if not board_access.token_matches(view.token):
            return render_template("wip/kiosk_denied.html", wrong_token=True), 403
        response = board_access.remember(redirect(url_for("wip.board_kiosk", **view.query())))
        response.headers["Cache-Control"] = "no-store"
        return response
    if not board_access.allowed():
        return render_template("wip/kiosk_denied.html", wrong_token=False), 403
    response = make_response(render_template("wip/kiosk.html", **_board_context(view, kiosk=True)))
    return board_access.remember(response) if board_access.has_cookie() else response


@bp.route("/board/rows")
def board_rows():
    """The polled fragment. 204 (htmx keeps what it shows) or 304 when nothing changed."""
    view = BoardView.from_args(request.args)
    if not _may_view_board(view):
        # Not a redirect: htmx would follow it and paint the login page onto the wall.
        return "Sign in again or check the board token.", 401
    now = utcnow()
    seen = request.args.get("v", "")
    pages_seen = request.args.get("pages", "")
    if pages_seen.isdecimal() and (seen or request.if_none_match):
        version = board_version(db.session)
        page_seconds = _setting("SPEX_BOARD_PAGE_SECONDS")
        if request.args.get("kiosk") != "1" and view.page is None:
            view = replace(view, page=1)  # as _board_context does for the office board
        etag = _etag(version, now, view, int(now.timestamp() // page_seconds), int(pages_seen))
        if etag == seen:
            response = make_response("", 204)
            response.set_etag(etag)
            return response
        if etag in request.if_none_match:
            response = make_response("", 304)
            response.set_etag(etag)
            return response
    context = _board_context(view, kiosk=request.args.get("kiosk") == "1")
    response = make_response(render_template("wip/_board.html", **context))
    response.set_etag(context["etag"])
    response.headers["Cache-Control"] = "no-cache"
    return response


# --- job page ------------------------------------------------------------------------------

HISTORY_PAGE_SIZE = 25


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes["application/json"] > request.accept_mimetypes["text/html"]


@bp.route("/jobs/<number>.json")
@login_required
def job_json(number: str):
    job = status.find_job(db.session, number)
    if job is None:
        return jsonify(error="Not found", message=f"There is no job {number}."), 404
    return jsonify(status.job_status(db.session, job))


@bp.route("/jobs/<number>")
@login_required
def job_page(number: str):
    if number.endswith(".json"):
        return job_json(number[:-5])
    job = status.find_job(db.session, number)
    if _wants_json():
        if job is None:
            return jsonify(error="Not found", message=f"There is no job {number}."), 404
        return jsonify(status.job_status(db.session, job))
    if job is None:
        return render_template("wip/not_found.html", code=number,
                               message=f"There is no job {number}."), 404
    page = _page_arg()
    history = status.job_history(db.session, job, page=page, per_page=HISTORY_PAGE_SIZE)
    if request.htmx and request.args.get("part") == "history":
        return render_template("wip/_history.html", job=job, history=history)
    summary = status.job_status(db.session, job)
    return render_template("wip/job.html", job=job, s=summary, history=history,
                           plan_changes=changes_of_job(db.session, job), cut_plan=plan_of(db.session, job),
                           actual_yield=actual_job_yield(db.session, job), part_yield=planned_part_yield(job.part),
                           links=job_links(job.number, bool(summary["finished_goods"]),
                                           [op["seq"] for op in summary["operations"] if op["kind"] == "outside"]))


@bp.route("/jobs/<number>/receipts/<int:receipt_id>/coc")
@login_required
def receipt_coc(number: str, receipt_id: int):
    """The vendor's certificate of conformance that came back with a receipt, for anyone signed in."""
    job = status.find_job(db.session, number)
    receipt = status.receipt_of(db.session, job, receipt_id) if job is not None else None
    if receipt is None or not receipt.coc_filename:
        abort(404)
    stored = receipt.coc_filename
    # Only a checked PDF, PNG or JPEG opens in the browser; anything older is a download, never rendered.
    mimetype = certs.mime_type(stored)
    extension = stored.rsplit(".", 1)[-1].lower() if "." in stored else "bin"
    # send_from_directory refuses any name that would leave the CoC folder.
    response = send_from_directory(os.path.join(current_app.config["SPEX_UPLOAD_DIR"], certs.COC_FOLDER), stored,
                                   mimetype=mimetype or "application/octet-stream", as_attachment=mimetype is None,
                                   download_name=f"coc-job-{job.number}-receipt-{receipt.id}.{extension}")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


def _page_arg() -> int:
    value = request.args.get("page", "1")
    return int(value) if value.isdecimal() and 0 < int(value) < 100_000 else 1


# --- search and the small read-only pages --------------------------------------------------------

@bp.route("/search")
@login_required
def search():
    raw = request.args.get("q", "")
    if not raw.strip():
        return render_template("wip/search.html", q="", message=None)
    found = lookup.find(db.session, raw)
    if found.endpoint:
        return redirect(url_for(found.endpoint, **found.args) + (found.anchor or ""))
    return render_template("wip/search.html", q=raw[:80], message=found.message), 404


@bp.route("/units/<code>")
@login_required
def stock_unit(code: str):
    info = lookup.stock_unit_page(db.session, code)
    if info is None:
        return render_template("wip/not_found.html", code=code, message=f"There is no bar, plate or lot {code}."), 404
    code = info["unit"].barcode if info["unit"] else f"{codes.LOT}{info['lot'].number}"
    from spex.materials.routes import lot_page_context
    return render_template("wip/stock_unit.html", label_url=print_label_url(code), errors={}, form={},
                           **info, **lot_page_context(info["lot"]))


@bp.route("/units/<code>/cert")
@login_required
def lot_cert(code: str):
    from flask import send_from_directory
    lot = lookup.lot_of(db.session, code)
    if lot is None or not lot.cert_filename:
        abort(404)
    return send_from_directory(current_app.config["SPEX_UPLOAD_DIR"], lot.cert_filename)


@bp.route("/fg/<code>")
@login_required
def fg_lot(code: str):
    info = lookup.fg_lot_page(db.session, code)
    if info is None:
        return render_template("wip/not_found.html", code=code, message=f"There is no finished-goods lot {code}."), 404
    return render_template("wip/fg_lot.html", label_url=print_label_url(info["lot"].barcode), **info)


@bp.route("/bins/<code>")
@login_required
def bin_page(code: str):
    info = lookup.bin_page(db.session, code)
    if info is None:
        return render_template("wip/not_found.html", code=code, message=f"There is no bin {code}."), 404
    return render_template("wip/bin.html", label_url=print_label_url(info["location"].barcode), **info)

"""The scan station's pages: the station itself, the scan endpoint, the CoC upload, the command card."""
from __future__ import annotations

import os
import re
import uuid

from flask import (abort, current_app, flash, make_response, redirect, render_template, request, url_for)
from flask_login import current_user
from sqlalchemy import select
from werkzeug.utils import secure_filename

from spex import codes, ledger, transactions
from spex.auth import current_station, station_token
from spex.extensions import db
from spex.forms import checks_its_own_characters
from spex.masters import certs
from spex.models import Station
from spex.scan import bp, commands, flows
from spex.scan import grammar

# A client's scan id: what crypto.randomUUID() makes, or a fallback of the same alphabet.
SCAN_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


@bp.teardown_app_request
def _release_scan_lock_at_the_latest(error=None):
    # The transaction lets the lock go on every way out; this is the net under an unforeseen one.
    if db.session.registry.has():
        transactions.release_write_lock(db.session())


@bp.after_request
def _say_whether_a_failed_scan_was_recorded(response):
    """A scan the server failed on says whether it was kept: X-Spex-Recorded 0 when its transaction
    rolled back (the station sends it again a few times, then tells the operator to scan it again),
    1 when the fault came after its commit, in the answer (scanning it again would record it twice).
    Left out when the database cannot tell either."""
    if response.status_code != 500 or request.endpoint != "scan.scan":
        return response
    scan_uid = request.form.get("scan_id", "").strip()
    if not SCAN_ID.match(scan_uid):
        return response
    try:
        db.session.rollback()
        kept = flows.earlier_answer(db.session(), scan_uid) is not None
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the database failing too: the answer stays a plain 500
        current_app.logger.warning("could not tell whether failed scan %s was recorded", scan_uid, exc_info=True)
        return response
    response.headers["X-Spex-Recorded"] = "1" if kept else "0"
    return response


@bp.get("/station")
def station():
    here = current_station()
    if here is None:
        return _unregistered()
    return render_template("scan/station.html", view=flows.describe(db.session, here), answer=None,
                           recent=flows.recent_scans(db.session, here), recent_keep=flows.RECENT_SCANS)


@bp.post("/station/scan")
@ledger.takes_write_lock_itself
@checks_its_own_characters  # a scanner's stray GS or NUL is noise the code grammar drops
def scan():
    token = station_token()
    if token is None:
        return _not_a_station()
    raw = request.form.get("code", "")
    if not grammar.clean(raw):
        # An empty submit, such as the second Enter of a scanner set to end with CR+LF: nothing to
        # record, and the answer on screen (perhaps a refusal the operator has yet to read) stays.
        return "", 204
    scan_uid = request.form.get("scan_id", "").strip() or uuid.uuid4().hex
    if not SCAN_ID.match(scan_uid):
        return _refused_here("The scan came without a usable id.",
                             "Reload the station page and scan again; nothing was recorded.")
    gap = request.form.get("gap_ms", "")
    read_gap_ms = int(gap) if gap.isascii() and gap.isdigit() and len(gap) < 10 else None
    try:
        # The session itself, not the request-scoped proxy, goes to the domain: every call through
        # the proxy costs a look-up.
        done = flows.record_scan(db.session(), token, raw, scan_uid,
                                 undo_window=current_app.config["SPEX_UNDO_WINDOW"],
                                 double_read_ms=current_app.config["SPEX_DOUBLE_READ_MS"], read_gap_ms=read_gap_ms)
    except transactions.LostTheRace:
        return _refused_here("Another station changed the same record at the same moment.",
                             "Scan it again; nothing was recorded.")
    if done.earlier is not None:  # the same scan id, already recorded or being recorded
        return _replay(done.earlier, raw)
    if done.answer.station is None:
        return _not_a_station()
    return _answer(done.answer.station, done.answer, done.record)


@bp.post("/station/coc")
def upload_coc():
    """A vendor's certificate of conformance, kept with the station's next outside-process receipt."""
    here = current_station()
    if here is None:
        abort(403)
    upload = request.files.get("coc")
    name = secure_filename(upload.filename or "") if upload else ""
    limit = current_app.config.get("SPEX_CERT_MAX_BYTES", certs.CERT_MAX_BYTES)
    data = upload.stream.read(limit + 1) if name else b""
    try:
        if not name:
            raise certs.CertRefused("Choose the vendor's CoC: a PDF, PNG or JPEG file.")
        # Checked as mill certs are: by its first bytes, not its name, so the job page can open it safely.
        certs.check_cert(name, data, limit, what="vendor CoC")
    except certs.CertRefused as refused:
        answer = flows.Answer(flows.REFUSED, str(refused), next_step="Nothing was attached.")
    else:
        folder = os.path.join(current_app.config["SPEX_UPLOAD_DIR"], certs.COC_FOLDER)
        os.makedirs(folder, exist_ok=True)
        stored = f"{uuid.uuid4().hex[:12]}-{name}"
        answer = flows.attach_coc(db.session, here, stored)
        if answer.outcome != flows.REFUSED:
            with open(os.path.join(folder, stored), "xb") as fh:
                fh.write(data)
            db.session.commit()
        else:
            db.session.rollback()
    if request.htmx:
        return _answer(here, answer)
    flash(answer.headline + (f" — {answer.detail}" if answer.detail else ""),
          "done" if answer.status == 200 else "refused")
    return redirect(url_for("scan.station"))


@bp.post("/station/expected-back")
def expected_back():
    """The return date the vendor promised, for the station's next ship-out (the routing's otherwise)."""
    here = current_station()
    if here is None:
        abort(403)
    answer = flows.set_expected_back(db.session, here, request.form.get("expected_back", "")[:20])
    if answer.outcome == flows.REFUSED:
        db.session.rollback()
    else:
        db.session.commit()
    if request.htmx:
        return _answer(here, answer)
    flash(answer.headline, "done" if answer.status == 200 else "refused")
    return redirect(url_for("scan.station"))


@bp.get("/station/commands")
def command_card():
    """The printable card of commands, reasons, dispositions and quantities an operator scans."""
    return render_template("scan/commands.html", groups=commands.CARD, station=current_station())


@bp.get("/station/barcode/<path:code>.svg")
def barcode(code: str):
    """A Code 128 symbol for a code on the command card, drawn by the server as SVG."""
    if not commands.on_card(code):
        abort(404)
    response = make_response(commands.code128_svg(code))
    response.headers["Content-Type"] = "image/svg+xml"
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


# --- helpers -----------------------------------------------------------------------------------

def _answer(here: Station, answer: flows.Answer, record=None):
    """The scan's answer for htmx or the station script, with the context out of band and the scan
    added on top of the recent list (the page keeps ten), in one render; a plain form post gets the
    whole page."""
    view = flows.describe(db.session, here, answer)
    if request.htmx:
        return render_template("scan/_answer.html", answer=answer, view=view, record=record), answer.status
    return render_template("scan/station.html", view=view, answer=answer,
                           recent=flows.recent_scans(db.session, here), recent_keep=flows.RECENT_SCANS), answer.status


def _not_a_station():
    answer = flows.Answer(flows.REFUSED, flows.UNREGISTERED, next_step=flows.UNREGISTERED_NEXT)
    return render_template("scan/_feedback.html", answer=answer), 403


def _refused_here(message: str, next_step: str):
    """A scan refused before or after its transaction, at the station this browser is (if it is one)."""
    here = current_station()
    if here is None:
        return _not_a_station()
    return _answer(here, flows.Answer(flows.REFUSED, message, next_step=next_step))


def _replay(earlier, raw: str):
    here = current_station()
    if here is None:
        return _not_a_station()
    if not flows.is_resend(earlier, here, raw):
        # A scan id is bound to what was scanned and where: the same id with another code, or from
        # another station, is not a resend. Its answer (another station's job, perhaps) is not shown.
        return _refused_here("This scan id was already used for another scan; nothing was recorded.",
                             "Scan again.")
    answer = flows.stored_answer(earlier)
    response = _answer(here, answer, earlier)
    body, status = response
    response = make_response(body, status)
    response.headers["X-Spex-Replayed"] = "1"
    return response


def _unregistered():
    stations = []
    if current_user.is_authenticated and current_user.has_role(codes.ADMIN):
        stations = db.session.scalars(select(Station).where(Station.active.is_(True)).order_by(Station.name)).all()
    return render_template("scan/unregistered.html", stations=stations), 200

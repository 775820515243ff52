"""The scan station's pages: the station itself, the scan endpoint, the CoC upload, the command card."""
from __future__ import annotations

import fcntl
import os
import re
import uuid

from flask import (abort, current_app, flash, g, make_response, redirect, render_template, request, url_for)
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError
from werkzeug.utils import secure_filename

from spex import codes, database, ledger
from spex.auth import current_station, station_token
from spex.extensions import db
from spex.forms import checks_its_own_characters
from spex.masters import certs
from spex.models import Station
from spex.scan import bp, commands, flows
from spex.scan import grammar

# A client's scan id: what crypto.randomUUID() makes, or a fallback of the same alphabet.
SCAN_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def _queue_for_the_write_lock() -> None:
    """On SQLite, scans wait their turn on a kernel file lock before the database's write lock.

    SQLite makes a writer that finds the database locked poll with growing sleeps (1, 2, 5, 10...
    up to 100 ms), which gives busy stations long, unfair waits; a file lock wakes the next scan
    the moment the previous one commits. PostgreSQL needs none of this (row locks queue fairly).
    """
    path = database.sqlite_file(db.engine)
    if path is None:
        return
    handle = os.open(path + ".scan-lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(handle, fcntl.LOCK_EX)
    g.spex_scan_lock = handle


def _release_scan_lock() -> None:
    handle = g.pop("spex_scan_lock", None)
    if handle is not None:
        fcntl.flock(handle, fcntl.LOCK_UN)
        os.close(handle)


@bp.teardown_app_request
def _release_scan_lock_at_the_latest(error=None):
    _release_scan_lock()


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
    read_gap_ms = int(gap) if gap.isdigit() and len(gap) < 10 else None

    # What this scan loaded and wrote is what the answer's panels show: keep it after the commit
    # instead of reading it all again (this request's session only). The session itself, not the
    # request-scoped proxy, goes to the domain: every call through the proxy costs a look-up.
    session = db.session()
    session.expire_on_commit = False
    # Nothing is read before the write lock: every station queues on it, and the scan's first
    # query finds the station by its token together with its state. A resent scan id is not
    # looked up first either: the unique scan id of the scan record (and of its ledger entries)
    # refuses it, the whole transaction rolls back, and the first answer is sent again. Resends
    # are rare; the look-up was on every scan.
    for attempt in (1, 2):
        if session.in_transaction():
            session.commit()  # no read may span the wait for the lock
        _queue_for_the_write_lock()
        ledger.begin_write(session)
        try:
            answer = flows.interpret(session, token, raw, scan_uid,
                                     undo_window=current_app.config["SPEX_UNDO_WINDOW"],
                                     double_read_ms=current_app.config["SPEX_DOUBLE_READ_MS"], read_gap_ms=read_gap_ms)
            if answer.station is None:  # the token names no active station
                session.rollback()
                _release_scan_lock()
                return _not_a_station()
            record = flows.remember(session, answer.station, raw, scan_uid, answer)
            session.commit()
            break
        except (IntegrityError, ledger.DuplicateScan):
            session.rollback()
            _release_scan_lock()
            earlier = flows.earlier_answer(session, scan_uid)
            if earlier is not None:
                # The same scan id, already recorded or being recorded: answer as the first did.
                return _replay(earlier, raw)
            # Not a resend: another station's write met this one on a unique key (PostgreSQL, where
            # scans of different stations run side by side), say both chose the next finished-goods
            # lot number. Nothing of this scan stayed, so it is simply done again, once.
            current_app.logger.warning("scan %s met a unique key (attempt %d)", scan_uid, attempt, exc_info=True)
        except DBAPIError as error:
            if not database.lost_a_race(error):
                raise
            # PostgreSQL ended this scan's transaction to let another station's through (a deadlock
            # or a serialization conflict). Nothing of it stayed: it is done again, once, as above.
            session.rollback()
            _release_scan_lock()
            current_app.logger.warning("scan %s lost a race (attempt %d): %s", scan_uid, attempt, error.orig)
    else:
        return _refused_here("Another station changed the same record at the same moment.",
                             "Scan it again; nothing was recorded.")
    _release_scan_lock()  # committed: the answer and the panels below only read
    return _answer(answer.station, answer, record)


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

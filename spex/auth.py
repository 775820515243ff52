"""Who may do what: office login with a password, stations registered by an admin, role checks."""
import secrets
from functools import cache, wraps
from urllib.parse import urlsplit

from flask import (Blueprint, abort, current_app, flash, g, jsonify, make_response, redirect, render_template,
                   request, url_for)
from flask_login import current_user, login_required, login_url, login_user, logout_user
from sqlalchemy import bindparam, select
from werkzeug.security import check_password_hash, generate_password_hash

from spex import codes
from spex.extensions import db, login_manager, sign_in_throttle
from spex.models import Station, User

bp = Blueprint("auth", __name__)

STATION_COOKIE = "spex_station"
STATION_COOKIE_MAX_AGE = 10 * 365 * 24 * 3600


LOGIN_REFUSED = "Unknown user name or wrong password."
LOGIN_THROTTLED = "Too many failed sign-ins. Wait a minute, then try again."


@login_manager.user_loader
def _load_user(session_id: str):
    # "<user id>:<session version>" (User.get_id): a session from before the user's last sign-out,
    # new password or deactivation carries an older version and signs nobody in.
    user_id, _, version = (session_id or "").partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or (user.session_version or 0) != int(version):
        return None
    return user


def wants_json() -> bool:
    """Whether the request asked for JSON (a .json address or an Accept header): it gets JSON back, errors too."""
    return request.path.endswith(".json") or request.accept_mimetypes.best == "application/json"


@login_manager.unauthorized_handler
def _sign_in_first():
    if wants_json():
        # A script cannot follow a redirect to a sign-in form; it gets a status and a reason.
        return jsonify(error="Not signed in", message="Sign in first; this address needs a signed-in user."), 401
    flash(login_manager.login_message, login_manager.login_message_category)
    return redirect(login_url(login_manager.login_view, next_url=request.url))


def roles_required(*roles: str):
    """Allow a view only to logged-in users with one of the roles (admins always)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


office_required = roles_required(*codes.OFFICE_ROLES)
admin_required = roles_required(codes.ADMIN)


_STATION_BY_TOKEN = select(Station).where(Station.token == bindparam("b_token"), Station.active.is_(True))


def station_token() -> str | None:
    """The station token this browser's cookie carries, if it could be one."""
    token = request.cookies.get(STATION_COOKIE, "")
    return token if token and len(token) <= 64 else None


def current_station() -> Station | None:
    """The station this browser was registered as, from its cookie; None if unregistered."""
    if "spex_station_obj" in g:
        return g.spex_station_obj
    token = station_token()
    station = db.session.scalar(_STATION_BY_TOKEN, {"b_token": token}) if token else None
    g.spex_station_obj = station  # for the rest of the request
    return station


def _safe_next(target: str | None) -> str:
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("home.index")


def _posted_username() -> str:
    return request.form.get("username", "").strip()[:60]


@cache
def _no_such_password() -> str:
    # A hash made the same way as real ones, checked when the name is unknown.
    return generate_password_hash(secrets.token_hex(16))


def _password_matches(user: User | None, password: str) -> bool:
    """The password check, doing the same work whether or not the user name exists,
    so that how long the answer takes does not tell which names are real."""
    real = user is not None and bool(user.password_hash)
    matches = check_password_hash(user.password_hash if real else _no_such_password(), password)
    return real and matches


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    if request.method == "POST":
        username = _posted_username()
        wait = sign_in_throttle.wait_seconds(username, request.remote_addr)
        if wait:
            # Not even the right password gets in now: a guesser cannot tell a hit from a miss.
            response = make_response(render_template("auth/login.html", error=LOGIN_THROTTLED), 429)
            response.headers["Retry-After"] = str(wait)
            return response
        password = request.form.get("password", "")[:200]
        user = db.session.scalar(select(User).where(User.username == username)) if username else None
        if not _password_matches(user, password):
            error = LOGIN_REFUSED
        elif not user.active:
            error = "This user is deactivated; ask an administrator."
        else:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        # Only failed sign-ins count: a shared office PC signing in a whole shift is not slowed.
        sign_in_throttle.count_failure(username, request.remote_addr)
    status = 401 if error else 200
    return render_template("auth/login.html", error=error), status


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        # Ends the session on the server too: a copy of this cookie saved elsewhere stops working.
        current_user.end_sessions()
        db.session.commit()
    logout_user()
    flash("Signed out.")
    return redirect(url_for("auth.login"))


@bp.post("/stations/<int:station_id>/register")
@admin_required
def register_browser(station_id: int):
    """Make the browser the admin is using into this station (sets a long-lived cookie)."""
    station = db.session.get(Station, station_id)
    if station is None or not station.active:
        abort(404)
    if not station.token:
        station.token = secrets.token_urlsafe(32)
        db.session.commit()
    response = redirect(_safe_next(request.form.get("next")))
    response.set_cookie(STATION_COOKIE, station.token, max_age=STATION_COOKIE_MAX_AGE, httponly=True,
                        samesite="Lax", secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
    flash(f"This browser is now station {station.name}.")
    return response


@bp.post("/stations/forget")
@login_required
def forget_browser():
    response = redirect(url_for("home.index"))
    response.delete_cookie(STATION_COOKIE)
    return response

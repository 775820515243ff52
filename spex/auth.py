"""Who may do what: office login with a password, stations registered by an admin, role checks."""
from functools import wraps
from urllib.parse import urlsplit

from flask import (Blueprint, abort, current_app, flash, g, redirect, render_template, request,
                   url_for)
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import bindparam, select

from spex import codes
from spex.extensions import db, login_manager
from spex.models import Station, User

bp = Blueprint("auth", __name__)

STATION_COOKIE = "spex_station"
STATION_COOKIE_MAX_AGE = 10 * 365 * 24 * 3600


@login_manager.user_loader
def _load_user(user_id: str):
    try:
        return db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None


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


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    if request.method == "POST":
        username = request.form.get("username", "").strip()[:60]
        password = request.form.get("password", "")[:200]
        user = db.session.scalar(select(User).where(User.username == username)) if username else None
        if user is None or not user.check_password(password):
            error = "Unknown user name or wrong password."
        elif not user.active:
            error = "This user is deactivated; ask an administrator."
        else:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    status = 401 if error else 200
    return render_template("auth/login.html", error=error), status


@bp.post("/logout")
def logout():
    logout_user()
    flash("Signed out.")
    return redirect(url_for("auth.login"))


@bp.post("/stations/<int:station_id>/register")
@admin_required
def register_browser(station_id: int):
    """Make the browser the admin is using into this station (sets a long-lived cookie)."""
    import secrets

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

"""The start page: where each kind of user goes next; for an inspector, their work itself."""
from flask import Blueprint, render_template
from flask_login import current_user

from spex import codes
from spex.auth import current_station
from spex.extensions import db

bp = Blueprint("home", __name__)


def _work_of(user) -> dict | None:
    """The work list a role starts from: open holds and NCRs, jobs waiting at inspection (inspectors)."""
    if not user.is_authenticated or user.role != codes.INSPECTOR:
        return None
    from spex.quality.inspection import inspector_work
    return inspector_work(db.session)


# The planner's start page shows the first few lines of the buy list; the rest is one click away.
BUY_NOW_LINES = 8


def _buy_now(user) -> list | None:
    """What to order now, in the shop's words, for a planner (or an administrator)."""
    if not user.is_authenticated or not user.has_role(*codes.OFFICE_ROLES):
        return None
    from spex.purchasing.needs import buy_list
    return buy_list(db.session)


@bp.route("/")
def index():
    return render_template("home.html", station=current_station(), user=current_user,
                           inspector_work=_work_of(current_user), buy_now=_buy_now(current_user),
                           buy_now_lines=BUY_NOW_LINES)

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


def _safety_shorts(user) -> list | None:
    """A planner starts from the customer safety-stock programs below their minimum, with the job to start."""
    if not user.is_authenticated or user.role != codes.PLANNER:
        return None
    from spex.shipping.held import safety_stock_shorts
    from spex.shipping.held_routes import rates
    return safety_stock_shorts(db.session, **rates())


@bp.route("/")
def index():
    return render_template("home.html", station=current_station(), user=current_user,
                           inspector_work=_work_of(current_user), safety_shorts=_safety_shorts(current_user))

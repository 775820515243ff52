"""The start page: where each kind of user goes next; for an inspector and for shipping, their work itself."""
from flask import Blueprint, render_template
from flask_login import current_user

from spex import codes, shoptime
from spex.auth import current_station
from spex.extensions import db

bp = Blueprint("home", __name__)


def _work_of(user) -> dict | None:
    """The work list a role starts from: open holds and NCRs, jobs waiting at inspection (inspectors)."""
    if not user.is_authenticated or user.role != codes.INSPECTOR:
        return None
    from spex.quality.inspection import inspector_work
    return inspector_work(db.session)


def _shipping_of(user) -> dict | None:
    """What shipping starts from: deliveries due this week and overdue, what is ready, what is due back."""
    if not user.is_authenticated or user.role != codes.SHIPPING:
        return None
    from spex.shipping.start import shipper_work
    return shipper_work(db.session, shoptime.today())


@bp.route("/")
def index():
    return render_template("home.html", station=current_station(), user=current_user,
                           inspector_work=_work_of(current_user), shipping_work=_shipping_of(current_user))

"""The start page: where each kind of user goes next; for an inspector, shipping, a material handler
and a planner, their work itself (spex/worklists.py: one section per source of work)."""
from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

from spex import codes, shoptime, worklists
from spex.auth import current_station
from spex.downloads import csv_response
from spex.extensions import db
from spex.models import utcnow

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


def _sections_of(user) -> list[worklists.Section]:
    if not user.is_authenticated:
        return []
    return worklists.work_of(db.session, user.role, utcnow())


def _shipping_of(user) -> dict | None:
    """What shipping starts from: deliveries due this week and overdue, what is ready, what is due back."""
    if not user.is_authenticated or user.role != codes.SHIPPING:
        return None
    from spex.shipping.start import shipper_work
    return shipper_work(db.session, shoptime.today())


@bp.route("/")
def index():
    return render_template("home.html", station=current_station(), user=current_user,
                           inspector_work=_work_of(current_user), shipping_work=_shipping_of(current_user),
                           safety_shorts=_safety_shorts(current_user), sections=_sections_of(current_user))


@bp.route("/start/<key>.csv")
@login_required
def section_csv(key: str):
    """A start page's section as CSV: the whole list, not only the rows the page shows."""
    section = worklists.section_of(db.session, current_user.role, key[:40], utcnow())
    if section is None:
        abort(404)
    return csv_response(f"{section.key}.csv", section.csv_header, (section.csv_row(row) for row in section.rows))

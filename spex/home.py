"""The start page: where each kind of user goes next."""
from flask import Blueprint, render_template
from flask_login import current_user

from spex.auth import current_station

bp = Blueprint("home", __name__)


@bp.route("/")
def index():
    return render_template("home.html", station=current_station(), user=current_user)

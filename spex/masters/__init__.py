"""Masters room: the office screens for master data (materials, lots, bins, parts and routings,
work centers, vendors, customers, users, stations), for planners and administrators."""
from flask import Blueprint

bp = Blueprint("masters", __name__, template_folder="templates", url_prefix="/masters")

from spex.masters import routes  # noqa: E402,F401  (registers the views on bp)

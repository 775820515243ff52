"""Planning room: the planner's jobs and customer orders (create, release, list)."""
from flask import Blueprint

bp = Blueprint("planning", __name__, template_folder="templates", url_prefix="/plan")

from spex.planning import routes  # noqa: E402,F401  (registers the views on bp)
from spex.planning import change_routes  # noqa: E402,F401

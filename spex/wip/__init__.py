"""WIP visibility: the wall board, the job page (traveler on screen, with its JSON) and code search."""
from flask import Blueprint

bp = Blueprint("wip", __name__, template_folder="templates")

from spex.wip import routes  # noqa: E402,F401  (registers the views on bp)

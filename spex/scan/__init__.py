"""The scan station: the code grammar (codes.py), each station's state machine (flows.py), and the
page where an operator with a keyboard-wedge scanner does the day's work (routes.py)."""
from flask import Blueprint

bp = Blueprint("scan", __name__, template_folder="templates")

from spex.scan import routes  # noqa: E402,F401  (registers the station's views on bp)

"""Receiving dock: bar and plate arrive from one heat with a mill cert and go into a bin, one label per bar."""
from flask import Blueprint

bp = Blueprint("receiving", __name__, template_folder="templates", url_prefix="/receive")

from spex.receiving import routes  # noqa: E402,F401  (registers the views on bp)

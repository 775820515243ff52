"""Corrections of the books: a planner or inspector reverses any ledger entry, with a reason, from
the entry's row in a history; a reversal that later work depends on is refused and names that work."""
from flask import Blueprint

bp = Blueprint("corrections", __name__, template_folder="templates", url_prefix="/corrections")

from spex.corrections import routes  # noqa: E402,F401  (registers the views on bp)

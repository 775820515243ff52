"""Purchasing: purchase orders for material to a supplier, the buy list that makes them, and what the
dock received against them (with the lead time each delivery took)."""
from flask import Blueprint

bp = Blueprint("purchasing", __name__, template_folder="templates", url_prefix="/purchasing")

from spex.purchasing import routes  # noqa: E402,F401  (registers the views on bp)

"""Metrics room: the planner's material requirements and reorder suggestions, and the shop's figures
over a period (turnover, days on hand, on-time delivery, scrap, yield)."""
from flask import Blueprint

bp = Blueprint("metrics", __name__, template_folder="templates", url_prefix="/metrics")

from spex.metrics import routes  # noqa: E402,F401  (registers the views on bp)

"""Metrics room: the planner's material requirements and reorder suggestions, and the shop's figures
over a period (turnover, days on hand, on-time delivery, scrap, yield)."""
import os
from decimal import Decimal, InvalidOperation

from flask import Blueprint

from spex.metrics.reorder import DEFAULT_HOLDING_RATE

bp = Blueprint("metrics", __name__, template_folder="templates", url_prefix="/metrics")


@bp.record_once
def _holding_rate_setting(state):
    # Carrying cost per year as a share of unit cost (SPEX_HOLDING_RATE=0.25 for 25 %); set here so
    # the room brings its own default without touching the shared configuration.
    raw = os.environ.get("SPEX_HOLDING_RATE", "")
    try:
        rate = Decimal(raw) if raw else DEFAULT_HOLDING_RATE
    except InvalidOperation:
        rate = DEFAULT_HOLDING_RATE
    state.app.config.setdefault("SPEX_HOLDING_RATE", rate if 0 < rate < 5 else DEFAULT_HOLDING_RATE)


from spex.metrics import routes  # noqa: E402,F401  (registers the views on bp)

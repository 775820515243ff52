"""Masters room: a part's cost by batch size on its page, and the same table as CSV."""
from __future__ import annotations

from decimal import Decimal

from flask import abort, current_app, request

from spex import shoptime
from spex.auth import office_required
from spex.config import DEFAULT_HOLDING_RATE, DEFAULT_SHOP_RATE
from spex.downloads import csv_response
from spex.extensions import db
from spex.masters import bp
from spex.metrics import batchcost
from spex.models import Part

QUOTE_MOST = 1_000_000


def _rates() -> dict:
    return dict(shop_rate=Decimal(str(current_app.config.get("SPEX_SHOP_RATE", DEFAULT_SHOP_RATE))),
                holding_rate=Decimal(str(current_app.config.get("SPEX_HOLDING_RATE", DEFAULT_HOLDING_RATE))))


def quote_asked() -> tuple[int, str | None]:
    """The batch a planner typed to quote (?quote=), else the default; a bad figure is a message."""
    raw = (request.args.get("quote") or "").strip()
    if not raw:
        return batchcost.QUOTE_DEFAULT, None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 7) or not 0 < int(raw) <= QUOTE_MOST:
        return batchcost.QUOTE_DEFAULT, f"Type a whole number of pieces from 1 to {QUOTE_MOST:,} to quote."
    return int(raw), None


def batch_context(part: Part) -> dict:
    found = batchcost.for_part(db.session, part, shoptime.today(), **_rates())
    pieces, refusal = quote_asked()
    return dict(batch=found, quote=found.quote(pieces), quote_error=refusal, shop_rate=_rates()["shop_rate"])


@bp.get("/parts/<int:part_id>/batch-cost.csv")
@office_required
def batch_cost_csv(part_id: int):
    part = db.session.get(Part, part_id)
    if part is None:
        abort(404)
    found = batchcost.for_part(db.session, part, shoptime.today(), **_rates())
    rows = [(row.pieces, f"{row.total:.2f}", f"{row.per_piece:.2f}", "; ".join(row.marks),
             "yes" if row.beyond_demand else "") for row in found.rows]
    return csv_response(f"batch-cost-{part.number}-{part.rev}.csv",
                        ["Pieces", "Total cost", "Cost per piece", "Marked", "More than a year's demand"], rows)

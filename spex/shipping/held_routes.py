"""Shipping routes: the finished goods held for customers, as a page and a CSV."""
from __future__ import annotations

from decimal import Decimal

from flask import current_app, render_template

from spex import shoptime
from spex.config import DEFAULT_HOLDING_RATE, DEFAULT_SHOP_RATE
from spex.extensions import db
from spex.shipping import bp, held
from spex.shipping.csv_download import csv_response
from spex.shipping.routes import shipping_pages


def rates() -> dict:
    return dict(holding_rate=Decimal(str(current_app.config.get("SPEX_HOLDING_RATE", DEFAULT_HOLDING_RATE))),
                shop_rate=Decimal(str(current_app.config.get("SPEX_SHOP_RATE", DEFAULT_SHOP_RATE))))


@bp.get("/held")
@shipping_pages
def held_goods():
    today = shoptime.today()
    lots = held.held_goods(db.session, today, **rates())
    total_value = sum((lot.value for lot in lots if lot.value is not None), Decimal(0))
    total_carrying = sum((lot.carrying for lot in lots if lot.carrying is not None), Decimal(0))
    return render_template("shipping/held.html", lots=lots, shorts=held.safety_stock_shorts(db.session, today, **rates()),
                           total_value=total_value, total_carrying=total_carrying,
                           holding_rate=rates()["holding_rate"], today=today)


@bp.get("/held.csv")
@shipping_pages
def held_goods_csv():
    lots = held.held_goods(db.session, shoptime.today(), **rates())
    rows = [(h.lot.barcode, h.lot.part.customer.name, h.lot.part.label, h.pieces, h.place.code if h.place else "",
             "; ".join(h.why), h.unit_value, h.value, h.age_days, h.carrying) for h in lots]
    return csv_response("finished-goods-held.csv", ["FG lot", "Customer", "Part", "Pieces", "Bin", "Why held",
                                                    "Value a piece", "Value", "Age (days)", "Carrying cost"], rows)

"""Shipping room: shipments to customers from finished-goods lots, their packing lists and cert packs,
and the recall that follows a heat to the customers its pieces went to (and back)."""
from flask import Blueprint

bp = Blueprint("shipping", __name__, template_folder="templates", url_prefix="/ship")

from spex.shipping import barcodes, carton_routes, held_routes, recall_routes, routes  # noqa: E402,F401  (registers the views on bp)

"""Material in: mill certs as records held against the material's limits, receiving holds an inspector
releases, and audited corrections of a lot's heat, material and supplier."""
from flask import Blueprint

bp = Blueprint("materials", __name__, template_folder="templates", url_prefix="/material")

from spex.materials import routes, stocking_routes  # noqa: E402,F401  (registers the views on bp)

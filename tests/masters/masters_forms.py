"""Masters tests' shared data: a valid form for every master, the edits they get, a row counter."""
from __future__ import annotations

from sqlalchemy import func, select

from spex.extensions import db

SLUGS = ("materials", "lots", "locations", "parts", "work-centers", "vendors", "customers", "users", "stations")


def valid_form(slug: str, token: str, linked) -> dict:
    """A form for `slug` that must be accepted; `token` makes its codes unique and searchable."""
    forms = {
        "materials": {"code": f"303-{token}", "grade": "303 stainless", "family": "stainless steel",
                      "form": "round bar", "size": "1.250 dia", "diameter_in": "1.25", "unit": "in",
                      "density_lb_per_in3": "0.289", "stocking": "stocked", "lead_time_days": "10",
                      "unit_cost": "4.50", "order_cost": "50", "reorder_point": "288", "min_qty": "144",
                      "max_qty": "720", "typical_bar_length_in": "144"},
        "lots": {"number": f"L{token}", "material_id": str(linked.material.id), "heat_number": f"H-{token}",
                 "supplier": "Acme Metals", "po_number": "PO-4471", "cert_reference": "MC-99",
                 "customer_id": str(linked.customer.id)},
        "locations": {"code": f"R1-{token}", "name": f"Rack 1 bin {token}", "kind": "bin",
                      "parent_id": str(linked.rack.id)},
        "parts": {"customer_id": str(linked.customer.id), "number": f"P-{token}", "rev": "B",
                  "description": "Bushing", "material_id": str(linked.material.id), "bar_length_per_piece": "1.375",
                  "blank_size": "", "finished_weight_lb": "0.12", "unit_price": "12.50", "setup_cost": "150"},
        "work-centers": {"code": f"MILL-{token}", "name": f"Haas mill {token}", "kind": "mill", "hours_per_day": "16"},
        "vendors": {"code": f"PLATE-{token}", "name": f"Bright Plating {token}", "process": "nickel plate",
                    "turnaround_days": "7", "contact": "orders@bright.example"},
        "customers": {"code": f"C-{token}", "name": f"Customer {token}", "contact": "buyer@example.com"},
        "users": {"name": f"Person {token}", "badge": f"B{token}", "role": "operator",
                  "username": f"user.{token.lower()}", "password": "long-enough-password"},
        "stations": {"code": f"CELL-{token}", "name": f"Lathe cell {token}", "kind": "floor",
                     "location_id": str(linked.bin.id), "work_center_id": str(linked.work_center.id),
                     "printer_host": "zebra-3", "printer_port": "9100"},
    }
    return forms[slug]


# The field each master's edit test changes, and the column it lands in.
EDITS = {
    "materials": ("grade", "316 stainless"),
    "lots": ("supplier", "Other Mill Co"),
    "locations": ("name", "Renamed bin"),
    "parts": ("description", "Flanged bushing"),
    "work-centers": ("name", "Okuma lathe"),
    "vendors": ("name", "Renamed Plating"),
    "customers": ("name", "Renamed Customer"),
    "users": ("name", "Renamed Person"),
    "stations": ("name", "Renamed cell"),
}


def row_counts() -> dict:
    """Rows in every table: a refused form must leave all of them as they were."""
    return {table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables}

"""Masters room: the ten kinds of master data, each described once (fields, list, search, rules).

The routes are the same for all of them; what differs lives here, as data and a few small hooks.
"""
from __future__ import annotations

import re

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload, selectinload

from spex import codes, ledger, shoptime
from spex.models import (LOCATION_KINDS, STOCK_KINDS, Balance, Customer, Location, Material, MaterialLot, Part,
                         RoutingStep, Station, User, Vendor, WorkCenter)
from spex.masters.fields import BOOL, CHOICE, DECIMAL, FK, INT, PASSWORD, PIN, Column, Field, Master, Unique, path
from spex.materials import trace

MATERIAL_FORMS = {f: f for f in ("round bar", "hex bar", "square bar", "plate", "sheet", "tube", "forging",
                                 "casting")}
MATERIAL_UNITS = {"in": "inches (bar)", "ft": "feet (bar)", "pcs": "pieces", "lb": "pounds", "sqin": "square inches"}
STOCKING = {"stocked": "Stocked", "per_job": "Buy per job"}
WORK_CENTER_KINDS = {"saw": "Saw", "lathe": "Lathe", "mill": "Mill", "deburr": "Deburr", "inspection": "Inspection",
                     "other": "Other"}
STATION_KINDS = {"floor": "Shop floor", "dock": "Receiving dock", "qc": "Inspection bench", "shipping": "Shipping",
                 "labels": "Label station", "board": "WIP board"}
STEP_KINDS = {"inhouse": "In-house", "outside": "Outside process"}
# Areas and racks are the branches of the location tree; everything else is a leaf that holds stock.
PARENT_KINDS = ("area", "rack")
HOSTNAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?", re.ASCII)
USERNAME = re.compile(r"[A-Za-z0-9._@-]+", re.ASCII)


def _code_and_name(record) -> str:
    return f"{record.code} · {record.name}" if record.name else record.code


def _active(model):
    return lambda session: select(model).where(model.active.is_(True)).order_by(model.code)


def _on_off(value) -> str:
    return "yes" if value else "no"


# --- materials ------------------------------------------------------------------------------

def _min_not_above_max(session, record, reading, actor):
    low, high = reading.values.get("min_qty"), reading.values.get("max_qty")
    if low is not None and high is not None and low > high:
        reading.refuse("max_qty", "Must not be below the minimum.")


MATERIALS = Master(
    slug="materials", title="Materials", singular="material", model=Material,
    hint="Alloy and grade in a form and size, with stocking and reorder parameters.",
    fields=(
        Field("code", "Code", required=True, code=True, unique=True, hint="e.g. 303-RD-1.000"),
        Field("grade", "Grade", required=True, hint="e.g. 303 stainless, 6061-T6"),
        Field("family", "Family", hint="stainless steel, aluminum, brass..."),
        Field("form", "Form", CHOICE, required=True, choices=MATERIAL_FORMS),
        Field("size", "Size", hint="1.000 dia, 0.500 x 12 x 12"),
        Field("diameter_in", "Diameter (in)", DECIMAL, max=100),
        Field("unit", "Stocked in", CHOICE, required=True, choices=MATERIAL_UNITS),
        Field("density_lb_per_in3", "Density (lb/in³)", DECIMAL, max=1),
        Field("stocking", "Stocking", CHOICE, required=True, choices=STOCKING),
        Field("supplier_id", "Supplier", FK, options=_active(Vendor), describe=_code_and_name,
              hint="the buy list puts it on a purchase order to them"),
        Field("lead_time_days", "Lead time (days)", INT, required=True, max=365),
        Field("unit_cost", "Cost per unit", DECIMAL),
        Field("order_cost", "Cost per order", DECIMAL),
        Field("reorder_point", "Reorder point", DECIMAL),
        Field("min_qty", "Minimum", DECIMAL),
        Field("max_qty", "Maximum", DECIMAL),
        Field("typical_bar_length_in", "Typical bar length (in)", DECIMAL, max=1000),
        Field("bar_end_in", "Chuck/bar end (in)", DECIMAL, max=1000, hint="what a bar loses that cannot be cut"),
        Field("kerf_in", "Saw kerf (in)", DECIMAL, max=10,
              hint="the cut's width when a part names no cutoff width; also between blanks on a plate"),
        Field("min_remnant_in", "Shortest usable remnant (in)", DECIMAL, max=1000,
              hint="a shorter drop goes to scrap, not back on the rack"),
        Field("weight_per_in_lb", "Weight per inch (lb/in)", DECIMAL, max=100,
              hint="as the supplier states it; else density × cross-section"),
        Field("cert_required", "Mill cert required", BOOL,
              hint="a lot received without its cert's figures goes on a receiving hold"),
    ),
    columns=(Column("Code", path("code")), Column("Grade", path("grade")), Column("Form", path("form")),
             Column("Size", path("size")), Column("Unit", path("unit")),
             Column("Stocking", lambda m: STOCKING.get(m.stocking, m.stocking)),
             Column("Lead time (days)", path("lead_time_days"), numeric=True)),
    search=("code", "grade", "family", "size"),
    order_by=("code",),
    check=_min_not_above_max,
    extras="masters/_limits.html",
)


# --- material lots ------------------------------------------------------------------------------

def _next_lot_number(session) -> dict:
    from spex.production import next_lot_number
    return {"number": next_lot_number(session)}


LOTS = Master(
    slug="lots", title="Material lots", singular="material lot", model=MaterialLot,
    heading=lambda lot: f"{lot.number} (heat {lot.heat_number})",
    hint="One receipt from one heat, with its mill cert.",
    fields=(
        Field("number", "Lot number", required=True, code=True, prefix=codes.LOT, unique=True),
        Field("material_id", "Material", FK, required=True, options=_active(Material),
              describe=lambda m: f"{m.code} · {m.label}"),
        Field("heat_number", "Heat number", required=True, hint="as printed on the mill cert"),
        Field("supplier", "Supplier"),
        Field("po_number", "Purchase order"),
        Field("cert_reference", "Cert reference", hint="the mill cert's own number"),
        Field("customer_id", "Held for customer", FK, options=_active(Customer), describe=_code_and_name,
              hint="only for a material stocking agreement"),
    ),
    columns=(Column("Lot", path("number")), Column("Material", path("material.code")),
             Column("Heat", path("heat_number")), Column("Supplier", path("supplier")),
             Column("PO", path("po_number")), Column("Mill cert", lambda lot: _on_off(lot.cert_filename)),
             Column("Received", lambda lot: shoptime.local_date(lot.received_at).isoformat() if lot.received_at else "")),
    search=("number", "heat_number", "supplier", "po_number"),
    order_by=("number",),
    eager=lambda: (joinedload(MaterialLot.material),),
    new_defaults=_next_lot_number,
    multipart=True,  # the mill cert goes up with the form (masters/_cert.html)
    check=lambda session, lot, reading, actor: trace.refuse_edit_of_used_lot(session, lot, reading.values,
                                                                             reading.refuse),
    on_changes=trace.note_edits,
    extras="masters/_lot.html",
)


# --- bins and locations ------------------------------------------------------------------------

def _location_tree_rules(session, record, reading, actor):
    kind, parent_id = reading.values.get("kind"), reading.values.get("parent_id")
    if kind is None:
        return
    vendor_place = record is not None and record.vendor_id is not None
    if kind == "vendor" and not vendor_place:
        reading.refuse("kind", "A vendor's location is made by adding the vendor under Vendors.")
    elif vendor_place and kind != "vendor":
        reading.refuse("kind", "This is a vendor's location; it stays of kind vendor.")
    if parent_id is not None:
        parent = session.get(Location, parent_id)
        if record is not None and parent_id == record.id:
            reading.refuse("parent_id", "A location cannot be inside itself.")
        elif kind == "area":
            reading.refuse("parent_id", "An area is the top of the tree: leave its parent empty.")
        elif kind == "rack" and parent.kind != "area":
            reading.refuse("parent_id", "A rack belongs in an area.")
    if record is not None and record.kind != kind:
        children = set(session.scalars(select(Location.kind).where(Location.parent_id == record.id)))
        if children and kind not in PARENT_KINDS:
            reading.refuse("kind", "Other locations are inside this one; only an area or a rack can hold them.")
        elif kind == "rack" and "rack" in children:
            reading.refuse("kind", "Racks are inside this one; a rack cannot hold racks.")


def _location_still_holds_stock(session, location, actor) -> str | None:
    holding = session.scalar(select(Balance.item).where(Balance.place == ledger.at_location(location.id),
                                                        Balance.quantity > 0).limit(1))
    if holding:
        return f"{location.barcode} still holds stock; move it out before deactivating."
    if location.vendor_id is not None:
        return "This is a vendor's location; deactivate the vendor instead."
    return None


LOCATIONS = Master(
    slug="locations", title="Bins and locations", singular="location", model=Location,
    hint="Areas hold racks, racks hold bins; carts, inspection, shipping and scrap too.",
    fields=(
        Field("code", "Code", required=True, code=True, prefix=codes.BIN, unique=True,
              hint="printed as BIN-<code>, e.g. R2-A03"),
        Field("name", "Name"),
        Field("kind", "Kind", CHOICE, required=True, choices=LOCATION_KINDS),
        Field("parent_id", "Inside", FK,
              options=lambda session: select(Location).where(Location.active.is_(True),
                                                             Location.kind.in_(PARENT_KINDS)).order_by(Location.code),
              describe=lambda loc: f"{loc.code} · {LOCATION_KINDS[loc.kind]} {loc.name}".rstrip(),
              hint="the area or rack it is in"),
    ),
    columns=(Column("Barcode", path("barcode")), Column("Name", path("name")),
             Column("Kind", lambda loc: LOCATION_KINDS.get(loc.kind, loc.kind)),
             Column("Place", path("path"))),
    search=("code", "name"),
    order_by=("code",),
    # Area > rack > bin is three deep: two joins load every parent the list shows.
    eager=lambda: (joinedload(Location.parent).joinedload(Location.parent),),
    check=_location_tree_rules,
    refuse_deactivate=_location_still_holds_stock,
)


# --- parts and routings ---------------------------------------------------------------------------

PARTS = Master(
    slug="parts", title="Parts", singular="part", model=Part,
    heading=lambda part: part.label,
    hint="Customer part number and revision, material, bar per piece, and the routing.",
    fields=(
        Field("customer_id", "Customer", FK, required=True, options=_active(Customer), describe=_code_and_name),
        Field("number", "Part number", required=True),
        Field("rev", "Revision", required=True, code=True),
        Field("description", "Description"),
        Field("material_id", "Material", FK, options=_active(Material), describe=lambda m: f"{m.code} · {m.label}"),
        Field("bar_length_per_piece", "Bar per piece (in)", DECIMAL, required=True, max=1000,
              hint="part length + cutoff + facing; 0 for plate parts"),
        Field("finished_length_in", "Finished length (in)", DECIMAL, max=1000),
        Field("facing_allowance_in", "Facing allowance (in)", DECIMAL, max=100),
        Field("cutoff_width_in", "Cutoff width / kerf (in)", DECIMAL, max=10),
        Field("blank_size", "Blank size", hint="for plate parts, e.g. 2.0 x 3.0 x 0.5"),
        Field("finished_weight_lb", "Finished weight (lb)", DECIMAL, max=100000),
        Field("unit_price", "Unit price", DECIMAL),
        Field("setup_cost", "Setup cost", DECIMAL),
    ),
    columns=(Column("Customer", path("customer.code")), Column("Part number", path("number")),
             Column("Rev", path("rev")), Column("Description", path("description")),
             Column("Material", path("material.code")),
             Column("Operations", lambda part: " · ".join(f"{s.seq} {s.description}".strip() for s in part.routing))),
    search=("number", "description"),
    order_by=("number", "rev"),
    unique_together=(Unique(("customer_id", "number", "rev"), "number",
                            "That part number and revision already exist for this customer."),),
    eager=lambda: (joinedload(Part.customer), joinedload(Part.material), selectinload(Part.routing)),
    extras="masters/_routing.html",
    open_after_create=True,
)


def _step_needs_its_place(session, record, reading, actor):
    kind = reading.values.get("kind")
    if kind == "inhouse" and reading.values.get("work_center_id") is None and "work_center_id" not in reading.errors:
        reading.refuse("work_center_id", "An in-house operation needs its work center.")
    if kind == "outside" and reading.values.get("vendor_id") is None and "vendor_id" not in reading.errors:
        reading.refuse("vendor_id", "An outside process needs its vendor.")
    if kind == "outside":
        reading.values["work_center_id"] = None
    elif kind == "inhouse":
        reading.values["vendor_id"] = None


# Not listed on the masters page: steps are edited on their part's page, with the same form reading.
ROUTING_STEPS = Master(
    slug="steps", title="Routing steps", singular="operation", model=RoutingStep,
    fields=(
        Field("seq", "Op", INT, required=True, min=1, max=9999, hint="10, 20, 30..."),
        Field("kind", "Kind", CHOICE, required=True, choices=STEP_KINDS),
        Field("description", "Description", hint="turn, mill flats, anodize..."),
        Field("work_center_id", "Work center", FK, options=_active(WorkCenter), describe=_code_and_name),
        Field("setup_min", "Setup (min)", DECIMAL, required=True, max=10000),
        Field("run_min_per_piece", "Run (min/pc)", DECIMAL, required=True, max=10000),
        Field("vendor_id", "Vendor", FK, options=_active(Vendor), describe=_code_and_name),
        Field("turnaround_days", "Turnaround (days)", INT, required=True, max=365),
    ),
    columns=(), search=(), order_by=("seq",),
    unique_together=(Unique(("part_id", "seq"), "seq", "That operation number is already used in this routing."),),
    check=_step_needs_its_place,
    # A step's changes are kept in its part's history: the part page is where people look.
    history_key=lambda step: (PARTS.slug, step.part_id, f"Op {step.seq} "),
)


# --- work centers, vendors, customers ----------------------------------------------------------------

WORK_CENTERS = Master(
    slug="work-centers", title="Work centers", singular="work center", model=WorkCenter,
    hint="Lathes, mills, saws, deburr and inspection benches.",
    fields=(
        Field("code", "Code", required=True, code=True, unique=True, hint="e.g. LATHE-3"),
        Field("name", "Name", required=True),
        Field("kind", "Kind", CHOICE, required=True, choices=WORK_CENTER_KINDS),
        Field("hours_per_day", "Hours per day", DECIMAL, required=True, max=24),
    ),
    columns=(Column("Code", path("code")), Column("Name", path("name")),
             Column("Kind", lambda wc: WORK_CENTER_KINDS.get(wc.kind, wc.kind)),
             Column("Hours/day", path("hours_per_day"), numeric=True)),
    search=("code", "name"),
    order_by=("code",),
)


def _vendor_location_code_free(session, record, reading, actor):
    code = reading.values.get("code")
    if not code or "code" in reading.errors:
        return
    taken = select(Location.id).where(Location.code == codes.VND + code)
    if record is not None:
        taken = taken.where(or_(Location.vendor_id.is_(None), Location.vendor_id != record.id))
    if session.scalar(taken.limit(1)) is not None:
        reading.refuse("code", f"That code is already used: a location is called {codes.VND}{code}.")


def _vendor_location(session, vendor, reading, created):
    """Every vendor has one virtual location, where pieces sent out for processing are counted."""
    location = session.scalar(select(Location).where(Location.vendor_id == vendor.id))
    if location is None:
        location = Location(kind="vendor", vendor_id=vendor.id)
        session.add(location)
    location.code = codes.VND + vendor.code
    location.name = vendor.name
    location.active = vendor.active


def _vendor_location_follows(session, vendor, active):
    location = session.scalar(select(Location).where(Location.vendor_id == vendor.id))
    if location is not None:
        location.active = active


def _vendor_still_has_pieces(session, vendor, actor) -> str | None:
    location = session.scalar(select(Location).where(Location.vendor_id == vendor.id))
    if location is not None and session.scalar(
            select(Balance.item).where(Balance.place == ledger.at_location(location.id), Balance.quantity > 0).limit(1)):
        return f"{vendor.name} still has pieces out for processing; receive them back first."
    return None


VENDORS = Master(
    slug="vendors", title="Vendors", singular="vendor", model=Vendor,
    hint="Outside processors and material suppliers; each gets a VND- location.",
    fields=(
        # Its location's code is VND-<code> in a 40-character column.
        Field("code", "Code", required=True, code=True, prefix=codes.VND, unique=True, max_length=36,
              hint="printed as VND-<code>, e.g. ACME-ANODIZE"),
        Field("name", "Name", required=True),
        Field("process", "Process", hint="anodize, plate, heat treat, grind, passivate..."),
        Field("turnaround_days", "Turnaround (days)", INT, required=True, max=365),
        Field("contact", "Contact"),
    ),
    columns=(Column("Barcode", path("barcode")), Column("Name", path("name")), Column("Process", path("process")),
             Column("Turnaround (days)", path("turnaround_days"), numeric=True), Column("Contact", path("contact"))),
    search=("code", "name", "process"),
    order_by=("code",),
    check=_vendor_location_code_free,
    after_save=_vendor_location,
    on_active=_vendor_location_follows,
    refuse_deactivate=_vendor_still_has_pieces,
)

CUSTOMERS = Master(
    slug="customers", title="Customers", singular="customer", model=Customer,
    hint="Who the parts are for.",
    fields=(
        Field("code", "Code", required=True, code=True, unique=True),
        Field("name", "Name", required=True),
        Field("contact", "Contact"),
    ),
    columns=(Column("Code", path("code")), Column("Name", path("name")), Column("Contact", path("contact"))),
    search=("code", "name", "contact"),
    order_by=("code",),
)


# --- people and stations (admin only) -----------------------------------------------------------

def _user_rules(session, record, reading, actor):
    username, password = reading.values.get("username"), reading.values.get("password")
    if username and not password and (record is None or not record.password_hash or not record.username):
        reading.refuse("password", "An office login needs a password.")
    if record is not None and actor is not None and record.id == actor.id \
            and reading.values.get("role") not in (None, codes.ADMIN):
        reading.refuse("role", "You cannot take away your own administrator role; ask another administrator.")
    pin, role = reading.values.get("pin"), reading.values.get("role")
    if pin and role and role not in codes.PIN_ROLES:
        reading.refuse("pin", "Only inspectors and administrators sign in at a station with a PIN; "
                              "leave it empty for this role.")
    elif pin and pin == reading.values.get("badge"):
        reading.refuse("pin", "Not the badge number: it is printed on the badge. Choose other digits.")


def _user_password(session, user, reading, created):
    if reading.values.get("password"):
        user.set_password(reading.values["password"])
    if reading.values.get("pin"):
        user.set_pin(reading.values["pin"])
    if not user.username and user.password_hash is not None:
        user.password_hash = None  # no office login, nothing to sign in with
        user.end_sessions()


def _user_sessions_end(session, user, active):
    # A deactivated user's saved cookies must not come back to life when someone reactivates them.
    if not active:
        user.end_sessions()


def _pin_state(user) -> str:
    if user.pin_hash:
        return "PIN set"
    return "no PIN: cannot sign in at a station" if user.needs_pin else ""


def _not_yourself(session, user, actor) -> str | None:
    if actor is not None and user.id == actor.id:
        return "You cannot deactivate yourself."
    return None


USERS = Master(
    slug="users", title="Users", singular="user", model=User, roles=(codes.ADMIN,),
    heading=lambda user: f"{user.name} ({user.barcode})",
    hint="People, their role and badge; an office login for planners and admins.",
    fields=(
        Field("name", "Name", required=True),
        Field("badge", "Badge", required=True, code=True, prefix=codes.EMP, unique=True,
              hint="printed as EMP-<badge>, e.g. 0042"),
        Field("role", "Role", CHOICE, required=True, choices=codes.ROLES),
        Field("username", "Office user name", unique=True, pattern=USERNAME,
              pattern_message="Letters, digits and . _ @ - only.", hint="leave empty for shop-floor-only people"),
        Field("password", "Office password", PASSWORD, stored=False,
              hint="at least 8 characters; when editing, leave empty to keep it"),
        Field("pin", "Station PIN", PIN, stored=False,
              hint=f"{codes.PIN_MIN_DIGITS} to {codes.PIN_MAX_DIGITS} digits, typed after the badge at a station; "
                   "inspectors and administrators need one. Never shown; leave empty to keep it"),
    ),
    columns=(Column("Name", path("name")), Column("Badge", path("barcode")),
             Column("Role", lambda u: codes.ROLES.get(u.role, u.role)), Column("Office login", path("username")),
             Column("Station PIN", _pin_state)),
    search=("name", "badge", "username"),
    order_by=("name",),
    check=_user_rules,
    after_save=_user_password,
    on_active=_user_sessions_end,
    refuse_deactivate=_not_yourself,
    extras="masters/_user.html",
)

STATIONS = Master(
    slug="stations", title="Stations", singular="station", model=Station, roles=(codes.ADMIN,),
    hint="Named workstations; register a browser as one, and its label printer.",
    fields=(
        Field("code", "Code", required=True, code=True, unique=True, hint="e.g. LATHE-CELL-1"),
        Field("name", "Name", required=True),
        Field("kind", "Kind", CHOICE, required=True, choices=STATION_KINDS),
        Field("location_id", "Location", FK, describe=_code_and_name,
              options=lambda session: select(Location).where(Location.active.is_(True),
                                                             Location.kind.in_(STOCK_KINDS)).order_by(Location.code)),
        Field("work_center_id", "Work center", FK, options=_active(WorkCenter), describe=_code_and_name),
        Field("printer_host", "Label printer host", pattern=HOSTNAME,
              pattern_message="A host name or IP address, such as zebra-3 or 192.168.1.40."),
        Field("printer_port", "Printer port", INT, required=True, min=1, max=65535),
    ),
    columns=(Column("Code", path("code")), Column("Name", path("name")),
             Column("Kind", lambda s: STATION_KINDS.get(s.kind, s.kind)), Column("Location", path("location.code")),
             Column("Work center", path("work_center.code")),
             Column("Printer", lambda s: f"{s.printer_host}:{s.printer_port}" if s.printer_host else ""),
             Column("Registered", lambda s: _on_off(s.token))),
    search=("code", "name"),
    order_by=("code",),
    eager=lambda: (joinedload(Station.location), joinedload(Station.work_center)),
    extras="masters/_station.html",
)

# In the order the masters page shows them.
MASTERS = {m.slug: m for m in (MATERIALS, LOTS, LOCATIONS, PARTS, WORK_CENTERS, VENDORS, CUSTOMERS, USERS, STATIONS)}

"""Barcode prefixes, command codes, reason codes and roles: every shop-floor constant, defined once."""

# Prefixes of the codes printed on labels; one input field understands them all.
EMP = "EMP-"
JOB = "JOB-"
BIN = "BIN-"
LOT = "LOT-"
FG = "FG-"
VND = "VND-"
CMD = "CMD-"
# What a shipper scans at the shipping bench to say what a shipment is for: a release or call-off
# (REL-<release id>) or an order line (LINE-<line id>), printed on the shipping pages.
REL = "REL-"
LINE = "LINE-"
PO = "PO-"  # a purchase order for material, scanned at the receiving dock
PREFIXES = (EMP, JOB, BIN, LOT, FG, VND, CMD, REL, LINE, PO)

# Commands printed on a station's command card.
CMD_DONE = "CMD-DONE"
CMD_CANCEL = "CMD-CANCEL"
CMD_UNDO = "CMD-UNDO"
CMD_SCRAP = "CMD-SCRAP"
CMD_HOLD = "CMD-HOLD"
CMD_RELEASE = "CMD-RELEASE"
CMD_RETURN = "CMD-RETURN"
CMD_SHIP_OUT = "CMD-SHIP-OUT"
CMD_RECEIVE = "CMD-RECEIVE"
CMD_SHIP = "CMD-SHIP"
CMD_FG = "CMD-FG"
CMD_MOVE = "CMD-MOVE"
CMD_COUNT = "CMD-COUNT"
CMD_SIGN_OUT = "CMD-SIGN-OUT"

# Scrap and hold reasons, scanned as CMD-R-<code> or typed as the code.
SCRAP_REASONS = {
    "DIM": "Out of tolerance",
    "FIN": "Surface finish",
    "MAT": "Material defect",
    "SET": "Setup piece",
    "TOOL": "Tool breakage",
    "HAND": "Handling damage",
    "OTH": "Other",
}
HOLD_REASONS = {
    "DIM": "Dimension suspect",
    "FIN": "Finish / cosmetic",
    "MAT": "Material / cert question",
    "VND": "Vendor process nonconformance",
    "DOC": "Paperwork missing",
    "OTH": "Other",
}

# Causes an inspector records on a non-conformance report (the metrics' Pareto counts them).
NCR_CAUSES = {
    "SETUP": "Setup / offset error",
    "TOOL": "Tool wear or breakage",
    "PROG": "Program error",
    "OPER": "Operator error",
    "MAT": "Material / heat defect",
    "VND": "Outside vendor process",
    "MEAS": "Measurement / gauge error",
    "DWG": "Drawing or spec unclear",
    "HAND": "Handling damage",
    "OTH": "Other",
}
NCR_PREFIX = "NCR-"

# Why a cycle count adjusted the books (the reason of each ADJUST ledger entry).
COUNT_MISSING = "COUNT-MISSING"    # in the bin by the books, not found by the count
COUNT_FOUND = "COUNT-FOUND"        # found by the count, the books put it elsewhere (or nowhere)
COUNT_QTY = "COUNT-QTY"            # its length or quantity counted differs from the books
COUNT_REASONS = {
    COUNT_MISSING: "Not found in the bin",
    COUNT_FOUND: "Found in the bin; the books put it elsewhere",
    COUNT_QTY: "Counted length or quantity differs",
}

# Dispositions an inspector gives when releasing a hold.
USE_AS_IS = "use_as_is"
REWORK = "rework"
SCRAP = "scrap"
RETURN_TO_VENDOR = "return_to_vendor"
DISPOSITIONS = {
    USE_AS_IS: "Use as is",
    REWORK: "Rework",
    SCRAP: "Scrap",
    RETURN_TO_VENDOR: "Return to vendor",
}

# Roles; admin may do everything.
OPERATOR = "operator"
MATERIAL_HANDLER = "material_handler"
INSPECTOR = "inspector"
SHIPPING = "shipping"
PLANNER = "planner"
ADMIN = "admin"
ROLES = {
    OPERATOR: "Operator",
    MATERIAL_HANDLER: "Material handler",
    INSPECTOR: "Inspector (QC)",
    SHIPPING: "Shipping",
    PLANNER: "Planner / manager",
    ADMIN: "Administrator",
}
# How a refusal names a person of each role ("Only an inspector may ...").
ROLE_NOUNS = {
    OPERATOR: "operator",
    MATERIAL_HANDLER: "material handler",
    INSPECTOR: "inspector",
    SHIPPING: "shipping clerk",
    PLANNER: "planner",
    ADMIN: "administrator",
}
OFFICE_ROLES = (PLANNER, ADMIN)
# Who approves a cycle count whose variance is above the tolerance, and who sees the counts.
COUNT_APPROVERS = (PLANNER, ADMIN)
COUNT_VIEWERS = (MATERIAL_HANDLER, PLANNER, ADMIN)

# Who may do each shop-floor action (admins may do all). Checked on the server for every scan.
FLOOR_ROLES = (OPERATOR, MATERIAL_HANDLER, INSPECTOR, SHIPPING)
ACTION_ROLES = {
    "pull": (OPERATOR, MATERIAL_HANDLER),
    "remnant": (OPERATOR, MATERIAL_HANDLER),
    "complete": (OPERATOR, INSPECTOR),
    "scrap": (OPERATOR, INSPECTOR),
    "hold": (OPERATOR, INSPECTOR, SHIPPING, MATERIAL_HANDLER),
    "release_hold": (INSPECTOR,),
    "ship_out": (SHIPPING, MATERIAL_HANDLER),
    "receive_back": (SHIPPING, MATERIAL_HANDLER, INSPECTOR),
    "fg_receipt": (OPERATOR, INSPECTOR, SHIPPING, MATERIAL_HANDLER),
    "ship": (SHIPPING,),
    "move": (OPERATOR, MATERIAL_HANDLER, SHIPPING),
    "count": (MATERIAL_HANDLER,),
}
# Whose badge is not enough at a station: roles that may release quality holds or administer.
# A badge number is short and sequential, so these people confirm it with a PIN of their own.
PIN_ROLES = tuple(dict.fromkeys((*ACTION_ROLES["release_hold"], ADMIN)))
PIN_MIN_DIGITS, PIN_MAX_DIGITS = 4, 8


def is_pin(text: str) -> bool:
    """Whether the text has the form of a station PIN: PIN_MIN_DIGITS to PIN_MAX_DIGITS plain digits."""
    return text.isascii() and text.isdigit() and PIN_MIN_DIGITS <= len(text) <= PIN_MAX_DIGITS


ACTION_NAMES = {
    "pull": "pull material",
    "remnant": "return a remnant",
    "complete": "complete an operation",
    "scrap": "report scrap",
    "hold": "place a quality hold",
    "release_hold": "release a quality hold",
    "ship_out": "ship to an outside vendor",
    "receive_back": "receive from an outside vendor",
    "fg_receipt": "put away finished goods",
    "ship": "ship finished goods",
    "move": "move stock",
    "count": "count a bin",
}

# Largest quantity a single scan may record; a bigger number is a mis-scan, not a job.
MAX_SCAN_QUANTITY = 100_000

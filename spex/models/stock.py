"""Where things are and what they are: locations, materials, lots from a heat, stock units, FG lots."""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from spex import codes
from spex.extensions import db
from spex.models._types import Fine, Qty, UtcDateTime, utcnow

LOCATION_KINDS = {
    "area": "Area",
    "rack": "Rack",
    "bin": "Bin",
    "cart": "WIP cart",
    "receiving": "Receiving",
    "inspection": "Inspection",
    "fg": "Finished goods",
    "shipping": "Shipping",
    "scrap": "Scrap",
    "vendor": "Outside vendor (virtual)",
}
# Locations that may hold stock (areas and racks are only parents in the tree).
STOCK_KINDS = ("bin", "cart", "receiving", "inspection", "fg", "shipping", "scrap", "vendor")


class Location(db.Model):
    __tablename__ = "locations"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('area','rack','bin','cart','receiving','inspection','fg','shipping','scrap','vendor')",
            name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Code without the BIN- prefix, upper case: R2-A03 -> barcode BIN-R2-A03.
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    kind: Mapped[str] = mapped_column(String(20), default="bin")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    vendor_id: Mapped[int | None] = mapped_column(ForeignKey("vendors.id"), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    parent = relationship("Location", remote_side=[id])
    vendor = relationship("Vendor")

    @property
    def barcode(self) -> str:
        return self.barcode_of(self.code)

    @staticmethod
    def barcode_of(code: str) -> str:
        return codes.BIN + code

    @property
    def path(self) -> str:
        """Area > rack > bin, as people say it."""
        names, node, seen = [], self, set()
        while node is not None and node.id not in seen:
            seen.add(node.id)
            names.append(node.name or node.code)
            node = node.parent
        return " > ".join(reversed(names))


class Material(db.Model):
    """An alloy/grade in a form and size, with its stocking policy and reorder parameters."""

    __tablename__ = "materials"
    __table_args__ = (
        CheckConstraint("stocking IN ('stocked','per_job')", name="stocking"),
        CheckConstraint("unit IN ('in','ft','pcs','lb','sqin')", name="unit"),
        CheckConstraint("lead_time_days >= 0", name="lead_time_nonneg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)  # 303-RD-1.000
    grade: Mapped[str] = mapped_column(String(60), index=True)  # 303 stainless
    family: Mapped[str] = mapped_column(String(40), default="")
    form: Mapped[str] = mapped_column(String(20), default="round bar")
    size: Mapped[str] = mapped_column(String(60), default="")  # 1.000 dia, 0.500 x 12 x 12
    diameter_in: Mapped[Decimal | None] = mapped_column(Fine)
    unit: Mapped[str] = mapped_column(String(6), default="in")
    density_lb_per_in3: Mapped[Decimal | None] = mapped_column(Fine)
    stocking: Mapped[str] = mapped_column(String(10), default="stocked")
    lead_time_days: Mapped[int] = mapped_column(Integer, default=10)
    unit_cost: Mapped[Decimal | None] = mapped_column(Qty)  # per unit
    order_cost: Mapped[Decimal | None] = mapped_column(Qty)
    reorder_point: Mapped[Decimal | None] = mapped_column(Qty)
    min_qty: Mapped[Decimal | None] = mapped_column(Qty)
    max_qty: Mapped[Decimal | None] = mapped_column(Qty)
    typical_bar_length_in: Mapped[Decimal | None] = mapped_column(Qty)
    bar_end_in: Mapped[Decimal | None] = mapped_column(Qty)  # chuck/bar-end length a bar loses
    # The saw's cut (kerf) when a part names no cutoff width of its own; also between blanks on a plate.
    kerf_in: Mapped[Decimal | None] = mapped_column(Qty)
    # A drop shorter than this goes to scrap, not back on the rack as a labelled remnant.
    min_remnant_in: Mapped[Decimal | None] = mapped_column(Qty)
    # Weight of an inch of bar as the supplier states it; otherwise density x cross-section.
    weight_per_in_lb: Mapped[Decimal | None] = mapped_column(Fine)
    # A lot received without a mill cert record goes on a receiving hold (spex.materials.certs).
    cert_required: Mapped[bool] = mapped_column(Boolean, default=False)
    # Who the buy list puts it on a PO to (a material supplier among the vendors).
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("vendors.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    supplier = relationship("Vendor")
    limits = relationship("MaterialLimit", order_by="MaterialLimit.id", cascade="all, delete-orphan")

    @property
    def label(self) -> str:
        return f"{self.grade} {self.form} {self.size}".strip()


class MaterialLot(db.Model):
    """One receipt of material from one heat, with its mill cert."""

    __tablename__ = "material_lots"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)  # 1187
    material_id: Mapped[int] = mapped_column(ForeignKey("materials.id"))
    heat_number: Mapped[str] = mapped_column(String(60), index=True)
    supplier: Mapped[str] = mapped_column(String(120), default="")
    po_number: Mapped[str | None] = mapped_column(String(60))
    cert_filename: Mapped[str | None] = mapped_column(String(255))  # stored file name in the upload folder
    cert_reference: Mapped[str | None] = mapped_column(String(120))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))  # material stocking agreement
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    material = relationship("Material")
    units = relationship("StockUnit", back_populates="lot", order_by="StockUnit.code")


class StockUnit(db.Model):
    """One bar, plate or remnant (drop) of a lot, with its own label; its length is its ledger balance."""

    __tablename__ = "stock_units"
    __table_args__ = (
        CheckConstraint("kind IN ('bar','plate','sheet','tube','piece','remnant')", name="kind"),
        CheckConstraint("initial_qty > 0", name="initial_qty_pos"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)  # 1187-03; barcode LOT-1187-03
    lot_id: Mapped[int] = mapped_column(ForeignKey("material_lots.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="bar")
    initial_qty: Mapped[Decimal] = mapped_column(Qty)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("stock_units.id"))  # remnant cut from
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    lot = relationship("MaterialLot", back_populates="units")
    parent = relationship("StockUnit", remote_side=[id])

    @property
    def barcode(self) -> str:
        return codes.LOT + self.code


class FinishedGoodsLot(db.Model):
    """Finished pieces of one job in a bin, traceable to the job and its heats."""

    __tablename__ = "fg_lots"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)  # 5521; barcode FG-5521
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), index=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("parts.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # A carton split from another lot names that lot: the same job, so the same heats and recall.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("fg_lots.id"), index=True)

    job = relationship("Job")
    part = relationship("Part")
    parent = relationship("FinishedGoodsLot", remote_side=[id])

    @property
    def barcode(self) -> str:
        return codes.FG + self.code


class PrintJob(db.Model):
    """A label waiting at (or sent from) the label station; a printer that did not answer leaves it queued."""

    __tablename__ = "print_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))  # bin, stock_unit, remnant, fg, shipment, badge, command_card
    code: Mapped[str] = mapped_column(String(80))  # the record's barcode, e.g. LOT-1187-03
    copies: Mapped[int] = mapped_column(Integer, default=1)
    output: Mapped[str] = mapped_column(String(10), default="zpl")
    status: Mapped[str] = mapped_column(String(10), default="queued")  # queued, sent, failed, done
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    printed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

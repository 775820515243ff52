"""Master data: work centers, vendors, customers, parts and their routings."""
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from spex import codes
from spex.extensions import db
from spex.models._types import Fine, Qty


class WorkCenter(db.Model):
    __tablename__ = "work_centers"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20), default="lathe")  # saw, lathe, mill, deburr, inspection, other
    hours_per_day: Mapped[Decimal] = mapped_column(Qty, default=Decimal("8"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Vendor(db.Model):
    """An outside processor (anodize, plate, heat treat, grind, passivate) or a material supplier."""

    __tablename__ = "vendors"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)  # ACME-ANODIZE; barcode VND-ACME-ANODIZE
    name: Mapped[str] = mapped_column(String(120))
    process: Mapped[str | None] = mapped_column(String(60))
    turnaround_days: Mapped[int] = mapped_column(Integer, default=5)
    contact: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    @property
    def barcode(self) -> str:
        return codes.VND + self.code


class Customer(db.Model):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    contact: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Part(db.Model):
    __tablename__ = "parts"
    __table_args__ = (
        UniqueConstraint("customer_id", "number", "rev"),
        CheckConstraint("bar_length_per_piece >= 0", name="bar_length_nonneg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    number: Mapped[str] = mapped_column(String(60), index=True)
    rev: Mapped[str] = mapped_column(String(10), default="A")
    description: Mapped[str] = mapped_column(String(200), default="")
    material_id: Mapped[int | None] = mapped_column(ForeignKey("materials.id"))
    # Bar consumed per piece: part length + cutoff + facing (inches); 0 for plate/blank parts.
    bar_length_per_piece: Mapped[Decimal] = mapped_column(Qty, default=Decimal("0"))
    # What the bar per piece is made of (spex.planning.bars): finished length + facing + cutoff width.
    finished_length_in: Mapped[Decimal | None] = mapped_column(Qty)
    facing_allowance_in: Mapped[Decimal | None] = mapped_column(Qty)
    cutoff_width_in: Mapped[Decimal | None] = mapped_column(Qty)
    blank_size: Mapped[str | None] = mapped_column(String(60))
    finished_weight_lb: Mapped[Decimal | None] = mapped_column(Fine)
    unit_price: Mapped[Decimal | None] = mapped_column(Qty)
    setup_cost: Mapped[Decimal | None] = mapped_column(Qty)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    customer = relationship("Customer")
    material = relationship("Material")
    routing = relationship("RoutingStep", order_by="RoutingStep.seq", back_populates="part",
                           cascade="all, delete-orphan")

    @property
    def label(self) -> str:
        return f"{self.number} rev {self.rev}"


class RoutingStep(db.Model):
    """One operation of a part's routing template: in-house at a work center, or outside at a vendor."""

    __tablename__ = "routing_steps"
    __table_args__ = (
        UniqueConstraint("part_id", "seq"),
        CheckConstraint("kind IN ('inhouse','outside')", name="kind"),
        CheckConstraint("setup_min >= 0 AND run_min_per_piece >= 0", name="times_nonneg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("parts.id"))
    seq: Mapped[int] = mapped_column(Integer)  # 10, 20, 30...
    kind: Mapped[str] = mapped_column(String(10), default="inhouse")
    description: Mapped[str] = mapped_column(String(200), default="")
    work_center_id: Mapped[int | None] = mapped_column(ForeignKey("work_centers.id"))
    vendor_id: Mapped[int | None] = mapped_column(ForeignKey("vendors.id"))
    setup_min: Mapped[Decimal] = mapped_column(Qty, default=Decimal("0"))
    run_min_per_piece: Mapped[Decimal] = mapped_column(Qty, default=Decimal("0"))
    turnaround_days: Mapped[int] = mapped_column(Integer, default=0)

    part = relationship("Part", back_populates="routing")
    work_center = relationship("WorkCenter")
    vendor = relationship("Vendor")

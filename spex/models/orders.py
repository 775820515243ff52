"""Customer orders: lines with a delivery strategy, their releases and call-offs, stocking programs."""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from spex.extensions import db
from spex.models._types import Qty, UtcDateTime, utcnow

STRATEGIES = {
    "ship_complete": "Ship complete",
    "scheduled": "Scheduled releases",
    "blanket": "Blanket order (call-offs)",
}


class CustomerOrder(db.Model):
    __tablename__ = "customer_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)  # our sales order number
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    po_number: Mapped[str] = mapped_column(String(60))  # the customer's PO
    order_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="open")  # open, closed, cancelled
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    customer = relationship("Customer")
    lines = relationship("OrderLine", back_populates="order", order_by="OrderLine.line_no")


class OrderLine(db.Model):
    __tablename__ = "order_lines"
    __table_args__ = (
        UniqueConstraint("order_id", "line_no"),
        CheckConstraint("strategy IN ('ship_complete','scheduled','blanket')", name="strategy"),
        CheckConstraint("quantity > 0", name="quantity_pos"),
        CheckConstraint("shipped_qty >= 0", name="shipped_nonneg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_orders.id"))
    line_no: Mapped[int] = mapped_column(Integer)
    part_id: Mapped[int] = mapped_column(ForeignKey("parts.id"))
    quantity: Mapped[int] = mapped_column(Integer)  # for a blanket: the committed total
    strategy: Mapped[str] = mapped_column(String(16), default="ship_complete")
    due_date: Mapped[date | None] = mapped_column(Date)  # ship-complete due; blanket period end
    period_start: Mapped[date | None] = mapped_column(Date)  # blanket period
    unit_price: Mapped[Decimal | None] = mapped_column(Qty)
    shipped_qty: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(12), default="open", server_default="open")  # open, cancelled

    order = relationship("CustomerOrder", back_populates="lines")
    part = relationship("Part")
    releases = relationship("Release", back_populates="line", order_by="Release.due_date")


class Release(db.Model):
    """A scheduled release of a line, or a call-off against a blanket order."""

    __tablename__ = "releases"
    __table_args__ = (
        CheckConstraint("kind IN ('release','calloff')", name="kind"),
        CheckConstraint("quantity > 0", name="quantity_pos"),
        CheckConstraint("shipped_qty >= 0 AND shipped_qty <= quantity", name="shipped_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="release")
    due_date: Mapped[date] = mapped_column(Date)
    quantity: Mapped[int] = mapped_column(Integer)
    shipped_qty: Mapped[int] = mapped_column(Integer, default=0)
    shipped_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    line = relationship("OrderLine", back_populates="releases")


class StockingProgram(db.Model):
    """A customer safety-stock program (hold N finished pieces) or material stocking agreement (hold N bars)."""

    __tablename__ = "stocking_programs"
    __table_args__ = (
        CheckConstraint("kind IN ('safety_stock','material')", name="kind"),
        CheckConstraint("quantity >= 0", name="quantity_nonneg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    kind: Mapped[str] = mapped_column(String(16))
    part_id: Mapped[int | None] = mapped_column(ForeignKey("parts.id"))
    material_id: Mapped[int | None] = mapped_column(ForeignKey("materials.id"))
    quantity: Mapped[Decimal] = mapped_column(Qty)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    customer = relationship("Customer")
    part = relationship("Part")
    material = relationship("Material")


class StockingRelease(db.Model):
    """A planner let one bar held for a customer go to other customers' jobs: who, when and why."""

    __tablename__ = "stocking_releases"

    id: Mapped[int] = mapped_column(primary_key=True)
    stock_unit_id: Mapped[int] = mapped_column(ForeignKey("stock_units.id"), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))  # whom it was held for
    program_id: Mapped[int | None] = mapped_column(ForeignKey("stocking_programs.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    released_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    unit = relationship("StockUnit")
    customer = relationship("Customer")
    user = relationship("User")

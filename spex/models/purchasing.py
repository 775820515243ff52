"""Buying material: purchase orders to a supplier, their lines, what arrived against each line (with
the lead time it took), and the purchase needs that releasing a buy-per-job job raises."""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from spex import codes
from spex.extensions import db
from spex.models._types import Qty, UtcDateTime, qty, utcnow

DRAFT, SENT, PARTLY_RECEIVED, RECEIVED, CANCELLED = "draft", "sent", "partly_received", "received", "cancelled"
PO_STATES = {DRAFT: "Draft", SENT: "Sent", PARTLY_RECEIVED: "Partly received", RECEIVED: "Received",
             CANCELLED: "Cancelled"}
# A PO whose lines may still bring material (what counts as on order).
OPEN_PO_STATES = (DRAFT, SENT, PARTLY_RECEIVED)
# A PO the dock may receive against.
RECEIVABLE_PO_STATES = (SENT, PARTLY_RECEIVED)
LINE_STATES = (SENT, PARTLY_RECEIVED, RECEIVED, CANCELLED)  # a draft PO's lines are "sent" once it is
# The unit a line is bought in, and how the shop says many of them.
BUY_UNITS = {"bar": ("bar", "bars"), "plate": ("plate", "plates"), "lb": ("lb", "lb"), "in": ("in", "in"),
             "ft": ("ft", "ft"), "pcs": ("pc", "pcs")}
NEED_OPEN, NEED_ORDERED, NEED_CANCELLED = "open", "ordered", "cancelled"


class PurchaseOrder(db.Model):
    __tablename__ = "purchase_orders"
    __table_args__ = (
        CheckConstraint("status IN ('draft','sent','partly_received','received','cancelled')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)  # 3001; barcode PO-3001
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=DRAFT, index=True)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(String(200))

    vendor = relationship("Vendor")
    lines = relationship("PurchaseOrderLine", back_populates="order", order_by="PurchaseOrderLine.line_no",
                         cascade="all, delete-orphan")

    @property
    def barcode(self) -> str:
        return codes.PO + self.number

    @property
    def state_name(self) -> str:
        return PO_STATES[self.status]

    @property
    def total(self) -> Decimal | None:
        prices = [line.amount for line in self.lines if line.status != CANCELLED]
        return qty(sum(prices)) if prices and all(p is not None for p in prices) else None


class PurchaseOrderLine(db.Model):
    """Material bought in its own unit: 24 bars × 144 in, 6 plates, 500 lb. `each_qty` is how many of
    the material's stock unit (in, pcs, lb) one bought unit is, so ordered = count × each."""

    __tablename__ = "purchase_order_lines"
    __table_args__ = (
        UniqueConstraint("po_id", "line_no"),
        CheckConstraint("count > 0 AND each_qty > 0", name="qty_pos"),
        CheckConstraint("received_qty >= 0", name="received_nonneg"),
        CheckConstraint("status IN ('sent','partly_received','received','cancelled')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    po_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    material_id: Mapped[int] = mapped_column(ForeignKey("materials.id"), index=True)
    buy_unit: Mapped[str] = mapped_column(String(10), default="bar")
    count: Mapped[Decimal] = mapped_column(Qty)
    each_qty: Mapped[Decimal] = mapped_column(Qty)
    price: Mapped[Decimal | None] = mapped_column(Qty)  # per bought unit
    due_date: Mapped[date] = mapped_column(Date)
    # Kept by spex.purchasing.orders in the same transaction as each receipt (material units).
    received_qty: Mapped[Decimal] = mapped_column(Qty, default=Decimal("0"))
    status: Mapped[str] = mapped_column(String(20), default=SENT)

    order = relationship("PurchaseOrder", back_populates="lines")
    material = relationship("Material")
    receipts = relationship("PurchaseReceipt", back_populates="line", order_by="PurchaseReceipt.id")
    needs = relationship("PurchaseNeed", back_populates="line", order_by="PurchaseNeed.id")

    @property
    def ordered_qty(self) -> Decimal:
        return qty(self.count * self.each_qty)

    @property
    def open_qty(self) -> Decimal:
        """Still to come: ordered less received, nothing once the line is received or cancelled."""
        if self.status in (RECEIVED, CANCELLED):
            return qty(0)
        return max(self.ordered_qty - (self.received_qty or 0), qty(0))

    @property
    def amount(self) -> Decimal | None:
        return qty(self.count * self.price) if self.price is not None else None

    @property
    def words(self) -> str:
        """24 bars × 144 in · 3 plates · 500 lb."""
        one, many = BUY_UNITS.get(self.buy_unit, (self.buy_unit, self.buy_unit))
        count = f"{self.count.normalize():f}"
        name = one if self.count == 1 else many
        if self.buy_unit in ("bar",) and self.each_qty != 1:
            return f"{count} {name} × {self.each_qty.normalize():f} {self.material.unit}"
        return f"{count} {name}"


class PurchaseReceipt(db.Model):
    """One delivery against a PO line: the lot it became, and how many working days it took from sending."""

    __tablename__ = "purchase_receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("purchase_order_lines.id"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("material_lots.id"), unique=True)
    quantity: Mapped[Decimal] = mapped_column(Qty)  # material units
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    lead_days: Mapped[int] = mapped_column(Integer)  # working days from the PO's sending
    days_late: Mapped[int] = mapped_column(Integer, default=0)  # working days after the line's due date
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    line = relationship("PurchaseOrderLine", back_populates="receipts")
    lot = relationship("MaterialLot")


class PurchaseNeed(db.Model):
    """Material a released buy-per-job job needs and the shop does not have: to be put on a PO."""

    __tablename__ = "purchase_needs"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_pos"),
        CheckConstraint("status IN ('open','ordered','cancelled')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), index=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("materials.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Qty)  # material units
    needed_by: Mapped[date] = mapped_column(Date)
    job_starts: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default=NEED_OPEN, index=True)
    po_line_id: Mapped[int | None] = mapped_column(ForeignKey("purchase_order_lines.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    job = relationship("Job")
    material = relationship("Material")
    line = relationship("PurchaseOrderLine", back_populates="needs")

"""Shipments to customers: lines against order lines and releases, each filled from finished-goods lots.

A shipment is a record of what left: it is never edited in place (a correction is a new record), so
the rows refuse updates and deletes as the ledger does.
"""
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from spex.extensions import db
from spex.models._types import UtcDateTime, utcnow

SHP = "SHP-"  # the shipment's barcode prefix, as on its packing list


class Shipment(db.Model):
    __tablename__ = "shipments"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)  # 7001; barcode SHP-7001
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    ship_to: Mapped[str] = mapped_column(Text, default="")
    ship_date: Mapped[date] = mapped_column(Date)
    carrier: Mapped[str] = mapped_column(String(60), default="")
    tracking: Mapped[str] = mapped_column(String(80), default="")
    shipped_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    customer = relationship("Customer")
    shipped_by = relationship("User")
    lines = relationship("ShipmentLine", back_populates="shipment", order_by="ShipmentLine.line_no")

    @property
    def barcode(self) -> str:
        return SHP + self.number

    @property
    def quantity(self) -> int:
        return sum(line.quantity for line in self.lines)


class ShipmentLine(db.Model):
    """Pieces of one order line (and one of its releases or call-offs, when it ships in them)."""

    __tablename__ = "shipment_lines"
    __table_args__ = (
        UniqueConstraint("shipment_id", "line_no"),
        CheckConstraint("quantity > 0", name="quantity_pos"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"), index=True)
    release_id: Mapped[int | None] = mapped_column(ForeignKey("releases.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)

    shipment = relationship("Shipment", back_populates="lines")
    order_line = relationship("OrderLine")
    release = relationship("Release")
    lots = relationship("ShipmentLot", back_populates="line", order_by="ShipmentLot.id")


class ShipmentLot(db.Model):
    """So many pieces of one FG lot on a shipment line, and the ledger entry that took them out."""

    __tablename__ = "shipment_lots"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_pos"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_line_id: Mapped[int] = mapped_column(ForeignKey("shipment_lines.id"), index=True)
    fg_lot_id: Mapped[int] = mapped_column(ForeignKey("fg_lots.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    ledger_entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"), unique=True)

    line = relationship("ShipmentLine", back_populates="lots")
    fg_lot = relationship("FinishedGoodsLot")
    ledger_entry = relationship("LedgerEntry")


@event.listens_for(Shipment, "before_update")
@event.listens_for(Shipment, "before_delete")
@event.listens_for(ShipmentLine, "before_update")
@event.listens_for(ShipmentLine, "before_delete")
@event.listens_for(ShipmentLot, "before_update")
@event.listens_for(ShipmentLot, "before_delete")
def _made_once(mapper, connection, target):
    raise ValueError("A shipment is a record of what left: it is not edited. Record a correction instead.")

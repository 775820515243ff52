"""Cycle counts: a bin counted by scan, one line per unit the books or the count put in it, and the
adjustments its variance became."""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from spex.extensions import db
from spex.models._types import Qty, UtcDateTime, utcnow

# counting: scans coming in; exact: every unit counted right; adjusted: the variance was within the
# tolerance and adjusted at once; waiting: above it, for a planner; approved / rejected: decided;
# dropped: left unfinished and cancelled (shown as "cancelled": the station left it, a planner
# cancelled it, or a new count of the bin started); decided_by/at and decision_note say who, when, why.
COUNT_STATUSES = ("counting", "exact", "adjusted", "waiting", "approved", "rejected", "dropped")
FINISHED_STATUSES = ("exact", "adjusted", "waiting", "approved", "rejected")


class Count(db.Model):
    """One cycle count of one bin."""

    __tablename__ = "counts"
    __table_args__ = (
        CheckConstraint("status IN ('counting','exact','adjusted','waiting','approved','rejected','dropped')",
                        name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="counting", index=True)
    counted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id"))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    tolerance: Mapped[Decimal | None] = mapped_column(Qty)  # percent, as it was when the count finished
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)

    location = relationship("Location")
    counted_by = relationship("User", foreign_keys=[counted_by_id])
    station = relationship("Station")
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    lines = relationship("CountLine", back_populates="count", order_by="CountLine.id",
                         cascade="all, delete-orphan")

    @property
    def number(self) -> str:
        return f"Count {self.id}"


class CountLine(db.Model):
    """One unit of a count: a bar, plate or remnant, or an FG lot; what the books said was in the
    bin, what was counted (None: not found), and where the books put it when that was elsewhere."""

    __tablename__ = "count_lines"
    __table_args__ = (
        CheckConstraint("(stock_unit_id IS NULL) <> (fg_lot_id IS NULL)", name="one_unit"),
        CheckConstraint("expected >= 0", name="expected_nonneg"),
        CheckConstraint("counted IS NULL OR counted > 0", name="counted_pos"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    count_id: Mapped[int] = mapped_column(ForeignKey("counts.id"), index=True)
    stock_unit_id: Mapped[int | None] = mapped_column(ForeignKey("stock_units.id"), index=True)
    fg_lot_id: Mapped[int | None] = mapped_column(ForeignKey("fg_lots.id"), index=True)
    unit: Mapped[str] = mapped_column(String(6))
    expected: Mapped[Decimal] = mapped_column(Qty, default=Decimal(0))  # in this bin, by the books
    counted: Mapped[Decimal | None] = mapped_column(Qty)
    # Where the books put a unit found here instead, and how much of it they put there.
    booked_location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    booked_elsewhere: Mapped[Decimal | None] = mapped_column(Qty)
    scanned_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The ADJUST entries the line became: the move from where the books put it, and the difference.
    move_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    adjust_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))

    count = relationship("Count", back_populates="lines")
    stock_unit = relationship("StockUnit")
    fg_lot = relationship("FinishedGoodsLot")
    booked_location = relationship("Location")

    @property
    def barcode(self) -> str:
        return self.stock_unit.barcode if self.stock_unit is not None else self.fg_lot.barcode

    @property
    def difference(self) -> Decimal:
        """Counted less expected here (a missing unit: minus all the books had)."""
        return (self.counted or Decimal(0)) - self.expected

    @property
    def is_right(self) -> bool:
        """Counted as the books have it: here, and as much."""
        return self.counted is not None and self.counted == self.expected and self.booked_location_id is None

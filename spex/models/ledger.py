"""The ledger's tables: append-only entries and the on-hand balances kept beside them."""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from spex.extensions import db
from spex.models._types import Qty, UtcDateTime, utcnow


class LedgerEntry(db.Model):
    """One movement: what, how much, from where, to where, for which job/op, by whom, where, when, which scan.

    Items and places are short keys (see spex.ledger): "unit:12" is a stock unit, "job:7" the pieces
    of a job, "fg:3" a finished-goods lot; "loc:5" a location, "op:40" pieces waiting at a job
    operation, "hold:40" pieces held there, "done:7" pieces past the last operation.
    A place of NULL is outside the shop (supplier, customer, chips).
    """

    __tablename__ = "ledger_entries"
    __table_args__ = (
        UniqueConstraint("scan_uid", "scan_seq"),
        CheckConstraint("quantity > 0", name="quantity_pos"),
        CheckConstraint("from_place IS NOT NULL OR to_place IS NOT NULL", name="has_place"),
        Index("ix_ledger_entries_station_id_id", "station_id", "id"),
        Index("ix_ledger_entries_user_id_id", "user_id", "id"),
        Index("ix_ledger_entries_job_id_id", "job_id", "id"),
        # By kind, and within a kind what the metrics sum per operation and reason over a period:
        # the scrap rates read a year of completions and scrap from this index alone, already in
        # their groups' order (it replaces a plain index on kind, so scans write no more indexes).
        Index("ix_ledger_entries_kind_op", "kind", "job_operation_id", "reason", "created_at", "quantity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    item: Mapped[str] = mapped_column(String(40), index=True)
    quantity: Mapped[Decimal] = mapped_column(Qty)
    unit: Mapped[str] = mapped_column(String(6))
    from_place: Mapped[str | None] = mapped_column(String(40))
    to_place: Mapped[str | None] = mapped_column(String(40))
    stock_unit_id: Mapped[int | None] = mapped_column(ForeignKey("stock_units.id"), index=True)
    fg_lot_id: Mapped[int | None] = mapped_column(ForeignKey("fg_lots.id"), index=True)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"))
    job_operation_id: Mapped[int | None] = mapped_column(ForeignKey("job_operations.id"), index=True)
    from_location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    to_location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    order_line_id: Mapped[int | None] = mapped_column(ForeignKey("order_lines.id"))
    release_id: Mapped[int | None] = mapped_column(ForeignKey("releases.id"))
    # The hold or outside shipment this movement belongs to, for traceability and undo.
    hold_id: Mapped[int | None] = mapped_column(ForeignKey("quality_holds.id"))
    shipment_id: Mapped[int | None] = mapped_column(ForeignKey("outside_shipments.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id"))
    # The client-generated id of the scan that caused this entry; seq numbers the entries of one scan.
    scan_uid: Mapped[str | None] = mapped_column(String(64))
    scan_seq: Mapped[int] = mapped_column(Integer, default=0)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"), unique=True)
    reason: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)

    user = relationship("User")
    station = relationship("Station")
    job = relationship("Job")
    operation = relationship("JobOperation")
    stock_unit = relationship("StockUnit")
    fg_lot = relationship("FinishedGoodsLot")
    reverses = relationship("LedgerEntry", remote_side=[id])


class Balance(db.Model):
    """On hand: the quantity of an item at a place. Always the sum of the ledger; never negative."""

    __tablename__ = "balances"
    __table_args__ = (CheckConstraint("quantity >= 0", name="quantity_nonneg"),)

    item: Mapped[str] = mapped_column(String(40), primary_key=True)
    place: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)
    quantity: Mapped[Decimal] = mapped_column(Qty)
    unit: Mapped[str] = mapped_column(String(6))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


@event.listens_for(LedgerEntry, "before_update")
@event.listens_for(LedgerEntry, "before_delete")
def _append_only(mapper, connection, target):
    raise ValueError("The ledger is append-only: post a reversing entry instead.")

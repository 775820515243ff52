"""Jobs (work orders) and what happens to them: operations, quality holds, outside-process shipments."""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (Boolean, CheckConstraint, Column, Date, ForeignKey, Integer, String, Table, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from spex import codes
from spex.extensions import db
from spex.models._types import Qty, UtcDateTime, utcnow

job_order_lines = Table(
    "job_order_lines",
    db.metadata,
    Column("job_id", ForeignKey("jobs.id"), primary_key=True),
    Column("order_line_id", ForeignKey("order_lines.id"), primary_key=True),
)

JOB_STATUSES = ("planned", "released", "complete", "closed", "cancelled")
OPEN_STATUSES = ("planned", "released")


class Job(db.Model):
    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_pos"),
        CheckConstraint("status IN ('planned','released','complete','closed','cancelled')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)  # 24017; barcode JOB-24017
    part_id: Mapped[int] = mapped_column(ForeignKey("parts.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="planned", index=True)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    part = relationship("Part")
    operations = relationship("JobOperation", back_populates="job", order_by="JobOperation.seq")
    order_lines = relationship("OrderLine", secondary=job_order_lines)
    holds = relationship("QualityHold", back_populates="job", order_by="QualityHold.placed_at")
    shipments = relationship("OutsideShipment", back_populates="job", order_by="OutsideShipment.shipped_at")

    @property
    def barcode(self) -> str:
        return codes.JOB + self.number


class JobOperation(db.Model):
    """One operation of a job, instantiated from the routing, with its own quantities.

    Pieces waiting at this operation are the ledger balance of the job at place "op:<id>";
    qty_good and qty_scrap are kept by the ledger in the same transaction as their entries.
    """

    __tablename__ = "job_operations"
    __table_args__ = (
        UniqueConstraint("job_id", "seq"),
        CheckConstraint("kind IN ('inhouse','outside')", name="kind"),
        CheckConstraint("qty_good >= 0 AND qty_scrap >= 0", name="qty_nonneg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10), default="inhouse")
    description: Mapped[str] = mapped_column(String(200), default="")
    work_center_id: Mapped[int | None] = mapped_column(ForeignKey("work_centers.id"))
    vendor_id: Mapped[int | None] = mapped_column(ForeignKey("vendors.id"))
    setup_min: Mapped[Decimal] = mapped_column(Qty, default=Decimal("0"))
    run_min_per_piece: Mapped[Decimal] = mapped_column(Qty, default=Decimal("0"))
    turnaround_days: Mapped[int] = mapped_column(Integer, default=0)
    qty_good: Mapped[int] = mapped_column(Integer, default=0)
    qty_scrap: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # When pieces last arrived here or work was last recorded; drives the board's ageing colours.
    last_activity_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # A rework operation added to the job for pieces held at another operation: its good pieces go
    # back to that operation (not on down the routing), and who added it and why is kept.
    rework_of_id: Mapped[int | None] = mapped_column(ForeignKey("job_operations.id"))
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    added_reason: Mapped[str | None] = mapped_column(Text)

    job = relationship("Job", back_populates="operations")
    work_center = relationship("WorkCenter")
    vendor = relationship("Vendor")
    rework_of = relationship("JobOperation", remote_side=[id], foreign_keys=[rework_of_id])
    added_by = relationship("User", foreign_keys=[added_by_id])

    @property
    def barcode(self) -> str:
        return f"{codes.JOB}{self.job.number}-{self.seq}"

    @property
    def is_outside(self) -> bool:
        return self.kind == "outside"

    @property
    def is_rework(self) -> bool:
        return self.rework_of_id is not None


class QualityHold(db.Model):
    """A quantity of a job held at an operation (an NCR), until an inspector gives a disposition."""

    __tablename__ = "quality_holds"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_pos"),
        CheckConstraint(
            "disposition IS NULL OR disposition IN ('use_as_is','rework','scrap','return_to_vendor')",
            name="disposition"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), index=True)
    # Every scan that settles an operation asks for its open holds: one index step, however many the
    # shop has placed over the years.
    job_operation_id: Mapped[int] = mapped_column(ForeignKey("job_operations.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    reason_code: Mapped[str] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(Text)
    placed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    placed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    disposition: Mapped[str | None] = mapped_column(String(20))
    disposition_note: Mapped[str | None] = mapped_column(Text)
    # Where reworked pieces were sent: an earlier operation of the job, or a rework operation added to it.
    rework_operation_id: Mapped[int | None] = mapped_column(ForeignKey("job_operations.id"))

    job = relationship("Job", back_populates="holds")
    operation = relationship("JobOperation", foreign_keys=[job_operation_id])
    rework_operation = relationship("JobOperation", foreign_keys=[rework_operation_id])
    # The non-conformance report the hold opened (spex.quality.ncrs), set as it is opened.
    ncr = relationship("NonConformance", back_populates="hold", uselist=False)
    placed_by = relationship("User", foreign_keys=[placed_by_id])
    released_by = relationship("User", foreign_keys=[released_by_id])

    @property
    def is_open(self) -> bool:
        return self.released_at is None


class OutsideShipment(db.Model):
    """Pieces of a job operation sent to an outside processor, and what came back."""

    __tablename__ = "outside_shipments"
    __table_args__ = (
        CheckConstraint("quantity_out > 0", name="quantity_out_pos"),
        CheckConstraint("quantity_back >= 0", name="quantity_back_nonneg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), index=True)
    # What is at the vendor for an operation is read on every ship-out and receive scan.
    job_operation_id: Mapped[int] = mapped_column(ForeignKey("job_operations.id"), index=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"))
    quantity_out: Mapped[int] = mapped_column(Integer)
    quantity_back: Mapped[int] = mapped_column(Integer, default=0)
    shipped_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expected_back: Mapped[date | None] = mapped_column(Date)
    packing_slip: Mapped[str | None] = mapped_column(String(60))
    po_number: Mapped[str | None] = mapped_column(String(60))
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set when the vendor returned fewer than were sent and the shipment was closed short.
    short_count: Mapped[int] = mapped_column(Integer, default=0)

    job = relationship("Job", back_populates="shipments")
    operation = relationship("JobOperation")
    vendor = relationship("Vendor")
    receipts = relationship("OutsideReceipt", back_populates="shipment", order_by="OutsideReceipt.received_at")

    @property
    def outstanding(self) -> int:
        return self.quantity_out - self.quantity_back


class OutsideReceipt(db.Model):
    __tablename__ = "outside_receipts"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_pos"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("outside_shipments.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    coc_filename: Mapped[str | None] = mapped_column(String(255))  # vendor's certificate of conformance

    shipment = relationship("OutsideShipment", back_populates="receipts")

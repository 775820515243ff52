"""The books kept beside the ledger: every change to a plan (who, when, old → new) and the
non-conformance reports that quality holds open."""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from spex.extensions import db
from spex.models._types import UtcDateTime, utcnow


class PlanChange(db.Model):
    """One change a planner made to a job, an order line or a release: kept, never edited."""

    __tablename__ = "plan_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"), index=True)
    order_line_id: Mapped[int | None] = mapped_column(ForeignKey("order_lines.id"), index=True)
    release_id: Mapped[int | None] = mapped_column(ForeignKey("releases.id"))
    what: Mapped[str] = mapped_column(String(30))  # quantity, due date, priority, split, cancelled, closed short...
    old_value: Mapped[str | None] = mapped_column(String(200))
    new_value: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    user = relationship("User")
    job = relationship("Job")
    order_line = relationship("OrderLine")


class NonConformance(db.Model):
    """The non-conformance report a quality hold opens (NCR-0001): what is wrong and what was done."""

    __tablename__ = "ncrs"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_pos"),
        CheckConstraint("status IN ('open','closed')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    hold_id: Mapped[int] = mapped_column(ForeignKey("quality_holds.id"), unique=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), index=True)
    job_operation_id: Mapped[int] = mapped_column(ForeignKey("job_operations.id"))
    part_id: Mapped[int] = mapped_column(ForeignKey("parts.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    problem: Mapped[str] = mapped_column(Text)  # what is wrong, as found
    found_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    found_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    cause: Mapped[str | None] = mapped_column(String(10), index=True)
    cause_note: Mapped[str | None] = mapped_column(Text)
    disposition: Mapped[str | None] = mapped_column(String(20))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    corrective_action: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    hold = relationship("QualityHold", back_populates="ncr")
    job = relationship("Job")
    operation = relationship("JobOperation")
    part = relationship("Part")
    found_by = relationship("User", foreign_keys=[found_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    closed_by = relationship("User", foreign_keys=[closed_by_id])

    @property
    def is_open(self) -> bool:
        return self.status == "open"

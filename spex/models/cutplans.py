"""A job's cut plan: which stock units it is to pull, in order (remnants first), and what each gives."""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from spex.extensions import db
from spex.models._types import Qty, UtcDateTime, utcnow


class CutPlanLine(db.Model):
    """One stock unit a job is planned to pull, kept as planned at release (stock moves on; the plan
    the traveler printed should not)."""

    __tablename__ = "cut_plan_lines"
    __table_args__ = (
        UniqueConstraint("job_id", "seq"),
        CheckConstraint("pieces > 0", name="pieces_pos"),
        CheckConstraint("drop_verdict IN ('remnant','scrap','none')", name="drop_verdict"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)  # 1, 2, 3: the order to pull in
    stock_unit_id: Mapped[int] = mapped_column(ForeignKey("stock_units.id"), index=True)
    available: Mapped[Decimal] = mapped_column(Qty)  # what the unit had when planned (in, or plates)
    pieces: Mapped[int] = mapped_column(Integer)  # pieces planned from it
    pull: Mapped[Decimal] = mapped_column(Qty)  # what to pull: the whole unit, or whole plates
    drop: Mapped[Decimal] = mapped_column(Qty)  # left over after the pieces (in); 0 for plates
    drop_verdict: Mapped[str] = mapped_column(String(10), default="none")
    planned_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    stock_unit = relationship("StockUnit")

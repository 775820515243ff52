"""What traceability rests on, kept as records: mill certs and the material's limits they are held
against, receiving holds, audited corrections of a lot's heat, material or supplier, and the history
of every change to a master record."""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from spex.extensions import db
from spex.models._types import Fine, Qty, UtcDateTime, utcnow

CERT_TYPES = ("2.1", "2.2", "3.1", "3.2")


class MaterialLimit(db.Model):
    """One specification limit of a material: an element's % or a mechanical property, min and/or max."""

    __tablename__ = "material_limits"
    __table_args__ = (
        UniqueConstraint("material_id", "property"),
        CheckConstraint("minimum IS NOT NULL OR maximum IS NOT NULL", name="has_bound"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("materials.id"))
    property: Mapped[str] = mapped_column(String(20))  # an element symbol (Cr) or yield, tensile, elongation, hardness
    minimum: Mapped[Decimal | None] = mapped_column(Fine)
    maximum: Mapped[Decimal | None] = mapped_column(Fine)


class MillCert(db.Model):
    """The figures an EN 10204 certificate states for one lot's heat, as entered at receipt or later."""

    __tablename__ = "mill_certs"
    __table_args__ = (CheckConstraint("cert_type IN ('2.1','2.2','3.1','3.2')", name="cert_type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("material_lots.id"), index=True)
    cert_type: Mapped[str] = mapped_column(String(4))
    standard: Mapped[str] = mapped_column(String(60), default="")  # ASTM A582, EN 10088-3
    grade: Mapped[str] = mapped_column(String(60), default="")
    heat_number: Mapped[str] = mapped_column(String(60))
    yield_mpa: Mapped[Decimal | None] = mapped_column(Qty)
    tensile_mpa: Mapped[Decimal | None] = mapped_column(Qty)
    elongation_pct: Mapped[Decimal | None] = mapped_column(Qty)
    hardness_hb: Mapped[Decimal | None] = mapped_column(Qty)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    entered_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    elements = relationship("CertElement", order_by="CertElement.id", cascade="all, delete-orphan")
    entered_by = relationship("User")


class CertElement(db.Model):
    """One line of a cert's chemical analysis: element and weight %."""

    __tablename__ = "cert_elements"
    __table_args__ = (UniqueConstraint("cert_id", "element"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cert_id: Mapped[int] = mapped_column(ForeignKey("mill_certs.id"))
    element: Mapped[str] = mapped_column(String(3))
    percent: Mapped[Decimal] = mapped_column(Fine)


class ReceivingHold(db.Model):
    """A lot that may not be pulled until an inspector releases it (a cert outside limits, or none)."""

    __tablename__ = "receiving_holds"

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("material_lots.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    placed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    placed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    release_reason: Mapped[str | None] = mapped_column(Text)

    placed_by = relationship("User", foreign_keys=[placed_by_id])
    released_by = relationship("User", foreign_keys=[released_by_id])


class LotCorrection(db.Model):
    """A change of a lot's heat, material or supplier: who, when, why, old -> new. Never edited itself.

    kind 'edit' is a change before the lot's first movement; 'correction' one after it, with its reason."""

    __tablename__ = "lot_corrections"
    __table_args__ = (
        CheckConstraint("field IN ('heat_number','material_id','supplier')", name="field"),
        CheckConstraint("kind IN ('edit','correction')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("material_lots.id"), index=True)
    field: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(12))
    old_value: Mapped[str] = mapped_column(String(200))
    new_value: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    user = relationship("User")


class MasterChange(db.Model):
    """One change to a master record (created, a field old -> new, deactivated, reactivated)."""

    __tablename__ = "master_changes"
    __table_args__ = (Index("ix_master_changes_record", "record_kind", "record_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_kind: Mapped[str] = mapped_column(String(30))  # the master's slug: parts, materials, lots...
    record_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(12))  # created, changed, deactivated, reactivated
    field: Mapped[str | None] = mapped_column(String(80))  # as people read it: "Heat number", "Op 20 Setup (min)"
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    user = relationship("User")

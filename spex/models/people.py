"""People and places they scan from: users with roles and badges, registered stations."""
from datetime import datetime
from typing import Protocol

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from spex import codes
from spex.extensions import db
from spex.models._types import UtcDateTime, utcnow

# A 4 to 8 digit PIN cannot be made safe against someone holding its hash, whatever the hash: what
# guards it is that a station stops taking tries after a few wrong ones. The hash keeps it from being
# read off a backup or a screen. It is checked inside a scan's write lock, where every station
# waits, so it is a cheap one (about 10 ms), not the passwords' scrypt.
PIN_HASH_METHOD = "pbkdf2:sha256:50000"


def role_allows(role: str, roles) -> bool:
    """Who may do what: an administrator anything, anyone else what one of the roles may."""
    return role == codes.ADMIN or role in roles


class Worker(Protocol):
    """A person doing something on the floor, as the shop floor's checks ask of them: a User, or
    the person signed in at a station as the scan read them (spex.scan.state.Person)."""

    @property
    def id(self) -> int: ...

    @property
    def name(self) -> str: ...

    @property
    def role(self) -> str: ...

    @property
    def active(self) -> bool: ...

    def has_role(self, *roles: str) -> bool: ...


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('operator','material_handler','inspector','shipping','planner','admin')", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    # Office login name; shop-floor-only people may have none.
    username: Mapped[str | None] = mapped_column(String(60), unique=True)
    # Badge code without the EMP- prefix, upper case (EMP-0042 -> "0042").
    badge: Mapped[str] = mapped_column(String(40), unique=True)
    role: Mapped[str] = mapped_column(String(20), default=codes.OPERATOR)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # Station PIN of a person whose badge alone may not sign in (codes.PIN_ROLES); only its hash.
    pin_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # Part of every signed-in session's id: raising it ends all of this user's sessions at once
    # (sign-out, a new password, deactivation), even for a cookie someone saved beforehand.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    @property
    def is_active(self) -> bool:  # Flask-Login: deactivated users cannot log in
        return bool(self.active)

    def get_id(self) -> str:  # Flask-Login keeps this in the session cookie
        return f"{self.id}:{self.session_version or 0}"

    def end_sessions(self) -> None:
        """Every session signed in as this user stops working (flushed with the next commit)."""
        self.session_version = (self.session_version or 0) + 1

    @property
    def barcode(self) -> str:
        return codes.EMP + self.badge

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)
        self.end_sessions()  # whoever knew the old password is signed out wherever they were

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def set_pin(self, pin: str) -> None:
        self.pin_hash = generate_password_hash(pin, method=PIN_HASH_METHOD)

    @property
    def needs_pin(self) -> bool:
        return self.role in codes.PIN_ROLES

    def has_role(self, *roles: str) -> bool:
        return role_allows(self.role, roles)

    def __repr__(self) -> str:
        return f"<User {self.badge} {self.name}>"


class Station(db.Model):
    """A browser an admin registered as a named workstation; every scan records it."""

    __tablename__ = "stations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    # Secret kept in the registered browser's cookie; identifies the station.
    token: Mapped[str | None] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="floor")  # floor, dock, qc, shipping, labels, board
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    work_center_id: Mapped[int | None] = mapped_column(ForeignKey("work_centers.id"))
    printer_host: Mapped[str | None] = mapped_column(String(120))
    printer_port: Mapped[int] = mapped_column(Integer, default=9100)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    location = relationship("Location")
    work_center = relationship("WorkCenter")


class StationState(db.Model):
    """What a station's scans have built up so far: operator, job, operation, pending command.

    Kept in the database so a page reload, a second tab or a server restart loses nothing.
    """

    __tablename__ = "station_states"

    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"), primary_key=True)
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"))
    job_operation_id: Mapped[int | None] = mapped_column(ForeignKey("job_operations.id"))
    stock_unit_id: Mapped[int | None] = mapped_column(ForeignKey("stock_units.id"))
    fg_lot_id: Mapped[int | None] = mapped_column(ForeignKey("fg_lots.id"))
    pending: Mapped[str | None] = mapped_column(String(40))
    # Small JSON document of the flow's collected values (quantities, reason...).
    data: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    station = relationship("Station")
    operator = relationship("User")


class ScanRecord(db.Model):
    """Every scan a station posted, keyed by its client-generated id, with the answer it got.

    A resent request finds its row and gets the same answer; nothing is recorded twice.
    """

    __tablename__ = "scans"
    # A station's last scan, read with its state on every scan (a scanner's double read is the same
    # code again), and its recent scans: one step down this index, however many scans the shop keeps.
    __table_args__ = (Index("ix_scans_station_id_id", "station_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(64), unique=True)
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    raw: Mapped[str] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(10))  # done, waiting, refused
    message: Mapped[str] = mapped_column(Text, default="")
    response: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)

"""Column types shared by the models."""
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from datetime import datetime, timezone

from sqlalchemy import BigInteger
from sqlalchemy.types import TypeDecorator, DateTime

QTY_PLACES = Decimal("0.001")


class MilliQty(TypeDecorator):
    """A quantity (inches of bar, pieces, pounds) stored as whole thousandths.

    Integers keep balance arithmetic done in SQL (quantity = quantity - :q) exact on SQLite,
    which would otherwise do it in binary floating point, as well as on PostgreSQL.
    """

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return int(qty(value) * 1000)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return (Decimal(int(value)) / 1000).quantize(QTY_PLACES)


Qty = MilliQty()


def qty(value) -> Decimal:
    """A quantity as an exact Decimal to the thousandth."""
    return Decimal(str(value)).quantize(QTY_PLACES)


# Lets the demo shop write a history that happened over past days through the real domain code.
_clock: ContextVar[datetime | None] = ContextVar("spex_clock", default=None)


def utcnow() -> datetime:
    override = _clock.get()
    return override if override is not None else datetime.now(timezone.utc)


@contextmanager
def clock_at(moment: datetime):
    """Within the block, "now" is the given moment (used to write the demo shop's history)."""
    token = _clock.set(moment)
    try:
        yield
    finally:
        _clock.reset(token)


class UtcDateTime(TypeDecorator):
    """Timezone-aware UTC timestamps on both SQLite (which stores naive) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        if value is not None and dialect.name == "sqlite":
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value

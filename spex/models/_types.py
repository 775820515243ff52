"""Column types shared by the models."""
import time
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from datetime import datetime, timedelta, timezone

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
# For tests only: the whole process's clock (a live server's request threads too, which a ContextVar
# does not reach) started at a fixed moment, as (that moment, time.monotonic() when it was set).
_pinned: tuple[datetime, float] | None = None


def utcnow() -> datetime:
    override = _clock.get()
    if override is not None:
        return override
    if _pinned is not None:
        start, started = _pinned
        return start + timedelta(seconds=time.monotonic() - started)
    return datetime.now(timezone.utc)


@contextmanager
def clock_at(moment: datetime):
    """Within the block, "now" is the given moment (used to write the demo shop's history)."""
    token = _clock.set(moment)
    try:
        yield
    finally:
        _clock.reset(token)


@contextmanager
def clock_running_from(moment: datetime):
    """For tests: within the block, every thread's "now" starts at the given moment and runs on with
    real elapsed time, so a suite sees the same day whatever the date, while ordering and "within N
    seconds" rules still behave (unlike clock_at, which stands still and holds for this context only)."""
    global _pinned
    before, _pinned = _pinned, (moment, time.monotonic())
    try:
        yield
    finally:
        _pinned = before


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

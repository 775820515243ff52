"""Column types shared by the models."""
import time
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from datetime import datetime, timedelta, timezone

from sqlalchemy import BigInteger
from sqlalchemy.types import TypeDecorator, DateTime

QTY_DECIMALS = 3
QTY_PLACES = Decimal(1).scaleb(-QTY_DECIMALS)


class FixedPoint(TypeDecorator):
    """An exact decimal stored as a whole number of its smallest step (10**-places).

    Integers keep arithmetic done in SQL (quantity = quantity - :q) exact on SQLite, which would
    otherwise do it in binary floating point, as well as on PostgreSQL.
    """

    impl = BigInteger
    cache_ok = True

    def __init__(self, places: int):
        super().__init__()
        self.places = places
        self.step = Decimal(1).scaleb(-places)
        self.scale = 10 ** places

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return int(Decimal(str(value)).quantize(self.step) * self.scale)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return (Decimal(int(value)) / self.scale).quantize(self.step)


class MilliQty(FixedPoint):
    """A quantity (inches of bar, pieces, pounds) stored as whole thousandths: the ledger's unit."""

    cache_ok = True

    def __init__(self):
        super().__init__(QTY_DECIMALS)


Qty = MilliQty()
# Engineering figures quoted finer than a thousandth: densities in lb/in³ (0.0975 for 6061, as the
# trade's tables give them), bar diameters to a machinist's tenth (0.0001 in; every 1/16 size is
# exact), finished weights of small parts (0.0044 lb, a thousandth would be 10 % off).
TEN_THOUSANDTHS = 4
Fine = FixedPoint(TEN_THOUSANDTHS)


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

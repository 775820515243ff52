"""The shop's clock: times are stored in UTC and shown, and counted in working days, in the shop's
time zone (SPEX_TIMEZONE, or the server's own when unset)."""
from __future__ import annotations

from datetime import date, datetime, time, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app, has_app_context

from spex.models import utcnow


@lru_cache(maxsize=16)
def zone_named(name: str) -> tzinfo | None:
    """The zone for a setting; None means the server's own. Raises ValueError for an unknown name."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"SPEX_TIMEZONE={name!r} is not a time zone name (for example Europe/Berlin "
                         "or America/Chicago).") from None


def shop_zone() -> tzinfo | None:
    if not has_app_context():
        return None
    return zone_named(current_app.config.get("SPEX_TIMEZONE") or "")


def local(moment: datetime | None) -> datetime | None:
    """A stored UTC moment on the shop's clock."""
    if moment is None:
        return None
    return moment.astimezone(shop_zone())


def local_date(moment: datetime) -> date:
    """The shop's calendar day of a stored moment."""
    return local(moment).date()


def start_of(day: date) -> datetime:
    """The moment the shop's day begins (its midnight), for periods counted in shop days."""
    zone = shop_zone()
    midnight = datetime.combine(day, time(0))
    return midnight.replace(tzinfo=zone) if zone is not None else midnight.astimezone()


def today() -> date:
    """The shop's calendar day now (due dates, what is late, expected returns)."""
    return local_date(utcnow())


def init_app(app) -> None:
    zone_named(app.config.get("SPEX_TIMEZONE") or "")  # a wrong name stops the start, with its reason

    @app.template_filter("shop_time")
    def shop_time(moment: datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
        return local(moment).strftime(pattern) if moment is not None else ""

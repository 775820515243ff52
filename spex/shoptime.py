"""The shop's clock: times are stored in UTC and shown, and counted in working days, in the shop's
time zone (SPEX_TIMEZONE, or the server's own when unset). The working calendar's maths is here too."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo
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


def day_starts(first: date, days: int) -> list[datetime]:
    """The moments the shop's days first, first + 1, ... first + days begin: `days` days and the end of
    the last. A stored moment's day in a period is then a bisection, not a zone conversion."""
    return [start_of(first + timedelta(days=k)) for k in range(days + 1)]


def today() -> date:
    """The shop's calendar day now (due dates, what is late, expected returns)."""
    return local_date(utcnow())


def init_app(app) -> None:
    zone_named(app.config.get("SPEX_TIMEZONE") or "")  # a wrong name stops the start, with its reason

    @app.template_filter("shop_time")
    def shop_time(moment: datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
        return local(moment).strftime(pattern) if moment is not None else ""


# --- the working calendar ------------------------------------------------------------------

WORKDAYS = (0, 1, 2, 3, 4)  # Monday..Friday


def add_workdays(start: date, days: float) -> date:
    """The date that many working days after start (today counts as day 0). Constant time: the
    schedule calls it for every remaining operation of every open job."""
    whole = int(days)
    current = start
    while current.weekday() not in WORKDAYS:
        current += timedelta(days=1)
    weeks, rest = divmod(whole, len(WORKDAYS))
    current += timedelta(weeks=weeks)
    while rest > 0:
        current += timedelta(days=1)
        if current.weekday() in WORKDAYS:
            rest -= 1
    return current


def working_hours_between(start: datetime, end: datetime) -> float:
    """Hours from start to end that fall on the shop's working days, on the shop's wall clock.
    Constant time (the board ages every open job on each render): the two partial days at the
    ends, and 24 hours for each working day in between."""
    if end <= start:
        return 0.0
    first_moment = local(start).replace(tzinfo=None)
    last_moment = local(end).replace(tzinfo=None)
    first, last = first_moment.date(), last_moment.date()
    first_counts, last_counts = first.weekday() in WORKDAYS, last.weekday() in WORKDAYS
    if first == last:
        return (last_moment - first_moment).total_seconds() / 3600 if first_counts else 0.0
    hours = 24.0 * (workdays_between(first, last) - last_counts)  # the whole days in between
    if first_counts:
        hours += (datetime.combine(first + timedelta(days=1), time()) - first_moment).total_seconds() / 3600
    if last_counts:
        hours += (last_moment - datetime.combine(last, time())).total_seconds() / 3600
    return hours


def workdays_between(start: date, end: date) -> int:
    """Working days from start to end; negative when end is before start."""
    if end == start:
        return 0
    sign = 1 if end > start else -1
    lo, hi = min(start, end), max(start, end)
    weeks, rest = divmod((hi - lo).days, 7)
    days, current = weeks * len(WORKDAYS), lo + timedelta(weeks=weeks)
    while current < hi:
        current += timedelta(days=1)
        if current.weekday() in WORKDAYS:
            days += 1
    return sign * days

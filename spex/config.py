"""Settings from the environment, with safe defaults for one machine with SQLite: every setting
Spex reads is read here."""
import os
import secrets
from decimal import Decimal, InvalidOperation

# The wall board's defaults. Eight rows of jobs, and the line naming unreleased jobs, fit a
# 1920x1080 screen at a size read from across the shop, the kiosk's and the office's (under the
# top bar and the filters) alike; a page with fewer rows stretches them to fill the screen.
BOARD_ROWS = 8
BOARD_PAGE_SECONDS = 15  # how long a kiosk shows one page before turning to the next
BOARD_POLL_SECONDS = 3   # how often a screen asks whether the board changed


# Carrying cost per year as a share of unit cost, for the economic order quantity
# (SPEX_HOLDING_RATE=0.25 for 25 %); a value outside 0..5 is taken for a typing error.
DEFAULT_HOLDING_RATE = Decimal("0.25")


def _decimal_setting(name: str, default: Decimal, accept) -> Decimal:
    """A figure from the environment ("2", "0.25", "2 %"); the default when it is missing, not a
    number, or outside what `accept` takes for sane (a typing error must not price the shop)."""
    raw = os.environ.get(name, "").strip().rstrip("%").strip()
    try:
        value = Decimal(raw) if raw else default
    except InvalidOperation:
        return default
    return value if value.is_finite() and accept(value) else default


def _holding_rate() -> Decimal:
    return _decimal_setting("SPEX_HOLDING_RATE", DEFAULT_HOLDING_RATE, lambda v: 0 < v < 5)


# What an hour of a machine and its operator costs, for the run cost per piece of a batch
# (SPEX_SHOP_RATE=85 for $85 an hour); a value outside 0..10000 is taken for a typing error.
DEFAULT_SHOP_RATE = Decimal("85")


def _shop_rate() -> Decimal:
    return _decimal_setting("SPEX_SHOP_RATE", DEFAULT_SHOP_RATE, lambda v: 0 < v < 10000)


# Cycle counts: a count whose every line is within this percent of the books is adjusted at once,
# one above it waits for a planner (SPEX_COUNT_TOLERANCE=2 for 2 %); and how often the bins of
# each ABC class are counted, in days (SPEX_COUNT_DAYS_A/_B/_C: monthly, quarterly, yearly).
DEFAULT_COUNT_TOLERANCE = Decimal("2")
DEFAULT_COUNT_DAYS = {"A": 30, "B": 91, "C": 365}
# A count still open this many hours after it was started was left at a station: the counts page
# lists it for a planner to cancel (SPEX_COUNT_STALE_HOURS=4).
DEFAULT_COUNT_STALE_HOURS = 4


def _count_tolerance() -> Decimal:
    return _decimal_setting("SPEX_COUNT_TOLERANCE", DEFAULT_COUNT_TOLERANCE, lambda v: 0 <= v <= 100)


def _count_days() -> dict[str, int]:
    days = {}
    for abc, default in DEFAULT_COUNT_DAYS.items():
        raw = os.environ.get(f"SPEX_COUNT_DAYS_{abc}", "").strip()
        days[abc] = int(raw) if raw.isdigit() and 0 < int(raw) <= 3660 else default
    return days


def _count_stale_hours() -> int:
    raw = os.environ.get("SPEX_COUNT_STALE_HOURS", "").strip()
    return int(raw) if raw.isdigit() and 0 < int(raw) <= 24 * 30 else DEFAULT_COUNT_STALE_HOURS


def count_tolerance() -> Decimal:
    """The count tolerance of the running app (the default outside one, as in a script)."""
    from flask import current_app, has_app_context
    if has_app_context():
        return Decimal(str(current_app.config.get("SPEX_COUNT_TOLERANCE", DEFAULT_COUNT_TOLERANCE)))
    return DEFAULT_COUNT_TOLERANCE


# How far a delivery against a purchase order line may differ from what was ordered, as a share of
# the line (SPEX_PO_OVER_TOLERANCE=0.10 for 10 %). Over: a receipt that would take the line above
# ordered × (1 + over) is refused, nothing written. Under: a line with at least ordered × (1 − under)
# in is received in full (a mill ships "24 bars" as 23 or 25). A value outside 0..1 is a typing error.
DEFAULT_PO_OVER_TOLERANCE = Decimal("0.10")
DEFAULT_PO_UNDER_TOLERANCE = Decimal("0.05")


def _share(name: str, default: Decimal) -> Decimal:
    return _decimal_setting(name, default, lambda v: 0 <= v < 1)


# Where `spex serve` listens and how many gunicorn workers it starts (its options' defaults).
def serve_host() -> str:
    return os.environ.get("SPEX_HOST", "127.0.0.1")


def serve_port() -> int:
    return int(os.environ.get("PORT", "5000"))


def serve_workers() -> int:
    return int(os.environ.get("SPEX_WORKERS", "2"))


def _database_url(instance_path: str) -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return "sqlite:///" + os.path.join(instance_path, "spex.db")
    # Heroku-style URLs name the old driver; we use psycopg 3.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://"):]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def load(app) -> None:
    """Fill app.config from the environment. Tests override afterwards."""
    secret = os.environ.get("SPEX_SECRET_KEY") or os.environ.get("SECRET_KEY")
    if not secret:
        # A random key per process start is safe but logs everyone out on restart;
        # the README tells production installs to set SPEX_SECRET_KEY.
        secret_file = os.path.join(app.instance_path, "secret_key")
        try:
            with open(secret_file) as fh:
                secret = fh.read().strip()
        except OSError:
            secret = secrets.token_hex(32)
            os.makedirs(app.instance_path, exist_ok=True)
            with open(secret_file, "w") as fh:
                fh.write(secret)
    app.config.update(
        SECRET_KEY=secret,
        SQLALCHEMY_DATABASE_URI=_database_url(app.instance_path),
        # Undo window for an operator's own last entry, in seconds.
        SPEX_UNDO_WINDOW=int(os.environ.get("SPEX_UNDO_WINDOW", "300")),
        # The same code at the same station within this many milliseconds is one read: a handheld's
        # double read comes within a few hundred ms (a trigger bounce, a re-decode before the label
        # leaves the beam). A person scanning the same card twice on purpose hears the beep, releases
        # the trigger, presses again and the scanner decodes: half a second at the very quickest, a
        # second or more as people work. Scanner makers draw the same line: Zebra's "timeout between
        # decodes, same symbol" defaults to 0.5 s, Honeywell's shortest good-read delay is 500 ms.
        # 0 turns the rule off.
        SPEX_DOUBLE_READ_MS=int(os.environ.get("SPEX_DOUBLE_READ_MS", "500")),
        # Read-only token for the wall-mounted WIP board kiosk URL.
        SPEX_BOARD_TOKEN=os.environ.get("SPEX_BOARD_TOKEN", ""),
        SPEX_BOARD_ROWS=int(os.environ.get("SPEX_BOARD_ROWS", BOARD_ROWS)),
        SPEX_BOARD_PAGE_SECONDS=int(os.environ.get("SPEX_BOARD_PAGE_SECONDS", BOARD_PAGE_SECONDS)),
        SPEX_BOARD_POLL_SECONDS=int(os.environ.get("SPEX_BOARD_POLL_SECONDS", BOARD_POLL_SECONDS)),
        SPEX_UPLOAD_DIR=os.environ.get("SPEX_UPLOAD_DIR", os.path.join(app.instance_path, "uploads")),
        MAX_CONTENT_LENGTH=int(os.environ.get("SPEX_MAX_UPLOAD_MB", "16")) * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("SPEX_SECURE_COOKIES", "") == "1",
        # Failed sign-ins allowed per user name and per address before the form answers 429 for a
        # while. Per name: a person who mistypes gets five tries a minute, a guesser no more than
        # that, from however many addresses. Per address: a shared office PC or a proxy in front of
        # several people gets room for all of them, a guesser spraying many names does not.
        SPEX_LOGIN_LIMIT_PER_USER=os.environ.get("SPEX_LOGIN_LIMIT_PER_USER", "5 per minute"),
        SPEX_LOGIN_LIMIT_PER_ADDRESS=os.environ.get("SPEX_LOGIN_LIMIT_PER_ADDRESS", "20 per minute"),
        # Where those counts are kept. memory:// is per process: each gunicorn worker counts apart,
        # so with N workers a guesser gets up to N times the limit; redis://host:6379 shares them.
        SPEX_RATELIMIT_STORAGE_URI=os.environ.get("SPEX_RATELIMIT_STORAGE_URI", "memory://"),
        WTF_CSRF_TIME_LIMIT=None,
        # The shop's clock for the times people read (an IANA name such as America/Chicago);
        # unset: the server's own time zone. Stored times stay UTC.
        SPEX_TIMEZONE=os.environ.get("SPEX_TIMEZONE", "").strip(),
        # Production installs must not get a default password: the demo sets one only when asked.
        SPEX_DEMO=os.environ.get("SPEX_DEMO", "") == "1",
        SPEX_HOLDING_RATE=_holding_rate(),
        SPEX_SHOP_RATE=_shop_rate(),
        SPEX_COUNT_TOLERANCE=_count_tolerance(),
        SPEX_COUNT_DAYS=_count_days(),
        SPEX_COUNT_STALE_HOURS=_count_stale_hours(),
        SPEX_PO_OVER_TOLERANCE=_share("SPEX_PO_OVER_TOLERANCE", DEFAULT_PO_OVER_TOLERANCE),
        SPEX_PO_UNDER_TOLERANCE=_share("SPEX_PO_UNDER_TOLERANCE", DEFAULT_PO_UNDER_TOLERANCE),
        # The shop's name as it heads packing lists and certificates of conformance.
        SPEX_SHOP_NAME=os.environ.get("SPEX_SHOP_NAME", "").strip() or "Spex Precision Machining",
    )

"""Database engine setup: SQLite as the embedded default (WAL, foreign keys, busy timeout), PostgreSQL by URL;
and next_number, the one numbering query that needs each engine's way of saying "digits only"."""
import sqlite3

from sqlalchemy import BigInteger, cast, event, func, select
from sqlalchemy.engine import Engine

SQLITE_BUSY_TIMEOUT_MS = 10_000


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, connection_record):
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Hand transaction control to SQLAlchemy so we can say BEGIN IMMEDIATE for writers.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(conn):
    if conn.dialect.name != "sqlite":
        return
    if conn.get_execution_options().get("spex_begin_immediate"):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


def next_number(session, column, after: int) -> str:
    """One more than the highest all-digit value of a code column (job, heat lot and finished-goods
    lot numbers), or after + 1 for the first. Codes typed by hand with letters in them are left out.
    One query, whatever the history: no reading every code there ever was."""
    if session.get_bind().dialect.name == "postgresql":
        digits_only = column.op("~")("^[0-9]{1,18}$")
    else:
        digits_only = (column != "") & column.op("NOT GLOB")("*[^0-9]*") & (func.length(column) <= 18)
    highest = session.scalar(select(func.max(cast(column, BigInteger))).where(digits_only))
    return str(max(highest or 0, after) + 1)

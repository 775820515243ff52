"""Database engine setup: SQLite as the embedded default (WAL, foreign keys, busy timeout), PostgreSQL by URL;
WAL checkpoints after a write request rather than inside one; and next_number, the one numbering
query that needs each engine's way of saying "digits only"."""
import os
import sqlite3

from sqlalchemy import BigInteger, cast, event, func, select
from sqlalchemy.engine import Engine

SQLITE_BUSY_TIMEOUT_MS = 10_000
# SQLite's own checkpoint (every 1,000 pages of WAL) runs inside the commit that crosses the mark,
# holding the write lock for its copy and fsync (~4 ms here, every hundred-odd scans) while every
# station waits. Spex turns it off and checkpoints after a write request has been answered instead,
# beside the writers (PASSIVE), once the WAL has grown past this.
WAL_CHECKPOINT_BYTES = 4 * 1024 * 1024


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
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    # After a complete checkpoint the next writer starts the WAL over; cut the file back then, so its
    # size says how much is waiting to be copied.
    cursor.execute(f"PRAGMA journal_size_limit={WAL_CHECKPOINT_BYTES // 4}")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(conn):
    if conn.dialect.name != "sqlite":
        return
    # Straight to the driver: BEGIN has no parameters and no result, and SQLAlchemy's statement
    # path costs more than the statement (every scan begins inside the write lock).
    immediate = conn.get_execution_options().get("spex_begin_immediate")
    conn.connection.driver_connection.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")


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


def sqlite_file(engine) -> str | None:
    """The path of the engine's SQLite database file; None for PostgreSQL or an in-memory database."""
    if engine.dialect.name != "sqlite" or not engine.url.database or engine.url.database == ":memory:":
        return None
    return engine.url.database


def checkpoint_if_due(engine) -> bool:
    """Copy a grown SQLite WAL back into the database file, alongside any writer (nothing waits for
    it); a no-op for PostgreSQL, an in-memory database or a small WAL. True if it checkpointed."""
    path = sqlite_file(engine)
    if path is None:
        return False
    try:
        if os.path.getsize(path + "-wal") < WAL_CHECKPOINT_BYTES:
            return False
    except OSError:
        return False
    connection = engine.raw_connection()
    try:
        connection.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    finally:
        connection.close()
    return True

"""Database engine setup: SQLite as the embedded default (WAL, foreign keys, busy timeout), PostgreSQL by URL;
WAL checkpoints after a write request rather than inside one; next_number, the one numbering
query that needs each engine's way of saying "digits only"; and the backup and restore of a SQLite
database."""
import fcntl
import os
import shutil
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
    options = conn.get_execution_options()
    if options.get(BEGIN_WHEN_QUEUED):
        return  # the scan's write transaction says BEGIN IMMEDIATE itself once its turn has come
    conn.connection.driver_connection.execute("BEGIN IMMEDIATE" if options.get("spex_begin_immediate") else "BEGIN")


# An execution option for a transaction begun before its writer queues for the write lock
# (spex.transactions): the pool's connection and SQLAlchemy's bookkeeping are done while it waits,
# and the driver's BEGIN IMMEDIATE comes once it holds the lock (begin_immediate).
BEGIN_WHEN_QUEUED = "spex_begin_when_queued"


def begin_immediate(connection) -> None:
    """Say BEGIN IMMEDIATE on a SQLite connection whose transaction was begun with BEGIN_WHEN_QUEUED."""
    connection.connection.driver_connection.execute("BEGIN IMMEDIATE")


# What PostgreSQL answers when it ends a transaction to break a deadlock (40P01) or a serialization
# conflict (40001): nothing of that transaction stayed, and the same work done again succeeds.
RACE_LOST_SQLSTATES = ("40P01", "40001")


def lost_a_race(error) -> bool:
    """True for a database error that ended this transaction only because another one ran at the
    same moment (SQLAlchemy's DBAPIError around the driver's; psycopg names the SQLSTATE)."""
    return getattr(getattr(error, "orig", None), "sqlstate", None) in RACE_LOST_SQLSTATES


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


# --- backup and restore of a SQLite database ---------------------------------------------------------
# A plain copy of the database file misses what is still in its WAL (scans the stations were told are
# recorded), and a good copy put back beside a stale -wal gets that WAL replayed onto it: a corrupt
# database. So a backup is taken through SQLite itself, and a restore removes the old WAL.

class BackupError(Exception):
    """A backup or restore refused; the message says why and what to do."""


# Every connection that has a WAL database open holds a shared lock on this byte of its -shm file
# (SQLite's "dead man switch", walformat.html); the lock goes when the connection closes, or with
# its process, however it ends. A process that can lock the byte exclusively has the database alone.
_SHM_DMS_BYTE = 128


def backup_sqlite(source: str, target: str) -> int:
    """Copy the live database at `source` to `target` with SQLite's online backup: one consistent
    picture of everything committed when it began (the WAL's part too), while stations go on
    scanning. Written beside the target and renamed into place, so a half-made backup never stands
    at `target`. Returns the size in bytes."""
    if os.path.abspath(target) == os.path.abspath(source):
        raise BackupError("The backup must go to another file than the database itself.")
    folder = os.path.dirname(os.path.abspath(target))
    if not os.path.isdir(folder):
        raise BackupError(f"There is no folder {folder} to put the backup in.")
    if not os.path.isfile(source):
        raise BackupError(f"There is no database at {source}.")
    partial = target + ".partial"
    _remove(partial)
    live = sqlite3.connect(source, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
    try:
        copy = sqlite3.connect(partial)
        try:
            # In one step (pages=-1): a single read transaction, which writers do not wait for and
            # which their commits cannot restart.
            live.backup(copy)
            # The copy stands alone in one file, without a WAL of its own.
            copy.execute("PRAGMA journal_mode=DELETE")
            problems = _integrity(copy)
        finally:
            copy.close()
    finally:
        live.close()
    if problems:
        _remove(partial)
        raise BackupError(f"The copy did not pass SQLite's integrity check: {problems}")
    _fsync(partial)
    os.replace(partial, target)
    _fsync_folder(folder)
    return os.path.getsize(target)


def restore_sqlite(backup: str, target: str) -> str | None:
    """Put the backup in place of the database at `target`: refused unless the backup passes
    SQLite's integrity check and no other process has the database open. The stale -wal and -shm go;
    the database replaced is kept beside it as `<name>.replaced` (with its WAL as
    `<name>.replaced-wal`). Returns the path of the kept database, or None if there was none."""
    if not os.path.isfile(backup):
        raise BackupError(f"There is no backup file {backup}.")
    folder = os.path.dirname(os.path.abspath(target))
    # The copy is checked, not the backup it came from: what is checked is what goes in place.
    incoming = target + ".restoring"
    _remove(incoming)
    shutil.copyfile(backup, incoming)
    try:
        try:
            copy = sqlite3.connect(incoming)
            try:
                problems = _integrity(copy)
                if not problems and copy.execute(
                        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'").fetchone() is None:
                    problems = "it is not a Spex database (it has no schema version)"
                if not problems:
                    copy.execute("PRAGMA journal_mode=DELETE")
            finally:
                copy.close()
        except sqlite3.DatabaseError as exc:
            problems = str(exc)
        if problems:
            raise BackupError(f"{backup} is not a sound backup, nothing was restored: {problems}")
        _fsync(incoming)
        with _alone_with(target):
            kept = None
            if os.path.exists(target):
                kept = target + ".replaced"
                _remove(kept)
                _remove(kept + "-wal")
                try:
                    os.link(target, kept)
                except OSError:  # a file system without hard links: nobody has the database open
                    os.replace(target, kept)
                if os.path.exists(target + "-wal"):
                    os.replace(target + "-wal", kept + "-wal")
            # From here the old WAL cannot be replayed onto the restored file.
            _remove(target + "-shm")
            os.replace(incoming, target)
            _fsync_folder(folder)
        return kept
    finally:
        _remove(incoming)


class _alone_with:
    """Hold the database's dead-man-switch byte exclusively while it is replaced, refusing if any
    other process has it open: a running server's connections would go on with the old file."""

    def __init__(self, target: str):
        self.path = target + "-shm"
        self.handle = None

    def __enter__(self):
        if not os.path.exists(self.path):
            return self  # no connection has the database open in WAL mode (every Spex one does)
        self.handle = os.open(self.path, os.O_RDWR)
        try:
            fcntl.lockf(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, _SHM_DMS_BYTE, os.SEEK_SET)
        except OSError:
            os.close(self.handle)
            raise BackupError("A server (or another program) has the database open: stop Spex first, "
                              "then restore. Nothing was restored.") from None
        return self

    def __exit__(self, *exc):
        if self.handle is not None:
            os.close(self.handle)  # and with it the lock


def _integrity(connection: sqlite3.Connection) -> str:
    """SQLite's integrity check: '' when all is well, else its first findings."""
    rows = [row[0] for row in connection.execute("PRAGMA integrity_check(5)")]
    return "" if rows == ["ok"] else "; ".join(rows)


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def _fsync(path: str) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def _fsync_folder(folder: str) -> None:
    # A rename is on disk once the folder is.
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)

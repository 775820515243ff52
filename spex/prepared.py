"""Statements a scan runs inside the write lock, built once and, on SQLite, run straight on the driver.

On SQLite every scan of every station queues on one write lock, so what a scan costs while it holds
the lock sets how many scans a second the shop can record. Running a statement through
SQLAlchemy's execution path costs about 25 µs of Python on top of the 5 µs SQLite needs for a
one-row look-up or update; a scan runs ten or so of them. A `Prepared` statement is written
with SQLAlchemy as any other (so it is checked against the models and renders for each dialect),
compiled for SQLite once, and run on the session's own driver connection, in the session's
transaction, with the same type conversions SQLAlchemy applies (quantities in thousandths,
times in UTC). Errors come out as SQLAlchemy's exceptions (IntegrityError and so on), as from
any other statement.

What it leaves out: SQLAlchemy's statement events and echo logging do not see these statements,
and the session does not flush before them (the same as a statement on `session.connection()`).
On PostgreSQL, where scans of different stations do not wait for each other, they run through
SQLAlchemy as usual.
"""
from __future__ import annotations

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, scoped_session


class _Compiled:
    """One statement rendered for SQLite: its SQL, how to bind its parameters, how to read its rows."""

    __slots__ = ("sql", "binds", "results", "dbapi_error")

    def __init__(self, statement, dialect):
        compiled = statement.compile(dialect=dialect)
        if "POSTCOMPILE" in compiled.string:
            # An expanding IN list or a literal rendered at run time: not for the direct path.
            raise ValueError(f"not a fixed statement: {compiled.string}")
        defaulted = [column.key for column in (*compiled.insert_prefetch, *compiled.update_prefetch)]
        if defaulted:
            # SQLAlchemy computes a column's Python default (or onupdate) as it executes; the direct
            # path does not, and would write NULL. The statement must give those columns a value.
            raise ValueError(f"give these columns a value in the statement: {', '.join(defaulted)}")
        self.sql = compiled.string
        # Each parameter in order: its name, the value written into the statement if any (a limit,
        # a constant compared with), and the type's conversion for SQLite.
        self.binds = tuple(
            (name, compiled.binds[name].effective_value,
             compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
            for name in compiled.positiontup)
        columns = getattr(statement, "selected_columns", None) if statement.is_select else None
        processors = [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in (columns or ())]
        self.results = tuple(processors) if any(processors) else None
        self.dbapi_error = dialect.loaded_dbapi.Error

    def parameters(self, params: dict) -> tuple:
        values = []
        for name, default, process in self.binds:
            value = params[name] if name in params else default
            values.append(process(value) if process is not None and value is not None else value)
        return tuple(values)

    def run(self, driver, params: dict):
        values = self.parameters(params)
        try:
            return driver.execute(self.sql, values)
        except self.dbapi_error as exc:
            raise DBAPIError.instance(self.sql, values, exc, self.dbapi_error) from exc

    def row(self, row):
        if row is None or self.results is None:
            return row
        return tuple(process(value) if process is not None else value for process, value in zip(self.results, row))


def _connection(session: Session):
    """The session's connection in its current transaction (began if none), remembered for that
    transaction: asking the session each time costs more than a look-up statement on SQLite."""
    if isinstance(session, scoped_session):
        session = session()
    known = session.info.get("spex_connection")
    transaction = session.get_transaction()
    if known is not None and transaction is known[0] and transaction.is_active:
        return known[1]
    connection = session.connection()
    session.info["spex_connection"] = (session.get_transaction(), connection)
    return connection


class Prepared:
    """A statement built once: `rows`, `first` and `scalar` read; `write` and `insert` change.

    A statement that must be written differently for PostgreSQL (an upsert, say) gives that
    version as `postgresql=`; the first one is SQLite's."""

    __slots__ = ("statement", "postgresql", "_sqlite")

    def __init__(self, statement, *, postgresql=None):
        self.statement = statement
        self.postgresql = postgresql if postgresql is not None else statement
        self._sqlite: _Compiled | None = None

    def _direct(self, session: Session):
        """(compiled statement, driver connection) on SQLite; (None, SQLAlchemy connection) elsewhere."""
        connection = _connection(session)
        if connection.dialect.name != "sqlite":
            return None, connection
        compiled = self._sqlite
        if compiled is None:
            compiled = self._sqlite = _Compiled(self.statement, connection.dialect)
        return compiled, connection.connection.driver_connection

    def rows(self, session: Session, params: dict) -> list[tuple]:
        compiled, connection = self._direct(session)
        if compiled is None:
            return [tuple(row) for row in connection.execute(self.postgresql, params)]
        return [compiled.row(row) for row in compiled.run(connection, params).fetchall()]

    def first(self, session: Session, params: dict) -> tuple | None:
        compiled, connection = self._direct(session)
        if compiled is None:
            row = connection.execute(self.postgresql, params).first()
            return tuple(row) if row is not None else None
        return compiled.row(compiled.run(connection, params).fetchone())

    def scalar(self, session: Session, params: dict):
        row = self.first(session, params)
        return row[0] if row is not None else None

    def write(self, session: Session, params: dict) -> int:
        """Run an UPDATE or DELETE (or an upsert): how many rows it matched."""
        compiled, connection = self._direct(session)
        if compiled is None:
            return connection.execute(self.postgresql, params).rowcount
        return compiled.run(connection, params).rowcount

    def insert(self, session: Session, params: dict) -> int:
        """Run an INSERT of one row: the new row's id."""
        compiled, connection = self._direct(session)
        if compiled is None:
            return connection.execute(self.postgresql, params).inserted_primary_key[0]
        return compiled.run(connection, params).lastrowid

"""A scan's cost does not grow with the shop's history: the look-ups a scan makes among past records
(the open holds at an operation, what is still at the vendor) go down an index on both engines
instead of reading every hold and shipment the shop ever had. bench/bench_scan.py --prefill
measures the same on a year of history."""
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from spex import codes, shopfloor


@pytest.fixture
def people(make):
    return {role: make.user(role) for role in codes.ROLES}


@contextmanager
def statements_on(session, table: str):
    """The SQL (with its parameters) that reads `table` by job operation, while the block runs."""
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if f"FROM {table}" in statement and f"{table}.job_operation_id =" in statement:
            seen.append((statement, parameters))

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def plan(session, statement: str, parameters) -> str:
    """How the database would run it. PostgreSQL reads a table this small whole whatever indexes it
    has, so it is asked for its plan with sequential scans priced out: an index it can use, it uses."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        rows = connection.exec_driver_sql("EXPLAIN " + statement, parameters).all()
        return "\n".join(row[0] for row in rows)
    rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
    return "\n".join(row[-1] for row in rows)


def test_open_holds_at_an_operation_are_found_by_index(session, make, people):
    job = make.job(quantity=50, ops=("lathe", "mill"))
    op10 = job.operations[0]
    shopfloor.complete_operation(session, op10, 20, user=people[codes.OPERATOR])
    hold = shopfloor.place_hold(session, op10, 5, "DIM", user=people[codes.OPERATOR])
    shopfloor.release_hold(session, hold, codes.USE_AS_IS, user=people[codes.INSPECTOR])
    session.commit()
    with statements_on(session, "quality_holds") as seen:
        # The last pieces done: settling the operation asks whether any hold is still open there.
        shopfloor.complete_operation(session, op10, 30, user=people[codes.OPERATOR])
    assert seen, "completing an operation no longer counts its open holds; this test needs another query"
    assert op10.completed_at is not None
    for statement, parameters in seen:
        how = plan(session, statement, parameters)
        assert "ix_quality_holds_job_operation_id" in how, how
    session.rollback()


def test_what_is_at_the_vendor_is_found_by_index(session, make, people):
    job = make.job(quantity=100, ops=("lathe",), outside=("anodize",))
    op10, op20 = job.operations
    shopfloor.complete_operation(session, op10, 100, user=people[codes.OPERATOR])
    shopfloor.ship_out(session, op20, 60, user=people[codes.SHIPPING])
    session.commit()
    with statements_on(session, "outside_shipments") as seen:
        shopfloor.ship_out(session, op20, 40, user=people[codes.SHIPPING])
        shopfloor.receive_back(session, op20, 70, user=people[codes.SHIPPING])
        at_vendor = shopfloor.at_vendor(session, op20)
    assert at_vendor == 30
    assert len(seen) >= 2
    for statement, parameters in seen:
        how = plan(session, statement, parameters)
        assert "ix_outside_shipments_job_operation_id" in how, how
    session.rollback()

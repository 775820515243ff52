"""The ground every feature stands on: migrations, configuration, the first admin, security headers."""
import os
import threading
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select

from spex import config, database
from spex.extensions import db
from spex.models import User


def test_migrations_build_exactly_the_models(app):
    # The test database was made by running the migrations; the models must not differ from it,
    # or a schema change was made without its revision.
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models differ from migrations: {diff}"
    tables = set(inspect(db.engine).get_table_names())
    assert {"ledger_entries", "balances", "jobs", "job_operations", "stock_units", "alembic_version"} <= tables


def test_sqlite_runs_in_wal_with_foreign_keys(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite settings")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        # SQLite's own checkpoint would run inside whichever commit crosses its mark, write lock held.
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0


def test_the_wal_reaches_the_database_file_after_a_write_is_answered(app, client, make, monkeypatch):
    """Writes land in the WAL; once a write request has been answered and the WAL has grown past
    the mark, it is copied into the database file, beside any writer, not inside a commit."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write-ahead log")
    station = make.station()
    make.commit()
    client.set_cookie("spex_station", station.token)
    path = db.engine.url.database

    def scan(code):
        response = client.post("/station/scan", data={"code": code, "scan_id": uuid.uuid4().hex},
                               headers={"HX-Request": "true"})
        # The server closes the response once the answer is sent, with no app context left: a
        # thread of its own has none.
        failed = []

        def close():
            try:
                response.close()
            except Exception as exc:  # noqa: BLE001 - reported below
                failed.append(exc)

        closer = threading.Thread(target=close)
        closer.start()
        closer.join()
        assert response.status_code in (200, 422) and not failed, failed

    monkeypatch.setattr(database, "WAL_CHECKPOINT_BYTES", 1 << 40)
    before = os.stat(path).st_mtime_ns
    scan("CMD-SIGN-OUT")
    assert os.stat(path).st_mtime_ns == before, "below the mark, the database file is left alone"
    monkeypatch.setattr(database, "WAL_CHECKPOINT_BYTES", 1)
    scan("CMD-SIGN-OUT")
    assert os.stat(path).st_mtime_ns > before, "past the mark, the WAL is copied into the file"


@pytest.mark.parametrize("given, expected", [
    ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgresql://u@h:5432/db", "postgresql+psycopg://u@h:5432/db"),
    ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
])
def test_database_url_uses_psycopg3(monkeypatch, given, expected):
    monkeypatch.setenv("DATABASE_URL", given)
    assert config._database_url("/instance") == expected


def test_default_database_is_sqlite_in_instance_folder(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert config._database_url("/srv/spex/instance") == "sqlite:////srv/spex/instance/spex.db"


def test_first_admin_needs_a_real_password(runner, session):
    weak = runner.invoke(args=["spex", "create-admin", "--username", "boss", "--badge", "EMP-0001"],
                         input="short\nshort\n")
    assert weak.exit_code != 0 and "at least 10" in weak.output
    assert session.scalar(select(User).where(User.username == "boss")) is None
    ok = runner.invoke(args=["spex", "create-admin", "--username", "boss", "--badge", "emp-0001"],
                       input="a long enough secret\na long enough secret\n")
    assert ok.exit_code == 0, ok.output
    boss = session.scalar(select(User).where(User.username == "boss"))
    assert boss.role == "admin" and boss.badge == "0001"
    assert boss.password_hash != "a long enough secret" and boss.check_password("a long enough secret")


def test_pages_carry_security_headers(client):
    response = client.get("/login")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]


def test_wrong_password_is_refused_without_saying_which(client, make):
    user = make.user("planner", username="priya")
    make.commit()
    response = client.post("/login", data={"username": "priya", "password": "nope"})
    assert response.status_code == 401
    assert "Unknown user name or wrong password" in response.get_data(as_text=True)


def test_login_does_not_redirect_offsite(client, make):
    user = make.user("planner", username="priya")
    make.commit()
    response = client.post("/login?next=https://evil.example/", data={"username": "priya",
                                                                       "password": "correct-horse-battery"})
    assert response.status_code == 302 and "evil" not in response.headers["Location"]


def test_unknown_page_is_a_clear_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404 and "There is nothing at this address" in response.get_data(as_text=True)


def test_start_page_offers_each_role_the_rooms_of_its_top_bar(client, login_as):
    import re
    login_as("planner")
    page = client.get("/").get_data(as_text=True)
    tiles = set(re.findall(r'class="tile" href="([^"]+)"', page))
    bar = set(re.findall(r'<nav class="mainnav">(.*?)</nav>', page, re.S)[0].split('href="')[1:])
    bar = {link.split('"')[0] for link in bar} - {"/"}
    assert tiles == bar and "/metrics/" in tiles


def test_an_operator_sees_no_planner_tiles(client, login_as):
    login_as("operator")
    page = client.get("/").get_data(as_text=True)
    assert 'href="/station"' in page and "/plan/jobs" not in page and "/masters" not in page

"""Backing up and restoring the database with `flask --app app spex backup|restore`: a backup taken
while stations scan holds every scan they were told was recorded, and putting it back after a stop
gives a sound database the server runs on. A restore refuses a damaged backup and a database a
server still has open; on PostgreSQL both commands name PostgreSQL's own tools."""
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from spex import codes, ledger
from spex.extensions import db
from spex.models import JobOperation, ScanRecord
from tests.scan.conftest import HttpStation, pieces_at, shop  # noqa: F401  (the shop fixture)

ROOT = Path(__file__).resolve().parents[1]
STATIONS = 3
SCANS_EACH = 15  # 3 stations x 15 x 1 pc, of the job's 100: none is refused for want of pieces
BACKUP_AFTER = 12  # scans answered before the backup begins


def _environment(db_url: str, tmp_path) -> dict:
    return {**os.environ, "DATABASE_URL": db_url, "SPEX_SECRET_KEY": "test-secret", "SPEX_TIMEZONE": "UTC",
            "SPEX_UPLOAD_DIR": str(tmp_path / "uploads")}


class Gunicorn:
    """Spex under gunicorn on 127.0.0.1, as `spex serve` runs it (two sync workers)."""

    def __init__(self, db_url: str, tmp_path):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "python:spex.gunicorn_conf", "--workers", "2",
             "--bind", f"127.0.0.1:{self.port}", "--log-level", "warning", "app:app"],
            cwd=ROOT, env=_environment(db_url, tmp_path))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=5):
                    return
            except OSError:
                assert self.process.poll() is None, "gunicorn exited"
                time.sleep(0.1)
        self.stop()
        raise AssertionError("gunicorn did not start")

    def stop(self):
        """A normal stop (SIGTERM): the workers finish their requests and exit."""
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def integrity(path: str) -> str:
    connection = sqlite3.connect(path)
    try:
        return connection.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        connection.close()


@pytest.fixture
def sqlite_path(db_url, request):
    if request.config.getoption("--db") != "sqlite":
        pytest.skip("PostgreSQL is backed up with pg_dump and restored with pg_restore (see the next tests)")
    return db_url.removeprefix("sqlite:///")


def test_backup_while_stations_scan_then_restore_after_a_stop(app, db_url, sqlite_path, tmp_path, session,
                                                               runner, make, shop):
    operators = [make.user(codes.OPERATOR) for _ in range(STATIONS)]
    stations = [make.station() for _ in range(STATIONS)]
    make.commit()
    badges, tokens = [o.barcode for o in operators], [s.token for s in stations]
    operation, job_number, op10_id = f"{shop.job.barcode}-10", shop.job.number, shop.job.operations[0].id
    db.session.remove()
    # The test process keeps no connection to the file: the commands below run in it (as the
    # `flask` command would run them in its own), and a restore refuses a database another process has open.
    db.engine.dispose()
    backup = str(tmp_path / "backups" / "spex-backup.db")
    os.makedirs(os.path.dirname(backup))

    server = Gunicorn(db_url, tmp_path)
    acknowledged = []  # (scan id, when its answer came)
    problems = []
    lock = threading.Lock()

    def station_scans(n: int):
        try:
            station = HttpStation(server.url, tokens[n])
            assert station(badges[n]).outcome == "done"
            assert station(operation).outcome == "waiting"
            for _ in range(SCANS_EACH):
                scan_id = uuid.uuid4().hex
                answer = station("1", scan_id=scan_id, gap_ms=2_000)
                assert answer.status == 200 and answer.outcome == "done", answer.html
                with lock:
                    acknowledged.append((scan_id, time.monotonic()))
        except Exception as exc:  # noqa: BLE001 - reported below with the station's number
            problems.append(f"station {n}: {exc!r}")

    threads = [threading.Thread(target=station_scans, args=(n,)) for n in range(STATIONS)]
    try:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 60
        while len(acknowledged) < BACKUP_AFTER and time.monotonic() < deadline and not problems:
            time.sleep(0.01)
        began = time.monotonic()
        backed_up = runner.invoke(args=["spex", "backup", backup])
        assert backed_up.exit_code == 0, backed_up.output
        assert "integrity ok" in backed_up.output
        scanning_during_backup = any(began <= when for _, when in acknowledged) or any(t.is_alive() for t in threads)
        # A restore while the server runs is refused, and the live database is left alone.
        refused = runner.invoke(args=["spex", "restore", backup])
        assert refused.exit_code != 0 and "stop Spex first" in refused.output
        for thread in threads:
            thread.join(timeout=120)
    finally:
        server.stop()
    assert not problems, problems
    # The workers exit without closing their connections: the WAL stays beside the database, and a
    # restore must not let it be replayed onto the restored file.
    assert os.path.exists(sqlite_path + "-wal")
    assert scanning_during_backup
    assert len(acknowledged) == STATIONS * SCANS_EACH
    before_backup = {scan_id for scan_id, when in acknowledged if when < began}
    assert len(before_backup) >= BACKUP_AFTER

    restored = runner.invoke(args=["spex", "restore", backup])
    assert restored.exit_code == 0, restored.output
    assert not os.path.exists(sqlite_path + "-wal") and not os.path.exists(sqlite_path + "-shm")
    assert integrity(sqlite_path) == "ok"

    # The server starts on the restored database and answers scans and the board.
    server = Gunicorn(db_url, tmp_path)
    try:
        station = HttpStation(server.url, tokens[0])
        answer = station("1", gap_ms=2_000)
        assert answer.status == 200 and answer.outcome == "done", answer.html
        board = station.http.get(server.url + "/board/kiosk", timeout=30)  # a station may show the board
        assert board.status_code == 200 and job_number in board.text
    finally:
        server.stop()
    assert integrity(sqlite_path) == "ok"
    recorded = set(session.scalars(select(ScanRecord.uid)))
    assert before_backup <= recorded, f"{len(before_backup - recorded)} acknowledged scans missing"
    assert ledger.audit(session) == []
    # Each scan recorded a piece: the op's count is what the restored scans say, plus the one after.
    op10 = session.get(JobOperation, op10_id)
    done_in_restored = len(recorded & {scan_id for scan_id, _ in acknowledged})
    assert op10.qty_good == done_in_restored + 1 == 100 - pieces_at(session, op10)


def test_restore_refuses_a_damaged_backup_and_leaves_the_database(app, db_url, sqlite_path, tmp_path, runner,
                                                                   make, shop):
    backup = str(tmp_path / "spex-backup.db")
    assert runner.invoke(args=["spex", "backup", backup]).exit_code == 0
    with open(backup, "r+b") as damaged:
        page_size = int.from_bytes(damaged.read(18)[16:18], "big")
        damaged.seek(page_size * 3)
        damaged.write(b"\xff" * page_size)  # a table's page overwritten
    db.session.remove()
    db.engine.dispose()
    with open(sqlite_path, "rb") as live:
        before = live.read()
    refused = runner.invoke(args=["spex", "restore", backup])
    assert refused.exit_code != 0
    assert "not a sound backup, nothing was restored" in refused.output
    with open(sqlite_path, "rb") as live:
        assert live.read() == before
    assert not os.path.exists(sqlite_path + ".restoring")

    stranger = str(tmp_path / "notes.txt")
    with open(stranger, "w") as notes:
        notes.write("not a database at all\n" * 200)
    refused = runner.invoke(args=["spex", "restore", stranger])
    assert refused.exit_code != 0 and "not a sound backup" in refused.output


def test_on_postgresql_backup_and_restore_name_postgresqls_tools(runner, request, tmp_path):
    if request.config.getoption("--db") != "postgresql":
        pytest.skip("the SQLite commands are tested above")
    backup = runner.invoke(args=["spex", "backup", str(tmp_path / "x.db")])
    assert backup.exit_code != 0 and "pg_dump -Fc" in backup.output
    somewhere = tmp_path / "x.dump"
    somewhere.write_bytes(b"")
    restore = runner.invoke(args=["spex", "restore", str(somewhere)])
    assert restore.exit_code != 0 and "pg_restore" in restore.output

"""Command-line tasks: create the schema, the first admin, the demo shop; start a server; back up and
restore a SQLite database."""
import os
import secrets
import shutil
import subprocess
import sys

import click
from flask.cli import AppGroup
from flask_migrate import upgrade
from sqlalchemy import func, select

from spex import codes, config
from spex.extensions import db

spex_cli = AppGroup("spex", help="Spex set-up tasks.")


def upgrade_schema() -> None:
    """Run every migration (all heads) against the configured database."""
    from spex import MIGRATIONS_DIR
    upgrade(directory=MIGRATIONS_DIR, revision="heads")


@spex_cli.command("init")
def init_command():
    """Create or upgrade the schema by running the migrations."""
    upgrade_schema()
    click.echo("Schema is up to date.")


# The length of a station PIN that create-admin makes when none is given.
GENERATED_PIN_DIGITS = 6


def _generated_pin(badge: str) -> str:
    while True:
        pin = "".join(secrets.choice("0123456789") for _ in range(GENERATED_PIN_DIGITS))
        if pin != badge:
            return pin


@spex_cli.command("create-admin")
@click.option("--username", required=True)
@click.option("--name", default="Administrator")
@click.option("--badge", required=True, help="Badge code without EMP-, e.g. 0001")
@click.password_option(envvar="SPEX_ADMIN_PASSWORD")
@click.option("--pin", envvar="SPEX_ADMIN_PIN", default=None,
              help=f"Station PIN, {codes.PIN_MIN_DIGITS} to {codes.PIN_MAX_DIGITS} digits, typed after the badge "
                   "at a station; without it one is made and printed once.")
def create_admin_command(username, name, badge, password, pin):
    """Create the first administrator (there is never a default password) with a station PIN."""
    from spex.models import User

    badge = badge.upper().removeprefix(codes.EMP)
    if len(password) < 10:
        raise click.BadParameter("Use at least 10 characters.", param_hint="password")
    if pin is not None and not codes.is_pin(pin):
        raise click.BadParameter(f"{codes.PIN_MIN_DIGITS} to {codes.PIN_MAX_DIGITS} digits.", param_hint="--pin")
    if pin == badge:
        raise click.BadParameter("Not the badge number: it is printed on the badge.", param_hint="--pin")
    taken = db.session.scalar(select(User).where((User.username == username) | (User.badge == badge)))
    if taken is not None:
        raise click.ClickException(f"{taken.name} already has that user name or badge; nothing was created.")
    user = User(name=name, username=username, badge=badge, role=codes.ADMIN)
    user.set_password(password)
    made = pin is None
    if made:
        pin = _generated_pin(badge)
    user.set_pin(pin)
    db.session.add(user)
    db.session.commit()
    click.echo(f"Administrator {username} created (badge {user.barcode}).")
    if made:
        click.echo(f"Station PIN: {pin} (shown this once: note it, or set another on Masters > Users).")
    click.echo(f"At a station, scan {user.barcode} and then type the PIN.")


@spex_cli.command("demo")
@click.option("--force", is_flag=True, help="Fill even if the database already has data.")
def demo_command(force):
    """Fill an empty database with the demo shop (deterministic)."""
    from spex import demo
    from spex.models import Material

    upgrade_schema()
    if db.session.scalar(select(func.count(Material.id))) and not force:
        click.echo("The database already has data; the demo shop was not added.")
        return
    summary = demo.seed(db.session)
    db.session.commit()
    click.echo(summary)


@spex_cli.command("serve")
@click.option("--demo", "with_demo", is_flag=True, help="Fill an empty database with the demo shop first.")
@click.option("--host", default=config.serve_host)
@click.option("--port", default=config.serve_port, type=int)
@click.option("--workers", default=config.serve_workers, type=int)
def serve_command(with_demo, host, port, workers):
    """Migrate, optionally add the demo shop, and run Spex under gunicorn."""
    from spex import demo
    from spex.models import Material

    upgrade_schema()
    if with_demo and not db.session.scalar(select(func.count(Material.id))):
        click.echo(demo.seed(db.session))
        db.session.commit()
    if with_demo:
        # The demo's wall-board kiosk URL works without a login; a real install sets its own token.
        os.environ.setdefault("SPEX_BOARD_TOKEN", "demo-board")
        click.echo(demo.LOGINS_TEXT)
    click.echo(f"\nSpex is running at http://{host}:{port}/  (Ctrl+C stops it)\n")
    db.session.remove()
    gunicorn = shutil.which("gunicorn") or os.path.join(os.path.dirname(sys.executable), "gunicorn")
    args = [gunicorn, "--config", "python:spex.gunicorn_conf", "--workers", str(workers),
            "--bind", f"{host}:{port}",
            "--access-logfile", "-", "app:app"]
    if os.name == "posix":
        os.execv(gunicorn, args)
    subprocess.run(args, check=False)


def _sqlite_file_or_refuse(postgresql_way: str) -> str:
    from spex import database

    path = database.sqlite_file(db.engine)
    if path is None:
        if db.engine.dialect.name == "postgresql":
            raise click.ClickException(f"The database is PostgreSQL: use its own tool, {postgresql_way} "
                                       "(see the README, \"Backup and restore\").")
        raise click.ClickException("The database is in memory: there is nothing to back up or restore.")
    return path


@spex_cli.command("backup")
@click.argument("path", type=click.Path(dir_okay=False))
def backup_command(path):
    """Copy the SQLite database to PATH, consistent while stations go on scanning."""
    from spex import database

    source = _sqlite_file_or_refuse("pg_dump -Fc")
    try:
        size = database.backup_sqlite(source, path)
    except database.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Backed up {source} to {path} ({size // 1024} KiB, integrity ok).")


@spex_cli.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def restore_command(path):
    """Put the backup at PATH in place of the SQLite database (with Spex stopped)."""
    from spex import database

    target = _sqlite_file_or_refuse("pg_restore")
    db.engine.dispose()  # this process keeps no connection to the file it replaces
    try:
        kept = database.restore_sqlite(path, target)
    except database.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Restored {path} to {target} (integrity ok)."
               + (f" The database it replaced is kept as {kept}." if kept else "")
               + " Start Spex again.")


def register(app) -> None:
    app.cli.add_command(spex_cli)

"""Backup and restore: ``flask --app wsgi crm backup PATH`` and ``crm restore PATH``.

SQLite: an online, consistent copy through SQLite's backup API (the application may keep
running and writing), written to a temporary file next to PATH and renamed into place when
complete; restoring copies the backup into the live database through the same API, so the
database file is never replaced under an open connection. PostgreSQL: ``pg_dump -Fc`` and
``pg_restore --clean --if-exists --single-transaction`` (all or nothing) with the credentials
of ``CRM_DATABASE_URL``; the client tools must be of the server's major version.

Neither command asks for confirmation: they are run from scripts and cron.
"""
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import click
import sqlalchemy as sa


class BackupError(Exception):
    """A backup or restore that could not be done; the message says why."""


def _sqlite_file(url: sa.URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return Path(url.database)


def _pg(url: sa.URL) -> tuple[str, dict]:
    """A libpq connection string without the password, and an environment carrying it."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} was not found: install the PostgreSQL client tools of the "
                          "server's major version.")
    return path


def _run(args: list[str], env: dict) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        detail = " ".join((done.stderr or done.stdout or "").split())[:500]
        raise BackupError(f"{Path(args[0]).name} failed: {detail}")


def backup(database_url: str, path: str | Path) -> Path:
    """Write a consistent copy of the database to ``path``; returns the path."""
    url = sa.make_url(database_url)
    target = Path(path).resolve()
    if target.is_dir():
        raise BackupError(f"{target} is a directory: give the backup's file name.")
    if not target.parent.is_dir():
        raise BackupError(f"The directory {target.parent} does not exist.")
    partial = target.with_name(target.name + ".partial")
    try:
        if url.get_backend_name() == "sqlite":
            source_file = _sqlite_file(url)
            if not source_file.exists():
                raise BackupError(f"The database {source_file} does not exist.")
            partial.unlink(missing_ok=True)
            source = sqlite3.connect(source_file)
            copy = sqlite3.connect(partial)
            try:
                source.execute("PRAGMA busy_timeout = 5000")
                source.backup(copy)
                # A self-contained file: no write-ahead log next to the copy.
                copy.execute("PRAGMA journal_mode = DELETE")
            finally:
                copy.close()
                source.close()
        elif url.get_backend_name() == "postgresql":
            conninfo, env = _pg(url)
            _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(partial),
                  "--dbname", conninfo], env)
        else:
            raise BackupError(f"Backups of {url.get_backend_name()} databases are not supported.")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def _check_sqlite_backup(path: Path) -> None:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            ok = conn.execute("PRAGMA quick_check").fetchone()[0]
            has_schema = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table' "
                                      "AND name = 'alembic_version'").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a SQLite backup of this CRM ({exc}).") from None
    finally:
        conn.close()
    if ok != "ok" or not has_schema:
        raise BackupError(f"{path} is not a complete SQLite backup of this CRM.")


def restore(database_url: str, path: str | Path, engine=None) -> None:
    """Replace the database's contents by the backup at ``path`` (made by :func:`backup`).

    ``engine`` (the application's) is disposed first so it holds no connection."""
    url = sa.make_url(database_url)
    source = Path(path).resolve()
    if not source.is_file():
        raise BackupError(f"The backup {source} does not exist.")
    if engine is not None:
        engine.dispose()
    if url.get_backend_name() == "sqlite":
        _check_sqlite_backup(source)
        target_file = _sqlite_file(url)
        backup_conn = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        live = sqlite3.connect(target_file)
        try:
            live.execute("PRAGMA busy_timeout = 10000")
            backup_conn.backup(live)
            live.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            live.close()
            backup_conn.close()
    elif url.get_backend_name() == "postgresql":
        with source.open("rb") as f:
            if f.read(5) != b"PGDMP":
                raise BackupError(f"{source} is not a pg_dump custom-format backup.")
        conninfo, env = _pg(url)
        _run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner",
              "--single-transaction", "--exit-on-error", "--dbname", conninfo, str(source)],
             env)
    else:
        raise BackupError(f"Restoring {url.get_backend_name()} databases is not supported.")
    if engine is not None:
        engine.dispose()


def register(group) -> None:
    from flask import current_app

    from .extensions import db

    @group.command("backup")
    @click.argument("path", type=click.Path(dir_okay=False))
    def backup_command(path):
        """Write a consistent backup of the database to PATH (online; no confirmation)."""
        try:
            target = backup(current_app.config["SQLALCHEMY_DATABASE_URI"], path)
        except BackupError as exc:
            raise click.ClickException(str(exc))
        click.echo(f"Backup written to {target} ({target.stat().st_size:,} bytes).")

    @group.command("restore")
    @click.argument("path", type=click.Path(dir_okay=False))
    def restore_command(path):
        """Replace the database's contents by the backup at PATH (no confirmation)."""
        db.session.remove()
        try:
            restore(current_app.config["SQLALCHEMY_DATABASE_URI"], path, engine=db.engine)
        except BackupError as exc:
            raise click.ClickException(str(exc))
        click.echo(f"Database restored from {Path(path).resolve()}.")

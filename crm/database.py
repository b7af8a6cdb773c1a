"""Database set-up: SQLite pragmas (WAL, foreign keys, busy timeout)."""
import sqlite3

from sqlalchemy import event
from sqlalchemy.engine import Engine


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 5000")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()


def is_sqlite(session_or_engine) -> bool:
    bind = getattr(session_or_engine, "bind", None) or session_or_engine.get_bind()
    return bind.dialect.name == "sqlite"


def managed_outside_models(name: str | None, type_: str) -> bool:
    """Schema objects the migrations manage by hand (full-text search tables and indexes)."""
    return bool(name) and (name.startswith("company_fts") or name.startswith("ix_fts_")
                           or name.startswith("ix_trgm_"))

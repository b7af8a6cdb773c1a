"""Database set-up: SQLite pragmas (WAL, foreign keys, busy timeout, secure delete), SQLite's
index hints (``INDEXED BY``), the write lock first for requests that may write (SQLite), and
read-only transactions ended with COMMIT so that PostgreSQL keeps its prepared statements."""
import sqlite3

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
from sqlalchemy.engine import Engine
from sqlalchemy.orm import scoped_session

from .sqlite_library import without_memory_statistics

#: Request methods that change nothing. Any other request may write, so on SQLite its
#: transactions begin with ``BEGIN IMMEDIATE``: it waits (up to the busy timeout) for the write
#: lock before it reads, and is then serialised with every other writer in every app process.
#: (A deferred transaction that read first can fail at once with "database is locked" when
#: another process wrote in between: the busy timeout does not cover that upgrade, and
#: ``SELECT … FOR UPDATE`` does nothing on SQLite.)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 5000")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        # Deleted and overwritten content is zeroed on disk, so an AVG erasure leaves no
        # trace in freed pages (see crm/journeys/privacy.py).
        cursor.execute("PRAGMA secure_delete = ON")
        cursor.close()


def _sqlite_index_hint(self, table, text):
    """A table hint given for SQLite (``select(...).with_hint(table, "INDEXED BY name",
    dialect_name="sqlite")``) after the table's name, as SQLAlchemy renders other dialects'
    hints; its SQLite compiler leaves them out."""
    return text


SQLiteCompiler.get_from_hint_text = _sqlite_index_hint


def _request_owns_its_app_context() -> bool:
    """False when the request runs inside an app context that was pushed before it (the test
    client inside a test's ``app.app_context()``): its session is then shared with the code
    around the request, which must not be left holding the write lock after the request."""
    from flask.globals import request_ctx
    tokens = getattr(request_ctx._get_current_object(), "_cv_tokens", None)
    return not tokens or tokens[-1][1] is not None


@event.listens_for(Engine, "begin")
def _sqlite_write_lock_first(conn):
    """``BEGIN IMMEDIATE`` on SQLite for the transactions of a request that may write."""
    if (conn.dialect.name == "sqlite" and has_request_context()
            and request.method not in SAFE_METHODS and _request_owns_its_app_context()):
        dbapi = conn.connection.dbapi_connection
        if isinstance(dbapi, sqlite3.Connection) and not dbapi.in_transaction:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


@event.listens_for(Engine, "begin")
def _transaction_reads_only(conn):
    conn.info["wrote"] = False


@event.listens_for(Engine, "before_cursor_execute")
def _note_writes(conn, cursor, statement, parameters, context, executemany):
    """Remember that the transaction ran something other than a query: a statement not
    starting with SELECT that is not a compiled SELECT either (those may start with WITH), or
    a ``SET LOCAL`` (it changes no data and ends with the transaction either way)."""
    if not conn.info.get("wrote"):
        head = statement.lstrip()[:9].upper()
        if head.startswith("SELECT") or head == "SET LOCAL" or _compiled_select(context):
            return
        conn.info["wrote"] = True


def _compiled_select(context) -> bool:
    """A SELECT built with SQLAlchemy (it may start with WITH) none of whose CTEs change data."""
    compiled = getattr(context, "compiled", None)
    statement = getattr(compiled, "statement", None)
    if statement is None or not getattr(statement, "is_select", False):
        return False
    return all(getattr(cte.element, "is_select", False) for cte in (compiled.ctes or {}))


def commit_if_only_read(exc=None) -> None:
    """End a transaction that only read with COMMIT instead of the session's ROLLBACK.

    Both end it the same way on the server, but psycopg forgets every prepared statement on
    ROLLBACK (a statement it prepared may name an object the rollback undid). Since nearly
    every page only reads, the app would otherwise never get past psycopg's threshold of five
    executions per connection, and PostgreSQL would plan each query anew on every request:
    0.2–0.9 ms per statement of the company page, more than running it. A transaction that
    wrote anything, or a session holding unflushed changes, or a request that failed, is left
    to the rollback as before."""
    from .extensions import db
    if exc is not None or not db.session.registry.has():
        return
    session = db.session()
    if not session.in_transaction() or session.new or session.dirty or session.deleted:
        return
    if session.connection().info.get("wrote", True):
        return
    try:
        session.commit()
    except Exception:  # noqa: BLE001 - the session is removed (and rolled back) right after
        session.rollback()


def sees_only_committed(session) -> bool:
    """Whether the session's view of the data is what any other connection sees too: its
    transaction (if one is open) has written nothing and it holds no unflushed changes. Work
    may then be shared with another connection (see ``crm.journeys.monitor.figures``)."""
    if isinstance(session, scoped_session):
        session = session()
    if session.new or session.dirty or session.deleted:
        return False
    if not session.in_transaction():
        return True
    return not session.connection().info.get("wrote", True)


def init_app(app) -> None:
    """Registered after Flask-SQLAlchemy, so that it runs before the session is removed."""
    app.teardown_appcontext(commit_if_only_read)


def is_sqlite(session_or_engine) -> bool:
    bind = getattr(session_or_engine, "bind", None) or session_or_engine.get_bind()
    return bind.dialect.name == "sqlite"


def managed_outside_models(name: str | None, type_: str) -> bool:
    """Schema objects the migrations manage by hand (full-text search tables and indexes;
    indexes of PostgreSQL alone, ``ix_pg_``)."""
    return bool(name) and (name.startswith("company_fts") or name.startswith("ix_fts_")
                           or name.startswith("ix_trgm_") or name.startswith("ix_pg_"))


def configure(app) -> None:
    """Engine options per database. On PostgreSQL, parallel query is off: the CRM's queries
    are small and indexed, and starting parallel workers costs more than it saves (measured:
    a 0.8 ms query took 77 ms with two workers). On SQLite, the library's memory statistics
    are off (:mod:`crm.sqlite_library`: connections working at once no longer wait for each
    other's allocations), done before the first connection of the process."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        without_memory_statistics()
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("options", "-c max_parallel_workers_per_gather=0")
        # A database that does not answer is reported (503) rather than waited for.
        connect_args.setdefault("connect_timeout", 5)
        options["connect_args"] = connect_args
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options

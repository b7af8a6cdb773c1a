"""Writing a planned import: batched Core inserts and updates (never one ORM object per row),
all inside the caller's transaction, so a failure at any point leaves nothing behind.

Many new companies go in faster: on PostgreSQL with COPY, on SQLite with the driver's
executemany of ready-made tuples and the search index filled by one statement.
"""
from contextlib import contextmanager

from sqlalchemy import Table, bindparam, func, insert, select, text, update

from ..models import Company
from ..models.intervention import intervention_bottlenecks, intervention_topics
from .write import Plan

#: Rows per executemany, COPY or driver call.
BATCH = 5000
#: From this many new companies on, the bulk paths are used.
BULK_INDEX_MIN = 1000
#: SQLite page cache (KiB) while a bulk import runs: the indexes' pages stay in memory.
SQLITE_CACHE_KIB = 131072
_FTS_TRIGGER = "company_fts_after_insert"


def _execute(session, statement, rows):
    """One batch: a Core executemany; for a bare table the bulk insert of the database (COPY
    on PostgreSQL, the driver's executemany on SQLite). Tests replace this to fail halfway."""
    if isinstance(statement, Table):
        if session.get_bind().dialect.name == "postgresql":
            return _copy(session, statement, rows)
        return _driver_executemany(session, statement, rows)
    return session.execute(statement, rows)


def _copy(session, table: Table, rows: list[dict]) -> None:
    """PostgreSQL: one batch with COPY … FROM STDIN (in the session's transaction)."""
    columns = list(rows[0])
    cursor = session.connection().connection.dbapi_connection.cursor()
    names = ", ".join(f'"{c}"' for c in columns)
    with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])


def _driver_executemany(session, table: Table, rows: list[dict]) -> None:
    """SQLite: the driver's executemany of tuples. Values are converted by their column's type
    as SQLAlchemy would, but column by column: once per batch for a value every row shares
    (the import's timestamp), and not at all for types without a conversion."""
    dialect = session.get_bind().dialect
    statement = insert(table).compile(dialect=dialect, column_keys=list(rows[0]))
    order = [statement.binds[name].key for name in statement.positiontup]
    columns = {}
    for key in order:
        values = [row[key] for row in rows]
        convert = table.c[key].type.dialect_impl(dialect).bind_processor(dialect)
        if convert is not None:
            if values.count(values[0]) == len(values):
                values = [convert(values[0])] * len(values)
            else:
                values = [convert(v) for v in values]
        columns[key] = values
    session.connection().exec_driver_sql(statement.string,
                                         list(zip(*(columns[k] for k in order))))


@contextmanager
def _nothing():
    yield


def open_sqlite_transaction(session) -> bool:
    """SQLite: make sure the driver's transaction is open (pysqlite opens it at the first data
    change), so that DDL or a savepoint that follows belongs to it and is not committed on its
    own. Returns whether a transaction is open (always True elsewhere)."""
    if session.get_bind().dialect.name != "sqlite":
        return True
    raw = session.connection().connection.dbapi_connection
    if not raw.in_transaction:
        session.execute(text("UPDATE companies SET id = id WHERE 0 = 1"))
    return raw.in_transaction


@contextmanager
def _sqlite_bulk_search_index(session, filled=False):
    """SQLite: index many new companies in the FTS5 table with one INSERT … SELECT instead of
    the per-row trigger of migration 0003 (measured: six times less work). The trigger is
    dropped and re-created with its own SQL inside the import's transaction, so a failure or a
    crash at any point rolls all of it back: the trigger and the index stay as they were.
    Elsewhere (PostgreSQL, or no open transaction to do it in) the database indexes per row."""
    if filled or session.get_bind().dialect.name != "sqlite":
        yield
        return
    trigger_sql = session.execute(text(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = :name"),
        {"name": _FTS_TRIGGER}).scalar()
    if not trigger_sql or not open_sqlite_transaction(session):  # DROP TRIGGER is in it
        yield
        return
    last_id = session.scalar(select(func.coalesce(func.max(Company.id), 0)))
    cache = session.execute(text("PRAGMA cache_size")).scalar()
    session.execute(text(f"PRAGMA cache_size = -{int(SQLITE_CACHE_KIB)}"))
    try:
        session.execute(text(f"DROP TRIGGER {_FTS_TRIGGER}"))
        yield
        session.execute(text("INSERT INTO company_fts (rowid, search_text) "
                             "SELECT id, search_text FROM companies WHERE id > :last"),
                        {"last": last_id})
        session.execute(text(trigger_sql))
    finally:
        session.execute(text(f"PRAGMA cache_size = {int(cache)}"))


def many_new_companies(session):
    """Around several plans of new companies (an import written in parts): SQLite fills the
    search index for all of them at the end; pass ``search_index_filled=True`` to
    :func:`execute` inside."""
    return _sqlite_bulk_search_index(session)


def execute(session, plan: Plan, *, search_index_filled: bool = False) -> None:
    """Write the plan in batches. The caller's transaction makes it all or nothing."""
    table = plan.table
    if plan.extras:
        statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        for start in range(0, len(plan.inserts), BATCH):
            rows = plan.inserts[start:start + BATCH]
            new_ids = _execute(session, statement, rows).scalars().all()
            bottlenecks, topics = [], []
            for new_id, (b, t) in zip(new_ids, plan.extras[start:start + BATCH]):
                bottlenecks.extend({"intervention_id": new_id, "bottleneck": x} for x in b)
                topics.extend({"intervention_id": new_id, "topic": x} for x in t)
            if bottlenecks:
                _execute(session, insert(intervention_bottlenecks), bottlenecks)
            if topics:
                _execute(session, insert(intervention_topics), topics)
    elif len(plan.inserts) >= BULK_INDEX_MIN:
        # The database's bulk insert (bare table); SQLite also fills the search index at once.
        with (_sqlite_bulk_search_index(session, search_index_filled)
              if table is Company.__table__ else _nothing()):
            for start in range(0, len(plan.inserts), BATCH):
                _execute(session, table, plan.inserts[start:start + BATCH])
    else:
        for start in range(0, len(plan.inserts), BATCH):
            _execute(session, insert(table), plan.inserts[start:start + BATCH])
    for columns, rows in plan.updates.items():
        values = {c: bindparam(f"b_{c}") for c in columns}
        statement = update(table).where(table.c.id == bindparam("b_id")).values(values)
        if "version" in table.c:
            statement = statement.values(version=table.c.version + 1)
        for start in range(0, len(rows), BATCH):
            batch = [{("b_id" if k == "b_id" else f"b_{k}"): v for k, v in row.items()}
                     for row in rows[start:start + BATCH]]
            _execute(session, statement, batch)

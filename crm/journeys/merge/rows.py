"""The generic part of merging: every row that refers to a company, found through the
foreign keys in the metadata; its primary key and values as JSON and back; unique keys that
the duplicate's rows would break on the survivor."""
from datetime import date, datetime

from sqlalchemy import Table, delete, func, insert, select, tuple_, update

from ...models import Base, Company, Consent, DuplicatePair, utcnow
from ...models.merge import NOT_MOVED
from ..errors import N_, DomainError

#: Primary keys per IN (…) list.
CHUNK = 500


class MergeRefused(DomainError):
    message = N_("These companies cannot be merged.")


class UnmergeRefused(DomainError):
    message = N_("This merge cannot be reversed.")


def referencing_columns() -> list:
    """Every column with a foreign key to ``companies.id`` (except the merge's own tables)."""
    columns = []
    for table in Base.metadata.sorted_tables:
        if table.name in NOT_MOVED:
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name == "companies" and fk.column.name == "id":
                columns.append(fk.parent)
    return columns


def key_columns(table: Table) -> list:
    return list(table.primary_key.columns) or list(table.columns)


def plain(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if hasattr(value, "as_tuple"):  # Decimal
        return str(value)
    return value


def restore_value(column, value):
    """A JSON value back to the column's Python type (dates, datetimes, decimals)."""
    if value is None:
        return None
    try:
        python_type = getattr(column.type, "impl", column.type).python_type
    except NotImplementedError:
        return value
    if python_type is datetime and isinstance(value, str):
        return datetime.fromisoformat(value)
    if python_type is date and isinstance(value, str):
        return date.fromisoformat(value)
    if python_type.__name__ == "Decimal" and isinstance(value, str):
        return python_type(value)
    return value


def row_json(table: Table, row) -> dict:
    return {c.name: plain(row._mapping[c]) for c in table.columns}


def row_values(table: Table, data: dict) -> dict:
    return {c.name: restore_value(c, data[c.name]) for c in table.columns if c.name in data}


def count_rows(session, company_id: int) -> dict[str, int]:
    """How many rows of each table refer to the company (tables with none left out)."""
    counts: dict[str, int] = {}
    for col in referencing_columns():
        n = session.scalar(select(func.count()).select_from(col.table).where(col == company_id))
        if n:
            counts[col.table.name] = counts.get(col.table.name, 0) + n
    return counts


def unique_keys(table: Table, col) -> list[tuple[list, object]]:
    """(columns, partial-index condition) of each unique key of ``table`` containing ``col``."""
    keys = []
    for constraint in table.constraints:
        cols = list(getattr(constraint, "columns", []))
        if any(c is col for c in cols) and (constraint is table.primary_key
                            or constraint.__class__.__name__ == "UniqueConstraint"):
            keys.append((cols, None))
    for index in table.indexes:
        if index.unique and any(c is col for c in index.columns):
            where = (index.dialect_kwargs.get("sqlite_where")
                     if index.dialect_kwargs.get("sqlite_where") is not None
                     else index.dialect_kwargs.get("postgresql_where"))
            keys.append((list(index.columns), where))
    return keys


def resolve_unique(session, col, survivor_id, duplicate_id, adjustments, by):
    """Make room for the duplicate's rows under each unique key they share with the survivor's.

    The current consent: the survivor's stays, the duplicate's is closed with a note. Link
    rows (every column part of the key) are redundant: removed, kept in the merge record.
    Anything else is refused before a row is touched.
    """
    table = col.table
    for key_columns, where in unique_keys(table, col):
        others = [c for c in key_columns if c is not col]
        conditions = [where] if where is not None else []
        if others:
            ours = {tuple(r) for r in session.execute(
                select(*others).where(col == survivor_id, *conditions))}
        else:
            ours = {()} if session.scalar(select(func.count()).select_from(table).where(
                col == survivor_id, *conditions)) else set()
        if not ours:
            continue
        clashing = [r for r in session.execute(
            select(table).where(col == duplicate_id, *conditions))
            if tuple(r._mapping[c] for c in others) in ours]
        if not clashing:
            continue
        if table.name == Consent.__tablename__:
            ids = [r.id for r in clashing]
            session.execute(update(table).where(table.c.id.in_(ids)).values(
                withdrawn_at=utcnow(), withdrawn_by_id=by.id,
                withdrawal_note="Samengevoegd: de toestemming van het overblijvende bedrijf "
                                "geldt (merged: the surviving company's consent applies)."))
            adjustments.setdefault("closed_consents", []).extend(ids)
        elif {c.name for c in key_columns} == {c.name for c in table.columns}:
            for row in clashing:
                session.execute(delete(table).where(
                    *[c == row._mapping[c] for c in table.columns]))
                adjustments.setdefault("dropped", {}).setdefault(table.name, []).append(
                    row_json(table, row))
        else:
            raise MergeRefused(N_("Both companies have a record in %(table)s that may exist "
                                  "only once per company; resolve that first."),
                               table=table.name)


def table_of(key: str):
    table_name, column_name = key.rsplit(".", 1)
    table = Base.metadata.tables.get(table_name)
    if table is None or column_name not in table.c:
        raise UnmergeRefused(N_("The table %(table)s no longer exists, so the moved rows "
                                "cannot be put back."), table=table_name)
    return table, table.c[column_name]


def key_condition(keys, chunk):
    if len(keys) == 1:
        return keys[0].in_([restore_value(keys[0], v) for v in chunk])
    return tuple_(*keys).in_([tuple(restore_value(k, v) for k, v in zip(keys, row))
                              for row in chunk])


def missing_rows(session, merge) -> dict[str, int]:
    """Per table: how many moved rows no longer point at the survivor (deleted or moved)."""
    missing = {}
    for key, pks in merge.moved.items():
        table, col = table_of(key)
        keys = key_columns(table)
        found = 0
        for start in range(0, len(pks), CHUNK):
            chunk = pks[start:start + CHUNK]
            found += session.scalar(select(func.count()).select_from(table).where(
                key_condition(keys, chunk), col == merge.survivor_id))
        if found != len(pks):
            missing[table.name] = missing.get(table.name, 0) + len(pks) - found
    return missing


def company_columns(table) -> set[str]:
    return {fk.parent.name for fk in table.foreign_keys if fk.column.table.name == "companies"}


def restore_pairs(session, rows, duplicate_id, restored_id) -> None:
    """Put back the duplicate's pairs (dismissals included) whose other company still exists."""
    pairs, companies = DuplicatePair.__table__, Company.__table__
    for row in rows:
        values = row_values(pairs, row)
        ids = sorted(restored_id if i == duplicate_id else i
                     for i in (values["company_a_id"], values["company_b_id"]))
        values["company_a_id"], values["company_b_id"] = ids
        present = session.scalar(select(func.count()).select_from(companies)
                                 .where(companies.c.id.in_(ids)))
        exists = session.scalar(select(func.count()).select_from(pairs).where(
            pairs.c.company_a_id == ids[0], pairs.c.company_b_id == ids[1]))
        if present == 2 and not exists:
            session.execute(insert(pairs).values(values))



"""timeline: each intervention carries its bottlenecks and topics as lists, kept by triggers

The timeline read a company's interventions with two subqueries per row that aggregated the
intervention's bottlenecks and topics: ~470 index probes for a 300-step journey, half of the
statement's time on PostgreSQL (0.7 of 1.3 ms). ``interventions.bottleneck_list`` and
``topic_list`` hold the same values, comma-separated in alphabetical order, kept by triggers on
``intervention_bottlenecks`` and ``intervention_topics`` on every insert, update and delete,
whatever makes the change (the ORM, the import's COPY, a merge, a restore). On PostgreSQL the
triggers work per statement on the changed rows (one UPDATE for a bulk insert) and leave rows
whose list is already right untouched. The tag tables stay the source of truth.

Revision ID: 0021
Revises: 0020
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

#: (list column, tag table, tag column)
LISTS = [("bottleneck_list", "intervention_bottlenecks", "bottleneck"),
         ("topic_list", "intervention_topics", "topic")]


def _postgresql_up(column: str, table: str, tag: str) -> None:
    op.execute(f"""
        CREATE FUNCTION {table}_listed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE interventions i SET {column} = fresh.list
            FROM (SELECT c.intervention_id AS id,
                         coalesce((SELECT string_agg(t.{tag}, ',' ORDER BY t.{tag})
                                   FROM {table} t
                                   WHERE t.intervention_id = c.intervention_id), '') AS list
                  FROM (SELECT DISTINCT intervention_id FROM changed) c) fresh
            WHERE i.id = fresh.id AND i.{column} IS DISTINCT FROM fresh.list;
            RETURN NULL;
        END $$""")
    # A trigger with a transition table serves one event; an update needs the old and the new
    # intervention of a moved row.
    for suffix, event, transition in [("inserted", "INSERT", "NEW"),
                                      ("deleted", "DELETE", "OLD"),
                                      ("updated_from", "UPDATE", "OLD"),
                                      ("updated_to", "UPDATE", "NEW")]:
        op.execute(f"CREATE TRIGGER {table}_{suffix} AFTER {event} ON {table} "
                   f"REFERENCING {transition} TABLE AS changed FOR EACH STATEMENT "
                   f"EXECUTE FUNCTION {table}_listed()")


def _sqlite_refresh(column: str, table: str, tag: str, row: str) -> str:
    return (f"UPDATE interventions SET {column} = (SELECT coalesce(group_concat({tag}, ','), '') "
            f"FROM (SELECT {tag} FROM {table} WHERE intervention_id = {row}.intervention_id "
            f"ORDER BY {tag})) WHERE id = {row}.intervention_id;")


def _sqlite_up(column: str, table: str, tag: str) -> None:
    op.execute(f"CREATE TRIGGER {table}_inserted AFTER INSERT ON {table} BEGIN "
               f"{_sqlite_refresh(column, table, tag, 'NEW')} END")
    op.execute(f"CREATE TRIGGER {table}_deleted AFTER DELETE ON {table} BEGIN "
               f"{_sqlite_refresh(column, table, tag, 'OLD')} END")
    op.execute(f"CREATE TRIGGER {table}_updated AFTER UPDATE ON {table} BEGIN "
               f"{_sqlite_refresh(column, table, tag, 'OLD')} "
               f"{_sqlite_refresh(column, table, tag, 'NEW')} END")


def upgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    for column, table, tag in LISTS:
        op.add_column("interventions", sa.Column(column, sa.Text(), server_default="",
                                                 nullable=False))
        aggregate = (f"string_agg({tag}, ',' ORDER BY {tag})" if postgresql else
                     f"group_concat({tag}, ',')")
        source = (f"{table} WHERE intervention_id = interventions.id" if postgresql else
                  f"(SELECT {tag} FROM {table} WHERE intervention_id = interventions.id "
                  f"ORDER BY {tag})")
        op.execute(f"UPDATE interventions SET {column} = coalesce((SELECT {aggregate} "
                   f"FROM {source}), '') WHERE id IN (SELECT intervention_id FROM {table})")
        (_postgresql_up if postgresql else _sqlite_up)(column, table, tag)


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    # Every trigger first: SQLite rebuilds the table to drop a column, which a trigger that
    # names it would stop.
    for column, table, _ in LISTS:
        if postgresql:
            for suffix in ("inserted", "deleted", "updated_from", "updated_to"):
                op.execute(f"DROP TRIGGER {table}_{suffix} ON {table}")
            op.execute(f"DROP FUNCTION {table}_listed()")
        else:
            for suffix in ("inserted", "deleted", "updated"):
                op.execute(f"DROP TRIGGER {table}_{suffix}")
    with op.batch_alter_table("interventions") as batch:
        for column, _, _ in reversed(LISTS):
            batch.drop_column(column)

"""company search: trigram full-text index over companies.search_text

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 14:00:00

Substring search (any fragment of three or more characters of a name, trade name or KVK
number) needs an index the models do not describe, so it is managed here by hand:

* SQLite: an FTS5 table ``company_fts`` with the trigram tokenizer, an external-content index
  over ``companies.search_text`` kept in step by triggers, rebuilt from the existing rows;
* PostgreSQL: the ``pg_trgm`` extension and a GIN trigram index ``ix_trgm_companies_search_text``
  (used by ``search_text LIKE '%…%'``).

Prefix search needs no new index: ``sort_name`` (byte-ordered: COLLATE "C" on PostgreSQL,
BINARY on SQLite) and the unique ``kvk`` index answer range conditions. The names used here
start with ``company_fts`` or ``ix_trgm_`` so the models-versus-migrations check ignores them
(see ``crm.database.managed_outside_models``).
"""
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


SQLITE_UPGRADE = [
    """CREATE VIRTUAL TABLE company_fts USING fts5(
           search_text, content='companies', content_rowid='id', tokenize='trigram')""",
    """CREATE TRIGGER company_fts_after_insert AFTER INSERT ON companies BEGIN
           INSERT INTO company_fts(rowid, search_text) VALUES (new.id, new.search_text);
       END""",
    """CREATE TRIGGER company_fts_after_delete AFTER DELETE ON companies BEGIN
           INSERT INTO company_fts(company_fts, rowid, search_text)
           VALUES ('delete', old.id, old.search_text);
       END""",
    """CREATE TRIGGER company_fts_after_update AFTER UPDATE OF id, search_text ON companies
       BEGIN
           INSERT INTO company_fts(company_fts, rowid, search_text)
           VALUES ('delete', old.id, old.search_text);
           INSERT INTO company_fts(rowid, search_text) VALUES (new.id, new.search_text);
       END""",
    "INSERT INTO company_fts(company_fts) VALUES ('rebuild')",
]

SQLITE_DOWNGRADE = [
    "DROP TRIGGER IF EXISTS company_fts_after_update",
    "DROP TRIGGER IF EXISTS company_fts_after_delete",
    "DROP TRIGGER IF EXISTS company_fts_after_insert",
    "DROP TABLE IF EXISTS company_fts",
]


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in SQLITE_UPGRADE:
            op.execute(statement)
    elif dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX IF NOT EXISTS ix_trgm_companies_search_text "
                   "ON companies USING gin (search_text gin_trgm_ops)")


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in SQLITE_DOWNGRADE:
            op.execute(statement)
    elif dialect == "postgresql":
        # The extension stays: other objects may use it, and dropping it needs more rights.
        op.execute("DROP INDEX IF EXISTS ix_trgm_companies_search_text")

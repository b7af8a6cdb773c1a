"""search: finer statistics for companies.sort_name on PostgreSQL

With the default 100 histogram buckets the planner estimates a name-prefix range ("aut" …
"auu") at a few dozen rows where a million-company register has thousands, and then reads
them all through a bitmap and sorts them instead of walking the index in order and stopping
at the limit (23 ms instead of 1 ms). A thousand buckets make the estimate right.

Revision ID: 0017
Revises: 0016
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE companies ALTER COLUMN sort_name SET STATISTICS 1000")
        op.execute("ANALYZE companies")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE companies ALTER COLUMN sort_name SET STATISTICS -1")

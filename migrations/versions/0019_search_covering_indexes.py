"""search: covering indexes for the name, place and KVK ranges on PostgreSQL

Company search reads up to a few hundred entries of an index range per tier (a name prefix,
a municipality's companies in name order, a KVK prefix) and needs the id and the filtered
columns of each. PostgreSQL's indexes point to the table rows, so every entry cost a visit to
a table page (500 random page reads: 5–7 ms for a large municipality). With the id, SBI section,
size class and province INCLUDEd, the ranges are index-only scans (0.2 ms). SQLite's indexes
end in the rowid, which is the id, so nothing changes there.

Revision ID: 0019
Revises: 0018
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

INCLUDE = "id, sbi_section, size_class, province_id"
INDEXES = [("ix_companies_sort_name", "sort_name"),
           ("ix_companies_province_sort", "province_id, sort_name"),
           ("ix_companies_municipality_sort", "municipality_id, sort_name")]


def _rebuild(include: str) -> None:
    suffix = f" INCLUDE ({include})" if include else ""
    for name, columns in INDEXES:
        op.execute(f"DROP INDEX {name}")
        op.execute(f"CREATE INDEX {name} ON companies ({columns}){suffix}")
    op.execute("ALTER TABLE companies DROP CONSTRAINT uq_companies_kvk, "
               f"ADD CONSTRAINT uq_companies_kvk UNIQUE (kvk){suffix}")
    op.execute("ANALYZE companies")


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        _rebuild(INCLUDE)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        _rebuild("")

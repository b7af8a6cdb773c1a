"""reference data: provinces, municipalities, regions, SBI sections

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 13:20:00

Loads the rows shipped in ``crm/data/*.csv`` that are missing. The loader is idempotent, so a
later migration that ships new municipalities calls it again.
"""
from alembic import op

from crm.reference import load_reference_data

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    load_reference_data(op.get_bind())


def downgrade():
    for name in ("region_municipalities", "regions", "municipalities", "provinces",
                 "sbi_sections"):
        op.execute(f"DELETE FROM {name}")

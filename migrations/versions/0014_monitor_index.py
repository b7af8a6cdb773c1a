"""monitor: covering index of interventions per company (period, kind, organisation)

Revision ID: 0014
Revises: 0013
"""
from alembic import op
import sqlalchemy as sa

import crm.models.base


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    # The monitor reads, per company in scope, its interventions in the period with their kind
    # and organisation; with this index that is an index-only scan.
    with op.batch_alter_table('interventions', schema=None) as batch_op:
        batch_op.create_index('ix_interventions_company_monitor',
                              ['company_id', 'occurred_on', 'kind', 'organisation_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('interventions', schema=None) as batch_op:
        batch_op.drop_index('ix_interventions_company_monitor')

"""monitor speed: covering index of companies per province, referrals by moment sent

Revision ID: 0016
Revises: 0015
"""
from alembic import op
import sqlalchemy as sa

import crm.models.base


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    # The monitor: the companies of a province in id order with the attributes it breaks the
    # figures down by, read from the index alone (no visit of the wide company rows), and
    # joined in that order to their interventions in the period.
    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.create_index('ix_companies_monitor',
                              ['province_id', 'id', 'sbi_section', 'size_class',
                               'digital_maturity', 'municipality_id', 'phase'], unique=False)
    # The monitor's referral figures: the referrals sent in a period, without a full scan.
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index('ix_referrals_created', ['created_at', 'company_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index('ix_referrals_created')
    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.drop_index('ix_companies_monitor')

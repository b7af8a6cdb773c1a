"""journey list and merge indexes

Revision ID: 0015
Revises: 0014
"""
from alembic import op
import sqlalchemy as sa

import crm.models.base


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    # The journey list: an organisation's companies with the day of its last contact, read from
    # the index alone in company order (its own interventions grouped per company without a
    # sort, and probed per company). The monitor's ix_interventions_company_monitor (0014)
    # serves the per-company side (company, day, kind, organisation).
    with op.batch_alter_table('interventions', schema=None) as batch_op:
        batch_op.create_index('ix_interventions_organisation_company',
                              ['organisation_id', 'company_id', 'occurred_on'], unique=False)
    # A referral's steps with their moment and status, read from the index alone (the last
    # step per company, and the last one that rejected or failed a referral).
    with op.batch_alter_table('referral_steps', schema=None) as batch_op:
        batch_op.create_index('ix_referral_steps_referral_at', ['referral_id', 'at', 'to_status'],
                              unique=False)
    # Merging companies moves a company's notifications: find them without a full scan.
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_company_id', ['company_id'], unique=False)


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_company_id')
    with op.batch_alter_table('referral_steps', schema=None) as batch_op:
        batch_op.drop_index('ix_referral_steps_referral_at')
    with op.batch_alter_table('interventions', schema=None) as batch_op:
        batch_op.drop_index('ix_interventions_organisation_company')

"""monitor: the referrals of a period read from one covering index

The monitor's referral figures and its stalled list read, for the referrals sent in the period,
the company, both organisations, the status, the accept-by day and the moments of accepting
and closing. ``ix_referrals_monitor`` holds all of them after ``created_at``, so both read the
index alone instead of each referral's row (SQLite: the referral figures' 26,000 referrals in
104 → 44 ms). It replaces ``ix_referrals_created`` (created_at, company_id), its prefix.

Revision ID: 0023
Revises: 0022
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

COLUMNS = ['created_at', 'company_id', 'from_organisation_id', 'to_organisation_id', 'status',
           'accept_due_on', 'accepted_at', 'closed_at']


def upgrade():
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index('ix_referrals_monitor', COLUMNS, unique=False)
        batch_op.drop_index('ix_referrals_created')


def downgrade():
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index('ix_referrals_created', ['created_at', 'company_id'],
                              unique=False)
        batch_op.drop_index('ix_referrals_monitor')

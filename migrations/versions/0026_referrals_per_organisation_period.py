"""monitor: an organisation's referrals of a period, sent and received, from their own indexes

An organisation's own referral figures and stalled list read the referrals it sent or received
in the period. The only index with the period was ``ix_referrals_monitor`` (created_at first),
so both read every referral of the period, of all organisations, to keep one organisation's;
the organisation's indexes (``ix_referrals_from_status``, ``ix_referrals_to_status``) have the
status second. ``ix_referrals_from_created`` and ``ix_referrals_to_created`` give a range per
organisation and period. Measured on the load benchmark's dataset (PostgreSQL, 2,000,000
referrals): an organisation's referral figures for 12 months read 700 + 695 index entries
instead of scanning the year's entries of ``ix_referrals_monitor`` twice (see the README's load
benchmark section for the times).

Revision ID: 0026
Revises: 0025
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index('ix_referrals_from_created',
                              ['from_organisation_id', 'created_at'], unique=False)
        batch_op.create_index('ix_referrals_to_created',
                              ['to_organisation_id', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index('ix_referrals_to_created')
        batch_op.drop_index('ix_referrals_from_created')

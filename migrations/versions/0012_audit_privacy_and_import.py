"""audit, privacy and import

Revision ID: 0012
Revises: 0011
"""
from alembic import op
import sqlalchemy as sa

import crm.models.base


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    # The admin audit search filters by period, organisation and user, newest first.
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_entries_user_id')
        batch_op.create_index('ix_audit_entries_at', ['at'], unique=False)
        batch_op.create_index('ix_audit_entries_organisation_at', ['organisation_id', 'at'],
                              unique=False)
        batch_op.create_index('ix_audit_entries_user_at', ['user_id', 'at'], unique=False)


def downgrade():
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_entries_user_at')
        batch_op.drop_index('ix_audit_entries_organisation_at')
        batch_op.drop_index('ix_audit_entries_at')
        batch_op.create_index('ix_audit_entries_user_id', ['user_id'], unique=False)

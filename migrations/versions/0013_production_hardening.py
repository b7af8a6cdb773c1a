"""production hardening: revocable sessions (users.sessions_valid_from)

Revision ID: 0013
Revises: 0012
"""
from alembic import op
import sqlalchemy as sa

import crm.models.base


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    # Server-side revocation of the (stateless, signed-cookie) sessions: see crm/security.py.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sessions_valid_from', crm.models.base.UTCDateTime(),
                                      nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('sessions_valid_from')

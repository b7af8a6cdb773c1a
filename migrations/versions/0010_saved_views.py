"""saved views

Revision ID: 0010
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa

import crm.models.base


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'saved_views',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('query', sa.Text(), server_default='', nullable=False),
        sa.Column('created_at', crm.models.base.UTCDateTime(timezone=True),
                  server_default=sa.func.current_timestamp(), nullable=False),
        sa.CheckConstraint("kind IN ('journeys', 'dashboard')",
                           name=op.f('ck_saved_views_kind_known')),
        sa.CheckConstraint('length(trim(name)) > 0', name=op.f('ck_saved_views_name_not_blank')),
        sa.CheckConstraint('length(query) <= 2000', name=op.f('ck_saved_views_query_length')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_saved_views_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_views')),
        sa.UniqueConstraint('user_id', 'kind', 'name', name='uq_saved_views_user_kind_name'),
    )


def downgrade():
    op.drop_table('saved_views')

"""company merges

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa

import crm.models.base


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'duplicate_pairs',
        sa.Column('company_a_id', sa.Integer(), nullable=False),
        sa.Column('company_b_id', sa.Integer(), nullable=False),
        sa.Column('score', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=10), server_default='open', nullable=False),
        sa.Column('found_at', crm.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('dismissed_by_id', sa.Integer(), nullable=True),
        sa.Column('dismissed_at', crm.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint('company_a_id < company_b_id', name=op.f('ck_duplicate_pairs_ordered')),
        sa.CheckConstraint("status IN ('open', 'dismissed')",
                           name=op.f('ck_duplicate_pairs_status_known')),
        sa.CheckConstraint('score BETWEEN 0 AND 100', name=op.f('ck_duplicate_pairs_score_range')),
        sa.ForeignKeyConstraint(['company_a_id'], ['companies.id'],
                                name=op.f('fk_duplicate_pairs_company_a_id_companies'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['company_b_id'], ['companies.id'],
                                name=op.f('fk_duplicate_pairs_company_b_id_companies'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['dismissed_by_id'], ['users.id'],
                                name=op.f('fk_duplicate_pairs_dismissed_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('company_a_id', 'company_b_id', name=op.f('pk_duplicate_pairs')),
    )
    with op.batch_alter_table('duplicate_pairs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_duplicate_pairs_company_b_id'), ['company_b_id'],
                              unique=False)
        batch_op.create_index('ix_duplicate_pairs_status_score', ['status', 'score'],
                              unique=False)

    op.create_table(
        'company_merges',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('survivor_id', sa.Integer(), nullable=False),
        sa.Column('duplicate_id', sa.Integer(), nullable=False),
        sa.Column('duplicate_name', sa.String(length=200), nullable=False),
        sa.Column('survivor_name', sa.String(length=200), nullable=False),
        sa.Column('snapshot', sa.JSON(), nullable=False),
        sa.Column('survivor_before', sa.JSON(), nullable=False),
        sa.Column('survivor_after', sa.JSON(), nullable=False),
        sa.Column('moved', sa.JSON(), nullable=False),
        sa.Column('adjustments', sa.JSON(), nullable=False),
        sa.Column('merged_by_id', sa.Integer(), nullable=True),
        sa.Column('merged_at', crm.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('reverted_by_id', sa.Integer(), nullable=True),
        sa.Column('reverted_at', crm.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column('restored_as_id', sa.Integer(), nullable=True),
        sa.Column('reversal_note', sa.Text(), nullable=True),
        sa.CheckConstraint('survivor_id <> duplicate_id',
                           name=op.f('ck_company_merges_two_companies')),
        sa.ForeignKeyConstraint(['merged_by_id'], ['users.id'],
                                name=op.f('fk_company_merges_merged_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['reverted_by_id'], ['users.id'],
                                name=op.f('fk_company_merges_reverted_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_company_merges')),
    )
    with op.batch_alter_table('company_merges', schema=None) as batch_op:
        batch_op.create_index('ix_company_merges_duplicate', ['duplicate_id', 'reverted_at'],
                              unique=False)
        batch_op.create_index('ix_company_merges_survivor', ['survivor_id'], unique=False)


def downgrade():
    op.drop_table('company_merges')
    op.drop_table('duplicate_pairs')

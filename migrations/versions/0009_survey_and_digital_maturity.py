"""survey and digital maturity

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa

import crm.models.base


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

QUESTIONS = [f"answer_{n}" for n in range(1, 11)]
DIMENSIONS = ["digital_business_strategy", "digital_readiness", "human_centric",
              "data_management", "automation_ai", "green"]


def upgrade():
    op.create_table(
        'survey_invitations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('company_id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('intervention_id', sa.Integer(), nullable=True),
        sa.Column('referral_id', sa.Integer(), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', crm.models.base.UTCDateTime(timezone=True),
                  server_default=sa.func.current_timestamp(), nullable=False),
        sa.Column('expires_at', crm.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('used_at', crm.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column('email', sa.String(length=254), nullable=True),
        sa.Column('token_nonce', sa.String(length=64), nullable=False),
        sa.CheckConstraint('(intervention_id IS NULL) <> (referral_id IS NULL)',
                           name=op.f('ck_survey_invitations_intervention_xor_referral')),
        sa.CheckConstraint('expires_at > created_at',
                           name=op.f('ck_survey_invitations_expires_after_created')),
        sa.ForeignKeyConstraint(['company_id'], ['companies.id'],
                                name=op.f('fk_survey_invitations_company_id_companies'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_survey_invitations_created_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['intervention_id'], ['interventions.id'],
                                name=op.f('fk_survey_invitations_intervention_id_interventions'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                                name=op.f('fk_survey_invitations_organisation_id_organisations')),
        sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'],
                                name=op.f('fk_survey_invitations_referral_id_referrals'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_invitations')),
        sa.UniqueConstraint('token_nonce', name=op.f('uq_survey_invitations_token_nonce')),
    )
    with op.batch_alter_table('survey_invitations', schema=None) as batch_op:
        batch_op.create_index('ix_survey_invitations_company_created',
                              ['company_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_invitations_intervention_id'),
                              ['intervention_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_invitations_organisation_id'),
                              ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_invitations_referral_id'),
                              ['referral_id'], unique=False)

    op.create_table(
        'survey_responses',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('invitation_id', sa.Integer(), nullable=False),
        sa.Column('company_id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('archetype', sa.String(length=30), nullable=True),
        sa.Column('answered_at', crm.models.base.UTCDateTime(timezone=True), nullable=False),
        *(sa.Column(q, sa.Integer(), nullable=True) for q in QUESTIONS),
        sa.Column('comment', sa.Text(), nullable=True),
        *(sa.CheckConstraint(f'{q} BETWEEN 1 AND 6',
                             name=op.f(f'ck_survey_responses_{q}_on_scale'))
          for q in QUESTIONS),
        sa.ForeignKeyConstraint(['company_id'], ['companies.id'],
                                name=op.f('fk_survey_responses_company_id_companies'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['invitation_id'], ['survey_invitations.id'],
                                name=op.f('fk_survey_responses_invitation_id_survey_invitations'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                                name=op.f('fk_survey_responses_organisation_id_organisations')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_responses')),
        sa.UniqueConstraint('invitation_id', name=op.f('uq_survey_responses_invitation_id')),
    )
    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_responses_company_id'), ['company_id'],
                              unique=False)
        batch_op.create_index('ix_survey_responses_organisation_answered',
                              ['organisation_id', 'answered_at'], unique=False)

    op.create_table(
        'dma_assessments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('company_id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('assessed_on', sa.Date(), nullable=False),
        *(sa.Column(d, sa.Integer(), nullable=False) for d in DIMENSIONS),
        sa.Column('average', sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column('source', sa.String(length=10), server_default='entered', nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', crm.models.base.UTCDateTime(timezone=True),
                  server_default=sa.func.current_timestamp(), nullable=False),
        *(sa.CheckConstraint(f'{d} BETWEEN 0 AND 100',
                             name=op.f(f'ck_dma_assessments_{d}_range'))
          for d in DIMENSIONS),
        sa.CheckConstraint('average BETWEEN 0 AND 100',
                           name=op.f('ck_dma_assessments_average_range')),
        sa.CheckConstraint("source IN ('entered', 'imported')",
                           name=op.f('ck_dma_assessments_source_known')),
        sa.ForeignKeyConstraint(['company_id'], ['companies.id'],
                                name=op.f('fk_dma_assessments_company_id_companies'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_dma_assessments_created_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                                name=op.f('fk_dma_assessments_organisation_id_organisations')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_dma_assessments')),
    )
    with op.batch_alter_table('dma_assessments', schema=None) as batch_op:
        batch_op.create_index('ix_dma_assessments_company_assessed',
                              ['company_id', 'assessed_on'], unique=False)
        batch_op.create_index('ix_dma_assessments_organisation_assessed',
                              ['organisation_id', 'assessed_on'], unique=False)


def downgrade():
    op.drop_table('dma_assessments')
    op.drop_table('survey_responses')
    op.drop_table('survey_invitations')

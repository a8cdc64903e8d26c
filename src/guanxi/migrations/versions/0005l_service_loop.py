"""service: survey definitions and answers, the scheduled NPS key, root causes, canned replies,
weekly feedback digests

Revision ID: 0005l
Revises: 0005
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
import guanxi.db


revision = '0005l'
down_revision = '0005'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('service_survey_definitions',
    sa.Column('id', ID, nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('title_en', sa.String(length=200), nullable=False),
    sa.Column('title_zh', sa.String(length=200), nullable=False),
    sa.Column('questions', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_survey_definitions')),
    sa.UniqueConstraint('code', name=op.f('uq_service_survey_definitions_code'))
    )
    with op.batch_alter_table('service_surveys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('definition_id', ID, nullable=True))
        batch_op.add_column(sa.Column('period_key', sa.String(length=80), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_service_surveys_definition_id_service_survey_definitions'),
                                    'service_survey_definitions', ['definition_id'], ['id'], ondelete='SET NULL')
        batch_op.create_unique_constraint(batch_op.f('uq_service_surveys_period_key'), ['period_key'])
    op.create_table('service_survey_answers',
    sa.Column('id', ID, nullable=False),
    sa.Column('survey_id', ID, nullable=False),
    sa.Column('question', sa.String(length=40), nullable=False),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('choice', sa.String(length=40), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['survey_id'], ['service_surveys.id'], name=op.f('fk_service_survey_answers_survey_id_service_surveys'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_survey_answers')),
    sa.UniqueConstraint('survey_id', 'question', name=op.f('uq_service_survey_answers_survey_id_question'))
    )
    with op.batch_alter_table('service_survey_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_survey_answers_survey_id'), ['survey_id'], unique=False)
    op.create_table('service_root_causes',
    sa.Column('id', ID, nullable=False),
    sa.Column('code', sa.String(length=100), nullable=False),
    sa.Column('name_en', sa.String(length=100), nullable=False),
    sa.Column('name_zh', sa.String(length=100), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_root_causes')),
    sa.UniqueConstraint('code', name=op.f('uq_service_root_causes_code'))
    )
    op.create_table('service_canned_replies',
    sa.Column('id', ID, nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('title_en', sa.String(length=100), nullable=False),
    sa.Column('title_zh', sa.String(length=100), nullable=False),
    sa.Column('body_en', sa.Text(), nullable=False),
    sa.Column('body_zh', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=True),
    sa.Column('tag', sa.String(length=40), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_canned_replies')),
    sa.UniqueConstraint('key', name=op.f('uq_service_canned_replies_key'))
    )
    op.create_table('service_feedback_digests',
    sa.Column('id', ID, nullable=False),
    sa.Column('team_id', ID, nullable=False),
    sa.Column('week', sa.String(length=10), nullable=False),
    sa.Column('sent_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['service_teams.id'], name=op.f('fk_service_feedback_digests_team_id_service_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_feedback_digests')),
    sa.UniqueConstraint('team_id', 'week', name=op.f('uq_service_feedback_digests_team_id_week'))
    )


def downgrade() -> None:
    op.drop_table('service_feedback_digests')
    op.drop_table('service_canned_replies')
    op.drop_table('service_root_causes')
    with op.batch_alter_table('service_survey_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_survey_answers_survey_id'))
    op.drop_table('service_survey_answers')
    with op.batch_alter_table('service_surveys', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_service_surveys_period_key'), type_='unique')
        batch_op.drop_constraint(batch_op.f('fk_service_surveys_definition_id_service_survey_definitions'), type_='foreignkey')
        batch_op.drop_column('period_key')
        batch_op.drop_column('definition_id')
    op.drop_table('service_survey_definitions')

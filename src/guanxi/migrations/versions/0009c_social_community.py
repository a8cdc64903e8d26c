"""social: live-stream sessions, communities (社群) and their members, creators (KOL)

Revision ID: 0009c
Revises: social_0002
"""

from alembic import op
import sqlalchemy as sa
import guanxi.db


revision = '0009c'
down_revision = 'social_0002'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('social_live_sessions',
    sa.Column('id', ID, nullable=False),
    sa.Column('platform', sa.String(length=20), nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=False),
    sa.Column('host', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('started_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', guanxi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('viewers', sa.Integer(), nullable=False),
    sa.Column('created_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_social_live_sessions')),
    sa.UniqueConstraint('platform', 'external_id', name='uq_social_live_sessions_platform_external')
    )
    with op.batch_alter_table('social_live_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_social_live_sessions_started', ['started_at'], unique=False)

    op.create_table('social_communities',
    sa.Column('id', ID, nullable=False),
    sa.Column('platform', sa.String(length=20), nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('created_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_social_communities')),
    sa.UniqueConstraint('platform', 'external_id', name='uq_social_communities_platform_external')
    )
    op.create_table('social_community_members',
    sa.Column('id', ID, nullable=False),
    sa.Column('community_id', ID, nullable=False),
    sa.Column('customer_id', ID, nullable=False),
    sa.Column('joined_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('left_at', guanxi.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['community_id'], ['social_communities.id'],
                            name=op.f('fk_social_community_members_community_id_social_communities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'],
                            name=op.f('fk_social_community_members_customer_id_customers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_social_community_members')),
    sa.UniqueConstraint('community_id', 'customer_id', name='uq_social_community_members_person')
    )
    with op.batch_alter_table('social_community_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_social_community_members_customer_id'), ['customer_id'], unique=False)

    op.create_table('social_creators',
    sa.Column('id', ID, nullable=False),
    sa.Column('platform', sa.String(length=20), nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=False),
    sa.Column('handle', sa.String(length=200), nullable=False),
    sa.Column('followers', sa.BigInteger(), nullable=False),
    sa.Column('customer_id', ID, nullable=True),
    sa.Column('referral_code', sa.String(length=20), nullable=True),
    sa.Column('created_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_social_creators_customer_id_customers'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_social_creators')),
    sa.UniqueConstraint('platform', 'external_id', name='uq_social_creators_platform_external')
    )
    with op.batch_alter_table('social_creators', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_social_creators_customer_id'), ['customer_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('social_creators', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_social_creators_customer_id'))
    op.drop_table('social_creators')
    with op.batch_alter_table('social_community_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_social_community_members_customer_id'))
    op.drop_table('social_community_members')
    op.drop_table('social_communities')
    with op.batch_alter_table('social_live_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_social_live_sessions_started')
    op.drop_table('social_live_sessions')

"""analytics: segment membership, entry/exit events, static (snapshot) segments

Revision ID: 0006s
Revises: analytics_traits
"""

from alembic import op
import sqlalchemy as sa
import guanxi.db


revision = '0006s'
down_revision = 'analytics_traits'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('analytics_segments') as batch:
        batch.add_column(sa.Column('kind', sa.String(length=10), server_default='dynamic', nullable=False))
        batch.add_column(sa.Column('snapshot_of', sa.BigInteger(), nullable=True))
    op.create_table('analytics_segment_members',
    sa.Column('segment_id', ID, autoincrement=False, nullable=False),
    sa.Column('customer_id', ID, autoincrement=False, nullable=False),
    sa.Column('since', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_analytics_segment_members_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['segment_id'], ['analytics_segments.id'], name=op.f('fk_analytics_segment_members_segment_id_analytics_segments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('segment_id', 'customer_id', name=op.f('pk_analytics_segment_members'))
    )
    op.create_index('ix_analytics_segment_members_customer', 'analytics_segment_members', ['customer_id'], unique=False)
    op.create_table('analytics_segment_changes',
    sa.Column('id', ID, nullable=False),
    sa.Column('segment_id', ID, nullable=False),
    sa.Column('customer_id', ID, nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('cause', sa.String(length=10), nullable=False),
    sa.Column('at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_analytics_segment_changes_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['segment_id'], ['analytics_segments.id'], name=op.f('fk_analytics_segment_changes_segment_id_analytics_segments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analytics_segment_changes'))
    )
    op.create_index('ix_analytics_segment_changes_customer_at', 'analytics_segment_changes', ['customer_id', 'at'], unique=False)
    op.create_index('ix_analytics_segment_changes_segment_kind_at', 'analytics_segment_changes', ['segment_id', 'kind', 'at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_analytics_segment_changes_segment_kind_at', table_name='analytics_segment_changes')
    op.drop_index('ix_analytics_segment_changes_customer_at', table_name='analytics_segment_changes')
    op.drop_table('analytics_segment_changes')
    op.drop_index('ix_analytics_segment_members_customer', table_name='analytics_segment_members')
    op.drop_table('analytics_segment_members')
    with op.batch_alter_table('analytics_segments') as batch:
        batch.drop_column('snapshot_of')
        batch.drop_column('kind')

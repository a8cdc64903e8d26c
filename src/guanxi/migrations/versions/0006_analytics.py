"""analytics

Revision ID: 0006
Revises: 0003
Create Date: 2026-11-23
"""

from alembic import op
import sqlalchemy as sa
import guanxi.db
from sqlalchemy.dialects import postgresql

revision = '0006'
down_revision = '0003'
branch_labels = ('analytics',)
depends_on = None


def upgrade() -> None:
    op.create_table('analytics_item_pairs',
    sa.Column('sku', sa.String(length=100), nullable=False),
    sa.Column('other_sku', sa.String(length=100), nullable=False),
    sa.Column('co_buyers', sa.Integer(), nullable=False),
    sa.Column('lift', sa.Float(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('sku', 'other_sku', name=op.f('pk_analytics_item_pairs'))
    )
    op.create_table('analytics_item_stats',
    sa.Column('sku', sa.String(length=100), nullable=False),
    sa.Column('category', sa.String(length=200), nullable=True),
    sa.Column('buyers', sa.Integer(), nullable=False),
    sa.Column('recent_buyers', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('sku', name=op.f('pk_analytics_item_stats'))
    )
    op.create_table('analytics_score_runs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('period', sa.String(length=10), nullable=False),
    sa.Column('computed_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('summary', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analytics_score_runs')),
    sa.UniqueConstraint('period', name=op.f('uq_analytics_score_runs_period'))
    )
    op.create_table('analytics_segments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('rule', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analytics_segments')),
    sa.UniqueConstraint('name', name=op.f('uq_analytics_segments_name'))
    )
    op.create_table('analytics_customer_scores',
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('recency_score', sa.SmallInteger(), nullable=True),
    sa.Column('frequency_score', sa.SmallInteger(), nullable=True),
    sa.Column('monetary_score', sa.SmallInteger(), nullable=True),
    sa.Column('segment', sa.String(length=30), nullable=True),
    sa.Column('recency_days', sa.Integer(), nullable=True),
    sa.Column('orders', sa.Integer(), nullable=False),
    sa.Column('window_orders', sa.Integer(), nullable=False),
    sa.Column('window_spend_minor', sa.BigInteger(), nullable=False),
    sa.Column('p_alive', sa.Float(), nullable=True),
    sa.Column('expected_purchases', sa.Float(), nullable=True),
    sa.Column('clv_minor', sa.BigInteger(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('churn_risk', sa.Float(), nullable=True),
    sa.Column('lifecycle_stage', sa.String(length=20), nullable=False),
    sa.Column('period', sa.String(length=10), nullable=False),
    sa.Column('computed_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_analytics_customer_scores_customer_id_customers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('customer_id', name=op.f('pk_analytics_customer_scores'))
    )
    with op.batch_alter_table('analytics_customer_scores', schema=None) as batch_op:
        batch_op.create_index('ix_analytics_customer_scores_clv', ['clv_minor'], unique=False)
        batch_op.create_index('ix_analytics_customer_scores_segment', ['segment'], unique=False)
        batch_op.create_index('ix_analytics_customer_scores_stage', ['lifecycle_stage'], unique=False)

    op.create_table('analytics_segment_snapshots',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('segment', sa.String(length=30), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_analytics_segment_snapshots_customer_id_customers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analytics_segment_snapshots')),
    sa.UniqueConstraint('month', 'customer_id', name=op.f('uq_analytics_segment_snapshots_month_customer_id'))
    )
    with op.batch_alter_table('analytics_segment_snapshots', schema=None) as batch_op:
        batch_op.create_index('ix_analytics_segment_snapshots_month_segment', ['month', 'segment'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('analytics_segment_snapshots', schema=None) as batch_op:
        batch_op.drop_index('ix_analytics_segment_snapshots_month_segment')

    op.drop_table('analytics_segment_snapshots')
    with op.batch_alter_table('analytics_customer_scores', schema=None) as batch_op:
        batch_op.drop_index('ix_analytics_customer_scores_stage')
        batch_op.drop_index('ix_analytics_customer_scores_segment')
        batch_op.drop_index('ix_analytics_customer_scores_clv')

    op.drop_table('analytics_customer_scores')
    op.drop_table('analytics_segments')
    op.drop_table('analytics_score_runs')
    op.drop_table('analytics_item_stats')
    op.drop_table('analytics_item_pairs')

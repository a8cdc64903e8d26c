"""loyalty: member events and their awards, campaign budget use, spend-threshold gifts

Revision ID: 0004e
Revises: 0004c
"""

from alembic import op
import sqlalchemy as sa
import guanxi.db
from sqlalchemy.dialects import postgresql


revision = '0004e'
down_revision = '0004c'
branch_labels = None
depends_on = None

BIGID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('loyalty_events',
    sa.Column('id', BIGID, nullable=False),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=False),
    sa.Column('customer_id', BIGID, nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('occurred_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('local_day', sa.String(length=10), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.Column('entry_id', sa.BigInteger(), nullable=True),
    sa.Column('explanations', JSON, nullable=False),
    sa.Column('created_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_loyalty_events_customer_id_customers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loyalty_events')),
    sa.UniqueConstraint('source', 'external_id', name=op.f('uq_loyalty_events_source_external_id'))
    )
    with op.batch_alter_table('loyalty_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loyalty_events_customer_id'), ['customer_id'], unique=False)

    op.create_table('loyalty_event_awards',
    sa.Column('id', BIGID, nullable=False),
    sa.Column('event_id', BIGID, nullable=False),
    sa.Column('customer_id', BIGID, nullable=False),
    sa.Column('rule', sa.String(length=100), nullable=False),
    sa.Column('local_day', sa.String(length=10), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_loyalty_event_awards_customer_id_customers')),
    sa.ForeignKeyConstraint(['event_id'], ['loyalty_events.id'], name=op.f('fk_loyalty_event_awards_event_id_loyalty_events')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loyalty_event_awards'))
    )
    with op.batch_alter_table('loyalty_event_awards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loyalty_event_awards_event_id'), ['event_id'], unique=False)
        batch_op.create_index('ix_loyalty_event_awards_member_rule', ['customer_id', 'rule', 'local_day'], unique=False)

    op.create_table('loyalty_rule_budgets',
    sa.Column('rule', sa.String(length=100), nullable=False),
    sa.Column('used', sa.BigInteger(), nullable=False),
    sa.Column('alerted', sa.Integer(), nullable=False),
    sa.Column('updated_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('rule', name=op.f('pk_loyalty_rule_budgets'))
    )

    op.create_table('loyalty_gift_grants',
    sa.Column('id', BIGID, nullable=False),
    sa.Column('rule', sa.String(length=100), nullable=False),
    sa.Column('customer_id', BIGID, nullable=False),
    sa.Column('period', sa.String(length=40), nullable=False),
    sa.Column('reward_id', BIGID, nullable=False),
    sa.Column('order_id', sa.BigInteger(), nullable=False),
    sa.Column('spend_minor', sa.BigInteger(), nullable=False),
    sa.Column('threshold_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('created_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', guanxi.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_loyalty_gift_grants_customer_id_customers')),
    sa.ForeignKeyConstraint(['reward_id'], ['loyalty_rewards.id'], name=op.f('fk_loyalty_gift_grants_reward_id_loyalty_rewards')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loyalty_gift_grants')),
    sa.UniqueConstraint('rule', 'customer_id', 'period', name=op.f('uq_loyalty_gift_grants_rule_customer_id_period'))
    )
    with op.batch_alter_table('loyalty_gift_grants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loyalty_gift_grants_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index('ix_loyalty_gift_grants_status', ['status'], unique=False)


def downgrade() -> None:
    op.drop_table('loyalty_gift_grants')
    op.drop_table('loyalty_rule_budgets')
    op.drop_table('loyalty_event_awards')
    op.drop_table('loyalty_events')

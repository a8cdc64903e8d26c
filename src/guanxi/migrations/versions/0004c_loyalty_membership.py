"""loyalty: paid membership plans, subscriptions and their payments

Revision ID: 0004c
Revises: 0004b
"""

from alembic import op
import sqlalchemy as sa
import guanxi.db
from sqlalchemy.dialects import postgresql


revision = '0004c'
down_revision = '0004b'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('loyalty_membership_plans',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('period_months', sa.Integer(), nullable=False),
    sa.Column('price_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('trial_days', sa.Integer(), nullable=False),
    sa.Column('grace_days', sa.Integer(), nullable=False),
    sa.Column('benefits', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loyalty_membership_plans')),
    sa.UniqueConstraint('code', name=op.f('uq_loyalty_membership_plans_code'))
    )
    op.create_table('loyalty_membership_payments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('external_id', sa.String(length=100), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('plan_code', sa.String(length=40), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('paid_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('period_end', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_loyalty_membership_payments_customer_id_customers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loyalty_membership_payments')),
    sa.UniqueConstraint('external_id', name=op.f('uq_loyalty_membership_payments_external_id'))
    )
    with op.batch_alter_table('loyalty_membership_payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loyalty_membership_payments_customer_id'), ['customer_id'], unique=False)

    op.create_table('loyalty_subscriptions',
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('plan_code', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('started_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('period_end', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', guanxi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_loyalty_subscriptions_customer_id_customers')),
    sa.PrimaryKeyConstraint('customer_id', name=op.f('pk_loyalty_subscriptions'))
    )


def downgrade() -> None:
    op.drop_table('loyalty_subscriptions')
    with op.batch_alter_table('loyalty_membership_payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_loyalty_membership_payments_customer_id'))

    op.drop_table('loyalty_membership_payments')
    op.drop_table('loyalty_membership_plans')

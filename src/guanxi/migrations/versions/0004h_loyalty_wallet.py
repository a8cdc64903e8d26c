"""loyalty: store-credit wallets and their entries, coupon uses, how referrals pay

Revision ID: 0004h
Revises: 0004e
"""

from alembic import op
import sqlalchemy as sa
import guanxi.db


revision = '0004h'
down_revision = '0004e'
branch_labels = None
depends_on = None

BIGID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('loyalty_wallets',
    sa.Column('customer_id', BIGID, autoincrement=False, nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('balance_minor', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_loyalty_wallets_customer_id_customers')),
    sa.PrimaryKeyConstraint('customer_id', 'currency', name=op.f('pk_loyalty_wallets'))
    )
    op.create_table('loyalty_wallet_entries',
    sa.Column('id', BIGID, nullable=False),
    sa.Column('customer_id', BIGID, nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('ref', sa.String(length=200), nullable=False),
    sa.Column('reverses_id', BIGID, nullable=True),
    sa.Column('order_ref', sa.String(length=200), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('actor', sa.String(length=200), nullable=True),
    sa.Column('at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'],
                            name=op.f('fk_loyalty_wallet_entries_customer_id_customers')),
    sa.ForeignKeyConstraint(['reverses_id'], ['loyalty_wallet_entries.id'],
                            name=op.f('fk_loyalty_wallet_entries_reverses_id_loyalty_wallet_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loyalty_wallet_entries')),
    sa.UniqueConstraint('source', 'ref', name=op.f('uq_loyalty_wallet_entries_source_ref')),
    sa.UniqueConstraint('reverses_id', name=op.f('uq_loyalty_wallet_entries_reverses_id'))
    )
    with op.batch_alter_table('loyalty_wallet_entries', schema=None) as batch_op:
        batch_op.create_index('ix_loyalty_wallet_entries_member', ['customer_id', 'currency'], unique=False)

    op.create_table('loyalty_coupon_uses',
    sa.Column('id', BIGID, nullable=False),
    sa.Column('redemption_id', BIGID, nullable=False),
    sa.Column('customer_id', BIGID, nullable=False),
    sa.Column('order_ref', sa.String(length=200), nullable=False),
    sa.Column('discount_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('free_shipping', sa.Boolean(), nullable=False),
    sa.Column('at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_loyalty_coupon_uses_customer_id_customers')),
    sa.ForeignKeyConstraint(['redemption_id'], ['loyalty_redemptions.id'],
                            name=op.f('fk_loyalty_coupon_uses_redemption_id_loyalty_redemptions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loyalty_coupon_uses')),
    sa.UniqueConstraint('redemption_id', name=op.f('uq_loyalty_coupon_uses_redemption_id'))
    )
    with op.batch_alter_table('loyalty_coupon_uses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loyalty_coupon_uses_customer_id'), ['customer_id'], unique=False)

    with op.batch_alter_table('loyalty_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('referral_reward', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('referral_coupon_id', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('referrer_credit_minor', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('friend_credit_minor', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('credit_currency', sa.String(length=3), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('loyalty_settings', schema=None) as batch_op:
        for column in ('credit_currency', 'friend_credit_minor', 'referrer_credit_minor', 'referral_coupon_id',
                       'referral_reward'):
            batch_op.drop_column(column)
    with op.batch_alter_table('loyalty_coupon_uses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_loyalty_coupon_uses_customer_id'))
    op.drop_table('loyalty_coupon_uses')
    with op.batch_alter_table('loyalty_wallet_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_loyalty_wallet_entries_member')
    op.drop_table('loyalty_wallet_entries')
    op.drop_table('loyalty_wallets')

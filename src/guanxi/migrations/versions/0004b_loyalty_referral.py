"""loyalty: referral codes and referrals; referral rewards in the programme settings

Revision ID: 0004b
Revises: 0004
"""

from alembic import op
import sqlalchemy as sa
import guanxi.db
from sqlalchemy.dialects import postgresql


revision = '0004b'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('loyalty_referral_codes',
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('created_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_loyalty_referral_codes_customer_id_customers')),
    sa.PrimaryKeyConstraint('customer_id', name=op.f('pk_loyalty_referral_codes')),
    sa.UniqueConstraint('code', name=op.f('uq_loyalty_referral_codes_code'))
    )
    op.create_table('loyalty_referrals',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('referrer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('friend_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('fingerprints', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('order_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', guanxi.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['friend_id'], ['customers.id'], name=op.f('fk_loyalty_referrals_friend_id_customers')),
    sa.ForeignKeyConstraint(['referrer_id'], ['customers.id'], name=op.f('fk_loyalty_referrals_referrer_id_customers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loyalty_referrals')),
    sa.UniqueConstraint('friend_id', name=op.f('uq_loyalty_referrals_friend_id'))
    )
    with op.batch_alter_table('loyalty_referrals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loyalty_referrals_referrer_id'), ['referrer_id'], unique=False)

    with op.batch_alter_table('loyalty_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('referrer_points', sa.Integer(), nullable=False, server_default='500'))
        batch_op.add_column(sa.Column('friend_points', sa.Integer(), nullable=False, server_default='200'))
        batch_op.add_column(sa.Column('referrals_per_month', sa.Integer(), nullable=False, server_default='10'))



def downgrade() -> None:
    with op.batch_alter_table('loyalty_settings', schema=None) as batch_op:
        batch_op.drop_column('referrals_per_month')
        batch_op.drop_column('friend_points')
        batch_op.drop_column('referrer_points')

    with op.batch_alter_table('loyalty_referrals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_loyalty_referrals_referrer_id'))

    op.drop_table('loyalty_referrals')
    op.drop_table('loyalty_referral_codes')

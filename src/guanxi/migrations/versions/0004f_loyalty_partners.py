"""loyalty: coalition partners, member codes, partner voucher uses

Revision ID: 0004f
Revises: 0004h
"""

from alembic import op
import sqlalchemy as sa
import guanxi.db


revision = '0004f'
down_revision = '0004h'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('loyalty_partners',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code', sa.String(length=24), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('unit', sa.String(length=10), nullable=False),
    sa.Column('unit_currency', sa.String(length=3), nullable=True),
    sa.Column('rate_units', sa.BigInteger(), nullable=False),
    sa.Column('rate_points', sa.BigInteger(), nullable=False),
    sa.Column('value_minor', sa.BigInteger(), nullable=False),
    sa.Column('value_points', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('token_issued_at', guanxi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('token_last_used_at', guanxi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loyalty_partners')),
    sa.UniqueConstraint('code', name=op.f('uq_loyalty_partners_code')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_loyalty_partners_token_hash'))
    )
    op.create_table('loyalty_member_codes',
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('created_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_loyalty_member_codes_customer_id_customers')),
    sa.PrimaryKeyConstraint('customer_id', name=op.f('pk_loyalty_member_codes')),
    sa.UniqueConstraint('code', name=op.f('uq_loyalty_member_codes_code'))
    )
    op.create_table('loyalty_partner_voucher_uses',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('redemption_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('partner_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.Column('ref', sa.String(length=100), nullable=True),
    sa.Column('used_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['loyalty_partners.id'], name=op.f('fk_loyalty_partner_voucher_uses_partner_id_loyalty_partners')),
    sa.ForeignKeyConstraint(['redemption_id'], ['loyalty_redemptions.id'], name=op.f('fk_loyalty_partner_voucher_uses_redemption_id_loyalty_redemptions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loyalty_partner_voucher_uses')),
    sa.UniqueConstraint('redemption_id', name=op.f('uq_loyalty_partner_voucher_uses_redemption_id'))
    )
    with op.batch_alter_table('loyalty_partner_voucher_uses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loyalty_partner_voucher_uses_partner_id'), ['partner_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('loyalty_partner_voucher_uses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_loyalty_partner_voucher_uses_partner_id'))

    op.drop_table('loyalty_partner_voucher_uses')
    op.drop_table('loyalty_member_codes')
    op.drop_table('loyalty_partners')

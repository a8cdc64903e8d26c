"""analytics: derived customer traits, prospect value and growth potential

Revision ID: analytics_traits
Revises: 0006
Create Date: 2026-12-04
"""

from alembic import op
import sqlalchemy as sa
import guanxi.db
from sqlalchemy.dialects import postgresql

revision = 'analytics_traits'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('analytics_customer_traits',
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('price_sensitivity', sa.Float(), nullable=True),
    sa.Column('discount_share', sa.Float(), nullable=True),
    sa.Column('favourite_categories', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('preferred_channel', sa.String(length=40), nullable=True),
    sa.Column('preferred_hour', sa.SmallInteger(), nullable=True),
    sa.Column('rebuy_days', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('p_first_order', sa.Float(), nullable=True),
    sa.Column('expected_first_order_minor', sa.BigInteger(), nullable=True),
    sa.Column('growth_potential_minor', sa.BigInteger(), nullable=True),
    sa.Column('growth_band', sa.String(length=10), nullable=True),
    sa.Column('period', sa.String(length=10), nullable=False),
    sa.Column('computed_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_analytics_customer_traits_customer_id_customers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('customer_id', name=op.f('pk_analytics_customer_traits'))
    )
    with op.batch_alter_table('analytics_customer_traits', schema=None) as batch_op:
        batch_op.create_index('ix_analytics_customer_traits_channel', ['preferred_channel'], unique=False)
        batch_op.create_index('ix_analytics_customer_traits_growth_band', ['growth_band'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('analytics_customer_traits', schema=None) as batch_op:
        batch_op.drop_index('ix_analytics_customer_traits_growth_band')
        batch_op.drop_index('ix_analytics_customer_traits_channel')
    op.drop_table('analytics_customer_traits')

"""customers: stock per product (recommendations leave out what is out of stock)

Revision ID: 0002s
Revises: 0003
Create Date: 2026-12-04 20:05:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0002s'
down_revision = '0003'
branch_labels = ('customers',)
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stock', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_column('stock')

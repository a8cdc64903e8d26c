"""loyalty: an index of the lots with points left, by expiry instant, for the set-based expiry job

Revision ID: 0004d
Revises: 0004g
"""

from alembic import op
import sqlalchemy as sa


revision = '0004d'
down_revision = '0004g'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_loyalty_lots_due', 'loyalty_lots', ['expires_at', 'id'], unique=False,
                    sqlite_where=sa.text('remaining > 0'), postgresql_where=sa.text('remaining > 0'))


def downgrade() -> None:
    op.drop_index('ix_loyalty_lots_due', table_name='loyalty_lots',
                  sqlite_where=sa.text('remaining > 0'), postgresql_where=sa.text('remaining > 0'))

"""loyalty: the (state, expires_at) index of lots replaced by a partial index of the pending lots

Nothing reads lots by state and expiry instant (the expiry job reads ix_loyalty_lots_due); what reads
by state asks for the pending ones. The old index took a delete and an insert for every lot the
expiry job (or a spend) moved from available to expired (or spent); the partial one is touched only
when a lot is or was pending.

Revision ID: 0004i
Revises: 0004d
"""

from alembic import op
import sqlalchemy as sa


revision = '0004i'
down_revision = '0004d'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_loyalty_lots_state_expires', table_name='loyalty_lots')
    op.create_index('ix_loyalty_lots_pending', 'loyalty_lots', ['customer_id'], unique=False,
                    sqlite_where=sa.text("state = 'pending'"), postgresql_where=sa.text("state = 'pending'"))


def downgrade() -> None:
    op.drop_index('ix_loyalty_lots_pending', table_name='loyalty_lots',
                  sqlite_where=sa.text("state = 'pending'"), postgresql_where=sa.text("state = 'pending'"))
    op.create_index('ix_loyalty_lots_state_expires', 'loyalty_lots', ['state', 'expires_at'], unique=False)

"""care: campaign approval by a second staff member, per-channel rate-limit counters

Revision ID: 0007r
Revises: 0007
"""

from alembic import op
import sqlalchemy as sa
import guanxi.db


revision = '0007r'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('care_campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('approved_by', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('approved_at', guanxi.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('edited_by', sa.String(length=200), nullable=True))
    op.create_table('care_rate_counters',
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('window', sa.String(length=30), nullable=False),
    sa.Column('used', sa.Integer(), nullable=False),
    sa.Column('expires_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('channel', 'window', name=op.f('pk_care_rate_counters'))
    )


def downgrade() -> None:
    op.drop_table('care_rate_counters')
    with op.batch_alter_table('care_campaigns', schema=None) as batch_op:
        batch_op.drop_column('edited_by')
        batch_op.drop_column('approved_at')
        batch_op.drop_column('approved_by')

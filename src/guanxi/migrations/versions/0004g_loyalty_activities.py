"""loyalty: member events with RSVPs and check-in, product trials with applications

Revision ID: 0004g
Revises: 0004f
"""

from alembic import op
import sqlalchemy as sa
import guanxi.db
from sqlalchemy.dialects import postgresql


revision = '0004g'
down_revision = '0004f'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('loyalty_member_events',
    sa.Column('id', ID, nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('starts_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('place', sa.String(length=300), nullable=True),
    sa.Column('link', sa.String(length=500), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('waitlist', sa.Boolean(), nullable=False),
    sa.Column('audience', JSON, nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loyalty_member_events'))
    )
    op.create_table('loyalty_event_rsvps',
    sa.Column('id', ID, nullable=False),
    sa.Column('event_id', ID, nullable=False),
    sa.Column('customer_id', ID, nullable=False),
    sa.Column('answer', sa.String(length=10), nullable=False),
    sa.Column('answered_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('checked_in_at', guanxi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('checked_in_by', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_loyalty_event_rsvps_customer_id_customers')),
    sa.ForeignKeyConstraint(['event_id'], ['loyalty_member_events.id'], name=op.f('fk_loyalty_event_rsvps_event_id_loyalty_member_events')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loyalty_event_rsvps')),
    sa.UniqueConstraint('event_id', 'customer_id', name=op.f('uq_loyalty_event_rsvps_event_id_customer_id'))
    )
    with op.batch_alter_table('loyalty_event_rsvps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loyalty_event_rsvps_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_loyalty_event_rsvps_event_id'), ['event_id'], unique=False)

    op.create_table('loyalty_trials',
    sa.Column('id', ID, nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('sku', sa.String(length=100), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('audience', JSON, nullable=False),
    sa.Column('apply_from', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('apply_until', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loyalty_trials'))
    )
    op.create_table('loyalty_trial_applications',
    sa.Column('id', ID, nullable=False),
    sa.Column('trial_id', ID, nullable=False),
    sa.Column('customer_id', ID, nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('applied_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('picked_at', guanxi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('picked_by', sa.String(length=200), nullable=True),
    sa.Column('shipped_at', guanxi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', guanxi.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_loyalty_trial_applications_customer_id_customers')),
    sa.ForeignKeyConstraint(['trial_id'], ['loyalty_trials.id'], name=op.f('fk_loyalty_trial_applications_trial_id_loyalty_trials')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loyalty_trial_applications')),
    sa.UniqueConstraint('trial_id', 'customer_id', name=op.f('uq_loyalty_trial_applications_trial_id_customer_id'))
    )
    with op.batch_alter_table('loyalty_trial_applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loyalty_trial_applications_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_loyalty_trial_applications_trial_id'), ['trial_id'], unique=False)
        batch_op.create_index('ix_loyalty_trial_applications_delivered', ['status', 'delivered_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('loyalty_trial_applications', schema=None) as batch_op:
        batch_op.drop_index('ix_loyalty_trial_applications_delivered')
        batch_op.drop_index(batch_op.f('ix_loyalty_trial_applications_trial_id'))
        batch_op.drop_index(batch_op.f('ix_loyalty_trial_applications_customer_id'))
    op.drop_table('loyalty_trial_applications')
    op.drop_table('loyalty_trials')
    with op.batch_alter_table('loyalty_event_rsvps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_loyalty_event_rsvps_event_id'))
        batch_op.drop_index(batch_op.f('ix_loyalty_event_rsvps_customer_id'))
    op.drop_table('loyalty_event_rsvps')
    op.drop_table('loyalty_member_events')

"""care: opens and clicks tracking, journeys

Revision ID: 0007j
Revises: 0007r
Create Date: 2026-12-04
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql
import guanxi.db


revision = '0007j'
down_revision = '0007r'
branch_labels = None
depends_on = None

BIG = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def _json():
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql')


def upgrade() -> None:
    with op.batch_alter_table('care_outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('opened_at', guanxi.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('clicked_at', guanxi.db.UTCDateTime(timezone=True), nullable=True))

    op.create_table('care_message_events',
    sa.Column('id', BIG, nullable=False),
    sa.Column('message_id', BIG, nullable=False),
    sa.Column('campaign_id', BIG, nullable=True),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('link', sa.Integer(), nullable=True),
    sa.Column('at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['care_campaigns.id'], name=op.f('fk_care_message_events_campaign_id_care_campaigns'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['message_id'], ['care_outbox.id'], name=op.f('fk_care_message_events_message_id_care_outbox'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_care_message_events'))
    )
    with op.batch_alter_table('care_message_events', schema=None) as batch_op:
        batch_op.create_index('ix_care_message_events_campaign', ['campaign_id', 'kind'], unique=False)
        batch_op.create_index('ix_care_message_events_message', ['message_id', 'kind'], unique=False)

    op.create_table('care_journeys',
    sa.Column('id', BIG, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('trigger', sa.String(length=30), nullable=True),
    sa.Column('params', _json(), nullable=False),
    sa.Column('audience', _json(), nullable=False),
    sa.Column('steps', _json(), nullable=False),
    sa.Column('goal_days', sa.Integer(), nullable=True),
    sa.Column('last_entry_at', guanxi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_care_journeys'))
    )
    op.create_table('care_journey_members',
    sa.Column('id', BIG, nullable=False),
    sa.Column('journey_id', BIG, nullable=False),
    sa.Column('customer_id', BIG, nullable=False),
    sa.Column('period', sa.String(length=60), nullable=False),
    sa.Column('step', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('next_run_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_message_id', BIG, nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('entered_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_care_journey_members_customer_id_customers')),
    sa.ForeignKeyConstraint(['journey_id'], ['care_journeys.id'], name=op.f('fk_care_journey_members_journey_id_care_journeys'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['last_message_id'], ['care_outbox.id'], name=op.f('fk_care_journey_members_last_message_id_care_outbox'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_care_journey_members')),
    sa.UniqueConstraint('journey_id', 'customer_id', 'period', name=op.f('uq_care_journey_members_journey_id_customer_id_period'))
    )
    with op.batch_alter_table('care_journey_members', schema=None) as batch_op:
        batch_op.create_index('ix_care_journey_members_customer', ['customer_id'], unique=False)
        batch_op.create_index('ix_care_journey_members_due', ['status', 'next_run_at'], unique=False)


def downgrade() -> None:
    op.drop_table('care_journey_members')
    op.drop_table('care_journeys')
    op.drop_table('care_message_events')
    with op.batch_alter_table('care_outbox', schema=None) as batch_op:
        batch_op.drop_column('clicked_at')
        batch_op.drop_column('opened_at')

"""care

Revision ID: 0007
Revises: 0003
Create Date: 2026-11-23
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql
import guanxi.db


revision = '0007'
down_revision = '0003'
branch_labels = ('care',)
depends_on = None


def upgrade() -> None:
    op.create_table('care_campaigns',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('trigger', sa.String(length=30), nullable=True),
    sa.Column('params', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('audience', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('channels', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('variants', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('control_percent', sa.Integer(), nullable=False),
    sa.Column('offer', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=True),
    sa.Column('caps', sa.String(length=200), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('conversion_days', sa.Integer(), nullable=False),
    sa.Column('starts_at', guanxi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ends_at', guanxi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_care_campaigns'))
    )
    op.create_table('care_templates',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('locale', sa.String(length=10), nullable=False),
    sa.Column('subject', sa.Text(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('updated_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_care_templates')),
    sa.UniqueConstraint('name', 'channel', 'locale', name=op.f('uq_care_templates_name_channel_locale'))
    )
    op.create_table('care_outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('campaign_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('template_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('template_version', sa.Integer(), nullable=True),
    sa.Column('variant', sa.String(length=30), nullable=True),
    sa.Column('locale', sa.String(length=10), nullable=False),
    sa.Column('subject_enc', sa.Text(), nullable=True),
    sa.Column('body_enc', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=True),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', guanxi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('locked_until', guanxi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('locked_by', sa.String(length=100), nullable=True),
    sa.Column('provider_id', sa.String(length=200), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', guanxi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', guanxi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['care_campaigns.id'], name=op.f('fk_care_outbox_campaign_id_care_campaigns'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_care_outbox_customer_id_customers')),
    sa.ForeignKeyConstraint(['template_id'], ['care_templates.id'], name=op.f('fk_care_outbox_template_id_care_templates'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_care_outbox')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_care_outbox_idempotency_key'))
    )
    with op.batch_alter_table('care_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_care_outbox_campaign', ['campaign_id', 'status'], unique=False)
        batch_op.create_index('ix_care_outbox_customer_sent', ['customer_id', 'sent_at'], unique=False)
        batch_op.create_index('ix_care_outbox_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_care_outbox_provider', ['channel', 'provider_id'], unique=False)

    op.create_table('care_recipients',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('campaign_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('period', sa.String(length=60), nullable=False),
    sa.Column('variant', sa.String(length=30), nullable=False),
    sa.Column('control', sa.Boolean(), nullable=False),
    sa.Column('at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['care_campaigns.id'], name=op.f('fk_care_recipients_campaign_id_care_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_care_recipients_customer_id_customers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_care_recipients')),
    sa.UniqueConstraint('campaign_id', 'customer_id', 'period', name=op.f('uq_care_recipients_campaign_id_customer_id_period'))
    )
    with op.batch_alter_table('care_recipients', schema=None) as batch_op:
        batch_op.create_index('ix_care_recipients_customer', ['customer_id'], unique=False)



def downgrade() -> None:
    op.drop_table('care_recipients')
    op.drop_table('care_outbox')
    op.drop_table('care_templates')
    op.drop_table('care_campaigns')

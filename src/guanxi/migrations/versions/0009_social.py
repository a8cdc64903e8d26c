"""social

Revision ID: 0009
Revises: 0003
Create Date: 2026-11-23
"""

from alembic import op
import sqlalchemy as sa
import guanxi.db
from sqlalchemy import Text  # noqa: F401  (autogenerate writes JSONB(astext_type=Text()))
from sqlalchemy.dialects import postgresql

revision = '0009'
down_revision = '0003'
branch_labels = ('social',)
depends_on = None


def upgrade() -> None:
    
    op.create_table('social_connector_cursors',
    sa.Column('platform', sa.String(length=20), nullable=False),
    sa.Column('cursor', sa.String(length=500), nullable=True),
    sa.Column('polled_at', guanxi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('fetched', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('platform', name=op.f('pk_social_connector_cursors'))
    )
    op.create_table('social_crises',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('reasons', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('keywords', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('first_hour', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_hour', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('opened_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', guanxi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.String(length=200), nullable=True),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_social_crises'))
    )
    op.create_table('social_crisis_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('crisis_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('hour', guanxi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('details', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['crisis_id'], ['social_crises.id'], name=op.f('fk_social_crisis_events_crisis_id_social_crises'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_social_crisis_events')),
    sa.UniqueConstraint('crisis_id', 'kind', 'hour', name='uq_social_crisis_events_hour')
    )
    with op.batch_alter_table('social_crisis_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_social_crisis_events_crisis_id'), ['crisis_id'], unique=False)

    op.create_table('social_mentions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('platform', sa.String(length=20), nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('parent_id', sa.String(length=200), nullable=True),
    sa.Column('url', sa.String(length=500), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('lang', sa.String(length=5), nullable=False),
    sa.Column('sentiment', sa.Float(), nullable=False),
    sa.Column('label', sa.String(length=10), nullable=False),
    sa.Column('override', sa.String(length=100), nullable=True),
    sa.Column('aspects', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('keywords', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('author_ref', sa.String(length=200), nullable=True),
    sa.Column('author_name_enc', sa.Text(), nullable=True),
    sa.Column('author_followers', sa.Integer(), nullable=False),
    sa.Column('author_since', guanxi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('product_sku', sa.String(length=100), nullable=True),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('likes', sa.Integer(), nullable=False),
    sa.Column('posted_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ingested_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('removed_reason', sa.String(length=20), nullable=True),
    sa.Column('removed_by', sa.String(length=200), nullable=True),
    sa.Column('flags', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('flag_state', sa.String(length=10), nullable=False),
    sa.Column('showcase', sa.Boolean(), nullable=False),
    sa.Column('reply', sa.Text(), nullable=True),
    sa.Column('replied_at', guanxi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('replied_by', sa.String(length=200), nullable=True),
    sa.Column('points_entry_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_social_mentions_customer_id_customers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_social_mentions_order_id_orders'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_social_mentions')),
    sa.UniqueConstraint('platform', 'external_id', name='uq_social_mentions_platform_external')
    )
    with op.batch_alter_table('social_mentions', schema=None) as batch_op:
        batch_op.create_index('ix_social_mentions_author', ['platform', 'author_ref'], unique=False)
        batch_op.create_index(batch_op.f('ix_social_mentions_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index('ix_social_mentions_posted', ['posted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_social_mentions_product_sku'), ['product_sku'], unique=False)




def downgrade() -> None:
    
    with op.batch_alter_table('social_mentions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_social_mentions_product_sku'))
        batch_op.drop_index('ix_social_mentions_posted')
        batch_op.drop_index(batch_op.f('ix_social_mentions_customer_id'))
        batch_op.drop_index('ix_social_mentions_author')

    op.drop_table('social_mentions')
    with op.batch_alter_table('social_crisis_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_social_crisis_events_crisis_id'))

    op.drop_table('social_crisis_events')
    op.drop_table('social_crises')
    op.drop_table('social_connector_cursors')


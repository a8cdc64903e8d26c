"""service

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-23
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql
import guanxi.db


revision = '0005'
down_revision = '0003'
branch_labels = ('service',)
depends_on = None

# The open statuses, as the partial indexes of the inbox read them (see service/models.py).
OPEN = sa.text("status IN ('new', 'open', 'waiting', 'on_hold')")


def upgrade() -> None:
    op.create_table('service_incidents',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', guanxi.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_incidents'))
    )
    op.create_table('service_teams',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('lead_email', sa.String(length=254), nullable=True),
    sa.Column('vip', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_teams')),
    sa.UniqueConstraint('name', name=op.f('uq_service_teams_name'))
    )
    op.create_table('ticket_categories',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name_en', sa.String(length=100), nullable=False),
    sa.Column('name_zh', sa.String(length=100), nullable=False),
    sa.Column('keywords', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_categories')),
    sa.UniqueConstraint('category', 'code', name=op.f('uq_ticket_categories_category_code'))
    )
    op.create_table('service_improvement_actions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('root_cause', sa.String(length=100), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=True),
    sa.Column('subcategory', sa.String(length=40), nullable=True),
    sa.Column('team_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('done_at', guanxi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('customers_told', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['service_teams.id'], name=op.f('fk_service_improvement_actions_team_id_service_teams'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_improvement_actions'))
    )
    op.create_table('service_agents',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('team_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('staff_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('skills', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('max_open', sa.Integer(), nullable=True),
    sa.Column('available', sa.Boolean(), nullable=False),
    sa.Column('last_assigned_at', guanxi.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['staff_user_id'], ['staff_users.id'], name=op.f('fk_service_agents_staff_user_id_staff_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['service_teams.id'], name=op.f('fk_service_agents_team_id_service_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_agents'))
    )
    with op.batch_alter_table('service_agents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_agents_team_id'), ['team_id'], unique=False)

    op.create_table('tickets',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=True),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('order_line_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('channel', sa.String(length=40), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=True),
    sa.Column('subcategory', sa.String(length=40), nullable=True),
    sa.Column('suggested', sa.String(length=81), nullable=True),
    sa.Column('suggestion_confidence', sa.Float(), nullable=True),
    sa.Column('category_confirmed', sa.Boolean(), nullable=False),
    sa.Column('importance', sa.String(length=10), nullable=False),
    sa.Column('urgency', sa.String(length=10), nullable=False),
    sa.Column('priority', sa.String(length=2), nullable=False),
    sa.Column('sla_policy', sa.String(length=2), nullable=False),
    sa.Column('vip', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('team_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('assignee_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('tags', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('first_response_at', guanxi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', guanxi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', guanxi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reopened', sa.Integer(), nullable=False),
    sa.Column('first_response_due', guanxi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolution_due', guanxi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sla_due', guanxi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sla_state', sa.String(length=20), nullable=False),
    sa.Column('root_cause', sa.String(length=100), nullable=True),
    sa.Column('resolution_type', sa.String(length=20), nullable=True),
    sa.Column('resolution_note', sa.Text(), nullable=True),
    sa.Column('goodwill_points', sa.Integer(), nullable=True),
    sa.Column('goodwill_ref', sa.String(length=100), nullable=True),
    sa.Column('follow_up_on', sa.Date(), nullable=True),
    sa.Column('mail_token', sa.String(length=40), nullable=True),
    sa.Column('text_hash', sa.String(length=64), nullable=True),
    sa.Column('abuse_flags', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('incident_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['assignee_id'], ['service_agents.id'], name=op.f('fk_tickets_assignee_id_service_agents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_tickets_customer_id_customers')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_tickets_order_id_orders'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['service_teams.id'], name=op.f('fk_tickets_team_id_service_teams'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['incident_id'], ['service_incidents.id'], name=op.f('fk_tickets_incident_id_service_incidents'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tickets')),
    sa.UniqueConstraint('mail_token', name=op.f('uq_tickets_mail_token')),
    sa.UniqueConstraint('source', 'external_id', name=op.f('uq_tickets_source_external_id'))
    )
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tickets_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index('ix_tickets_sla_due', ['sla_due', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tickets_text_hash'), ['text_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_tickets_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index('ix_tickets_open_due', ['sla_due', 'id'], unique=False, postgresql_where=OPEN, sqlite_where=OPEN)
        batch_op.create_index('ix_tickets_open_assignee_due', ['assignee_id', 'sla_due', 'id'], unique=False,
                              postgresql_where=OPEN, sqlite_where=OPEN)
        batch_op.create_index('ix_tickets_open_team_due', ['team_id', 'sla_due', 'id'], unique=False,
                              postgresql_where=OPEN, sqlite_where=OPEN)

    op.create_table('service_surveys',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('ticket_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('sent_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('answered_at', guanxi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('follow_up_ticket_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_service_surveys_customer_id_customers')),
    sa.ForeignKeyConstraint(['follow_up_ticket_id'], ['tickets.id'], name=op.f('fk_service_surveys_follow_up_ticket_id_tickets'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_service_surveys_ticket_id_tickets'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_surveys')),
    sa.UniqueConstraint('kind', 'ticket_id', name=op.f('uq_service_surveys_kind_ticket_id')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_service_surveys_token_hash'))
    )
    with op.batch_alter_table('service_surveys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_surveys_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_surveys_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('ticket_escalations',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('ticket_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('target', sa.String(length=40), nullable=False),
    sa.Column('period', sa.String(length=40), nullable=False),
    sa.Column('at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('priority_from', sa.String(length=2), nullable=False),
    sa.Column('priority_to', sa.String(length=2), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_escalations_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_escalations')),
    sa.UniqueConstraint('ticket_id', 'target', 'period', name=op.f('uq_ticket_escalations_ticket_id_target_period'))
    )
    op.create_table('ticket_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('ticket_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('details', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_events_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_events'))
    )
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_events_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('ticket_messages',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('ticket_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('direction', sa.String(length=10), nullable=False),
    sa.Column('author', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('channel', sa.String(length=40), nullable=False),
    sa.Column('external_id', sa.String(length=300), nullable=True),
    sa.Column('created_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_messages_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_messages')),
    sa.UniqueConstraint('external_id', name=op.f('uq_ticket_messages_external_id'))
    )
    with op.batch_alter_table('ticket_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_messages_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('ticket_pauses',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('ticket_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('started_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', guanxi.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_pauses_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_pauses'))
    )
    with op.batch_alter_table('ticket_pauses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_pauses_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('ticket_returns',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('ticket_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('order_line_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('returnable', sa.Boolean(), nullable=True),
    sa.Column('created_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_line_id'], ['order_lines.id'], name=op.f('fk_ticket_returns_order_line_id_order_lines'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_returns_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_returns'))
    )
    with op.batch_alter_table('ticket_returns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_returns_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('service_quality_reviews',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('ticket_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('agent_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('reviewer', sa.String(length=200), nullable=False),
    sa.Column('answers', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['service_agents.id'], name=op.f('fk_service_quality_reviews_agent_id_service_agents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_service_quality_reviews_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_quality_reviews')),
    sa.UniqueConstraint('ticket_id', name=op.f('uq_service_quality_reviews_ticket_id'))
    )
    with op.batch_alter_table('service_quality_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_quality_reviews_agent_id'), ['agent_id'], unique=False)

    op.create_table('ticket_attachments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('message_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['ticket_messages.id'], name=op.f('fk_ticket_attachments_message_id_ticket_messages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_attachments'))
    )
    with op.batch_alter_table('ticket_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_attachments_message_id'), ['message_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('ticket_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_attachments_message_id'))

    op.drop_table('ticket_attachments')
    with op.batch_alter_table('ticket_returns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_returns_ticket_id'))

    op.drop_table('ticket_returns')
    with op.batch_alter_table('ticket_pauses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_pauses_ticket_id'))

    op.drop_table('ticket_pauses')
    with op.batch_alter_table('ticket_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_messages_ticket_id'))

    op.drop_table('ticket_messages')
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_events_ticket_id'))

    op.drop_table('ticket_events')
    op.drop_table('ticket_escalations')
    with op.batch_alter_table('service_surveys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_surveys_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_service_surveys_customer_id'))

    op.drop_table('service_surveys')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_open_team_due')
        batch_op.drop_index('ix_tickets_open_assignee_due')
        batch_op.drop_index('ix_tickets_open_due')
        batch_op.drop_index(batch_op.f('ix_tickets_incident_id'))
        batch_op.drop_index(batch_op.f('ix_tickets_text_hash'))
        batch_op.drop_index('ix_tickets_sla_due')
        batch_op.drop_index(batch_op.f('ix_tickets_customer_id'))

    with op.batch_alter_table('service_quality_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_quality_reviews_agent_id'))
    op.drop_table('service_quality_reviews')
    op.drop_table('tickets')
    with op.batch_alter_table('service_agents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_agents_team_id'))

    op.drop_table('service_agents')
    op.drop_table('ticket_categories')
    op.drop_table('service_improvement_actions')
    op.drop_table('service_teams')
    op.drop_table('service_incidents')

"""analytics: scheduled KPI reports and the periods already sent

Revision ID: 0006w
Revises: 0006s
"""

from alembic import op
import sqlalchemy as sa
import guanxi.db
from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


revision = '0006w'
down_revision = '0006s'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('analytics_report_schedules',
    sa.Column('id', ID, nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('frequency', sa.String(length=10), nullable=False),
    sa.Column('day', sa.Integer(), nullable=False),
    sa.Column('kpis', JSON, nullable=False),
    sa.Column('recipients', JSON, nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analytics_report_schedules')),
    sa.UniqueConstraint('name', name=op.f('uq_analytics_report_schedules_name'))
    )
    op.create_table('analytics_report_sends',
    sa.Column('id', ID, nullable=False),
    sa.Column('schedule_id', ID, nullable=False),
    sa.Column('period', sa.String(length=20), nullable=False),
    sa.Column('sent_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.Column('delivered', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['schedule_id'], ['analytics_report_schedules.id'], name=op.f('fk_analytics_report_sends_schedule_id_analytics_report_schedules'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analytics_report_sends')),
    sa.UniqueConstraint('schedule_id', 'period', name=op.f('uq_analytics_report_sends_schedule_id_period'))
    )


def downgrade() -> None:
    op.drop_table('analytics_report_sends')
    op.drop_table('analytics_report_schedules')

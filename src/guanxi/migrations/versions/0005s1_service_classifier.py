"""service: the category classifier trained on closed tickets (one a day)

Revision ID: 0005s1
Revises: 0005l
"""

from alembic import op
import sqlalchemy as sa
import guanxi.db
from sqlalchemy.dialects import postgresql


revision = '0005s1'
down_revision = '0005l'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('service_category_classifiers',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('trained_on', sa.Date(), nullable=False),
    sa.Column('trained_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('examples', sa.Integer(), nullable=False),
    sa.Column('held_out', sa.Integer(), nullable=False),
    sa.Column('naive_bayes_accuracy', sa.Float(), nullable=True),
    sa.Column('keyword_accuracy', sa.Float(), nullable=True),
    sa.Column('in_use', sa.Boolean(), nullable=False),
    sa.Column('model', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_category_classifiers')),
    sa.UniqueConstraint('trained_on', name=op.f('uq_service_category_classifiers_trained_on'))
    )


def downgrade() -> None:
    op.drop_table('service_category_classifiers')

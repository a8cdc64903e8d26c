"""social: stored LSH bands for the fake-review check; replies sent back to the platforms

Revision ID: social_0002
Revises: 0009
Create Date: 2026-12-04
"""

from alembic import op
import sqlalchemy as sa
import guanxi.db

revision = 'social_0002'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('social_mention_bands',
    sa.Column('band_key', sa.BigInteger(), nullable=False),
    sa.Column('mention_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['mention_id'], ['social_mentions.id'], name=op.f('fk_social_mention_bands_mention_id_social_mentions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('band_key', 'mention_id', name=op.f('pk_social_mention_bands'))
    )
    with op.batch_alter_table('social_mention_bands', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_social_mention_bands_mention_id'), ['mention_id'], unique=False)
    with op.batch_alter_table('social_mentions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reply_status', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('reply_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('reply_platform_id', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('reply_sent_at', guanxi.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('reply_error', sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('social_mentions', schema=None) as batch_op:
        batch_op.drop_column('reply_error')
        batch_op.drop_column('reply_sent_at')
        batch_op.drop_column('reply_platform_id')
        batch_op.drop_column('reply_key')
        batch_op.drop_column('reply_status')
    with op.batch_alter_table('social_mention_bands', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_social_mention_bands_mention_id'))
    op.drop_table('social_mention_bands')

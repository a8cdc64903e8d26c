"""conversations: sentence vectors of knowledge-base passages and settled questions (suggested answers)

Revision ID: 0008v
Revises: 0008f
Create Date: 2026-12-04
"""

from alembic import op
import sqlalchemy as sa
import guanxi.db

revision = '0008v'
down_revision = '0008f'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('kb_passage_vectors',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('article_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('model', sa.String(length=60), nullable=False),
    sa.Column('vector', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['kb_articles.id'], name=op.f('fk_kb_passage_vectors_article_id_kb_articles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_passage_vectors')),
    sa.UniqueConstraint('article_id', 'position', name=op.f('uq_kb_passage_vectors_article_id_position'))
    )
    with op.batch_alter_table('kb_passage_vectors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kb_passage_vectors_article_id'), ['article_id'], unique=False)

    op.create_table('conversation_answer_vectors',
    sa.Column('conversation_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('model', sa.String(length=60), nullable=False),
    sa.Column('vector', sa.LargeBinary(), nullable=False),
    sa.Column('updated_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_conversation_answer_vectors_conversation_id_conversations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('conversation_id', name=op.f('pk_conversation_answer_vectors'))
    )


def downgrade() -> None:
    op.drop_table('conversation_answer_vectors')
    with op.batch_alter_table('kb_passage_vectors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kb_passage_vectors_article_id'))

    op.drop_table('kb_passage_vectors')

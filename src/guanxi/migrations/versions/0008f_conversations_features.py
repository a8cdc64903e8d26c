"""conversations: sentiment and e-mail subject on messages; attachments

Revision ID: 0008f
Revises: 0008
"""

from alembic import op
import sqlalchemy as sa
import guanxi.db


revision = '0008f'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('conversation_messages') as batch:
        batch.add_column(sa.Column('sentiment_score', sa.Float(), nullable=True))
        batch.add_column(sa.Column('sentiment_label', sa.String(length=10), nullable=True))
        batch.add_column(sa.Column('subject_enc', sa.Text(), nullable=True))
    op.create_table('conversation_attachments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('conversation_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('message_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('filename_enc', sa.Text(), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('storage_key', sa.String(length=64), nullable=False),
    sa.Column('created_at', guanxi.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_conversation_attachments_conversation_id_conversations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['message_id'], ['conversation_messages.id'], name=op.f('fk_conversation_attachments_message_id_conversation_messages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversation_attachments')),
    sa.UniqueConstraint('storage_key', name=op.f('uq_conversation_attachments_storage_key'))
    )
    op.create_index(op.f('ix_conversation_attachments_conversation_id'), 'conversation_attachments', ['conversation_id'], unique=False)
    op.create_index(op.f('ix_conversation_attachments_message_id'), 'conversation_attachments', ['message_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_conversation_attachments_message_id'), table_name='conversation_attachments')
    op.drop_index(op.f('ix_conversation_attachments_conversation_id'), table_name='conversation_attachments')
    op.drop_table('conversation_attachments')
    with op.batch_alter_table('conversation_messages') as batch:
        batch.drop_column('subject_enc')
        batch.drop_column('sentiment_label')
        batch.drop_column('sentiment_score')

"""digest runs resume from a cursor; indexes for the digest window's reads and the sender's look at the outbox

Revision ID: 0004
Revises: 0003
Created: 2026-12-02 19:06:57.778480
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('digest_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cursor', sa.Integer(), nullable=True))

    with op.batch_alter_table('item_events', schema=None) as batch_op:
        batch_op.create_index('ix_item_events_created', ['created_at'], unique=False)

    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.create_index('ix_items_created', ['created_at'], unique=False)

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_chat', ['chat_id', 'id'], unique=False)
        batch_op.create_index('ix_outbox_pending', ['status', 'priority', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_pending')
        batch_op.drop_index('ix_outbox_chat')

    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_index('ix_items_created')

    with op.batch_alter_table('item_events', schema=None) as batch_op:
        batch_op.drop_index('ix_item_events_created')

    with op.batch_alter_table('digest_runs', schema=None) as batch_op:
        batch_op.drop_column('cursor')

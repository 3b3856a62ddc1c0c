"""indexes for reading a digest's window: new reports from the index alone, replies and outcomes by kind

Revision ID: 0005
Revises: 0004
Created: 2026-12-03 07:52:57.722365
"""

from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('item_events', schema=None) as batch_op:
        batch_op.create_index('ix_item_events_kind_created', ['kind', 'created_at'], unique=False)

    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_index('ix_items_created')
        batch_op.create_index('ix_items_created', ['created_at', 'duplicate_of', 'district_code', 'topic_code'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_index('ix_items_created')
        batch_op.create_index('ix_items_created', ['created_at'], unique=False)

    with op.batch_alter_table('item_events', schema=None) as batch_op:
        batch_op.drop_index('ix_item_events_kind_created')

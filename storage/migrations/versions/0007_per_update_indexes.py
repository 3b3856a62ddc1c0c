"""indexes for the reads of every update: a chat's unfinished outbox rows, a report's pending timers
(their keys compared by code point on PostgreSQL), the newest reports on a topic, merged reports,
attachments, clusters, a liaison's reports, what a member was asked to co-sign

Revision ID: 0007
Revises: 0006
Created: 2026-12-07 23:56:53.387360
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.create_index('ix_attachments_item', ['item_id', 'position'], unique=False)

    with op.batch_alter_table('item_cosigners', schema=None) as batch_op:
        batch_op.create_index('ix_item_cosigners_member', ['member_id'], unique=False)

    with op.batch_alter_table('item_targets', schema=None) as batch_op:
        batch_op.create_index('ix_item_targets_target', ['target_id', 'item_id'], unique=False)

    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.create_index('ix_items_duplicate_of', ['duplicate_of'], unique=False)
        batch_op.create_index('ix_items_topic', ['topic_code', 'id'], unique=False)

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_chat'))
        batch_op.create_index('ix_outbox_chat_status', ['chat_id', 'status', 'id'], unique=False)

    with op.batch_alter_table('report_cluster_items', schema=None) as batch_op:
        batch_op.create_index('ix_report_cluster_items_item', ['item_id'], unique=False)

    if op.get_bind().dialect.name == "postgresql":  # keys compare by code point: a prefix is a range (timers.py)
        op.alter_column('timers', 'key', type_=sa.String(128, collation='C'), existing_nullable=False)
    with op.batch_alter_table('timers', schema=None) as batch_op:
        batch_op.create_index('ix_timers_pending_key', ['status', 'key'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('timers', schema=None) as batch_op:
        batch_op.drop_index('ix_timers_pending_key')
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column('timers', 'key', type_=sa.String(128), existing_nullable=False)

    with op.batch_alter_table('report_cluster_items', schema=None) as batch_op:
        batch_op.drop_index('ix_report_cluster_items_item')

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_chat_status')
        batch_op.create_index(batch_op.f('ix_outbox_chat'), ['chat_id', 'id'], unique=False)

    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_index('ix_items_topic')
        batch_op.drop_index('ix_items_duplicate_of')

    with op.batch_alter_table('item_targets', schema=None) as batch_op:
        batch_op.drop_index('ix_item_targets_target')

    with op.batch_alter_table('item_cosigners', schema=None) as batch_op:
        batch_op.drop_index('ix_item_cosigners_member')

    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_index('ix_attachments_item')


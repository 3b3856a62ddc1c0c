"""outbox rows say they were emptied, indexed with their age, and the inbox's handled rows by age: the nightly retention walks only what it changes

Revision ID: 0006
Revises: 0005
Created: 2026-12-04 23:11:13.228228
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

outbox = sa.table('outbox', sa.column('params', sa.JSON), sa.column('blanked', sa.Boolean))


def upgrade() -> None:
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.create_index('ix_inbox_handled', ['status', 'handled_at'], unique=False)

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('blanked', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index('ix_outbox_unblanked', ['blanked', 'created_at'], unique=False)
    # rows emptied before this revision said so in their params
    op.execute(outbox.update().where(outbox.c.params['blanked'].as_boolean().is_(True))
               .values(blanked=True, params={}))


def downgrade() -> None:
    op.execute(outbox.update().where(outbox.c.blanked.is_(True)).values(params={'blanked': True}))
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_unblanked')
        batch_op.drop_column('blanked')

    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.drop_index('ix_inbox_handled')

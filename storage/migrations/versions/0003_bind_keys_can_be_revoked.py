"""bind keys can be revoked (bind_keys.revoked_at: the office withdrew the key before it was used)

Revision ID: 0003
Revises: 0002
Created: 2026-12-02 15:11:16.908916
"""

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('bind_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revoked_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('bind_keys', schema=None) as batch_op:
        batch_op.drop_column('revoked_at')

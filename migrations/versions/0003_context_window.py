"""The context window a released model accepts, and its documented output limit.

`context_length` stays the pre-training sequence length; `context_window` is the longest input the
released model accepts as its maker documents it (the served window of an API model), and
`max_output_tokens` the documented output limit. New nullable columns; every row keeps its values.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 23:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('models', schema=None) as batch_op:
        batch_op.add_column(sa.Column('context_window', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('max_output_tokens', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM model_facts WHERE field IN ('context_window', 'max_output_tokens')"))
    with op.batch_alter_table('models', schema=None) as batch_op:
        batch_op.drop_column('max_output_tokens')
        batch_op.drop_column('context_window')

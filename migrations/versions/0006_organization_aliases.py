"""Organization aliases: other names `--org` matches (`facebook` for Meta AI, `DeepMind` for Google DeepMind).

A new JSON column, `[]` on every existing row. The data fingerprint is dropped so that the curated
refresh that follows the upgrade fills the curated organizations' aliases; user rows keep theirs (none).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('aliases', sa.JSON(), nullable=True))
    op.execute(sa.text("UPDATE organizations SET aliases = '[]'"))
    op.execute(sa.text("DELETE FROM catalog_meta WHERE key = 'data_fingerprint'"))


def downgrade() -> None:
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_column('aliases')

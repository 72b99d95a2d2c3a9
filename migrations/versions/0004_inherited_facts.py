"""Inherited and derived facts, and the history of fact changes (`fact_history`): `computed_facts` (their provenance), the pre-training facts of a
derived model (`pretrain_tokens`, `pretrain_compute`).

No existing row changes: the curated refresh that follows the upgrade (the data fingerprint is
dropped so that it runs) computes the inherited facts of every model, user models included.
The downgrade empties the columns the computed facts filled, so none reads as stated there.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 23:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('models', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pretrain_tokens', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('pretrain_compute', sa.Float(), nullable=True))
    op.create_table(
        'computed_facts',
        sa.Column('model_id', sa.String(length=200), nullable=False),
        sa.Column('field', sa.String(length=40), nullable=False),
        sa.Column('source_id', sa.String(length=200), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('method', sa.Text(), nullable=True),
        sa.Column('confidence', sa.String(length=12), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('inherited_from', sa.String(length=200), nullable=True),
        sa.Column('rule', sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(['model_id'], ['models.id'], name=op.f('fk_computed_facts_model_id_models'),
                                ondelete='CASCADE', initially='IMMEDIATE', deferrable=True),
        sa.ForeignKeyConstraint(['source_id'], ['sources.id'], name=op.f('fk_computed_facts_source_id_sources'),
                                initially='IMMEDIATE', deferrable=True),
        sa.PrimaryKeyConstraint('model_id', 'field', name=op.f('pk_computed_facts')),
    )
    with op.batch_alter_table('computed_facts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_computed_facts_source_id'), ['source_id'], unique=False)
    op.create_table(
        'fact_history',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('model_id', sa.String(length=200), nullable=False),
        sa.Column('field', sa.String(length=40), nullable=False),
        sa.Column('old', sa.JSON(), nullable=True),
        sa.Column('new', sa.JSON(), nullable=True),
        sa.Column('changed_at', sa.String(length=32), nullable=False),
        sa.Column('changed_by', sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_fact_history')),
    )
    op.create_index('ix_fact_history_model_id_field', 'fact_history', ['model_id', 'field'], unique=False)
    op.execute(sa.text("DELETE FROM catalog_meta WHERE key = 'data_fingerprint'"))


def downgrade() -> None:
    op.drop_index('ix_fact_history_model_id_field', table_name='fact_history')
    op.drop_table('fact_history')
    bind = op.get_bind()
    fields = [r[0] for r in bind.execute(sa.text("SELECT DISTINCT field FROM computed_facts"))]
    known = {c['name'] for c in sa.inspect(bind).get_columns('models')}
    for field in fields:
        if field in known and field.isidentifier():
            op.execute(sa.text(f"UPDATE models SET {field} = NULL WHERE id IN "
                               f"(SELECT model_id FROM computed_facts WHERE field = :field)").bindparams(field=field))
    op.execute(sa.text("DELETE FROM model_facts WHERE field IN ('pretrain_tokens', 'pretrain_compute')"))
    with op.batch_alter_table('computed_facts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_computed_facts_source_id'))
    op.drop_table('computed_facts')
    with op.batch_alter_table('models', schema=None) as batch_op:
        batch_op.drop_column('pretrain_compute')
        batch_op.drop_column('pretrain_tokens')
    op.execute(sa.text("DELETE FROM catalog_meta WHERE key = 'data_fingerprint'"))

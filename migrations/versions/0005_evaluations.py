"""Benchmarks and evaluation results: who scored what, in which setting, from which table.

Two new tables; no existing row changes. `evaluations.model_id` has no ON DELETE CASCADE so the
curated refresh (which re-inserts curated models) keeps user results on curated models.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 00:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    name = op.f(f"fk_{table}_{column}_{target.split('.')[0]}")
    return sa.ForeignKeyConstraint([column], [target], name=name, initially='IMMEDIATE', deferrable=True)


def upgrade() -> None:
    op.create_table(
        'benchmarks',
        sa.Column('id', sa.String(length=200), nullable=False),
        sa.Column('name', sa.Text(), nullable=False),
        sa.Column('task_kind', sa.String(length=40), nullable=False),
        sa.Column('metric', sa.String(length=40), nullable=False),
        sa.Column('chance', sa.Float(), nullable=True),
        sa.Column('standard_shots', sa.Integer(), nullable=True),
        sa.Column('standard_cot', sa.Boolean(), nullable=True),
        sa.Column('part_of', sa.String(length=200), nullable=True),
        sa.Column('aliases', sa.Text(), nullable=True),
        sa.Column('source_id', sa.String(length=200), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('origin', sa.String(length=10), nullable=False),
        _fk('benchmarks', 'source_id', 'sources.id'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_benchmarks')),
    )
    with op.batch_alter_table('benchmarks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_benchmarks_source_id'), ['source_id'], unique=False)
    op.create_table(
        'evaluations',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('model_id', sa.String(length=200), nullable=False),
        sa.Column('benchmark_id', sa.String(length=200), nullable=False),
        sa.Column('subset', sa.Text(), nullable=True),
        sa.Column('shots', sa.Integer(), nullable=True),
        sa.Column('cot', sa.Boolean(), nullable=False),
        sa.Column('prompt', sa.Text(), nullable=True),
        sa.Column('decoding', sa.Text(), nullable=True),
        sa.Column('metric', sa.String(length=40), nullable=False),
        sa.Column('score', sa.Float(), nullable=False),
        sa.Column('evaluated_by', sa.String(length=12), nullable=False),
        sa.Column('evaluator', sa.Text(), nullable=True),
        sa.Column('source_id', sa.String(length=200), nullable=False),
        sa.Column('locator', sa.Text(), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('origin', sa.String(length=10), nullable=False),
        _fk('evaluations', 'model_id', 'models.id'),
        _fk('evaluations', 'benchmark_id', 'benchmarks.id'),
        _fk('evaluations', 'source_id', 'sources.id'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluations')),
    )
    with op.batch_alter_table('evaluations', schema=None) as batch_op:
        for column in ('model_id', 'benchmark_id', 'source_id', 'origin'):
            batch_op.create_index(batch_op.f(f'ix_evaluations_{column}'), [column], unique=False)
    # A new table means new curated rows: make the next start refill the curated data.
    op.execute(sa.text("DELETE FROM catalog_meta WHERE key = 'data_fingerprint'"))


def downgrade() -> None:
    op.drop_table('evaluations')
    op.drop_table('benchmarks')
    op.execute(sa.text("DELETE FROM catalog_meta WHERE key = 'data_fingerprint'"))

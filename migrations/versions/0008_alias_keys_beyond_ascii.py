"""Lookup keys that keep letters beyond ASCII: "PanGu-α" and "PanGu-Σ" no longer share the key "pangu".

`alias_key` used to drop every letter outside a-z, so Greek letters, accented letters and Chinese
names vanished from lookup keys and two different models could meet on one key (the Epoch import
matched PanGu-α to PanGu-Σ). It now folds accents, spells Greek letters out and keeps other
scripts. Every stored key is recomputed from its alias text; where two rows of one model now give
the same key, the first is kept. The data fingerprint is dropped so that the curated refresh that
follows the upgrade rebuilds the curated keys; user rows keep their aliases under the new keys.
Downgrade recomputes the keys by the old rule.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 19:10:00
"""

from __future__ import annotations

import re
from typing import Callable

import sqlalchemy as sa
from alembic import op

from catalog.vocab import alias_key


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def _ascii_key(text: str) -> str:
    """The rule of revisions 0001-0007, frozen here for the downgrade."""
    low = re.sub(r"(?<=\d)\s*\.\s*(?=\d)", "\x01", text.lower())
    low = re.sub(r"(?<=\d)[^0-9a-z\x01]+(?=\d)", "\x00", low)
    low = re.sub(r"[^0-9a-z\x00\x01]+", "", low)
    return low.replace("\x00", "-").replace("\x01", ".")


def _rekey(key_of: Callable[[str], str]) -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT key, model_id, alias, is_name FROM aliases "
                        "ORDER BY is_name DESC, key")).all()
    changed = [row for row in rows if key_of(row.alias) != row.key]
    taken = {row.key for row in rows} - {row.key for row in changed}
    for row in changed:
        conn.execute(sa.text("DELETE FROM aliases WHERE key = :key"), {"key": row.key})
    for row in changed:
        new = key_of(row.alias)
        if new and new not in taken:
            taken.add(new)
            conn.execute(sa.text("INSERT INTO aliases (key, model_id, alias, is_name) "
                                 "VALUES (:key, :model, :alias, :is_name)"),
                         {"key": new, "model": row.model_id, "alias": row.alias, "is_name": row.is_name})
    conn.execute(sa.text("DELETE FROM catalog_meta WHERE key = 'data_fingerprint'"))


def upgrade() -> None:
    _rekey(alias_key)


def downgrade() -> None:
    _rekey(_ascii_key)

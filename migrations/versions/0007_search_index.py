"""A substring index for `list --search`: FTS5 trigram on SQLite, pg_trgm on PostgreSQL.

SQLite: `search_text` (a model's name and each lookup key of `aliases`, one row each) with an FTS5
trigram index `search_fts` over it, both kept in step by triggers on `models` and `aliases`, and
filled from the rows already stored. A SQLite built without FTS5 or its trigram tokenizer (before
3.34) gets nothing, and `list --search` scans as before. PostgreSQL: pg_trgm GIN indexes on
`lower(models.name)` and `aliases.key`; a server where the extension cannot be created (not
installed, or not allowed) gets nothing and scans as before. No row of any other table changes.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 15:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

_DELETE_ONE = ("DELETE FROM search_text WHERE id = (SELECT id FROM search_text WHERE model_id = {model} "
               "AND text = {text} LIMIT 1);")
SQLITE_UPGRADE = [
    "CREATE TABLE search_text (id INTEGER PRIMARY KEY, model_id VARCHAR(200) NOT NULL, text TEXT NOT NULL)",
    "CREATE INDEX search_text_model_id ON search_text (model_id, text)",
    "CREATE VIRTUAL TABLE search_fts USING fts5(text, content='search_text', content_rowid='id', "
    "tokenize='trigram')",
    "CREATE TRIGGER search_text_insert AFTER INSERT ON search_text BEGIN "
    "INSERT INTO search_fts (rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER search_text_delete AFTER DELETE ON search_text BEGIN "
    "INSERT INTO search_fts (search_fts, rowid, text) VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER search_models_insert AFTER INSERT ON models BEGIN "
    "INSERT INTO search_text (model_id, text) VALUES (new.id, new.name); END",
    "CREATE TRIGGER search_models_delete AFTER DELETE ON models BEGIN "
    + _DELETE_ONE.format(model="old.id", text="old.name") + " END",
    "CREATE TRIGGER search_models_update AFTER UPDATE OF id, name ON models BEGIN "
    + _DELETE_ONE.format(model="old.id", text="old.name")
    + " INSERT INTO search_text (model_id, text) VALUES (new.id, new.name); END",
    "CREATE TRIGGER search_aliases_insert AFTER INSERT ON aliases BEGIN "
    "INSERT INTO search_text (model_id, text) VALUES (new.model_id, new.key); END",
    "CREATE TRIGGER search_aliases_delete AFTER DELETE ON aliases BEGIN "
    + _DELETE_ONE.format(model="old.model_id", text="old.key") + " END",
    "CREATE TRIGGER search_aliases_update AFTER UPDATE OF key, model_id ON aliases BEGIN "
    + _DELETE_ONE.format(model="old.model_id", text="old.key")
    + " INSERT INTO search_text (model_id, text) VALUES (new.model_id, new.key); END",
    "INSERT INTO search_text (model_id, text) SELECT id, name FROM models",
    "INSERT INTO search_text (model_id, text) SELECT model_id, key FROM aliases",
]
SQLITE_DOWNGRADE = [
    *(f"DROP TRIGGER IF EXISTS {name}" for name in (
        "search_aliases_update", "search_aliases_delete", "search_aliases_insert", "search_models_update",
        "search_models_delete", "search_models_insert", "search_text_delete", "search_text_insert")),
    "DROP TABLE IF EXISTS search_fts",
    "DROP TABLE IF EXISTS search_text",
]
PG_INDEXES = [
    "CREATE INDEX IF NOT EXISTS search_models_name_trgm ON models USING gin (lower(name) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS search_aliases_key_trgm ON aliases USING gin (key gin_trgm_ops)",
]


def _sqlite_has_trigram(conn: sa.Connection) -> bool:
    try:
        with conn.begin_nested():
            conn.exec_driver_sql("CREATE VIRTUAL TABLE temp.llmzoo_trigram_probe USING fts5(t, tokenize='trigram')")
            conn.exec_driver_sql("DROP TABLE temp.llmzoo_trigram_probe")
    except sa.exc.OperationalError:
        return False
    return True


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        if _sqlite_has_trigram(conn):
            for statement in SQLITE_UPGRADE:
                conn.exec_driver_sql(statement)
    elif conn.dialect.name == "postgresql":
        try:
            with conn.begin_nested():  # a failed CREATE EXTENSION must not abort the upgrade's transaction
                conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                for statement in PG_INDEXES:
                    conn.exec_driver_sql(statement)
        except sa.exc.DBAPIError:
            pass  # no pg_trgm here: `list --search` scans, with the same results


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        for statement in SQLITE_DOWNGRADE:
            conn.exec_driver_sql(statement)
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql("DROP INDEX IF EXISTS search_aliases_key_trgm")
        conn.exec_driver_sql("DROP INDEX IF EXISTS search_models_name_trgm")

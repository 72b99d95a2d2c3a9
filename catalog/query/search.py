"""The substring index behind `list --search` (revision 0007).

SQLite: `search_text` holds, per model, its name and every lookup key of the `aliases` table (its id,
name and aliases, normalised), kept in step by triggers on `models` and `aliases`, so that every write
(add, edit, remove, import, the curated refresh) updates it; `search_fts` is an FTS5 trigram index
over it (external content, keyed by `search_text`'s INTEGER PRIMARY KEY, which VACUUM keeps).
PostgreSQL: pg_trgm GIN indexes on `lower(models.name)` and `aliases.key`, which the planner uses for
the LIKE of the plain condition itself; a server without pg_trgm keeps the scan.

The index only narrows the candidates: `catalog.query.models.conditions` still applies the plain LIKE
conditions to them, so the results are those of the scan by construction. The trigram index folds
case at least as widely as the scan compares, so no model the scan finds is left out of the candidates.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, column, literal, select, table, union

MIN_INDEXED = 3  # a trigram index answers a LIKE with at least three characters between wildcards

SEARCH_TEXT = table("search_text", column("id"), column("model_id"), column("text"))
SEARCH_FTS = table("search_fts", column("rowid"), column("text"))


def has_search_index(engine: Engine | Connection) -> bool:
    """True when this is a SQLite catalogue with the FTS5 trigram index (revision 0007 on a SQLite that has FTS5)."""
    conn_or_engine: Any = engine
    if conn_or_engine.dialect.name != "sqlite":
        return False
    engine_of = conn_or_engine if isinstance(conn_or_engine, Engine) else conn_or_engine.engine
    cached = engine_of.__dict__.get("_llmzoo_search_index")
    if cached is None:
        with engine_of.connect() as conn:
            cached = conn.exec_driver_sql(
                "SELECT count(*) FROM sqlite_master WHERE name = 'search_fts'").scalar() == 1
        if cached:  # a catalogue gets the index by an upgrade, never loses it but by a downgrade
            engine_of.__dict__["_llmzoo_search_index"] = True
    return bool(cached)


MAX_CANDIDATES = 5000  # more index hits than this: the scan, which stops at the first matches in order, is faster


def search_patterns(search: str) -> tuple[str, str]:
    """The LIKE pattern of the name and the lookup key that `conditions` makes of a --search text."""
    from catalog.vocab import alias_key

    return f"%{search.lower()}%", alias_key(search)


def search_route(conn: Connection, search: str) -> str:
    """How `list --search` finds this text (see Filters.search_route): "index" when the trigram index
    narrows it to at most MAX_CANDIDATES rows (read lazily, at most that many), "common" when it finds
    more (`base` in 1M generated names: a scan in list order stops at the first matches), and "scan"
    for a text too short for trigrams."""
    name_pattern, key = search_patterns(search)
    if search_candidates(name_pattern, key) is None:
        return "scan"
    for pattern in dict.fromkeys([name_pattern] + ([f"%{key}%"] if key else [])):
        hits = conn.execute(select(SEARCH_FTS.c.rowid).where(SEARCH_FTS.c.text.like(literal(pattern)))
                            .limit(MAX_CANDIDATES + 1)).all()
        if len(hits) > MAX_CANDIDATES:
            return "common"
    return "index"


def search_candidates(name_pattern: str, key: str) -> Any | None:
    """SELECT the ids of the models whose indexed text matches `name_pattern` (the LIKE pattern of the
    plain condition on the name) or contains `key` (a lookup key); None when one of them cannot use
    the index (too short), as the scan is needed then anyway."""
    patterns = list(dict.fromkeys([name_pattern] + ([f"%{key}%"] if key else [])))
    if not all(_indexable(p) for p in patterns):
        return None
    selects = [select(SEARCH_FTS.c.rowid).where(SEARCH_FTS.c.text.like(literal(p))) for p in patterns]
    rowids = selects[0] if len(selects) == 1 else union(*selects)
    return select(SEARCH_TEXT.c.model_id).where(SEARCH_TEXT.c.id.in_(rowids))


def _indexable(pattern: str) -> bool:
    """Whether FTS5 answers this LIKE from the trigram index: some run of MIN_INDEXED characters
    between wildcards (otherwise it reads the whole index)."""
    return any(len(run) >= MIN_INDEXED for run in pattern.replace("_", "%").split("%"))


@contextmanager
def bulk_search_index(conn: Connection) -> Iterator[None]:
    """Within it, the SQLite index is not kept row by row: its triggers are dropped, and at the end
    `search_text` is refilled from `models` and `aliases`, the FTS5 index rebuilt from it in one pass,
    and the triggers created again as they were (for an import that grows the catalogue, this costs
    far less than a trigger per row). Within the caller's transaction, so a failed import keeps all."""
    if conn.dialect.name != "sqlite":
        yield
        return
    triggers = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN "
        "('models', 'aliases', 'search_text') AND name LIKE 'search%'").all()
    if not triggers:
        yield
        return
    for name, _sql in triggers:
        conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
    yield
    conn.exec_driver_sql("DELETE FROM search_text")
    conn.exec_driver_sql("INSERT INTO search_text (model_id, text) SELECT id, name FROM models")
    conn.exec_driver_sql("INSERT INTO search_text (model_id, text) SELECT model_id, key FROM aliases")
    conn.exec_driver_sql("INSERT INTO search_fts (search_fts) VALUES ('rebuild')")
    for _name, sql in triggers:
        conn.exec_driver_sql(sql)

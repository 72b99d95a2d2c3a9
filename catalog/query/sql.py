"""`llmzoo query`: read-only SQL over the catalogue's tables, for the questions no option foresees.

Read-only three times over, so no statement can change the catalogue:
1. only a statement starting with SELECT, WITH, VALUES, TABLE or EXPLAIN is sent, and only one;
2. SQLite: a connection opened read-only (URI mode=ro) with PRAGMA query_only, and an authorizer that
   refuses ATTACH, DETACH and setting any PRAGMA (writable_schema, query_only, ...);
3. PostgreSQL: a session whose transactions default to READ ONLY, the statement run in a transaction
   SET READ ONLY and rolled back, and sent as one prepared statement (never several).
Parameters are bound by the driver (`:name` in the SQL, `-p name value` on the command line).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import ArgumentError, DBAPIError, StatementError
from sqlalchemy.pool import NullPool

from catalog.errors import CatalogError

READ_KEYWORDS = ("select", "with", "values", "table", "explain")
# PRAGMAs whose argument only names what to read (the authorizer refuses setting any other PRAGMA).
READ_PRAGMAS = {"table_info", "table_xinfo", "table_list", "index_list", "index_info", "index_xinfo",
                "foreign_key_list", "collation_list", "function_list", "pragma_list", "compile_options"}
_COMMENT = re.compile(r"\s*(--[^\n]*(\n|$)|/\*.*?\*/)", re.S)


class QueryError(CatalogError):
    """A query that is not read-only SQL, or that the database refused."""


def first_keyword(sql: str) -> str:
    """The statement's first word, lowercased, after leading spaces and comments."""
    rest = sql
    while True:
        match = _COMMENT.match(rest)
        if not match:
            break
        rest = rest[match.end():]
    word = re.match(r"\s*([A-Za-z]+)", rest)
    return word.group(1).lower() if word else ""


def check_read_only(sql: str) -> None:
    """Refuse, with a clear message, any statement that is not a single read."""
    word = first_keyword(sql)
    if not word:
        raise QueryError("query: no SQL given; e.g. llmzoo query \"select count(*) as n from models\"")
    if word not in READ_KEYWORDS:
        raise QueryError(f"query: {word.upper()} is refused: llmzoo query is read-only and runs one SELECT "
                         "(or WITH, VALUES, EXPLAIN); change the catalogue with llmzoo add, edit, remove "
                         "or import")


def _authorizer(action: int, arg1: str | None, arg2: str | None, _db: str | None, _trigger: str | None) -> int:
    if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH):
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_PRAGMA and arg2 is not None and (arg1 or "").lower() not in READ_PRAGMAS:
        return sqlite3.SQLITE_DENY  # setting a pragma (a bare PRAGMA name only reads its value)
    return sqlite3.SQLITE_OK


def read_only_engine(engine: Engine) -> Engine:
    """A second engine on the same catalogue that cannot write (see the module docstring)."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        path = url.database
        if not path or path == ":memory:":
            raise QueryError("query: needs a catalogue file or server, not an in-memory database")

        def connect() -> sqlite3.Connection:
            conn = sqlite3.connect(f"file:{quote(path)}?mode=ro", uri=True, check_same_thread=False)
            conn.execute("PRAGMA query_only = ON")
            conn.set_authorizer(_authorizer)
            return conn

        return create_engine("sqlite://", creator=connect, poolclass=NullPool)
    try:
        return create_engine(url, poolclass=NullPool,
                             connect_args={"options": "-c default_transaction_read_only=on"})
    except ArgumentError as exc:
        raise QueryError(f"query: cannot open the catalogue read-only: {exc}") from None


def _value(text_value: str) -> Any:
    """A parameter as a number when it reads as one (so it compares with numeric columns), else text."""
    for kind in (int, float):
        try:
            return kind(text_value)
        except ValueError:
            pass
    return text_value


def run_query(engine: Engine, sql: str,
              params: Mapping[str, str] | None = None) -> tuple[list[str], list[dict[str, Any]]]:
    """Run one read-only statement; returns (column names, rows as dicts). Nothing can be written."""
    check_read_only(sql)
    bound = {k: _value(v) for k, v in (params or {}).items()}
    clause = text(sql)
    missing = [name for name in clause._bindparams if name not in bound]  # noqa: SLF001 (the parsed :names)
    if missing:
        raise QueryError(f"query: no value for :{missing[0]}; give it with -p {missing[0]} VALUE")
    unused = [name for name in bound if name not in clause._bindparams]  # noqa: SLF001
    if unused:
        raise QueryError(f"query: -p {unused[0]} is not used: the SQL has no :{unused[0]}")
    ro = read_only_engine(engine)
    try:
        return _execute(ro, clause, bound)
    finally:
        ro.dispose()


def _execute(ro: Engine, clause: Any, bound: dict[str, Any]) -> tuple[list[str], list[dict[str, Any]]]:
    try:
        with ro.connect() as conn:
            if ro.dialect.name == "postgresql":
                compiled = clause.compile(dialect=ro.dialect)
                raw: Any = conn.connection.dbapi_connection  # psycopg's connection: its cursor is a context
                with raw.cursor() as cursor:
                    cursor.execute("SET TRANSACTION READ ONLY")
                    cursor.execute(str(compiled), compiled.construct_params(bound), prepare=True)
                    columns = [d.name for d in cursor.description or []]
                    rows = cursor.fetchall() if cursor.description else []
                raw.rollback()
            else:
                result = conn.execute(clause, bound)
                columns = list(result.keys()) if result.returns_rows else []
                rows = result.fetchall() if result.returns_rows else []
                conn.rollback()
    except (DBAPIError, StatementError, sqlite3.Error) as exc:
        raise QueryError(_explain(exc)) from None
    except Exception as exc:  # psycopg's own errors when the statement is sent raw
        if type(exc).__module__.startswith("psycopg"):
            raise QueryError(_explain(exc)) from None
        raise
    return columns, [dict(zip(columns, row, strict=True)) for row in rows]


def _explain(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    message = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    lowered = message.lower()
    if "one statement at a time" in lowered or "multiple commands" in lowered:
        return "query: give one statement at a time (no ';' between statements); llmzoo query is read-only"
    if any(word in lowered for word in ("readonly", "read-only", "read only", "not authorized",
                                        "prohibited")):
        return (f"query: refused, the catalogue is read-only here ({message}); llmzoo query runs one "
                "SELECT; change the catalogue with llmzoo add, edit, remove or import")
    return f"query: the database refused the SQL: {message} (see `llmzoo query --schema` for tables and columns)"


TABLE_NOTES = {
    "models": "one row per model; a fact's value is in its column, its provenance in model_facts",
    "model_facts": "provenance of a fact not plainly reported by models.source_id",
    "aliases": "lookup keys of each model: id, name and aliases normalised (case and punctuation ignored)",
    "datasets": "training corpora and published mixtures",
    "dataset_facts": "provenance of a dataset size fact that is not the dataset's source, reported",
    "model_datasets": "a dataset in a model's training data, as a paper's mixture table publishes it",
    "lineage": "child was derived from parent by relation (fine-tune, distillation, merge, ...)",
    "sources": "papers, model cards and blogs cited by every fact",
    "organizations": "makers of models", "families": "model families (LLaMA, GPT-3, ...)",
    "catalog_meta": "facts about the catalogue itself (data fingerprint, llmzoo version)",
}
COLUMN_NOTES = {
    "origin": "curated (from data/) or user (added by you)",
    "released": "first day of its period (released_precision: day, month, year)",
    "params": "parameters (a plain number: 7e9)", "train_tokens": "pre-training tokens seen",
    "train_compute": "training FLOP as a source reports it (6ND is computed, not stored)",
    "adaptation": "comma-separated stages", "modality": "comma-separated", "training_languages": "comma-separated",
    "status": "reported, nominal, estimated, derived or unpublished", "field": "the column of models it describes",
    "share": "fraction 0..1 of the mixture", "languages": "JSON list",
    "tokens": "size in tokens", "bytes": "size in bytes", "documents": "number of documents",
}


def schema_doc() -> str:
    """The tables `llmzoo query` reads, their columns, types and keys, and what they hold."""
    from catalog.query.display import LABELS
    from catalog.store.schema import metadata

    lines = ["Tables of the catalogue (llmzoo query reads them; the schema is the same on SQLite and PostgreSQL).",
             "Computed values (compute, tokens_per_param, chinchilla_ratio) are not stored:",
             "`llmzoo list --columns` shows them.", ""]
    for table in metadata.sorted_tables:
        lines.append(f"{table.name}: {TABLE_NOTES.get(table.name, '')}".rstrip(": "))
        width = max(len(c.name) for c in table.columns)
        for column in table.columns:
            keys = []
            if column.primary_key:
                keys.append("primary key")
            keys += sorted({f"-> {fk.target_fullname}" for fk in column.foreign_keys})
            note = "alias_key(text)" if (table.name, column.name) == ("aliases", "key") else \
                COLUMN_NOTES.get(column.name) if column.name != "tokens" or table.name == "datasets" else None
            note = note or (LABELS.get(column.name) if table.name == "models" else None)
            described = ", ".join([*keys, *([note] if note else [])])
            lines.append(f"  {column.name.ljust(width)}  {str(column.type).lower():<13} {described}".rstrip())
        lines.append("")
    lines.append('Example: llmzoo query "select id, params from models where arch = :arch '
                 'order by params desc" -p arch causal-decoder')
    return "\n".join(lines)

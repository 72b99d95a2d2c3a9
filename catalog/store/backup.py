"""Consistent backups of a catalogue into a SQLite file, and restore from one, each atomic."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from sqlalchemy import Engine, delete, func, insert, select

from catalog.errors import CatalogError, DamagedDatabase, DatabaseError
from catalog.io.files import atomic_target
from catalog.store.db import (
    BUSY_TIMEOUT_MS,
    current_revision,
    describe,
    ensure_schema,
    make_engine,
    reading,
    verify_intact,
    writing,
)
from catalog.store.schema import ComputedFact, FactHistory, Meta, Model
from catalog.store.writes import TABLES

ALL_TABLES = (*TABLES, ComputedFact, FactHistory, Meta)


def backup(engine: Engine, target: Path, overwrite: bool = False) -> int:
    """Copy the whole catalogue into a new SQLite file; returns the number of models copied."""
    if target.exists() and not overwrite:
        raise CatalogError(f"{target} exists; choose another file or pass --force to replace it")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise CatalogError(f"{folder} is not a folder; create it first")
    if engine.url.get_backend_name() == "sqlite":
        verify_intact(engine)  # a copy of corrupt pages is no backup, and --force would replace a good one
    with atomic_target(target) as tmp:
        try:
            if engine.url.get_backend_name() == "sqlite":
                _sqlite_backup(engine, tmp)
            else:
                tmp.unlink()
                _copy_rows(engine, tmp)
            models = _count_models(tmp)
        except sqlite3.DatabaseError as exc:  # SQLite writing the copy: the source was checked just before
            raise CatalogError(f"cannot write {target}: {exc} (is the disk full, or the file larger than "
                               "this system allows?)") from None
    return models


def _sqlite_backup(engine: Engine, tmp: Path) -> None:
    """SQLite's online backup: a consistent snapshot while others keep reading and writing."""
    raw = engine.raw_connection()
    try:
        dest = sqlite3.connect(tmp)
        try:
            assert raw.driver_connection is not None  # a fresh pool connection is never detached
            raw.driver_connection.backup(dest)
        finally:
            dest.close()
    finally:
        raw.close()
    with sqlite3.connect(tmp) as conn:
        conn.execute("PRAGMA journal_mode = DELETE")


def _copy_rows(engine: Engine, tmp: Path) -> None:
    """Any backend to SQLite: create the schema at head, copy rows inside one read snapshot."""
    target = make_engine(tmp)
    ensure_schema(target)
    try:
        with reading(engine) as src:
            if src.dialect.name == "postgresql":
                src.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            with writing(target) as dst:
                for table in ALL_TABLES:
                    rows = [dict(r) for r in src.execute(select(table)).mappings()]
                    for start in range(0, len(rows), 5000):
                        dst.execute(insert(table), rows[start:start + 5000])
    finally:
        target.dispose()


def _count_models(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT count(*) FROM models").fetchone()[0]


def restore(engine: Engine, source: Path) -> int:
    """Replace every row of the catalogue with the backup's, in one transaction; returns models restored."""
    if not source.is_file():
        raise CatalogError(f"{source}: no such backup file")
    backup_engine = make_engine(source)
    try:
        with reading(backup_engine) as conn:
            try:
                revision = current_revision(conn)
            except DatabaseError:
                raise CatalogError(f"{source} is not an llmzoo backup") from None
        if revision is None:
            raise CatalogError(f"{source} is not an llmzoo backup (no schema)")
        ensure_schema(backup_engine)  # an older backup is upgraded (a copy is kept beside it)
        if _damaged(engine):
            return _replace_file(engine, backup_engine)
        ensure_schema(engine)
        with reading(backup_engine) as src, writing(engine) as dst:
            for table in reversed(ALL_TABLES):
                dst.execute(delete(table))
            count = 0
            for table in ALL_TABLES:
                rows = [dict(r) for r in src.execute(select(table)).mappings()]
                for start in range(0, len(rows), 5000):
                    dst.execute(insert(table), rows[start:start + 5000])
                if table.__tablename__ == "models":
                    count = len(rows)
    finally:
        backup_engine.dispose()
    return count


def _damaged(engine: Engine) -> bool:
    try:
        verify_intact(engine)
    except DamagedDatabase:
        return True
    return False


def _replace_file(engine: Engine, backup_engine: Engine) -> int:
    """Restore into a damaged SQLite file: every page replaced by the backup's (SQLite's backup API,
    one transaction), since deleting rows would keep the corrupt pages."""
    engine.dispose()
    with sqlite3.connect(str(backup_engine.url.database)) as src, \
            closing(sqlite3.connect(str(engine.url.database), timeout=BUSY_TIMEOUT_MS / 1000)) as dest:
        src.backup(dest)
    engine.dispose()
    verify_intact(engine)
    ensure_schema(engine)
    with reading(engine) as conn:
        return conn.execute(select(func.count()).select_from(Model)).scalar_one()


def where(engine: Engine) -> str:
    """The database, for messages."""
    return describe(engine)

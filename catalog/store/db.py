"""Engine from a path or URL, SQLite pragmas, schema upgrade, first-use fill and curated refresh."""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import sys
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError

from catalog.errors import DamagedDatabase, DatabaseError
from catalog.store.schema import KNOWN_REVISIONS, SCHEMA_REVISION

BUSY_TIMEOUT_MS = 30000


def default_db_path() -> Path:
    """llmzoo.db in the user data directory ($XDG_DATA_HOME/llmzoo, ~/.local/share/llmzoo, ...)."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "llmzoo" / "llmzoo.db"


def resolve_url(db: str | os.PathLike[str] | None) -> str:
    """A SQLAlchemy URL from `--db` / LLMZOO_DB: a URL as is, anything else as a SQLite path."""
    if db is None or str(db) == "":
        db = os.environ.get("LLMZOO_DB") or default_db_path()
    text_db = str(db)
    if "://" in text_db:
        return text_db
    path = Path(text_db).expanduser()
    return f"sqlite:///{path.resolve()}"


def make_engine(db: str | os.PathLike[str] | None = None) -> Engine:
    """An engine for a path or URL; SQLite gets foreign keys and a busy timeout (WAL once the file is
    known to be a catalogue: see `ensure_schema`)."""
    url = resolve_url(db)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseError(f"{url!r} is neither a file path nor a database URL "
                            "(e.g. postgresql+psycopg://user@host/dbname)") from None
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database)
    try:
        return create_engine(url, pool_pre_ping=True)
    except (NoSuchModuleError, ImportError) as exc:
        raise DatabaseError(f"cannot use {parsed.render_as_string(hide_password=True)}: {exc}; "
                            "for PostgreSQL install llmzoo[postgres]") from None


def _sqlite_engine(url: str, database: str | None) -> Engine:
    if database and database != ":memory:":
        folder = Path(database).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseError(f"cannot create the folder {folder} for the database: "
                                f"{exc.strerror}; choose another place with --db PATH") from None
    engine = create_engine(url)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (see _on_begin)
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = NORMAL")  # of this connection; the file is not written
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = "IMMEDIATE" if conn.get_execution_options().get("llmzoo_write") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def describe(engine: Engine) -> str:
    """The database for messages: a file path or a URL without its password."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return str(url.database)
    return url.render_as_string(hide_password=True)


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """One write transaction (BEGIN IMMEDIATE on SQLite, the writers' lock on PostgreSQL); foreign keys
    checked at commit.

    A damaged SQLite file is refused before anything is written (see `check_intact`).
    """
    with translate_errors(engine):
        with engine.connect().execution_options(llmzoo_write=True) as conn:
            with conn.begin():
                if conn.dialect.name == "sqlite":
                    check_intact(conn)
                    conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
                elif conn.dialect.name == "postgresql":
                    lock_writers(conn)
                    conn.exec_driver_sql("SET CONSTRAINTS ALL DEFERRED")
                yield conn


# The key of the PostgreSQL advisory lock every llmzoo write transaction holds ("llmzoo" in ASCII).
WRITERS_LOCK = 0x6C6C6D7A6F6F


def lock_writers(conn: Connection) -> None:
    """Wait for the other writers of this PostgreSQL database, as BEGIN IMMEDIATE does on SQLite.

    A transaction-level advisory lock, released at commit or rollback. Every statement after it
    sees what the previous writer committed (READ COMMITTED), so a check made here (is the curated
    data current? does this source exist?) still holds when the transaction writes.
    """
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITERS_LOCK})")


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """One read transaction (a consistent snapshot)."""
    with translate_errors(engine):
        with engine.connect() as conn:
            with conn.begin():
                yield conn


@contextmanager
def translate_errors(engine: Engine) -> Iterator[None]:
    """Turn driver errors a user can cause into DatabaseError with a way out."""
    try:
        yield
    except DBAPIError as exc:
        raise (DamagedDatabase if _damage(exc) else DatabaseError)(explain(exc, engine)) from None


def _damage(exc: DBAPIError) -> bool:
    """True for SQLite's report of corrupt pages."""
    low = str(exc.orig if exc.orig is not None else exc).lower()
    return "malformed" in low or "corrupt" in low


def explain(exc: DBAPIError, engine: Engine) -> str:
    """A one-line explanation of a database error, with what to do."""
    where = describe(engine)
    detail = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
    low = detail.lower()
    if _damage(exc):
        return f"{where} is damaged ({detail}); {restore_hint(engine)}"
    if "file is not a database" in low or "not a database" in low:
        return f"{where} is not an llmzoo database (not SQLite); point --db at another file or remove it"
    if "readonly" in low or "read-only" in low:
        return f"{where} is read-only: cannot write there; use --db with a writable path"
    if "unable to open" in low:
        return f"cannot open {where}: check that the folder exists and is writable, or use --db"
    if "locked" in low or "busy" in low:
        return (f"{where} is locked by another process for more than {BUSY_TIMEOUT_MS // 1000} s; "
                "try again when it has finished")
    if "foreign key" in low:
        return f"{where}: a reference points to a record that does not exist ({detail})"
    if isinstance(exc, OperationalError) and ("connect" in low or "connection" in low):
        return f"cannot connect to {where}: {detail}"
    return f"{where}: {detail}"


def current_revision(conn: Connection) -> str | None:
    """The Alembic revision stamped in the database; None for a blank one."""
    names = set(inspect(conn).get_table_names())
    if "alembic_version" not in names or "models" not in names:
        if names - {"sqlite_sequence"}:
            raise DatabaseError(f"{describe(conn.engine)} holds tables but no llmzoo schema "
                                "version; it is not an llmzoo catalogue: use another --db")
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _use_wal(engine: Engine) -> None:
    """Switch a SQLite catalogue to WAL (a setting kept in the file): readers never wait for a writer."""
    if engine.url.get_backend_name() != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return
    raw = engine.raw_connection()
    try:
        assert raw.driver_connection is not None  # a fresh pool connection is never detached
        raw.driver_connection.execute("PRAGMA journal_mode = WAL")
    except sqlite3.DatabaseError:
        pass  # read-only file or folder: reads still work, writes report it
    finally:
        raw.close()


# Engines whose SQLite file passed `check_intact` (checked once per engine, i.e. once per command).
_INTACT: weakref.WeakSet[Engine] = weakref.WeakSet()


def check_intact(conn: Connection) -> None:
    """Refuse to write into a damaged SQLite file: PRAGMA quick_check, once per engine.

    Writing into a file with corrupt pages spreads the damage; the way out is a backup.
    """
    engine = conn.engine
    if conn.dialect.name != "sqlite" or engine in _INTACT:
        return
    try:
        result = [row[0] for row in conn.exec_driver_sql("PRAGMA quick_check").fetchall()]
    except DBAPIError as exc:
        if not _damage(exc):
            raise
        result = [str(exc.orig)]
    if result != ["ok"]:
        raise DamagedDatabase(f"{describe(engine)} is damaged: SQLite's integrity check (PRAGMA quick_check) "
                            f"fails, so nothing was written; {restore_hint(engine)}")
    _INTACT.add(engine)


def verify_intact(engine: Engine) -> None:
    """`check_intact` on its own read transaction (DamagedDatabase if the file is damaged)."""
    with reading(engine) as conn:
        check_intact(conn)


def restore_hint(engine: Engine) -> str:
    """How to get a damaged catalogue back: the restore command and the backups beside the file."""
    where = describe(engine)
    hint = (f"restore it from a backup with `llmzoo --db {where} db restore BACKUP --yes`, BACKUP being a file "
            "written by `llmzoo db backup`")
    if engine.url.get_backend_name() == "sqlite" and engine.url.database:
        path = Path(engine.url.database)
        kept = sorted(str(p) for p in path.parent.glob(f"{glob.escape(path.name)}.before-*.bak"))
        if kept:
            hint += f" or a copy kept before a schema upgrade ({', '.join(kept)})"
    return hint


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run Alembic migrations up to `revision` (imports alembic only here)."""
    from catalog.store.migrate import run_upgrade

    with translate_errors(engine):
        run_upgrade(engine, revision)


def backup_before_upgrade(engine: Engine, revision: str) -> Path | None:
    """Copy a SQLite file aside before migrating it, so an upgrade can never lose data."""
    if engine.url.get_backend_name() != "sqlite" or not engine.url.database:
        return None
    path = Path(engine.url.database)
    target = path.with_name(f"{path.name}.before-{revision}.bak")
    with engine.connect() as conn:  # checkpoint the WAL so the copy is complete
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy2(path, target)
    return target


def ensure_schema(engine: Engine) -> None:
    """Create a blank database at head, upgrade an old one, refuse a newer one."""
    with reading(engine) as conn:
        revision = current_revision(conn)
    if revision is not None and revision not in KNOWN_REVISIONS:
        raise DatabaseError(
            f"{describe(engine)} was written by a newer llmzoo (schema {revision}; this llmzoo "
            f"knows up to {SCHEMA_REVISION}); upgrade llmzoo (pip install -U llmzoo) or use another --db")
    _use_wal(engine)  # only now: the file is a catalogue (or blank), never another application's
    if revision == SCHEMA_REVISION:
        return
    verify_intact(engine)  # an upgrade rewrites tables: never on a damaged file
    if revision is not None:
        backup_before_upgrade(engine, revision)
    try:
        upgrade(engine)
    except DatabaseError:
        with reading(engine) as conn:  # another process may have upgraded it while we waited
            if current_revision(conn) != SCHEMA_REVISION:
                raise


def open_catalog(db: str | os.PathLike[str] | None = None, refresh: bool = True) -> Engine:
    """An engine on a ready catalogue: schema at head and curated rows matching the packaged data."""
    engine = make_engine(db)
    ensure_schema(engine)
    if refresh:
        from catalog.store.writes import refresh_curated

        refresh_curated(engine)
    return engine

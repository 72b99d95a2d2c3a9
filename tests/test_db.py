"""The database: migrations match the ORM, first use, refresh, and the ways a database can be wrong."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, inspect, select, text

from catalog.store.db import make_engine, open_catalog
from catalog.store.migrate import alembic_config, head, revisions, run_downgrade, run_upgrade
from catalog.store.schema import KNOWN_REVISIONS, SCHEMA_REVISION, Model, metadata
from cli.main import cli
from tests.conftest import REPO


def test_schema_revision_is_alembic_head():
    assert head() == SCHEMA_REVISION
    assert tuple(revisions()) == KNOWN_REVISIONS


def test_blank_database_upgraded_to_head_matches_orm(db):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = make_engine(db)
    run_upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    # the substring index of revision 0007 (catalog.query.search) lives outside the ORM: its SQLite tables,
    # their FTS5 shadow tables and PostgreSQL's pg_trgm indexes are all named search_*
    searching = [d for d in diff if d[0] in ("remove_table", "remove_index") and d[1].name.startswith("search_")]
    assert [d for d in diff if d not in searching] == []
    assert {d[1].name for d in searching} == (
        {"search_text", "search_text_model_id", "search_fts", "search_fts_data", "search_fts_idx", "search_fts_docsize",
         "search_fts_config"}
        if engine.dialect.name == "sqlite" else {"search_models_name_trgm", "search_aliases_key_trgm"})
    engine.dispose()


def test_every_revision_upgrades_and_downgrades_without_losing_rows(db):
    engine = make_engine(db)
    chain = revisions()
    run_upgrade(engine, chain[0])
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO sources (id, url, title, kind, origin) "
                          "VALUES ('u', 'https://example.org/x', 'Mine', 'paper', 'user')"))
        conn.execute(text("INSERT INTO organizations (id, name, kind, origin) VALUES ('me', 'Me', 'academia', 'user')"))
        conn.execute(text("INSERT INTO models (id, name, org_id, source_id, origin, params) "
                          "VALUES ('my-model', 'My model', 'me', 'u', 'user', 7e9)"))
    for revision in chain[1:]:
        run_upgrade(engine, revision)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT name, params FROM models WHERE id = 'my-model'")).one() == \
                ("My model", 7e9)
    for previous in reversed(chain[:-1]):
        run_downgrade(engine, previous)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT name FROM models WHERE id = 'my-model'")).scalar() == "My model"
    run_downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()


def test_first_use_creates_database_in_user_data_dir(isolated):
    result = CliRunner().invoke(cli, ["list", "--limit", "1", "--format", "csv", "--columns", "id"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "id\nt5-11b\n"
    assert (isolated / ".local" / "share" / "llmzoo" / "llmzoo.db").is_file()


def test_curated_refresh_when_data_changes(db, data_copy):
    run = CliRunner()
    assert run.invoke(cli, ["list", "--format", "csv", "--columns", "id", "--search", "gpt-4"]).stdout == "id\ngpt-4\n"
    path = data_copy / "models" / "fixture.yaml"
    path.write_text(path.read_text().replace("name: GPT-4\n", "name: GPT-4 (March 2023)\n"))
    result = run.invoke(cli, ["show", "gpt-4", "--format", "json"])
    assert '"name": "GPT-4 (March 2023)"' in result.stdout


def test_refresh_is_skipped_when_data_unchanged(db):
    from catalog.store.writes import refresh_curated

    engine = open_catalog(db)
    assert refresh_curated(engine) is False
    assert refresh_curated(engine, force=True) is True
    engine.dispose()


def test_not_a_database(tmp_path):
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are my notes, not a database\n" * 100)
    before = path.read_bytes()
    result = CliRunner().invoke(cli, ["--db", str(path), "list"])
    assert result.exit_code == 1
    assert result.stderr == (f"Error: {path} is not an llmzoo database (not SQLite); point --db at another "
                             "file or remove it\n")
    assert path.read_bytes() == before


def test_foreign_sqlite_database(tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY, owner TEXT)")
        conn.execute("INSERT INTO accounts (owner) VALUES ('alice')")
    result = CliRunner().invoke(cli, ["--db", str(path), "list"])
    assert result.exit_code == 1
    assert result.stderr == (f"Error: {path} holds tables but no llmzoo schema version; it is not an llmzoo "
                             "catalogue: use another --db\n")
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT owner FROM accounts").fetchall() == [("alice",)]


def test_database_from_a_newer_llmzoo(db):
    engine = open_catalog(db)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
        count = conn.execute(select(func.count()).select_from(Model)).scalar()
    engine.dispose()
    result = CliRunner().invoke(cli, ["list"])
    assert result.exit_code == 1
    assert "was written by a newer llmzoo (schema 9999; this llmzoo knows up to " in result.stderr
    assert "upgrade llmzoo (pip install -U llmzoo) or use another --db" in result.stderr
    engine = make_engine(db)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Model)).scalar() == count
    engine.dispose()


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_read_only_folder(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        result = CliRunner().invoke(cli, ["--db", str(folder / "c.db"), "list"])
    finally:
        folder.chmod(0o755)
    assert result.exit_code == 1
    assert "Error: " in result.stderr and "Traceback" not in result.output


def test_unwritable_location(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = CliRunner().invoke(cli, ["--db", str(blocker / "sub" / "c.db"), "list"])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: cannot create the folder {blocker / 'sub'} for the database: ")
    assert result.stderr.endswith("; choose another place with --db PATH\n")


def test_bad_url():
    result = CliRunner().invoke(cli, ["--db", "nosuchdialect://x/y", "list"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")


def test_unreachable_postgres():
    result = CliRunner().invoke(cli, ["--db", "postgresql+psycopg://nobody@127.0.0.1:1/none", "list"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: cannot connect to postgresql+psycopg://nobody@127.0.0.1:1/none")


def test_db_upgrade_and_info(run, db):
    result = run("db", "upgrade")
    assert result.exit_code == 0
    assert result.stdout.endswith(f"is at schema revision {SCHEMA_REVISION}\n")
    info = run("db", "info").stdout
    assert f"schema_revision: {SCHEMA_REVISION}\n" in info


def test_alembic_config_points_at_migrations():
    assert Path(alembic_config().get_main_option("script_location")) == REPO / "migrations"


LIGHT = """
import sys
from cli.main import cli
try:
    cli([{args}], standalone_mode=False)
finally:
    heavy = sorted(m for m in ("pandas", "altair", "alembic", "vl_convert", "numpy", "pydantic", "yaml",
                               "sqlalchemy.orm") if m in sys.modules)
    print("HEAVY:", ",".join(heavy))
"""


@pytest.mark.parametrize("args", [["list", "--arch", "causal-decoder", "--limit", "3"], ["show", "llama-7b"],
                                  ["stats"], ["export", "-o", "-"]])
def test_query_commands_do_not_import_heavy_modules(tmp_path, args):
    """Read-only commands on an up-to-date catalogue skip the data stack, records, YAML and the ORM."""
    env = {**os.environ, "LLMZOO_DB": str(tmp_path / "c.db")}
    subprocess.run([sys.executable, "-c", LIGHT.format(args='"list"')], env=env, check=True,
                   capture_output=True, cwd=REPO)  # first use creates the database (needs alembic)
    out = subprocess.run([sys.executable, "-c", LIGHT.format(args=", ".join(map(repr, args)))], env=env,
                         check=True, capture_output=True, text=True, cwd=REPO).stdout
    assert out.strip().splitlines()[-1] == "HEAVY:"


def test_orm_classes_read_the_same_tables(engine):
    """catalog.store.orm maps classes onto the Core tables: objects, relationships and provenance."""
    from sqlalchemy.orm import Session

    from catalog.store import orm

    with Session(engine) as session:
        alpaca = session.get_one(orm.Model, "alpaca-7b")
        assert (alpaca.name, alpaca.organization.id, alpaca.family.id) == ("Alpaca 7B", "stanford", "alpaca")
        assert [(p.parent.id, p.relation) for p in alpaca.parents] == [("llama-7b", "instruction-tune")]
        assert [(f.field, f.status, f.method) for f in alpaca.facts] == [
            ("params", "derived", "same as its parent LLaMA 7B")]
        llama = session.get_one(orm.Model, "llama-7b")
        assert [c.child.id for c in llama.children] == ["alpaca-7b"]
        assert [a.alias for a in llama.aliases if not a.is_name] == ["llama-1-7b"]  # "LLaMA-7B" has the key of the name
        assert [(d.dataset.id, d.share) for d in llama.datasets] == [("c4", 0.15)]
        assert llama.params == 6.7e9 and llama.source.id == "touvron2023llama"
        prefix = session.scalars(select(orm.Model.id).where(orm.Model.arch == "prefix-decoder")).all()
        assert prefix == ["glm-130b"]
    assert orm.Base.metadata is metadata

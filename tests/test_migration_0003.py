"""Revision 0003 (context window, max output tokens): a catalogue at revision 0002 with user models,
a user copy of a curated model, user sources and lineage upgrades on first use with nothing lost,
takes the new facts, and downgrades back."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import text

from catalog.store.db import make_engine
from catalog.store.migrate import run_downgrade, run_upgrade
from catalog.store.schema import SCHEMA_REVISION
from cli.main import cli
from tests.test_migration_0002 import OLD_ROWS, user_rows


def test_revision_0002_catalogue_upgrades_and_takes_the_context_window(tmp_path: Path):
    db = str(tmp_path / "old.db")
    engine = make_engine(db)
    run_upgrade(engine, "0002")
    with engine.begin() as conn:
        for statement in OLD_ROWS:
            conn.execute(text(statement))
        conn.execute(text("UPDATE models SET hardware = 'A100-80GB' WHERE id = 'lab-ft-7b'"))
    engine.dispose()
    before = user_rows(db)

    listed = CliRunner().invoke(cli, ["--db", db, "list", "--origin", "user", "--format", "csv", "--columns",
                                      "id,params"])
    assert listed.exit_code == 0, listed.output
    assert listed.stdout == "id,params\ngpt-4,\nlab-ft-7b,6700000000\n"
    assert user_rows(db) == before
    engine = make_engine(db)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == SCHEMA_REVISION
        assert conn.execute(text("SELECT hardware FROM models WHERE id = 'lab-ft-7b'")).scalar() == "A100-80GB"
    engine.dispose()

    edited = CliRunner().invoke(cli, ["--db", db, "edit", "lab-ft-7b", "--set", "context_window=131072",
                                      "--set", "max_output_tokens=8192"])
    assert edited.exit_code == 0, edited.output
    shown = CliRunner().invoke(cli, ["--db", db, "list", "--origin", "user", "--format", "csv", "--columns",
                                     "id,context_window,max_output_tokens"])
    assert shown.stdout == "id,context_window,max_output_tokens\ngpt-4,,\nlab-ft-7b,131072,8192\n"

    engine = make_engine(db)
    run_downgrade(engine, "0002")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0002"
        columns = {row[1] for row in conn.execute(text("PRAGMA table_info(models)"))}
        assert "context_window" not in columns and "hardware" in columns
        assert conn.execute(text("SELECT count(*) FROM model_facts WHERE field = 'context_window'")).scalar() == 0
    after = user_rows(db)
    assert after["models"] == before["models"] and after["lineage"] == before["lineage"]
    engine.dispose()

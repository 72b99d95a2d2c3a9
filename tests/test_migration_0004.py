"""Revision 0004 (inherited facts): a catalogue at revision 0002 with user models, a user copy of a
curated model, user sources and lineage opens with this release, upgrades on first use with every
user fact, note, alias and parent unchanged, shows what the user's fine-tune inherits, and
downgrades back without leaving an inherited value that would read as stated."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import text

from catalog.store.db import make_engine
from catalog.store.migrate import run_downgrade, run_upgrade
from catalog.store.schema import SCHEMA_REVISION
from cli.main import cli
from tests.test_migration_0002 import OLD_ROWS, user_rows


def test_revision_0002_catalogue_upgrades_and_inherits(tmp_path: Path):
    db = str(tmp_path / "old.db")
    engine = make_engine(db)
    run_upgrade(engine, "0002")
    with engine.begin() as conn:
        for statement in OLD_ROWS:
            conn.execute(text(statement))
    engine.dispose()
    before = user_rows(db)

    shown = CliRunner().invoke(cli, ["--db", db, "show", "lab-ft-7b", "--format", "json"])
    assert shown.exit_code == 0, shown.output
    assert user_rows(db) == before  # every user fact, note, alias, parent and source unchanged
    facts = json.loads(shown.stdout)["facts"]
    assert facts["params"] == {"value": 6.7e9, "source": "lab-report", "status": "estimated",
                               "method": "third-party", "confidence": "likely", "note": "rounded"}
    assert facts["layers"]["status"] == "inherited" and facts["layers"]["inherited_from"] == "llama-7b"
    assert facts["pretrain_tokens"]["value"] == 1e12
    assert json.loads(shown.stdout)["parents"][0]["note"] == "LoRA"
    engine = make_engine(db)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == SCHEMA_REVISION
        assert conn.execute(text("SELECT layers FROM models WHERE id = 'lab-ft-7b'")).scalar() == 32

    run_downgrade(engine, "0003")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT layers FROM models WHERE id = 'lab-ft-7b'")).scalar() is None
        assert "computed_facts" not in {r[0] for r in conn.execute(
            text("SELECT name FROM sqlite_master WHERE type = 'table'"))}
    assert user_rows(db) == before
    engine.dispose()

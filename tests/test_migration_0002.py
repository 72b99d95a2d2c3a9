"""Revision 0002 (training hardware, adaptation, cutoff): a catalogue made by the previous release,
with user models and user edits in it, upgrades in place on first use with nothing lost, and
downgrades back."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import text

from catalog.store.db import make_engine
from catalog.store.migrate import run_downgrade, run_upgrade
from catalog.store.schema import SCHEMA_REVISION
from cli.main import cli

OLD_ROWS = [
    "INSERT INTO sources (id, url, title, kind, origin) VALUES "
    "('touvron2023llama', 'https://arxiv.org/abs/2302.13971', 'LLaMA', 'paper', 'curated'), "
    "('lab-report', 'https://example.org/lab', 'Lab report', 'paper', 'user')",
    "INSERT INTO organizations (id, name, country, kind, origin) VALUES "
    "('meta', 'Meta AI', 'US', 'industry', 'curated'), ('mylab', 'My Lab', 'FR', 'academia', 'user')",
    "INSERT INTO models (id, name, org_id, source_id, origin, released, released_precision, arch, params, "
    "train_tokens) VALUES "
    "('llama-7b', 'LLaMA 7B', 'meta', 'touvron2023llama', 'curated', '2023-02-24', 'day', 'causal-decoder', "
    "6.7e9, 1e12), "
    "('lab-ft-7b', 'Lab FT 7B', 'mylab', 'lab-report', 'user', '2024-02-01', 'month', 'causal-decoder', 6.7e9, "
    "2e9), "
    "('gpt-4', 'GPT-4 (my notes)', 'meta', 'lab-report', 'user', '2023-03-14', 'day', NULL, NULL, NULL)",
    "INSERT INTO model_facts (model_id, field, source_id, status, method, confidence, note) VALUES "
    "('lab-ft-7b', 'params', 'lab-report', 'estimated', 'third-party', 'likely', 'rounded'), "
    "('gpt-4', 'params', 'lab-report', 'unpublished', NULL, NULL, 'never disclosed')",
    "INSERT INTO aliases (key, model_id, alias, is_name) VALUES ('labft7b', 'lab-ft-7b', 'lab-ft-7b', 1), "
    "('labft', 'lab-ft-7b', 'LabFT', 0), ('gpt4', 'gpt-4', 'gpt-4', 1), ('llama7b', 'llama-7b', 'llama-7b', 1)",
    "INSERT INTO lineage (child_id, parent_id, relation, source_id, note, origin) VALUES "
    "('lab-ft-7b', 'llama-7b', 'fine-tune', 'lab-report', 'LoRA', 'user')",
]
USER_QUERIES = {
    "models": "SELECT id, name, org_id, source_id, released, released_precision, arch, params, train_tokens "
              "FROM models WHERE origin = 'user' ORDER BY id",
    "facts": "SELECT * FROM model_facts WHERE model_id IN ('lab-ft-7b', 'gpt-4') ORDER BY model_id, field",
    "aliases": "SELECT key, model_id, alias FROM aliases WHERE model_id = 'lab-ft-7b' ORDER BY key",
    "lineage": "SELECT * FROM lineage WHERE origin = 'user'",
    "sources": "SELECT * FROM sources WHERE origin = 'user'",
    "organizations": "SELECT id, name, country, kind, origin FROM organizations WHERE origin = 'user'",
}


def user_rows(db: str) -> dict[str, list]:
    engine = make_engine(db)
    with engine.connect() as conn:
        out = {k: [tuple(r) for r in conn.execute(text(q))] for k, q in USER_QUERIES.items()}
    engine.dispose()
    return out


def test_previous_release_upgrades_on_first_use_and_downgrades(tmp_path: Path, monkeypatch):
    db = str(tmp_path / "old.db")
    engine = make_engine(db)
    run_upgrade(engine, "0001")
    with engine.begin() as conn:
        for statement in OLD_ROWS:
            conn.execute(text(statement))
    engine.dispose()
    before = user_rows(db)
    assert len(before["models"]) == 2 and len(before["facts"]) == 2

    result = CliRunner().invoke(cli, ["--db", db, "list", "--origin", "user", "--format", "csv", "--columns",
                                      "id,name,params"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "id,name,params\ngpt-4,GPT-4 (my notes),\nlab-ft-7b,Lab FT 7B,6700000000\n"
    assert user_rows(db) == before
    assert (tmp_path / "old.db.before-0001.bak").is_file()
    engine = make_engine(db)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == SCHEMA_REVISION
    # the new facts can be used on the upgraded catalogue
    edited = CliRunner().invoke(cli, ["--db", db, "edit", "lab-ft-7b", "--set", "hardware=A100-80GB",
                                      "--set", "adaptation=sft"])
    assert edited.exit_code == 0, edited.output
    assert user_rows(db)["models"] == before["models"]

    run_downgrade(engine, "0001")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0001"
        assert conn.execute(text("SELECT count(*) FROM model_facts WHERE field = 'hardware'")).scalar() == 0
    after = user_rows(db)
    assert after["models"] == before["models"]
    assert after["aliases"] == before["aliases"] and after["lineage"] == before["lineage"]
    # the edit set values without a source: they cite the user-edit source it added
    assert [s for s in after["sources"] if s[0] != "user-edit"] == before["sources"]
    assert after["organizations"] == before["organizations"]
    engine.dispose()

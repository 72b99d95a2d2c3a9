"""Revision 0008 (lookup keys beyond ASCII): "PanGu-α" and "PanGu-Σ" get different keys, a user model
named with accents and Greek letters is found by its name after the upgrade, nothing else changes, and
the downgrade restores the old keys."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import text

from catalog.store.db import make_engine
from catalog.store.migrate import run_downgrade, run_upgrade
from catalog.vocab import alias_key
from cli.main import cli
from tests.test_migration_0002 import OLD_ROWS, user_rows

USER_MODEL = [
    "INSERT INTO models (id, name, org_id, source_id, origin, released, released_precision, arch) VALUES "
    "('modele-alpha', 'Modèle-α 7B', 'mylab', 'lab-report', 'user', '2024-03-01', 'day', 'causal-decoder')",
    "INSERT INTO aliases (key, model_id, alias, is_name) VALUES ('modelealpha', 'modele-alpha', 'modele-alpha', 1), "
    "('modle7b', 'modele-alpha', 'Modèle-α 7B', 1), ('7b', 'modele-alpha', 'α 7B', 0)",
]


def test_keys_keep_letters_beyond_ascii():
    assert alias_key("PanGu-α") == alias_key("PanGu-Alpha") == "pangualpha"
    assert alias_key("PanGu-Σ") == "pangusigma" != alias_key("PanGu-α")
    assert alias_key("Tülu 3") == alias_key("Tulu 3") == "tulu3"
    assert alias_key("源2.0-102B") == "源2.0-102b"
    assert alias_key("LLaMA-2 70B") == alias_key("llama2-70b") == "llama2-70b"
    assert alias_key("GPT-3 1.3B") == "gpt3-1.3b" != alias_key("GPT-3 13B")
    assert alias_key("a_1_2") == "a1-2"


def test_revision_0007_catalogue_rekeys_user_aliases_and_downgrades(tmp_path: Path):
    db = str(tmp_path / "old.db")
    engine = make_engine(db)
    run_upgrade(engine, "0002")
    with engine.begin() as conn:
        for statement in OLD_ROWS + USER_MODEL:
            conn.execute(text(statement))
    run_upgrade(engine, "0007")
    engine.dispose()
    before = user_rows(db)

    shown = CliRunner().invoke(cli, ["--db", db, "list", "--search", "Modèle-α", "--origin", "user",
                                     "--format", "csv", "--columns", "id"])
    assert shown.exit_code == 0, shown.output
    assert shown.stdout == "id\nmodele-alpha\n"
    assert user_rows(db) == before
    engine = make_engine(db)
    query = text("SELECT key FROM aliases WHERE model_id = 'modele-alpha' ORDER BY key")
    with engine.connect() as conn:
        assert [k for (k,) in conn.execute(query)] == ["alpha7b", "modelealpha", "modelealpha7b"]
    run_downgrade(engine, "0007")
    with engine.connect() as conn:
        assert [k for (k,) in conn.execute(query)] == ["7b", "modelealpha", "modle7b"]
    assert user_rows(db) == before
    engine.dispose()

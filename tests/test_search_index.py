"""`list --search` through the substring index (revision 0007: FTS5 trigram on SQLite, pg_trgm on
PostgreSQL) finds exactly what the scan finds, on the fixture and on a catalogue written to by every
kind of write; the index follows add, edit, remove, import and the curated refresh."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from catalog.query.models import Filters, find_models
from catalog.store.schema import SCHEMA_REVISION
from tests.conftest import PG_URL

TERMS = ["llama", "LLaMA 7", "a 7", "gpt-3", "gpt3", "t5", "7b", "-", ".", "(", "%", "_", "l_ama", "ll%65",
         "alpaca", "zzz", "wid", "Wid", "widget 2", "ünï", "ÜNÏ", "naïve", "x"]

USER_MODELS = {
    "sources": [{"id": "w-card", "url": "https://example.org/w", "title": "W", "kind": "model-card"}],
    "models": [
        {"id": "widget-2", "name": "Widget (v2) 100%", "org": "meta", "source": "w-card", "aliases": ["WDG_2"]},
        {"id": "naive-1", "name": "Naïve ÜNÏ 1B", "org": "meta", "source": "w-card", "aliases": ["nv1"]},
        {"id": "gone-1", "name": "Gone One", "org": "meta", "source": "w-card"},
    ],
}


def _same_as_scan(engine, terms=TERMS) -> dict[str, list[str]]:
    found = {}
    for term in terms:
        scanned = find_models(engine, Filters(search=term, search_route="scan"), columns=["id"])
        indexed = find_models(engine, Filters(search=term), columns=["id"])
        assert indexed == scanned, term
        assert find_models(engine, Filters(search=term, search_route="common"), columns=["id"]) == scanned, term
        if engine.dialect.name == "sqlite":  # PostgreSQL's pg_trgm serves the plain condition itself
            assert find_models(engine, Filters(search=term, search_route="index"), columns=["id"]) == scanned, term
        found[term] = [r["id"] for r in scanned]
    return found


def _indexed_rows(engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return sorted(map(tuple, conn.execute(text("SELECT model_id, text FROM search_text"))))


def _expected_rows(engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return sorted([*map(tuple, conn.execute(text("SELECT id, name FROM models"))),
                       *map(tuple, conn.execute(text("SELECT model_id, key FROM aliases")))])


def test_fixture_search_is_the_scan(engine):
    found = _same_as_scan(engine)
    assert found["llama"] == ["llama-65b", "llama-7b"]
    assert found["zzz"] == []


def test_the_index_is_there(engine):
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            names = set(conn.execute(text("SELECT name FROM sqlite_master")).scalars())
            assert {"search_text", "search_fts", "search_models_insert", "search_aliases_delete"} <= names
        else:
            names = set(conn.execute(text("SELECT indexname FROM pg_indexes")).scalars())
            assert {"search_models_name_trgm", "search_aliases_key_trgm"} <= names


def test_every_write_keeps_the_index_in_step(run, engine, tmp_path: Path):
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(USER_MODELS, sort_keys=False))
    assert run("add", str(path)).exit_code == 0
    assert run("edit", "widget-2", "--set", "params=7B").exit_code == 0
    assert run("remove", "gone-1", "--yes").exit_code == 0
    exported = run("export", "--search", "widget", "--format", "jsonl").stdout.replace("widget-2", "widget-3")
    imported = run("import", "-", "--format", "jsonl",
                   input=exported.replace("Widget (v2)", "Widget (v3)").replace("WDG_2", "WDG_3"))
    assert imported.exit_code == 0, imported.output
    found = _same_as_scan(engine)
    assert found["wid"] == ["widget-2", "widget-3"]
    assert found["widget 2"] == ["widget-2"]
    assert found["%"] == found["_"] and "widget-3" in found["%"]
    assert found["naïve"] == ["naive-1"]
    listed = run("list", "--search", "WDG", "--format", "csv", "--columns", "id,name")
    assert listed.stdout == "id,name\nwidget-2,Widget (v2) 100%\nwidget-3,Widget (v3) 100%\n"
    assert run("list", "--search", "gone", "--format", "csv", "--columns", "id").stdout == "id\n"
    if engine.dialect.name == "sqlite":
        assert _indexed_rows(engine) == _expected_rows(engine)


def test_the_curated_refresh_keeps_the_index_in_step(run, engine, data_copy: Path):
    models = data_copy / "models" / "fixture.yaml"
    models.write_text(models.read_text().replace("name: LLaMA 65B", "name: LLaMA Sixty-Five"))
    assert run("list", "--search", "sixty", "--format", "csv", "--columns", "id").stdout == "id\nllama-65b\n"
    found = _same_as_scan(engine, [*TERMS, "sixty", "LLaMA S"])
    assert found["LLaMA S"] == ["llama-65b"]
    if engine.dialect.name == "sqlite":
        assert _indexed_rows(engine) == _expected_rows(engine)


def test_a_populated_catalogue_gets_the_index_on_upgrade(tmp_path: Path):
    from click.testing import CliRunner

    from catalog.store.db import make_engine, open_catalog
    from catalog.store.migrate import run_downgrade, run_upgrade
    from cli.main import cli

    db = str(tmp_path / "old.db")
    engine = open_catalog(db)
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(USER_MODELS, sort_keys=False))
    assert CliRunner().invoke(cli, ["--db", db, "add", str(path)]).exit_code == 0
    run_downgrade(engine, "0006")
    engine.dispose()
    engine = make_engine(db)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM sqlite_master WHERE name LIKE 'search%'")).scalar() == 0
    run_upgrade(engine)
    assert _indexed_rows(engine) == _expected_rows(engine)
    listed = CliRunner().invoke(cli, ["--db", db, "list", "--search", "wdg", "--format", "csv", "--columns", "id"])
    assert listed.stdout == "id\nwidget-2\n"
    engine.dispose()


@pytest.mark.skipif(not PG_URL, reason="LLMZOO_TEST_PG is not set: no PostgreSQL server to test against")
def test_postgresql_without_pg_trgm_scans_with_the_same_results(tmp_path: Path):
    """A role that may not create extensions: the upgrade leaves the index out and search still works."""
    from catalog.store.db import open_catalog

    name, role = f"llmzoo_test_{uuid.uuid4().hex[:12]}", f"nocreate_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
        conn.execute(text(f'REVOKE CREATE ON DATABASE "{name}" FROM PUBLIC'))
    owner = create_engine(make_url(PG_URL).set(database=name), isolation_level="AUTOCOMMIT")
    with owner.connect() as conn:
        conn.execute(text(f'GRANT CREATE, USAGE ON SCHEMA public TO "{role}"'))
    owner.dispose()
    url = make_url(PG_URL).set(database=name, username=role, password=None)
    try:
        engine = open_catalog(url.render_as_string(hide_password=False))
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'search%'")).scalar() == 0
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == SCHEMA_REVISION
        assert _same_as_scan(engine)["llama"] == ["llama-65b", "llama-7b"]
        engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()


def test_a_common_text_is_scanned(engine, monkeypatch):
    """More index hits than MAX_CANDIDATES: the scan (which stops at the first rows in order) is used."""
    if engine.dialect.name != "sqlite":
        pytest.skip("the trigram index of SQLite")
    import catalog.query.search
    from catalog.query.search import search_route

    with engine.connect() as conn:
        assert (search_route(conn, "llama"), search_route(conn, "ll")) == ("index", "scan")  # "ll": too short
        monkeypatch.setattr(catalog.query.search, "MAX_CANDIDATES", 1)
        assert search_route(conn, "llama") == "common"
    assert _same_as_scan(engine)["llama"] == ["llama-65b", "llama-7b"]


def test_a_bulk_import_rebuilds_the_index_once(run, engine, tmp_path: Path):
    """An import that more than doubles a SQLite catalogue drops the index's triggers, refills it at the
    end and creates the triggers again, exactly as they were."""
    if engine.dialect.name != "sqlite":
        pytest.skip("the trigger-kept index of SQLite")

    def triggers() -> list[tuple[str, str]]:
        with engine.connect() as conn:
            return sorted(map(tuple, conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"))))

    before = triggers()
    models = [{"id": f"bulk-{i}", "name": f"Bulk Model {i}", "org": "meta", "source": "openai2023gpt4",
               "aliases": f"bm{i}x", "note": "padding " * 40} for i in range(40)]
    path = tmp_path / "bulk.jsonl"
    path.write_text("".join(__import__("json").dumps(m) + "\n" for m in models))
    assert path.stat().st_size / 1000 >= 7  # big enough for the bulk route (catalog.io.importing._bulk_indexes)
    imported = run("import", str(path))
    assert imported.exit_code == 0, imported.output
    assert triggers() == before
    assert _indexed_rows(engine) == _expected_rows(engine)
    assert _same_as_scan(engine, ["bm17x", "Bulk Model 3", "model"])["bm17x"] == ["bulk-17"]
    assert run("remove", "bulk-17", "--yes").exit_code == 0  # the triggers work again
    assert _indexed_rows(engine) == _expected_rows(engine)

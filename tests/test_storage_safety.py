"""Storage safety (issue 15): damaged files refused before a write, foreign files untouched, one bad
row never takes a catalogue down, any legal id fits every output, concurrent writers all succeed."""

from __future__ import annotations

import hashlib
import json
import random
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from tests.conftest import table_rows

SOURCE = "sources:\n  - {id: s1, url: 'https://example.org/x', title: X, kind: paper}\n"


def invoke(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def model_file(tmp_path: Path, model: str, name: str = "m.yaml") -> Path:
    path = tmp_path / name
    path.write_text("models:\n  - {id: mine, name: Mine, org: meta, source: s1, " + model + "}\n" + SOURCE)
    return path


# --- A damaged SQLite file --------------------------------------------------------------------------------


def checkpoint(path: Path) -> None:
    """Everything in the main file (no WAL left), as after the last process closed it."""
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def damage(path: Path, page: int | None = None) -> None:
    """4 KB of (seeded) random bytes over the middle of the file, or over one page."""
    checkpoint(path)
    data = bytearray(path.read_bytes())
    start = len(data) // 2 if page is None else (page - 1) * 4096
    data[start:start + 4096] = random.Random(15).randbytes(4096)
    path.write_bytes(bytes(data))


def damaged_message(path: Path) -> str:
    return (f"Error: {path} is damaged: SQLite's integrity check (PRAGMA quick_check) fails, so nothing was "
            f"written; restore it from a backup with `llmzoo --db {path} db restore BACKUP --yes`, BACKUP being a "
            "file written by `llmzoo db backup`\n")


@pytest.fixture
def catalogue(tmp_path, monkeypatch) -> Path:
    """A SQLite catalogue with a user model that has a history (so remove and revert have work to do)."""
    path = tmp_path / "catalog.db"
    monkeypatch.setenv("LLMZOO_DB", str(path))
    assert invoke("add", str(model_file(tmp_path, "params: 7B"))).exit_code == 0
    assert invoke("edit", "mine", "--set", "layers=32").exit_code == 0
    return path


WRITES = [
    ("add", "{file}"),
    ("add", "--id", "other", "--name", "Other", "--org", "meta", "--source-url", "https://example.org/o"),
    ("edit", "mine", "--set", "layers=30"),
    ("edit", "llama-7b", "--set", "layers=33"),
    ("import", "{jsonl}"),
    ("import", "--from", "hf-config", "{config}", "--model", "mine", "--source-url",
     "https://huggingface.co/x/y/blob/main/config.json"),
    ("remove", "mine", "--yes"),
    ("revert", "mine", "layers"),
    ("db", "upgrade"),
]


@pytest.mark.parametrize("args", WRITES, ids=[" ".join(a[:2]) for a in WRITES])
def test_every_write_refuses_a_damaged_file(catalogue, tmp_path, args):
    jsonl = tmp_path / "m.jsonl"
    jsonl.write_text(json.dumps({"id": "new", "name": "New", "org": "meta", "source": "brown2020gpt3"}) + "\n")
    config = tmp_path / "config.json"
    config.write_text('{"num_hidden_layers": 28}')
    paths = {"file": str(model_file(tmp_path, "params: 8B", "other.yaml")), "jsonl": str(jsonl), "config": str(config)}
    damage(catalogue)
    before = sha256(catalogue)
    result = invoke(*(a.format(**paths) for a in args))
    assert (result.exit_code, result.stderr) == (1, damaged_message(catalogue))
    assert sha256(catalogue) == before


def test_first_use_refresh_refuses_a_damaged_file(catalogue, data_copy):
    damage(catalogue)
    before = sha256(catalogue)
    with (data_copy / "sources.yaml").open("a") as f:
        f.write("\n# the packaged data changed: the next command refreshes the curated rows\n")
    result = invoke("list")
    assert (result.exit_code, result.stderr) == (1, damaged_message(catalogue))
    assert sha256(catalogue) == before


def test_a_read_that_meets_a_damaged_page_says_so(catalogue):
    with sqlite3.connect(catalogue) as conn:
        page = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'models'").fetchone()[0]
    damage(catalogue, page)
    before = sha256(catalogue)
    result = invoke("list")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {catalogue} is damaged (")
    assert result.stderr.endswith(f"); restore it from a backup with `llmzoo --db {catalogue} db restore BACKUP "
                                  "--yes`, BACKUP being a file written by `llmzoo db backup`\n")
    assert "internal error" not in result.stderr
    assert sha256(catalogue) == before


def test_the_message_names_the_copies_kept_before_upgrades(catalogue):
    kept = catalogue.with_name("catalog.db.before-0004.bak")
    kept.write_bytes(b"")
    damage(catalogue)
    result = invoke("remove", "mine", "--yes")
    assert result.stderr == damaged_message(catalogue)[:-1] + f" or a copy kept before a schema upgrade ({kept})\n"


def test_a_damaged_file_is_restored_from_its_backup(catalogue, tmp_path):
    backup = tmp_path / "backup.db"
    assert invoke("db", "backup", str(backup)).exit_code == 0
    expected = table_rows(str(backup))
    damage(catalogue)
    result = invoke("db", "restore", str(backup), "--yes")
    assert (result.exit_code, result.output) == (0, f"Restored 8 models from {backup}\n")
    with sqlite3.connect(catalogue) as conn:
        assert conn.execute("PRAGMA quick_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA journal_mode").fetchall() == [("wal",)]
    assert table_rows(str(catalogue)) == expected
    assert invoke("add", str(model_file(tmp_path, "params: 8B", "other.yaml"))).exit_code == 1  # mine exists
    assert invoke("remove", "mine", "--yes").exit_code == 0


# --- Another application's SQLite file -----------------------------------------------------------------------


def foreign_file(tmp_path: Path, alembic: bool = False) -> Path:
    path = tmp_path / "other-app.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        conn.execute("INSERT INTO notes (body) VALUES ('mine, not llmzoo''s')")
        if alembic:  # another Alembic application
            conn.execute("CREATE TABLE alembic_version (version_num TEXT)")
            conn.execute("INSERT INTO alembic_version VALUES ('ae1027a6acf')")
    return path


@pytest.mark.parametrize("alembic", [False, True], ids=["plain", "alembic"])
@pytest.mark.parametrize("args", [("list",), ("stats",), ("add", "{file}"), ("import", "{jsonl}"), ("db", "upgrade"),
                                  ("db", "info"), ("db", "backup", "{backup}"), ("db", "restore", "{backup}", "--yes")],
                         ids=lambda a: " ".join(a[:2]))
def test_a_foreign_sqlite_file_is_never_changed(tmp_path, monkeypatch, args, alembic):
    backup = tmp_path / "backup.db"
    monkeypatch.setenv("LLMZOO_DB", str(tmp_path / "catalog.db"))
    assert invoke("db", "backup", str(backup)).exit_code == 0
    jsonl = tmp_path / "m.jsonl"
    jsonl.write_text(json.dumps({"id": "new", "name": "New", "org": "meta", "source": "brown2020gpt3"}) + "\n")
    other = foreign_file(tmp_path, alembic)
    before = sha256(other)
    monkeypatch.setenv("LLMZOO_DB", str(other))
    result = invoke(*(a.format(file=model_file(tmp_path, "params: 7B"), jsonl=jsonl, backup=backup) for a in args))
    assert (result.exit_code, result.stderr) == (1, f"Error: {other} holds tables but no llmzoo schema version; it "
                                                    "is not an llmzoo catalogue: use another --db\n")
    assert sha256(other) == before
    assert sorted(p.name for p in tmp_path.glob("other-app.db*")) == ["other-app.db"]
    with sqlite3.connect(other) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchall() == [("delete",)]

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
    path = tmp_path / "catalog.store.db"
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


def test_a_backup_of_a_damaged_file_is_refused(catalogue, tmp_path):
    good = tmp_path / "good.db"
    assert invoke("db", "backup", str(good)).exit_code == 0
    kept = good.read_bytes()
    damage(catalogue)
    result = invoke("db", "backup", str(good), "--force")
    assert (result.exit_code, result.stderr) == (1, damaged_message(catalogue))
    assert good.read_bytes() == kept


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
    kept = catalogue.with_name("catalog.store.db.before-0004.bak")
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
    monkeypatch.setenv("LLMZOO_DB", str(tmp_path / "catalog.store.db"))
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


# --- Computed columns beyond floating-point range ------------------------------------------------------------

SIX_ND = "compute: 6·N·D = 6 × 1e+299 × 1e+300 is beyond the largest floating-point number (1.8e+308)"


@pytest.fixture
def ready(run, db):
    """A catalogue that exists (first use done), and a function telling whether it is unchanged."""
    assert run("stats").exit_code == 0
    before = table_rows(db)
    return lambda: table_rows(db) == before


def refused(result, message: str) -> None:
    assert (result.exit_code, result.stderr) == (1, message), result.output


def test_overflowing_compute_refused_by_add(run, ready, tmp_path):
    path = model_file(tmp_path, "params: 1e299, train_tokens: 1e300")
    refused(run("add", str(path)), f"Error: 1 problem:\n  {path}:2: mine: {SIX_ND}; check the figures (or their "
                                   "units)\n")
    refused(run("add", "--id", "mine", "--name", "Mine", "--org", "meta", "--params", "1e299", "--tokens", "1e300",
                "--source-url", "https://example.org/a"),
            f"Error: 1 problem:\n  models[mine]: {SIX_ND}; check the figures (or their units)\n")
    assert ready()


def test_overflowing_compute_refused_by_edit(run, db, tmp_path):
    assert run("add", "--id", "mine", "--name", "Mine", "--org", "meta", "--params", "1e299",
               "--source-url", "https://example.org/a").exit_code == 0
    before = table_rows(db)
    refused(run("edit", "mine", "--set", "train_tokens=1e300"),
            f"Error: 1 problem:\n  models[mine]: {SIX_ND}; check the figures (or their units)\n")
    refused(run("edit", "llama-7b", "--set", "params=1e299", "--set", "train_tokens=1e300"),
            f"Error: 1 problem:\n  models[llama-7b]: {SIX_ND}; check the figures (or their units)\n")
    assert table_rows(db) == before


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv"])
def test_overflowing_compute_refused_by_import(run, ready, tmp_path, fmt):
    record = {"id": "big", "name": "Big", "org": "meta", "source": "brown2020gpt3", "params": 1e299,
              "train_tokens": 1e300}
    path = tmp_path / f"m.{fmt}"
    if fmt == "jsonl":
        path.write_text(json.dumps(record) + "\n")
    elif fmt == "json":
        path.write_text(json.dumps([record]))
    else:
        path.write_text(",".join(record) + "\n" + ",".join(map(str, record.values())) + "\n")
    where = {"jsonl": f"{path}:1", "json": f"{path}:1", "csv": f"{path}:2"}[fmt]
    refused(run("import", str(path)), f"Error: 1 problem:\n  {where} (big): {SIX_ND}; check the figures (or their "
                                      "units)\n")
    assert ready()


def store_bad_row(db: str) -> None:
    """What an older llmzoo let through: params 1e299 and train_tokens 1e300, written with plain SQL."""
    from sqlalchemy import update

    from catalog.store.db import make_engine
    from catalog.store.schema import Model

    engine = make_engine(db)
    with engine.begin() as conn:
        conn.execute(update(Model).where(Model.id == "llama-7b").values(params=1e299, train_tokens=1e300))
    engine.dispose()


WARNING = f"warning: llama-7b: {SIX_ND}; shown empty (correct the figures with llmzoo edit)\n"


@pytest.mark.parametrize("args", [
    ("list",), ("list", "--columns", "id,params,train_tokens,compute,chinchilla_ratio", "--format", "csv"),
    ("list", "--sort", "-compute", "--columns", "id,compute"), ("show", "llama-7b"),
    ("show", "llama-7b", "--format", "json"), ("export", "--format", "csv"), ("export", "--format", "jsonl"),
    ("compare", "llama-7b", "llama-65b"), ("scaling", "compare", "llama-7b", "llama-65b"),
    ("chart", "compute", "-o", "{out}.json"), ("chart", "growth", "-o", "{out}.json"),
], ids=lambda a: " ".join(a[:3]))
def test_a_stored_overflowing_row_does_not_take_reads_down(run, ready, db, tmp_path, args):
    store_bad_row(db)
    result = run(*(a.format(out=tmp_path / "chart") for a in args))
    assert result.exit_code == 0, result.output
    assert "inf" not in result.stdout.replace("info", "")
    if args[0] in ("list", "show", "export", "compare"):
        assert result.stderr.startswith(WARNING)
    assert "must be a positive finite number" not in result.stderr


def test_a_stored_overflowing_row_shows_empty_computed_values(run, ready, db):
    store_bad_row(db)
    result = run("list", "--columns", "id,compute,compute_status,tokens_per_param", "--format", "json",
                 "--search", "llama 7b")
    assert json.loads(result.stdout) == [{"id": "llama-7b", "compute": None, "compute_status": None,
                                          "tokens_per_param": 10.0}]
    assert result.stderr == WARNING
    exported = json.loads(run("export", "--format", "jsonl", "--search", "llama 7b").stdout)
    assert (exported["params"], exported["compute"], exported["chinchilla_ratio"]) == (1e299, None, None)


def test_hf_config_refuses_to_write_onto_an_overflowing_row(run, ready, db, tmp_path):
    store_bad_row(db)
    before = table_rows(db)
    config = tmp_path / "config.json"
    config.write_text('{"num_hidden_layers": 28}')
    refused(run("import", "--from", "hf-config", str(config), "--model", "llama-7b", "--on-conflict", "update",
                "--source-url", "https://huggingface.co/x/y/blob/main/config.json"),
            WARNING + f"Error: 1 problem:\n  {config} -> llama-7b: {SIX_ND}; check the figures (or their units)\n")
    assert table_rows(db) == before


# --- Concurrent writers ------------------------------------------------------------------------------------------


def at_once(db: str, *commands: list[str]) -> list[tuple[int, str]]:
    """Start every command as its own `llmzoo` process before waiting for any; (exit status, stderr) of each."""
    import os
    import subprocess
    import sys

    from tests.conftest import FIXTURE_DATA, REPO

    env = {**os.environ, "PYTHONPATH": str(REPO), "LLMZOO_DB": db, "LLMZOO_DATA": str(FIXTURE_DATA)}
    procs = [subprocess.Popen([sys.executable, "-m", "cli.main", *args], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True) for args in commands]
    return [(proc.wait(), proc.stderr.read()) for proc in procs]


def test_first_uses_at_once_all_succeed(db):
    assert at_once(db, *[["stats", "--format", "json"]] * 4) == [(0, "")] * 4
    rows = table_rows(db)
    keys = sorted(r[0] for r in rows["catalog_meta"])  # one fill, recorded once, whoever won the race
    assert len(rows["models"]) == 7
    assert [k for k in keys if not k.startswith("data_refresh:")] == ["data_fingerprint", "data_version"]
    assert len([k for k in keys if k.startswith("data_refresh:")]) == 1


def test_imports_defining_the_same_new_source_at_once_all_succeed(db, run, tmp_path):
    assert run("stats").exit_code == 0
    files = []
    for i in range(4):
        path = tmp_path / f"m{i}.jsonl"
        path.write_text(json.dumps({
            "id": f"new-{i}", "name": f"New {i}", "org": "new-lab", "source": "new-paper",
            "refs": {"sources": [{"id": "new-paper", "url": "https://example.org/new", "title": "New",
                                  "kind": "paper"}],
                     "organizations": [{"id": "new-lab", "name": "New Lab", "kind": "industry", "country": None}]}})
            + "\n")
        files.append(["import", str(path)])
    results = at_once(db, *files)
    assert [rc for rc, _ in results] == [0] * 4, results
    rows = table_rows(db)
    assert sorted(r[0] for r in rows["models"] if r[0].startswith("new-")) == [f"new-{i}" for i in range(4)]
    assert [r[0] for r in rows["sources"] if r[0] == "new-paper"] == ["new-paper"]


def test_adds_sharing_a_new_source_at_once_all_stored(db, run, tmp_path):
    assert run("stats").exit_code == 0
    files = []
    for i in range(8):
        path = tmp_path / f"m{i}.yaml"
        path.write_text(f"models:\n  - {{id: mine-{i}, name: Mine {i}, org: new-lab, source: s1, params: {i + 1}B}}\n"
                        + SOURCE + "organizations:\n  - {id: new-lab, name: New Lab, kind: industry}\n")
        files.append(["add", str(path)])
    results = at_once(db, *files)
    assert [rc for rc, _ in results] == [0] * 8, results
    rows = table_rows(db)
    assert sorted(r[0] for r in rows["models"] if r[0].startswith("mine-")) == [f"mine-{i}" for i in range(8)]
    assert [r[0] for r in rows["sources"] if r[0] == "s1"] == ["s1"]


# --- Ids of any length ---------------------------------------------------------------------------------------

LONG = "a" * 300
TOO_LONG = (f"'{'a' * 80}... (300 characters)' is too long for an id; an id has at most 200 characters (keep the "
            "full name in `name`)")


def test_long_ids_are_refused_on_every_write(run, ready, tmp_path):
    path = model_file(tmp_path, "params: 7B").read_text().replace("id: mine", f"id: {LONG}")
    (tmp_path / "long.yaml").write_text(path)
    refused(run("add", str(tmp_path / "long.yaml")),
            f"Error: 1 problem:\n  {tmp_path / 'long.yaml'}:2: models[0] ({'a' * 80}... (300 characters)).id: "
            f"{TOO_LONG}\n")
    refused(run("add", "--id", LONG, "--name", "Long", "--org", "meta", "--source-url", "https://example.org/a"),
            f"Error: 1 problem:\n  --id: {TOO_LONG}\n")
    jsonl = tmp_path / "long.jsonl"
    jsonl.write_text(json.dumps({"id": LONG, "name": "Long", "org": "meta", "source": "brown2020gpt3"}) + "\n")
    refused(run("import", str(jsonl)), f"Error: 1 problem:\n  {jsonl}:1 ({'a' * 80}... (300 characters)): id: "
                                       f"{TOO_LONG}\n")
    assert ready()


def test_an_id_of_200_characters_is_accepted(run, ready, db):
    result = run("add", "--id", "b" * 200, "--name", "Long", "--org", "meta", "--source-url", "https://example.org/a")
    assert result.exit_code == 0, result.output
    assert run("show", "b" * 200).exit_code == 0


def test_site_build_names_pages_so_that_any_stored_id_fits(tmp_path, monkeypatch):
    """A SQLite catalogue written before ids were bounded may hold any length: the site still builds."""
    catalogue = tmp_path / "catalog.store.db"
    monkeypatch.setenv("LLMZOO_DB", str(catalogue))
    assert invoke("stats").exit_code == 0
    with sqlite3.connect(catalogue) as conn:
        conn.execute("INSERT INTO models (id, name, org_id, source_id, origin) VALUES (?, 'Long', 'meta', "
                     "'brown2020gpt3', 'user')", (LONG,))
    result = invoke("site", "build", "-o", str(tmp_path / "site"))
    assert result.exit_code == 0, result.output
    pages = sorted(p.name for p in (tmp_path / "site" / "models").iterdir() if p.name.startswith("aaa"))
    assert len(pages) == 1 and len(pages[0]) == 120 + len(".html") and pages[0].startswith("a" * 103 + "-")
    assert f'models/{pages[0]}' in (tmp_path / "site" / "index.html").read_text()


# --- Every value quoted in a message is cut ----------------------------------------------------------------------

HUGE = "q" * 100_000
HUGE_NUMBER = "9" * 100_000 + "x"
QUOTED = [
    ("add", "--id", "x", "--name", "X", "--org", "meta", "--params", HUGE_NUMBER, "--source-url", "https://e.org/x"),
    ("add", "--id", "x", "--name", "X", "--org", HUGE, "--source-url", "https://e.org/x"),
    ("add", "--id", HUGE, "--name", "X", "--org", "meta", "--source-url", "https://e.org/x"),
    ("add", "--id", "x", "--name", "X", "--org", "meta", "--source-url", "ftp" + HUGE),
    ("add", "--id", "x", "--name", "X", "--org", "meta", "--released", HUGE_NUMBER, "--source-url", "https://e.org/x"),
    ("add", "--id", "x", "--name", "X", "--org", "meta", "--arch", HUGE, "--source-url", "https://e.org/x"),
    ("edit", "llama-7b", "--set", "params=" + HUGE_NUMBER),
    ("edit", "llama-7b", "--set", HUGE + "=1"),
    ("edit", "llama-7b", "--set", "attention=" + HUGE),
    ("edit", "llama-7b", "--set", "context_length=" + HUGE),
    ("revert", "llama-7b", HUGE),
    ("show", HUGE), ("lineage", HUGE), ("compare", HUGE, "llama-7b"), ("datasets", "mix", HUGE),
    ("list", "--sort", HUGE), ("list", "--columns", HUGE), ("list", "--since", HUGE_NUMBER),
    ("list", "--min-params", HUGE_NUMBER), ("coverage", "--fields", HUGE), ("evals", "--benchmark", HUGE),
]


@pytest.mark.parametrize("args", QUOTED, ids=lambda a: " ".join(x[:12] for x in a[:4]))
def test_every_value_quoted_in_a_message_is_cut(run, ready, args):
    result = run(*args)
    assert result.exit_code in (1, 2)
    assert len(result.stderr) < 1000, result.stderr[:300]
    assert " characters)" in result.stderr
    assert ready()


@pytest.mark.parametrize(("key", "value"), [("params", HUGE_NUMBER), ("org", HUGE), ("arch", HUGE), ("source", HUGE),
                                            ("context_length", HUGE_NUMBER), ("released", "2023-" + HUGE),
                                            ("parents", [{"model": HUGE, "relation": "fine-tune"}])])
def test_every_value_quoted_in_an_import_message_is_cut(run, ready, tmp_path, key, value):
    path = tmp_path / "big.jsonl"
    path.write_text(json.dumps({"id": "big", "name": "Big", "org": "meta", "source": "brown2020gpt3", key: value})
                    + "\n")
    result = run("import", str(path))
    assert result.exit_code == 1
    assert len(result.stderr) < 1000, result.stderr[:300]
    assert ready()


@pytest.mark.parametrize("fact", ["released: '" + "9" * 100_000 + "'", "family: " + HUGE,
                                  "datasets: [{dataset: " + HUGE + "}]", "id: " + HUGE])
def test_every_value_quoted_in_a_yaml_message_is_cut(run, ready, tmp_path, fact):
    path = tmp_path / "big.yaml"
    own_id = "" if fact.startswith("id") else "id: mine, "
    path.write_text("models:\n  - {name: Mine, org: meta, source: s1, " + own_id + fact + "}\n" + SOURCE)
    result = run("add", str(path))
    assert result.exit_code == 1
    assert len(result.stderr) < 1000, result.stderr[:300]
    assert ready()

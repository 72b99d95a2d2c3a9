"""User records: add, edit, remove, import, backup; every bad input leaves the database unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from cli.main import cli
from tests.conftest import table_rows

USER_YAML = {
    "sources": [{"id": "lab-report", "url": "https://example.org/lab/report", "title": "Lab report",
                 "kind": "paper"}],
    "models": [
        {"id": "lab-ft-7b", "name": "Lab FT 7B", "org": "meta", "source": "lab-report", "released": "2024-02",
         "arch": "causal-decoder", "params": "6.7B", "train_tokens": "2B", "aliases": ["LabFT"],
         "parents": [{"model": "llama-7b", "relation": "fine-tune", "note": "LoRA"}]},
        {"id": "lab-small", "name": "Lab Small", "org": "meta", "source": "lab-report", "released": 2024,
         "params": {"value": "1.3B", "status": "estimated", "method": "third-party", "confidence": "likely"}},
    ],
}


def snapshot(db: str) -> dict[str, list]:
    """Every row of every table, for 'nothing changed' assertions."""
    return table_rows(db)


@pytest.fixture
def user_file(tmp_path: Path) -> Path:
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(USER_YAML, sort_keys=False))
    return path


@pytest.fixture
def ready(run, db):
    """A catalogue that exists (first use done) and its initial snapshot."""
    assert run("stats").exit_code == 0
    return snapshot(db)


def test_add_file_and_show(run, user_file):
    result = run("add", str(user_file))
    assert result.exit_code == 0, result.output
    assert result.stdout == (f"{user_file}: added 2 models, updated 0, skipped 0, unchanged 0, added 1 sources\n"
                             "  added: lab-ft-7b, lab-small\n")
    shown = run("show", "labft").stdout
    assert shown.startswith("Lab FT 7B  [lab-ft-7b]  (user-added)\n")
    assert "llama-7b (LLaMA 7B): fine-tune — LoRA" in shown
    assert run("list", "--origin", "user", "--format", "csv", "--columns", "id,params").stdout == \
        "id,params\nlab-small,1300000000\nlab-ft-7b,6700000000\n"
    children = json.loads(run("show", "llama-7b", "--format", "json").stdout)["children"]
    assert {"model": "lab-ft-7b", "name": "Lab FT 7B", "relation": "fine-tune"} in children


def test_quick_add(run):
    result = run("add", "--id", "quick-1b", "--name", "Quick 1B", "--org", "meta", "--arch", "causal-decoder",
                 "--params", "1B", "--tokens", "20B", "--released", "2024-05-01", "--open",
                 "--source-url", "https://example.org/quick", "--parent", "llama-7b:distillation")
    assert result.exit_code == 0, result.output
    detail = json.loads(run("show", "quick-1b", "--format", "json").stdout)
    assert detail["facts"]["params"]["value"] == 1e9
    assert detail["sources"]["quick-1b-source"]["kind"] == "third-party"
    assert detail["parents"][0]["relation"] == "distillation"


@pytest.mark.parametrize(("args", "message"), [
    (["--id", "x", "--name", "X", "--org", "meta", "--params", "7Q", "--source-url", "https://e.org/x"],
     "Error: 1 problem:\n  --params: '7Q' has an unknown unit 'Q'"),
    (["--id", "x", "--name", "X", "--org", "meta"], "Error: every fact needs a source: give --source-url URL"),
    (["--id", "x", "--name", "X", "--org", "nobody", "--source-url", "https://e.org/x"],
     "org 'nobody' does not exist"),
    (["--id", "llama-7b", "--name", "X", "--org", "meta", "--source-url", "https://e.org/x"],
     "'llama-7b' is a curated model; choose another id"),
    (["--id", "x", "--name", "LLaMA 7B", "--org", "meta", "--source-url", "https://e.org/x"],
     "name or alias 'llama7b' is also a name of 'llama-7b'"),
    (["--id", "x", "--name", "X", "--org", "meta", "--source-url", "https://e.org/x", "--parent", "ghost:fine-tune"],
     "parents[0].model 'ghost' does not exist"),
    (["--id", "x", "--name", "X", "--org", "meta", "--source-url", "not a url"], "--source-url: 'not a url' is not"),
    (["--id", "Bad Id", "--name", "X", "--org", "meta", "--source-url", "https://e.org/x"], "is not a valid id"),
])
def test_quick_add_errors_change_nothing(run, db, ready, args, message):
    result = run("add", *args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert snapshot(db) == ready


def test_bad_files_change_nothing(run, db, ready, tmp_path, user_file):
    cases = {
        "broken.yaml": "models: [\n",
        "unknown.yaml": "models:\n  - {id: a, name: A, org: meta, source: brown2020gpt3, colour: red}\n",
        "dup.yaml": "models:\n  - {id: a, name: A, org: meta, source: brown2020gpt3}\n"
                    "  - {id: a, name: B, org: meta, source: brown2020gpt3}\n",
        "dangling.yaml": "models:\n  - {id: a, name: A, org: meta, source: nowhere}\n",
        "cycle.yaml": "models:\n  - {id: a, name: A, org: meta, source: brown2020gpt3,"
                      " parents: [{model: b, relation: merge}]}\n"
                      "  - {id: b, name: B, org: meta, source: brown2020gpt3,"
                      " parents: [{model: a, relation: merge}]}\n",
        "units.yaml": "models:\n  - {id: a, name: A, org: meta, source: brown2020gpt3, params: 7 parsecs}\n",
    }
    expected = {
        "broken.yaml": "invalid YAML", "unknown.yaml": "colour: unknown field",
        "dup.yaml": "id 'a' (models[1]) is already defined", "dangling.yaml": "source 'nowhere' does not exist",
        "cycle.yaml": "lineage cycle: a -> b -> a", "units.yaml": "(a).params: '7 parsecs' is not a number",
    }
    for name, text in cases.items():
        path = tmp_path / name
        path.write_text(text)
        result = run("add", str(path))
        assert result.exit_code == 1, name
        assert expected[name] in result.stderr, (name, result.stderr)
        assert snapshot(db) == ready, name
    missing = run("add", str(tmp_path / "nope.yaml"))
    assert missing.exit_code == 1 and missing.stderr == f"Error: 1 problem:\n  {tmp_path / 'nope.yaml'}: no such file\n"


def test_conflict_policies(run, user_file):
    assert run("add", str(user_file)).exit_code == 0
    again = run("add", str(user_file))
    assert again.exit_code == 1
    assert "a model 'lab-ft-7b' already exists; use --on-conflict update" in again.stderr
    skip = run("add", str(user_file), "--on-conflict", "skip")
    assert skip.stdout.startswith(f"{user_file}: added 0 models, updated 0, skipped 2, unchanged 0")
    same = run("add", str(user_file), "--on-conflict", "update")
    assert same.stdout.startswith(f"{user_file}: added 0 models, updated 0, skipped 0, unchanged 2")
    changed = dict(USER_YAML, models=[dict(USER_YAML["models"][0], params="7B")])
    user_file.write_text(yaml.safe_dump(changed))
    update = run("add", str(user_file), "--on-conflict", "update")
    assert update.stdout.startswith(f"{user_file}: added 0 models, updated 1, skipped 0, unchanged 0")
    assert json.loads(run("show", "lab-ft-7b", "--format", "json").stdout)["facts"]["params"]["value"] == 7e9


def test_dry_run_changes_nothing(run, db, ready, user_file):
    result = run("add", str(user_file), "--dry-run")
    assert result.stdout.startswith(f"Dry run: {user_file}: would add 2 models")
    assert snapshot(db) == ready


def test_user_rows_survive_curated_refresh(run, db, user_file, data_copy):
    assert run("add", str(user_file)).exit_code == 0
    path = data_copy / "models" / "fixture.yaml"
    path.write_text(path.read_text().replace("name: LLaMA 65B\n", "name: LLaMA-65B\n"))
    result = run("list", "--origin", "user", "--format", "csv", "--columns", "id")
    assert result.stdout == "id\nlab-small\nlab-ft-7b\n"
    assert json.loads(run("show", "llama-65b", "--format", "json").stdout)["name"] == "LLaMA-65B"
    assert json.loads(run("show", "lab-ft-7b", "--format", "json").stdout)["parents"][0]["model"] == "llama-7b"


def test_refresh_that_would_orphan_a_user_model_changes_nothing(run, db, user_file, data_copy):
    assert run("add", str(user_file)).exit_code == 0
    before = snapshot(db)
    path = data_copy / "models" / "fixture.yaml"
    text = path.read_text()
    start = text.index("  - id: llama-7b")
    end = text.index("  - id: llama-65b")
    path.write_text(text[:start] + text[end:])
    training = data_copy / "sources.yaml"
    training.write_text(training.read_text().replace("  - {model: llama-7b, dataset: c4, share: 0.15, epochs: 1.06, "
                                                     "source: touvron2023llama}\n", ""))
    fixture = path.read_text().replace("      - {model: llama-7b, relation: instruction-tune, note: \"52K "
                                       "self-instruct demonstrations\"}\n", "      []\n")
    path.write_text(fixture.replace("    parents:\n      []\n", ""))
    result = run("list")
    assert result.exit_code == 1
    assert result.stderr == ("Error: the new curated data no longer has models that your models derive from "
                             "(lab-ft-7b -> llama-7b); nothing was changed. Re-parent or remove those models "
                             "(llmzoo edit / llmzoo remove), then run the command again\n")
    assert snapshot(db) == before


def test_edit_user_model(run, user_file):
    run("add", str(user_file))
    result = run("edit", "lab-ft-7b", "--set", "params=7B", "--set", "params.note=config.json", "--set", "license=MIT")
    assert result.exit_code == 0 and result.stdout == "Updated lab-ft-7b\n"
    facts = json.loads(run("show", "lab-ft-7b", "--format", "json").stdout)["facts"]
    assert (facts["params"]["value"], facts["params"]["note"]) == (7e9, "config.json")
    assert facts["license"]["value"] == "MIT"


def test_edit_curated_adopts_and_survives_refresh(run, data_copy):
    result = run("edit", "gpt-4", "--set", "context_length=32768", "--set", "context_length.note=32K variant")
    assert result.stdout == ("Updated gpt-4 (now a user copy of the curated model: data refreshes will not "
                             "change it)\n")
    path = data_copy / "models" / "fixture.yaml"
    path.write_text(path.read_text().replace("name: GPT-4\n", "name: GPT-4 (renamed upstream)\n"))
    detail = json.loads(run("show", "gpt-4", "--format", "json").stdout)
    assert detail["origin"] == "user"
    assert detail["name"] == "GPT-4"
    assert detail["facts"]["context_length"]["value"] == 32768
    assert detail["facts"]["params"]["status"] == "unpublished"


@pytest.mark.parametrize(("settings", "message"), [
    (["params=lots"], "'lots' is not a number"),
    (["colour=red"], "--set 'colour': unknown field"),
    (["params"], "--set 'params': write FIELD=VALUE"),
    (["params.status=rumoured"],
     "Input should be 'reported', 'nominal', 'estimated', 'derived', 'unpublished' or 'user'"),
    (["arch=decoder"], "'decoder' is not a valid architecture"),
])
def test_edit_errors_change_nothing(run, db, ready, settings, message):
    args = [x for s in settings for x in ("--set", s)]
    result = run("edit", "llama-7b", *args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert snapshot(db) == ready


def test_remove(run, user_file):
    run("add", str(user_file))
    assert run("remove", "lab-small", "--yes").stdout == "Removed lab-small\n"
    assert run("remove", "llama-7b", "--yes").stderr == (
        "Error: 'llama-7b' is a curated model (from the packaged data) and cannot be removed; only models "
        "you added can be\n")
    assert run("remove", "lab-small", "--yes").stderr.startswith("Error: no model named 'lab-small'")
    assert run("remove", "lab-ft-7b", input="n\n").stdout == "Remove lab-ft-7b? [y/N]: n\nNothing removed.\n"


def test_remove_parent_refused(run, user_file, tmp_path):
    run("add", str(user_file))
    child = tmp_path / "child.yaml"
    child.write_text("models:\n  - {id: lab-child, name: Lab Child, org: meta, source: lab-report, "
                     "parents: [{model: lab-ft-7b, relation: merge}]}\n")
    assert run("add", str(child)).exit_code == 0
    result = run("remove", "lab-ft-7b", "--yes")
    assert result.stderr == "Error: 'lab-ft-7b' is the parent of lab-child; remove or re-parent those first\n"


def test_hostile_text_is_stored_verbatim(run):
    name = "Robert'); DROP TABLE models;-- <script>alert(1)</script> \"quoted\""
    result = run("add", "--id", "hostile", "--name", name, "--org", "meta", "--note", "<img src=x onerror=alert(1)>",
                 "--source-url", "https://example.org/h")
    assert result.exit_code == 0, result.output
    detail = json.loads(run("show", "hostile", "--format", "json").stdout)
    assert detail["name"] == name and detail["note"] == "<img src=x onerror=alert(1)>"
    assert run("list", "--search", "DROP TABLE", "--format", "csv", "--columns", "id").stdout == "id\nhostile\n"
    assert run("stats", "--format", "json").exit_code == 0


def test_export_import_round_trip(run, db, user_file, tmp_path, monkeypatch):
    run("add", str(user_file))
    run("edit", "lab-ft-7b", "--set", "train_tokens.note=from the blog")
    for fmt in ("csv", "json", "jsonl"):
        out = tmp_path / f"user.{fmt}"
        assert run("export", "--origin", "user", "-o", str(out)).exit_code == 0
        other = str(tmp_path / f"other-{fmt}.db")
        runner = CliRunner()
        monkeypatch.setenv("LLMZOO_DB", other)
        imported = runner.invoke(cli, ["import", str(out)])
        assert imported.exit_code == 0, imported.output
        again = tmp_path / f"again.{fmt}"
        assert runner.invoke(cli, ["export", "--origin", "user", "-o", str(again)]).exit_code == 0
        assert again.read_text() == out.read_text()
        monkeypatch.setenv("LLMZOO_DB", db)


def test_import_dry_run_and_conflicts(run, db, user_file, tmp_path):
    run("add", str(user_file))
    out = tmp_path / "u.csv"
    run("export", "--origin", "user", "-o", str(out))
    before = snapshot(db)
    assert run("import", str(out), "--dry-run", "--on-conflict", "update").stdout.startswith(
        f"Dry run: {out}: would add 0 models, would update 0, skipped 0, unchanged 2")
    assert run("import", str(out)).stderr.startswith("Error: 2 conflicts:")
    assert snapshot(db) == before


@pytest.mark.parametrize(("content", "message"), [
    ("", "no models read (the file is empty); expected a header row"),
    ("id,name\nx,X\n", "missing columns org, source"),
    ('id,name,org,source\n"x,X,meta,brown2020gpt3\n', "malformed CSV"),
    ("id,name,org,source\nx,X,meta\n", "3 fields where the header has 4"),
    ("id,name,org,source,params\nx,X,meta,brown2020gpt3,7Q\n", "bad.csv:2 (x): params: '7Q' has an unknown unit 'Q'"),
    ("id,name,org,source,params,params_source\nx,X,meta,brown2020gpt3,7B,https://nowhere.example/p\n",
     "params_source: source 'https://nowhere.example/p' is not in the catalogue"),
    ("\xff\xfe garbage", "not UTF-8 text"),
])
def test_malformed_csv(run, db, ready, tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content.encode("latin-1") if "\xff" in content else content.encode())
    result = run("import", str(path))
    assert result.exit_code == 1
    assert message in result.stderr, result.stderr
    assert snapshot(db) == ready


@pytest.mark.parametrize(("name", "content", "message"), [
    ("bad.json", "{not json", "invalid JSON"),
    ("obj.json", '{"id": "x"}', "a JSON export is a list of model objects"),
    ("bad.jsonl", '{"id": "x", "name": "X", "org": "meta", "source": "brown2020gpt3"}\n[1]\n',
     "record 2: expected an object"),
    ("m.txt", "id\n", "cannot tell the format from the extension"),
])
def test_malformed_json(run, db, ready, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    result = run("import", str(path))
    assert result.exit_code == 1
    assert message in result.stderr
    assert snapshot(db) == ready


def test_backup_and_restore(run, db, user_file, tmp_path):
    run("add", str(user_file))
    copy = tmp_path / "backup.db"
    assert run("db", "backup", str(copy)).stdout == f"Backed up 9 models to {copy}\n"
    assert run("db", "backup", str(copy)).stderr == (f"Error: {copy} exists; choose another file or pass --force "
                                                     "to replace it\n")
    before = snapshot(db)
    run("remove", "lab-small", "--yes")
    assert snapshot(db) != before
    assert run("db", "restore", str(copy), "--yes").stdout == f"Restored 9 models from {copy}\n"
    assert snapshot(db) == before
    garbage = tmp_path / "garbage.db"
    garbage.write_text("nope" * 100)
    result = run("db", "restore", str(garbage), "--yes")
    assert result.exit_code == 1
    assert snapshot(db) == before

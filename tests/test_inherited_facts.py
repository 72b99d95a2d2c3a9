"""Inherited facts and the context window through the CLI: a fine-tune shows its parent's network
facts (status inherited), computed again after every write, never stored as stated."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

from sqlalchemy import select

from catalog.store.db import make_engine
from catalog.store.schema import ComputedFact, ModelFact
from tests.conftest import FIXTURE_DATA, table_rows

LAYERS = {"value": 32, "source": "touvron2023llama", "status": "inherited", "method": None, "confidence": None,
          "note": None, "inherited_from": "llama-7b"}


def facts(run, model: str) -> dict:
    result = run("show", model, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["facts"]


def test_fine_tune_inherits_the_network_not_the_training(run):
    alpaca = facts(run, "alpaca-7b")
    assert alpaca["layers"] == LAYERS
    assert alpaca["pretrain_tokens"] == {**LAYERS, "value": 1e12}
    assert {name: alpaca[name]["status"] for name in ("d_model", "heads", "position_encoding", "context_length")} \
        == dict.fromkeys(("d_model", "heads", "position_encoding", "context_length"), "inherited")
    assert "train_tokens" not in alpaca and "license" not in alpaca and "open_weights" not in alpaca
    assert alpaca["params"]["status"] == "derived"  # its own stated value wins
    assert alpaca["context_window"] == {"value": 2048, "source": "touvron2023llama", "status": "derived",
                                        "method": "context_length", "confidence": None, "note": None}
    assert "layers" not in facts(run, "llama-7b") or facts(run, "llama-7b")["layers"]["status"] == "reported"


def test_table_marks_inherited_values(run):
    result = run("list", "--columns", "id,layers,d_model,context_window", "--search", "alpaca")
    assert result.stdout == (
        "id         layers  d_model  context\n"
        "---------  ------  -------  -------\n"
        "alpaca-7b     ^32    ^4096    =2048\n"
        "~ estimated, = derived, ^ inherited from the parent, c. nominal (size from the name), n/d not disclosed "
        "(see `llmzoo show MODEL` for sources)\n")


def test_chains_edits_and_relations_that_keep_nothing(run, db):
    added = run("add", "--id", "alpaca-ft", "--name", "Alpaca FT", "--org", "stanford", "--parent",
                "alpaca-7b:fine-tune", "--source-url", "https://example.org/ft")
    assert added.exit_code == 0, added.output
    distilled = run("add", "--id", "tiny-llama", "--name", "Tiny", "--org", "stanford", "--parent",
                    "llama-7b:distillation", "--source-url", "https://example.org/tiny")
    assert distilled.exit_code == 0, distilled.output
    assert facts(run, "alpaca-ft")["layers"] == LAYERS  # through the chain, from the model that states it
    assert "layers" not in facts(run, "tiny-llama")

    edited = run("edit", "llama-7b", "--set", "layers=33", "--set", "layers.note=checked")
    assert edited.exit_code == 0, edited.output
    assert facts(run, "alpaca-ft")["layers"] == {**LAYERS, "value": 33, "note": "checked", "source": "user-edit"}
    own = run("edit", "alpaca-7b", "--set", "layers=40", "--set", "layers.note=a deeper variant")
    assert own.exit_code == 0, own.output
    assert facts(run, "alpaca-7b")["layers"] == {"value": 40, "source": "user-edit", "status": "user",
                                                 "method": None, "confidence": None, "note": "a deeper variant"}
    assert facts(run, "alpaca-ft")["layers"]["inherited_from"] == "alpaca-7b"
    removed = run("edit", "alpaca-7b", "--set", "layers=")
    assert removed.exit_code == 0, removed.output
    assert facts(run, "alpaca-ft")["layers"] == {**LAYERS, "value": 33, "note": "checked", "source": "user-edit"}

    engine = make_engine(db)
    with engine.connect() as conn:  # nothing computed is stored as stated
        stated = conn.execute(select(ModelFact.field).where(ModelFact.model_id == "alpaca-ft")).scalars().all()
        computed = conn.execute(select(ComputedFact.field).where(ComputedFact.model_id == "alpaca-ft")
                                .order_by(ComputedFact.field)).scalars().all()
    engine.dispose()
    assert "layers" not in stated
    assert "layers" in computed and "pretrain_tokens" in computed


def test_export_carries_inherited_and_import_recomputes(run, db, tmp_path: Path):
    run("add", "--id", "alpaca-ft", "--name", "Alpaca FT", "--org", "stanford", "--parent", "alpaca-7b:fine-tune",
        "--source-url", "https://example.org/ft")
    out = tmp_path / "mine.csv"
    exported = run("export", "--origin", "user", "-o", str(out))
    assert exported.exit_code == 0, exported.output
    row = next(csv.DictReader(io.StringIO(out.read_text())))
    assert (row["layers"], row["layers_status"], row["layers_inherited_from"]) == ("32", "inherited", "llama-7b")
    assert row["layers_source"] == "https://arxiv.org/abs/2302.13971"
    assert set(row["computed_facts"].split(",")) >= {"layers", "context_window", "pretrain_tokens"}

    other = str(tmp_path / "other.db")
    imported = run("--db", other, "import", str(out))
    assert imported.exit_code == 0, imported.output
    assert json.loads(run("--db", other, "show", "alpaca-ft", "--format", "json").stdout) == \
        json.loads(run("show", "alpaca-ft", "--format", "json").stdout)
    engine = make_engine(other)
    with engine.connect() as conn:
        assert conn.execute(select(ModelFact.field).where(ModelFact.model_id == "alpaca-ft")).all() == []
    engine.dispose()


def test_validate_asks_for_a_note_where_a_child_differs(tmp_path: Path, run):
    data = tmp_path / "data"
    shutil.copytree(FIXTURE_DATA, data)
    path = data / "models" / "fixture.yaml"
    path.write_text(path.read_text().replace("    params: {value: 6.7B, status: derived",
                                             "    layers: 40\n    params: {value: 6.7B, status: derived"))
    result = run("validate", str(data))
    assert result.exit_code == 0
    assert result.stderr == (
        "warning: data/models/fixture.yaml:83: alpaca-7b: layers: 40 differs from 32 of its parent 'llama-7b' "
        "(instruction-tune, which keeps the network); add layers.note saying what changed, or drop layers to "
        "inherit it\n")
    path.write_text(path.read_text().replace("    layers: 40\n", "    layers: {value: 40, note: deeper}\n"))
    assert run("validate", str(data)).stderr == ""


def test_context_window_filters(run):
    result = run("list", "--min-context", "4K", "--format", "csv", "--columns", "id,context_window")
    assert result.stdout == "id,context_window\ngpt-4,8192\n"
    result = run("list", "--max-context", "1K", "--format", "csv", "--columns", "id,context_window")
    assert result.stdout == "id,context_window\nt5-11b,512\n"
    bad = run("list", "--min-context", "lots")
    assert bad.exit_code == 1
    assert bad.stderr.startswith("Error: --min-context: 'lots' is not a number")


def test_context_sizes_are_exact_integers(run, db):
    run("list")
    before = table_rows(db)
    result = run("edit", "gpt-4", "--set", "context_length=32k")
    assert result.exit_code == 1
    assert result.stderr == ("Error: 1 problem:\n  --set context_length: '32k' is not an exact number of "
                             "tokens; write the exact integer the source gives (32768, not 32k or 32K)\n")
    assert table_rows(db) == before
    assert run("edit", "gpt-4", "--set", "context_length=32768").exit_code == 0
    assert facts(run, "gpt-4")["context_length"]["value"] == 32768


def test_context_size_with_a_suffix_in_a_file_is_refused(tmp_path: Path, run):
    data = tmp_path / "data"
    shutil.copytree(FIXTURE_DATA, data)
    path = data / "models" / "fixture.yaml"
    path.write_text(path.read_text().replace("    context_length: 8192\n", "    context_length: 8k\n"))
    result = run("validate", str(data))
    assert result.exit_code == 1
    assert result.stderr == ("Error: 1 problem:\n  data/models/fixture.yaml:95: models[6] (gpt-4).context_length: "
                             "'8k' is not an exact number of tokens; write the exact integer the source gives "
                             "(32768, not 32k or 32K)\n")


def test_list_json_carries_each_facts_status_and_parent(run):
    result = run("list", "--format", "json", "--columns", "id,layers,released,license,context_window",
                 "--search", "alpaca")
    assert json.loads(result.stdout) == [{
        "id": "alpaca-7b", "layers": 32, "layers_status": "inherited", "layers_inherited_from": "llama-7b",
        "released": "2023-03-13", "released_status": "reported", "license": None, "license_status": None,
        "context_window": 2048, "context_window_status": "derived", "context_window_inherited_from": None}]


def test_a_curated_refresh_rederives_user_children_and_records_only_stated_changes(run, db, data_copy: Path):
    added = run("add", "--id", "my-ft", "--name", "My FT", "--org", "stanford", "--parent", "llama-7b:fine-tune",
                "--source-url", "https://example.org/ft")
    assert added.exit_code == 0, added.output
    models = data_copy / "models" / "fixture.yaml"
    text = models.read_text()
    assert text.count("    layers: 32\n") == 1
    models.write_text(text.replace("    layers: 32\n", "    layers: {value: 33, note: erratum}\n"))
    new = {**LAYERS, "value": 33, "note": "erratum"}
    assert facts(run, "my-ft")["layers"] == new  # the first command refreshed, the user's child followed
    assert facts(run, "alpaca-7b")["layers"] == new
    report = json.loads(run("changes", "--format", "json").stdout)
    assert [(c["model"], c["field"], c["old"]["value"], c["new"]["value"]) for c in report["changes"]] == [
        ("llama-7b", "layers", 32, 33)]  # the inherited values are computed, not changes of stated facts


def test_columns_say_what_the_context_sizes_and_pre_training_mean(run):
    names = run("columns").stdout.splitlines()
    assert {"context_length", "context_window", "max_output_tokens", "pretrain_tokens"} <= set(names)
    described = {line.split()[0]: " ".join(line.split()[1:])
                 for line in run("columns", "--describe").stdout.splitlines()[2:]}
    assert described["context_length"] == "the sequence length the model was (pre-)trained with, exact tokens"
    assert described["context_window"].startswith("the longest input the released model accepts as its maker")
    assert described["pretrain_tokens"] == ("a derived model's pre-training tokens: its base's train_tokens, "
                                            "inherited (^)")
    assert list(described) == names
    assert "The `context` column is context_window" in run("list", "--help").stdout


def _computed_state(conn) -> tuple[list, list]:
    from catalog.rules.inheritance import FIELDS
    from catalog.store.schema import Model

    models = conn.execute(select(Model.id, *(getattr(Model, name) for name in FIELDS)).order_by(Model.id)).all()
    return [tuple(r) for r in models], sorted(tuple(r) for r in conn.execute(select(ComputedFact)).all())


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps({"org": "meta", "source": "touvron2023llama", **row}) + "\n" for row in rows))
    return path


def test_import_in_batches_computes_what_a_whole_rederive_does(run, db, tmp_path: Path, monkeypatch):
    """Children before their parent (a later batch), a chain, a replaced parent with stored children:
    the facts computed batch by batch are those a rederive of the whole catalogue gives."""
    import catalog.io.importing
    from catalog.rules.inheritance import rederive
    from catalog.store.db import writing

    monkeypatch.setattr(catalog.io.importing, "IMPORT_BATCH", 1)  # every row its own batch
    assert run("stats").exit_code == 0
    ft = {"model": "gen-base", "relation": "fine-tune"}
    first = _jsonl(tmp_path / "a.jsonl", [
        {"id": "gen-ft2", "name": "Gen FT2", "parents": [{"model": "gen-ft", "relation": "instruction-tune"}]},
        {"id": "gen-ft", "name": "Gen FT", "parents": [ft]},
        {"id": "gen-other", "name": "Gen Other", "parents": [{"model": "llama-7b", "relation": "fine-tune"}]},
        {"id": "gen-base", "name": "Gen Base", "layers": 24, "context_length": 4096, "params": 1e9,
         "train_tokens": 2e11}])
    assert run("import", str(first)).exit_code == 0
    engine = make_engine(db)
    with engine.connect() as conn:
        imported = _computed_state(conn)
    assert ("gen-ft2", "layers", "touvron2023llama", "inherited", None, None, None, "gen-base", "inherited") \
        in imported[1]
    second = _jsonl(tmp_path / "b.jsonl", [{"id": "gen-base", "name": "Gen Base", "layers": 48, "params": 1e9,
                                            "train_tokens": 2e11}])
    assert run("import", str(second), "--on-conflict", "update").exit_code == 0
    with engine.connect() as conn:
        updated = _computed_state(conn)
    assert ("gen-ft2", "layers", "touvron2023llama", "inherited", None, None, None, "gen-base", "inherited") \
        in updated[1]
    assert [m for m in updated[0] if m[0] == "gen-ft2"][0][1:] != [m for m in imported[0] if m[0] == "gen-ft2"][0][1:]
    with writing(engine) as conn:
        rederive(conn, None)
    with engine.connect() as conn:
        assert _computed_state(conn) == updated
    engine.dispose()

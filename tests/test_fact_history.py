"""Edits with their own source and note, the history of every fact change, revert, and a user copy
of a curated model shared through export/import: through the CLI, exact output, both backends."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.conftest import table_rows

WHEN = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def stamped(text: str) -> str:
    """The output with every timestamp set to one fixed time (same width)."""
    return WHEN.sub("2026-01-01T00:00:00Z", text)


def fact(run, model: str, field: str, db: str | None = None) -> dict:
    args = (["--db", db] if db else []) + ["show", model, "--format", "json"]
    return json.loads(run(*args).stdout)["facts"][field]


def test_edit_with_source_and_note_history_and_revert(run, db):
    edited = run("edit", "gpt-4", "--set", "context_length=32768", "--source-url", "https://example.org/gpt4-32k",
                 "--note", "the 32K variant")
    assert edited.exit_code == 0, edited.output
    assert edited.stdout == ("Updated gpt-4 (now a user copy of the curated model: data refreshes will not change "
                             "it)\n")
    assert fact(run, "gpt-4", "context_length") == {
        "value": 32768, "source": "example-org-gpt4-32k-0d16a6", "status": "reported", "method": None,
        "confidence": None, "note": "the 32K variant"}
    assert run("edit", "gpt-4", "--set", "context_length=16384").exit_code == 0
    assert stamped(run("history", "gpt-4").stdout) == (
        "when                  by    field           old                                  new\n"
        "--------------------  ----  --------------  -----------------------------------  "
        "-----------------------------------\n"
        "2026-01-01T00:00:00Z  edit  context_length  8192 (openai2023gpt4)                "
        "32768 (example-org-gpt4-32k-0d16a6)\n"
        "2026-01-01T00:00:00Z  edit  context_length  32768 (example-org-gpt4-32k-0d16a6)  *16384 (user-edit)\n")

    reverted = run("revert", "gpt-4", "context_length")
    assert reverted.exit_code == 0, reverted.output
    assert reverted.stdout == "Reverted gpt-4 context_length to 32768 (example-org-gpt4-32k-0d16a6)\n"
    assert fact(run, "gpt-4", "context_length")["note"] == "the 32K variant"
    assert stamped(run("history", "gpt-4", "context_length").stdout).splitlines()[-1] == (
        "2026-01-01T00:00:00Z  revert  context_length  *16384 (user-edit)                   "
        "32768 (example-org-gpt4-32k-0d16a6)")
    assert run("history", "gpt-4", "layers").stdout == "No recorded changes.\n"


def test_revert_and_history_errors_change_nothing(run, db):
    run("list")
    before = table_rows(db)
    nothing = run("revert", "gpt-4", "layers")
    assert (nothing.exit_code, nothing.stderr) == (
        1, "Error: gpt-4: layers has no recorded change to revert (see `llmzoo history gpt-4`)\n")
    unknown = run("revert", "gpt-4", "colour")
    assert unknown.exit_code == 1 and unknown.stderr.startswith("Error: 'colour' is not a fact; choose from: released,")
    bad_url = run("edit", "gpt-4", "--set", "layers=96", "--source-url", "not a url")
    assert bad_url.exit_code == 1 and bad_url.stderr.startswith("Error: 1 problem:\n  --source-url: 'not a url' is not")
    assert table_rows(db) == before


def test_user_copy_of_a_curated_model_imports_as_the_same_override(run, db, tmp_path: Path):
    run("edit", "gpt-4", "--set", "context_length=32768", "--source-url", "https://example.org/gpt4-32k")
    out = tmp_path / "mine.jsonl"
    assert run("export", "--origin", "user", "-o", str(out)).exit_code == 0
    other = str(tmp_path / "other.db")
    imported = run("--db", other, "import", str(out))
    assert imported.exit_code == 0, imported.output
    assert imported.stdout == (f"{out}: added 0 models, updated 1, skipped 0, unchanged 0, added 1 sources\n"
                               "  updated: gpt-4\n")
    assert fact(run, "gpt-4", "context_length", other) == fact(run, "gpt-4", "context_length")
    shown = json.loads(run("--db", other, "show", "gpt-4", "--format", "json").stdout)
    assert shown["origin"] == "user"
    assert stamped(run("--db", other, "history", "gpt-4").stdout).splitlines()[2] == (
        "2026-01-01T00:00:00Z  import  context_length  8192 (openai2023gpt4)  32768 (example-org-gpt4-32k-0d16a6)")
    again = run("--db", other, "import", str(out), "--on-conflict", "update")
    assert again.stdout == f"{out}: added 0 models, updated 0, skipped 0, unchanged 1\n"


def test_edit_without_a_source_is_the_users_own_value(run, db):
    """No --source-url: the value's source is `user-edit` and its status `user`, marked `*` in show, list
    and compare, and carried by export; the cited source of the curated value is never claimed."""
    assert run("edit", "gpt-4", "--set", "context_length.note=my guess", "--set", "context_length=16384").exit_code == 0
    assert fact(run, "gpt-4", "context_length") == {
        "value": 16384, "source": "user-edit", "status": "user", "method": None, "confidence": None,
        "note": "my guess"}
    assert run("edit", "gpt-4", "--set", "layers.value=120").exit_code == 0  # as --set layers=120
    assert (fact(run, "gpt-4", "layers")["source"], fact(run, "gpt-4", "layers")["status"]) == ("user-edit", "user")
    assert run("edit", "gpt-4", "--set", "layers=").exit_code == 0
    shown = run("show", "gpt-4").stdout
    assert "context length  *16384      user                      user-edit       my guess\n" in shown
    assert shown.endswith("  user-edit: user edit (no source given) <llmzoo:user-edit> (third-party)\n")
    assert run("list", "--search", "gpt-4", "--columns", "id,context_length").stdout == (
        "id     context_length\n"
        "-----  --------------\n"
        "gpt-4  *16384\n"
        "~ estimated, = derived, ^ inherited from the parent, c. nominal (size from the name), n/d not disclosed "
        "(see `llmzoo show MODEL` for sources); * set with `llmzoo edit` without a source\n")
    assert run("compare", "gpt-4", "gpt-3-175b").stdout.endswith(
        "(see `llmzoo show MODEL` for sources); * set with `llmzoo edit` without a source\n")
    listed = json.loads(run("list", "--search", "gpt-4", "--columns", "id,context_length", "--format", "json").stdout)
    assert listed == [{"id": "gpt-4", "context_length": 16384, "context_length_status": "user",
                       "context_length_inherited_from": None}]
    exported = json.loads(run("export", "--origin", "user", "--format", "jsonl", "-o", "-").stdout)
    assert (exported["context_length"], exported["context_length_status"], exported["context_length_source"]) == (
        16384, "user", "llmzoo:user-edit")
    out = Path(db).parent / "mine.jsonl" if "://" not in db else None
    if out is not None:  # into another catalogue: still the user's own value
        assert run("export", "--origin", "user", "-o", str(out)).exit_code == 0
        other = str(out.parent / "other.db")
        assert run("--db", other, "import", str(out)).exit_code == 0
        assert fact(run, "gpt-4", "context_length", other) == fact(run, "gpt-4", "context_length")
    assert stamped(run("history", "gpt-4").stdout).splitlines()[2] == (
        "2026-01-01T00:00:00Z  edit  context_length  8192 (openai2023gpt4)  *16384 (user-edit)")


def test_a_data_folder_cannot_state_a_user_value(data_copy):
    import yaml
    from click.testing import CliRunner

    from cli.main import cli

    path = data_copy / "models" / "mine.yaml"
    path.write_text(yaml.safe_dump({"models": [{"id": "mine-7b", "name": "Mine 7B", "org": "meta",
                                                "source": "touvron2023llama",
                                                "params": {"value": "7B", "status": "user"}}]}))
    result = CliRunner().invoke(cli, ["validate"])
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: 1 problem:\n  data/models/mine.yaml:2: mine-7b: params.status: 'user' is for values set with "
        "`llmzoo edit` without a source; in a data folder cite the source and write reported (or estimated, with "
        "a method)\n")


def refresh_data(data: Path) -> None:
    """The curated data of the next release: a fact changed, a provenance changed, a model added, one removed."""
    path = data / "models" / "fixture.yaml"
    text = path.read_text()
    glm = text[text.index("  - id: glm-130b"):text.index("  - id: llama-7b")]
    text = text.replace(glm, glm.replace("glm-130b", "glm-10b").replace("GLM-130B", "GLM-10B")
                        .replace("params: 130B", "params: 10B"))
    old = "    train_tokens: 1.0T\n    context_length: 2048\n    layers: 32\n"
    assert old in text
    text = text.replace(old, old.replace("1.0T", "1.4T").replace("layers: 32", "layers: {value: 32, note: Table 2}"))
    assert text.count("released: 2023-03-14") == 1
    text = text.replace("released: 2023-03-14", "released: 2023-03-15")  # gpt-4: the user's copy stays as it is
    path.write_text(text)


def data_version(run) -> str:
    return json.loads(run("db", "info", "--format", "json").stdout)["data_version"]


def test_changes_lists_what_a_curated_refresh_added_removed_and_changed(run, db, data_copy):
    assert run("edit", "gpt-4", "--set", "license=proprietary").exit_code == 0  # a user copy of a curated model
    first = data_version(run)
    assert re.fullmatch(r"\d[\w.]*\+[0-9a-f]{16}", first)
    assert run("changes").stdout == f"No curated changes in data {first}.\n"
    refresh_data(data_copy)
    assert run("list").exit_code == 0  # the first command after the data changed refreshes the catalogue
    second = data_version(run)
    assert second != first and second.split("+")[0] == first.split("+")[0]
    rows = (
        f"data{' ' * (len(second) - 2)}model     field         old                             new\n"
        f"{'-' * len(second)}  --------  ------------  ------------------------------  "
        "------------------------------------\n"
        f"{second}  glm-10b   model         -                               GLM-10B (zeng2022glm130b)\n"
        f"{second}  glm-130b  model         GLM-130B (zeng2022glm130b)      -\n"
        f"{second}  llama-7b  train_tokens  1T (touvron2023llama)           1.4T (touvron2023llama)\n"
        f"{second}  llama-7b  layers        32 (touvron2023llama); note: -  32 (touvron2023llama); note: Table 2\n")
    changed = run("changes")
    assert changed.exit_code == 0, changed.output
    assert changed.stdout == rows + (f"Curated changes in data {second} (was {first}): 1 model added, 1 removed, "
                                     "2 facts changed\n")
    assert run("changes", "--since", first).stdout == rows + (
        f"Curated changes since data {first}: 1 model added, 1 removed, 2 facts changed\n")
    assert run("changes", "--since", second).stdout == f"No curated changes since data {second}.\n"
    report = json.loads(run("changes", "--format", "json").stdout)
    assert (report["version"], report["from"], report["added"], report["removed"], report["changed"]) == (
        second, first, 1, 1, 2)
    assert report["changes"][2]["old"] == {"value": 1e12, "source": "touvron2023llama", "status": "reported",
                                           "method": None, "confidence": None, "note": None}
    assert stamped(run("history", "llama-7b", "train_tokens").stdout).splitlines()[2] == (
        f"2026-01-01T00:00:00Z  data {second}  train_tokens  1T (touvron2023llama)  1.4T (touvron2023llama)")
    assert json.loads(run("show", "gpt-4", "--format", "json").stdout)["facts"]["released"]["value"] == "2023-03-14"

    before = table_rows(db)
    unknown = run("changes", "--since", "0.0.1+0000000000000000")
    assert (unknown.exit_code, unknown.stdout) == (1, "")
    assert unknown.stderr == (f"Error: --since '0.0.1+0000000000000000': this catalogue never had that data version; "
                              f"its data versions: {first}, {second} (see `llmzoo db info`)\n")
    assert table_rows(db) == before


def test_edit_cites_a_catalogued_source_by_id(run, db):
    cited = run("edit", "alpaca-7b", "--set", "layers=32", "--source", "touvron2023llama", "--note", "Table 2")
    assert cited.exit_code == 0, cited.output
    assert fact(run, "alpaca-7b", "layers") == {"value": 32, "source": "touvron2023llama", "status": "reported",
                                                "method": None, "confidence": None, "note": "Table 2"}
    before = table_rows(db)
    unknown = run("edit", "alpaca-7b", "--set", "layers=33", "--source", "touvron2023")
    assert (unknown.exit_code, unknown.stderr) == (
        1, "Error: --source 'touvron2023': no such source (did you mean touvron2023llama?); give the id of a "
           "catalogued source, or --source-url URL\n")
    both = run("edit", "alpaca-7b", "--set", "layers=33", "--source", "touvron2023llama", "--source-url",
               "https://example.org/x")
    assert both.exit_code == 2 and "give --source-url URL or --source ID, not both" in both.stderr
    assert table_rows(db) == before

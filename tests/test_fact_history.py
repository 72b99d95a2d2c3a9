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
        "2026-01-01T00:00:00Z  edit  context_length  32768 (example-org-gpt4-32k-0d16a6)  16384 (openai2023gpt4)\n")

    reverted = run("revert", "gpt-4", "context_length")
    assert reverted.exit_code == 0, reverted.output
    assert reverted.stdout == "Reverted gpt-4 context_length to 32768 (example-org-gpt4-32k-0d16a6)\n"
    assert fact(run, "gpt-4", "context_length")["note"] == "the 32K variant"
    assert stamped(run("history", "gpt-4", "context_length").stdout).splitlines()[-1] == (
        "2026-01-01T00:00:00Z  revert  context_length  16384 (openai2023gpt4)               "
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

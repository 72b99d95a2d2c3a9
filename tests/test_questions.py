"""The literature's questions (issue 17): computed sort keys, datasets, compare, SQL, fitted output."""

from __future__ import annotations

import csv
import io

import pytest

from tests.conftest import table_rows


def ids(output: str) -> list[str]:
    return [row["id"] for row in csv.DictReader(io.StringIO(output))]


@pytest.mark.parametrize(("sort", "expected"), [
    ("-chinchilla_ratio", ["llama-7b", "llama-65b", "glm-130b", "gpt-3-175b", "alpaca-7b", "gpt-4", "t5-11b"]),
    ("tokens_per_param", ["gpt-3-175b", "glm-130b", "llama-65b", "llama-7b", "alpaca-7b", "gpt-4", "t5-11b"]),
    ("-compute", ["llama-65b", "gpt-3-175b", "glm-130b", "llama-7b", "alpaca-7b", "gpt-4", "t5-11b"]),
])
def test_list_sorts_by_computed_columns(run, sort, expected):
    result = run("list", "--sort", sort, "--format", "csv", "--columns", "id")
    assert result.exit_code == 0
    assert ids(result.stdout) == expected


def test_list_computed_sort_then_limit(run):
    result = run("list", "--sort", "-chinchilla_ratio", "--limit", "2", "--format", "csv",
                 "--columns", "id,tokens_per_param")
    assert result.stdout == "id,tokens_per_param\nllama-7b,149.2537313432836\nllama-65b,21.47239263803681\n"


def test_export_refuses_computed_sort_before_writing(run, tmp_path):
    target = tmp_path / "out.csv"
    result = run("export", "-o", str(target), "--sort", "compute")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Error: --sort: 'compute' is computed, not stored: "
                                    "`llmzoo list --sort compute` sorts by it; here choose a stored column: id,")
    assert not target.exists()


def test_export_without_output_writes_stdout(run):
    result = run("export", "--format", "jsonl")
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 7

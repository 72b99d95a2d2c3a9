"""Bad evaluation results are refused through every path that writes them, the database unchanged:
a score outside its metric's range, an unknown benchmark, an unknown model, a missing setting.

Paths: `llmzoo add FILE.yaml`, `llmzoo evals import` (JSON and CSV exports), and the curated load of
data/evals (any command opening the catalogue refreshes it). `validate` and `evals import --from
epoch` have their own tests (test_evals.py, test_import_epoch_benchmarks.py).
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
import yaml

from tests.conftest import table_rows

VOCABULARY = {
    "sources": [{"id": "hendrycks2020mmlu", "url": "https://arxiv.org/abs/2009.03300",
                 "title": "Measuring Massive Multitask Language Understanding", "kind": "paper"}],
    "benchmarks": [{"id": "mmlu", "name": "MMLU", "task_kind": "multi-task", "metric": "accuracy", "chance": 25,
                    "standard": {"shots": 5}, "source": "hendrycks2020mmlu"}],
}
GOOD = {"model": "llama-7b", "benchmark": "mmlu", "setting": {"shots": 5}, "score": 35.1,
        "evaluated_by": "developer", "source": "touvron2023llama", "locator": "Table 9"}
RANGE = ("score 135 is outside the range of accuracy (0..100, in percent); write the score as the source prints "
         "it (35.1 for 35.1%)")
BENCH = ("benchmark 'mmlu-pro' is not in the benchmark vocabulary; use an id from data/benchmarks.yaml "
         "(llmzoo evals benchmarks) or add it to a `benchmarks` section")
MODEL = "model 'llama-9b' does not exist; use the id of a catalogued model (llmzoo list --search NAME)"
# (change, message after a YAML file's location, message after an export's location)
CASES = {
    "score outside the range": ({"score": 135}, f"(llama-7b/mmlu): {RANGE}", f" (llama-7b/mmlu): {RANGE}"),
    "unknown benchmark": ({"benchmark": "mmlu-pro"}, f"(llama-7b/mmlu-pro): {BENCH}", f" (llama-7b/mmlu-pro): {BENCH}"),
    "unknown model": ({"model": "llama-9b"}, f"(llama-9b/mmlu): {MODEL}", f" (llama-9b/mmlu): {MODEL}"),
    "missing setting": ({"setting": None}, "(llama-7b/mmlu).setting: required field is missing",
                        ": setting.shots: required field is missing"),
}


def bad_result(change: dict) -> dict:
    return {k: v for k, v in {**GOOD, "locator": "Table 10", **change}.items() if v is not None}


@pytest.fixture
def vocabulary(data_copy: Path) -> Path:
    (data_copy / "benchmarks.yaml").write_text(yaml.safe_dump(VOCABULARY, sort_keys=False))
    return data_copy


@pytest.mark.parametrize("case", CASES)
def test_add_refuses_a_bad_result(vocabulary, run, db, engine, tmp_path, case):
    change, message, _ = CASES[case]
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump({"evals": [bad_result(change)]}, sort_keys=False))
    before = table_rows(db)
    out = run("add", str(path))
    assert out.exit_code == 1
    assert re.fullmatch(rf"Error: 1 problem:\n  {re.escape(str(path))}:\d+: evals\[0\] {re.escape(message)}\n",
                        out.stderr), out.stderr
    assert table_rows(db) == before


@pytest.mark.parametrize("case", CASES)
def test_json_import_refuses_a_bad_result(vocabulary, run, db, engine, tmp_path, case):
    change, _, message = CASES[case]
    path = tmp_path / "results.json"
    path.write_text(json.dumps([GOOD, bad_result(change)]))
    before = table_rows(db)
    out = run("evals", "import", str(path))
    assert out.exit_code == 1
    assert out.stderr == f"Error: 1 problem in {path}:\n  {path}: record 2{message}\n"
    assert table_rows(db) == before


@pytest.mark.parametrize("case", CASES)
def test_csv_import_refuses_a_bad_result(vocabulary, run, db, engine, tmp_path, case):
    change, _, message = CASES[case]
    bad = bad_result(change)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, ["model", "benchmark", "shots", "score", "evaluated_by", "source", "locator"])
    writer.writeheader()
    for row in (GOOD, bad):
        writer.writerow({**{k: v for k, v in row.items() if k != "setting"},
                         "shots": (row.get("setting") or {}).get("shots", "")})
    path = tmp_path / "results.csv"
    path.write_text(buf.getvalue())
    before = table_rows(db)
    out = run("evals", "import", str(path))
    assert out.exit_code == 1
    assert out.stderr == f"Error: 1 problem in {path}:\n  {path}:3{message}\n"
    assert table_rows(db) == before


@pytest.mark.parametrize("case", CASES)
def test_the_curated_load_refuses_a_bad_result_and_keeps_the_stored_catalogue(vocabulary, run, db, engine, case):
    change, message, _ = CASES[case]
    (vocabulary / "evals").mkdir()
    (vocabulary / "evals" / "good.yaml").write_text(yaml.safe_dump({"evals": [GOOD]}, sort_keys=False))
    assert run("evals").exit_code == 0  # the good result is loaded
    before = table_rows(db)
    assert len(before["evaluations"]) == 1
    (vocabulary / "evals" / "good.yaml").write_text(yaml.safe_dump({"evals": [bad_result(change)]}, sort_keys=False))
    out = run("evals")
    assert out.exit_code == 1
    assert out.stderr.startswith("Error: 1 problem in the curated data (run `llmzoo validate`):\n  ")
    assert out.stderr.endswith(f": evals[0] {message}\n")
    assert table_rows(db) == before

"""`llmzoo evals import --from epoch`: Epoch AI's Benchmarking Hub CSV files, on hand-written fixtures
in Epoch's layouts (tests/fixtures/epoch_benchmarks), on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
import yaml

from tests.conftest import table_rows

FIXTURES = Path(__file__).parent / "fixtures" / "epoch_benchmarks"
VOCABULARY = {
    "sources": [{"id": "hendrycks2020mmlu", "url": "https://arxiv.org/abs/2009.03300",
                 "title": "Measuring Massive Multitask Language Understanding", "kind": "paper"}],
    "benchmarks": [
        {"id": "mmlu", "name": "MMLU", "task_kind": "multi-task", "metric": "accuracy", "chance": 25,
         "standard": {"shots": 5}, "source": "hendrycks2020mmlu"},
        {"id": "gpqa", "name": "GPQA", "task_kind": "knowledge", "metric": "accuracy", "chance": 25,
         "source": "hendrycks2020mmlu"},
        {"id": "arc-challenge", "name": "ARC (Challenge set)", "task_kind": "reasoning", "metric": "accuracy",
         "chance": 25, "standard": {"shots": 0}, "source": "hendrycks2020mmlu"},
        {"id": "arc-easy", "name": "ARC (Easy set)", "task_kind": "reasoning", "metric": "accuracy", "chance": 25,
         "standard": {"shots": 0}, "source": "hendrycks2020mmlu"},
    ],
}
MMLU = str(FIXTURES / "mmlu_external.csv")
MMLU_REPORT = [
    f"{MMLU}: read 8 rows, benchmark mmlu",
    "  matched 5 scores of 5 catalogued models: glm-130b, gpt-3-175b, gpt-4, llama-65b, llama-7b",
    "  skipped 3:",
    "    model not in the catalogue: 1",
    "      line 6 (AquilaChat2 34B)",
    "    Model version and Name are different models: 1",
    "      line 9 (LLaMA-65B / LLaMA 7B): 'LLaMA-65B' is llama-65b; 'LLaMA 7B' is llama-7b",
    "    no score: 1",
    "      line 8 (LLaMA-65B / LLaMA 65B): EM is empty",
]


@pytest.fixture
def vocabulary(data_copy: Path) -> Path:
    (data_copy / "benchmarks.yaml").write_text(yaml.safe_dump(VOCABULARY, sort_keys=False))
    return data_copy


def user_results(run) -> list[dict[str, str]]:
    out = run("evals", "--format", "csv")
    assert out.exit_code == 0, out.output
    return [r for r in csv.DictReader(io.StringIO(out.stdout)) if r["origin"] == "user"]


def test_mmlu_scores_become_third_party_results_and_a_second_import_adds_nothing(vocabulary, run, db, engine):
    out = run("evals", "import", "--from", "epoch", MMLU)
    assert out.exit_code == 0, out.output
    assert out.stdout.splitlines() == [*MMLU_REPORT, "  added 5 results, unchanged 0 (third-party, evaluator "
                                                     "Epoch AI, source epoch-benchmarks-mmlu-external)"]
    rows = user_results(run)
    assert [(r["model"], r["benchmark"], r["score"], r["shots"], r["evaluated_by"], r["evaluator"], r["locator"])
            for r in rows] == [
        ("gpt-3-175b", "mmlu", "42.2", "", "third-party", "Epoch AI", "mmlu_external.csv, record recFixtureMmlu03"),
        ("glm-130b", "mmlu", "44.8", "5", "third-party", "Epoch AI", "mmlu_external.csv, record recFixtureMmlu08"),
        ("llama-65b", "mmlu", "63.4", "5", "third-party", "Epoch AI", "mmlu_external.csv, record recFixtureMmlu02"),
        ("llama-7b", "mmlu", "35.1", "5", "third-party", "Epoch AI", "mmlu_external.csv, record recFixtureMmlu01"),
        ("gpt-4", "mmlu", "86.4", "5", "third-party", "Epoch AI", "mmlu_external.csv, record recFixtureMmlu05"),
    ]
    assert {r["source_url"] for r in rows} == {"https://epoch.ai/data/benchmark_data.zip"}
    # the note keeps where Epoch took the score from, a shots cell that is no number, the source's name
    assert rows[0]["note"] == ("Epoch AI Benchmarking Hub, mmlu_external.csv; Epoch took it from Stanford CRFM "
                               "Leaderboard <https://crfm.stanford.edu/helm/classic/latest/>; shots as Epoch writes "
                               "them: 'few'; named 'davinci (175B)' by the source, 'davinci' by Epoch")
    assert rows[4]["note"] == ("Epoch AI Benchmarking Hub, mmlu_external.csv; Epoch took it from GPT-4 Technical "
                               "Report <https://arxiv.org/abs/2303.08774>; Epoch's notes: 5-shot; named 'GPT-4' by "
                               "the source, 'gpt-4-0314' by Epoch")
    before = table_rows(db)
    again = run("evals", "import", "--from", "epoch", MMLU)
    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines() == [*MMLU_REPORT, "  added 0 results, unchanged 5"]
    assert table_rows(db) == before


def test_a_dry_run_reports_and_writes_nothing(vocabulary, run, db, engine):
    before = table_rows(db)
    out = run("evals", "import", "--from", "epoch", MMLU, "--dry-run")
    assert out.exit_code == 0, out.output
    assert out.stdout.splitlines() == ["Dry run: " + MMLU_REPORT[0], *MMLU_REPORT[1:],
                                       "  would add 5 results, unchanged 0 (third-party, evaluator Epoch AI, source "
                                       "epoch-benchmarks-mmlu-external)"]
    assert table_rows(db) == before


def test_epoch_runs_and_two_score_columns(vocabulary, run):
    gpqa = run("evals", "import", "--from", "epoch", str(FIXTURES / "gpqa_diamond.csv"))
    assert gpqa.exit_code == 0, gpqa.output
    assert gpqa.stdout.splitlines()[1:] == [
        "  matched 1 score of 1 catalogued model: llama-65b",
        "  skipped 2:",
        "    model not in the catalogue: 2",
        "      line 2 (gpt-4-0314)",
        "      line 4 (claude-opus-4-5-20251101)",
        "  added 1 result, unchanged 0 (third-party, evaluator Epoch AI, source epoch-benchmarks-gpqa-diamond)"]
    arc = run("evals", "import", "--from", "epoch", str(FIXTURES / "arc_ai2_external.csv"))
    assert arc.stdout.splitlines()[0].endswith("arc_ai2_external.csv: read 2 rows, benchmark arc-challenge, arc-easy")
    assert arc.stdout.splitlines()[-3:] == [
        "    no score: 1", "      line 3 (LLaMA-65B / LLaMA 65B): Easy score is empty",
        "  added 3 results, unchanged 0 (third-party, evaluator Epoch AI, source epoch-benchmarks-arc-ai2-external)"]
    rows = user_results(run)
    assert [(r["model"], r["benchmark"], r["subset"], r["score"], r["shots"], r["locator"]) for r in rows] == [
        ("llama-65b", "arc-challenge", "", "56.2", "25", "arc_ai2_external.csv, record recFixtureArc02, "
                                                          "Challenge score"),
        ("llama-7b", "arc-challenge", "", "47.6", "0", "arc_ai2_external.csv, record recFixtureArc01, Challenge score"),
        ("llama-7b", "arc-easy", "", "72.8", "0", "arc_ai2_external.csv, record recFixtureArc01, Easy score"),
        ("llama-65b", "gpqa", "diamond", "28.5353535354", "", "gpqa_diamond.csv, record FixtureRun2"),
    ]
    assert rows[3]["note"] == ("Epoch AI Benchmarking Hub, gpqa_diamond.csv; run by Epoch AI, Best score (across "
                               "scorers) (log: https://logs.epoch.ai/inspect-viewer/fixture/viewer.html?log_file="
                               "run2.eval)")


def test_the_runs_file_names_the_benchmark_per_row(vocabulary, run):
    out = run("evals", "import", "--from", "epoch", str(FIXTURES / "benchmarks_runs.csv"))
    assert out.exit_code == 0, out.output
    assert out.stdout.splitlines()[1:] == [
        "  matched 1 score of 1 catalogued model: llama-65b",
        "  skipped 2:",
        "    benchmark not in the vocabulary: 2",
        "      line 3 (LLaMA-65B): task 'FrontierMath-2025-02-28-Private'",
        "      line 4 (LLaMA-7B): task 'MATH level 5'",
        "  added 1 result, unchanged 0 (third-party, evaluator Epoch AI, source epoch-benchmarks-benchmarks-runs)"]
    assert [(r["benchmark"], r["subset"], r["score"]) for r in user_results(run)] == [("gpqa", "diamond", "29.0")]


def test_a_file_of_an_unknown_benchmark_is_reported_and_skipped(vocabulary, run, db, engine):
    before = table_rows(db)
    path = str(FIXTURES / "frontiermath.csv")
    out = run("evals", "import", "--from", "epoch", path)
    assert out.exit_code == 0, out.output
    assert out.stdout.splitlines() == [f"{path}: read 1 row, no known benchmark", "  skipped 1:",
                                       "    benchmark not in the vocabulary: 1",
                                       "      line 2 (LLaMA-65B): file frontiermath.csv",
                                       "  added 0 results, unchanged 0"]
    assert table_rows(db) == before


def test_the_source_url_is_cited_and_must_stay_the_same(vocabulary, run, db, engine):
    url = "https://example.org/benchmark_data-2026-01-05.zip"
    out = run("evals", "import", "--from", "epoch", MMLU, "--source-url", url)
    assert out.exit_code == 0, out.output
    assert {r["source_url"] for r in user_results(run)} == {url}
    before = table_rows(db)
    other = run("evals", "import", "--from", "epoch", MMLU, "--source-url", "https://example.org/other.zip")
    assert other.exit_code == 1
    assert other.stderr == (f"Error: 1 problem in {MMLU}:\n  {MMLU}: source 'epoch-benchmarks-mmlu-external' "
                            f"already exists with another URL or title ({url}); import with the same --source-url, "
                            "or remove the earlier results\n")
    bad = run("evals", "import", "--from", "epoch", MMLU, "--source-url", "not a url")
    assert bad.exit_code == 1
    assert bad.stderr == f"Error: 1 problem in {MMLU}:\n  --source-url: 'not a url' is not an http(s) URL\n"
    assert table_rows(db) == before


def _bad_copy(tmp_path: Path, replacements: list[tuple[str, str]]) -> Path:
    path = tmp_path / "epoch" / "mmlu_external.csv"
    path.parent.mkdir()
    text = (FIXTURES / "mmlu_external.csv").read_text()
    for old, new in replacements:
        assert old in text
        text = text.replace(old, new)
    path.write_text(text)
    return path


def test_bad_scores_are_listed_with_file_and_line_and_nothing_is_written(vocabulary, run, db, engine, tmp_path):
    path = _bad_copy(tmp_path, [(",0.351,", ",35.1,"), (",0.448,", ",n/a%,")])
    before = table_rows(db)
    out = run("evals", "import", "--from", "epoch", str(path))
    assert out.exit_code == 1
    assert out.stderr == (
        f"Error: 2 problems in {path}:\n"
        f"  {path}:2: EM: '35.1' is not a score; Epoch writes scores as fractions from 0 to 1 (0.77 for 77%): fix "
        "the cell or delete the row\n"
        f"  {path}:10: EM: 'n/a%' is not a score; Epoch writes scores as fractions from 0 to 1 (0.77 for 77%): fix "
        "the cell or delete the row\n")
    assert out.stdout == ""
    assert table_rows(db) == before


@pytest.mark.parametrize(("text", "message"), [
    ("", "{path}: the file is empty; expected a CSV file of Epoch AI's benchmark data with a header row "
         "(Model version, ...)"),
    ("Model,EM\nLLaMA-7B,0.3\n", "{path}:1: missing column `Model version`; expected the header of a CSV file of "
                                 "Epoch AI's benchmark data (https://epoch.ai/data/benchmark_data.zip, unzipped)"),
    ("Model version,Score\nLLaMA-7B,0.3\n", "{path}:1: missing score column `EM`; expected the header of Epoch AI's "
                                            "mmlu_external.csv"),
    ("Model version,EM\nLLaMA-7B,0.3,extra\n", "{path}:2: 3 fields where the header has 2; check the quoting of "
                                               "that row"),
    ('Model version,EM\n"LLaMA-7B,0.3\n', "{path}:2: malformed CSV: unexpected end of data; check the quoting of "
                                          "that row"),
])
def test_unreadable_files_are_refused(vocabulary, run, db, engine, tmp_path, text, message):
    path = tmp_path / "mmlu_external.csv"
    path.write_text(text)
    before = table_rows(db)
    out = run("evals", "import", "--from", "epoch", str(path))
    assert out.exit_code == 1
    assert out.stderr == f"Error: 1 problem:\n  {message.format(path=path)}\n"
    assert table_rows(db) == before


def test_usage_errors(vocabulary, run, tmp_path):
    shutil.copy(FIXTURES / "mmlu_external.csv", tmp_path / "x.csv")
    wrong = run("evals", "import", "--from", "epoch", str(tmp_path / "x.csv"), "--format", "json")
    assert wrong.exit_code == 2 and "--format is for --from export; an Epoch file is always CSV" in wrong.stderr
    url = run("evals", "import", str(tmp_path / "x.csv"), "--source-url", "https://example.org/x")
    assert url.exit_code == 2 and "--source-url is for --from epoch" in url.stderr
    missing = run("evals", "import", "--from", "epoch", str(tmp_path / "nope.csv"))
    assert missing.exit_code == 1 and missing.stderr == f"Error: 1 problem:\n  {tmp_path / 'nope.csv'}: no such file\n"


def test_newer_run_files_give_the_mean_over_runs(vocabulary, run, tmp_path):
    path = tmp_path / "gpqa_diamond.csv"
    path.write_text("Model version,mean_score,Best score (across scorers),Release date,stderr,id\n"
                    "LLaMA-65B,0.27,0.31,2023-02-24,0.03,FixtureMean1\n")
    out = run("evals", "import", "--from", "epoch", str(path))
    assert out.exit_code == 0, out.output
    [row] = user_results(run)
    assert (row["benchmark"], row["subset"], row["score"]) == ("gpqa", "diamond", "27.0")
    assert row["note"] == "Epoch AI Benchmarking Hub, gpqa_diamond.csv; run by Epoch AI, mean_score"


def test_a_parenthesis_is_dropped_only_for_a_setting_or_a_size_that_agrees(vocabulary, run, tmp_path):
    path = tmp_path / "mmlu_external.csv"
    path.write_text("Model version,EM,Name,Shots,id\n"
                    ",0.864,GPT-4 (8-shot),5,r1\n"          # a setting: GPT-4
                    ",0.439,davinci (175B),5,r2\n"          # a size that agrees with GPT-3 175B
                    ",0.26,GPT-3 (1.3B),5,r3\n"             # a size that does not: not GPT-3 175B
                    ",0.30,LLaMA 7B (dense),5,r4\n"         # a variant: never dropped
                    ",0.35,LLaMA 7B (20230224),5,r5\n")     # a release date: LLaMA 7B
    out = run("evals", "import", "--from", "epoch", str(path))
    assert out.exit_code == 0, out.output
    assert out.stdout.splitlines()[1:6] == [
        "  matched 3 scores of 3 catalogued models: gpt-3-175b, gpt-4, llama-7b",
        "  skipped 2:",
        "    model not in the catalogue: 2",
        "      line 4 (GPT-3 (1.3B))",
        "      line 5 (LLaMA 7B (dense))"]


def test_a_file_named_after_a_benchmark_is_read_with_that_benchmark_s_score_column(vocabulary, run, tmp_path):
    renamed = tmp_path / "MMLU.csv"
    shutil.copy(FIXTURES / "mmlu_external.csv", renamed)
    out = run("evals", "import", "--from", "epoch", str(renamed))
    assert out.exit_code == 0, out.output
    assert out.stdout.splitlines()[:2] == [f"{renamed}: read 8 rows, benchmark mmlu", MMLU_REPORT[1]]
    runs = tmp_path / "arc-challenge.csv"
    runs.write_text("Model version,Best score (across scorers),id\nLLaMA-7B,0.5,r1\n")
    assert run("evals", "import", "--from", "epoch", str(runs)).stdout.splitlines()[-1] == (
        "  added 1 result, unchanged 0 (third-party, evaluator Epoch AI, source epoch-benchmarks-arc-challenge)")

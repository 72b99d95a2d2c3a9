"""Evaluation results: loading and checks, `llmzoo evals`, `show`, `list --columns BENCH`, the import,
the capability chart, and the curated results themselves."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from cli.main import cli
from tests.conftest import REPO, table_rows

BENCHMARKS = {
    "sources": [{"id": "hendrycks2020mmlu", "url": "https://arxiv.org/abs/2009.03300",
                 "title": "Measuring Massive Multitask Language Understanding", "kind": "paper"}],
    "benchmarks": [
        {"id": "mmlu", "name": "MMLU", "task_kind": "multi-task", "metric": "accuracy", "chance": 25,
         "standard": {"shots": 5}, "source": "hendrycks2020mmlu", "aliases": ["MMLU"]},
        {"id": "gsm8k", "name": "GSM8K", "task_kind": "math", "metric": "accuracy", "chance": 0,
         "standard": {"shots": 8}, "source": "hendrycks2020mmlu"},
    ],
}


def result(model: str, score: float, **more) -> dict:
    return {"model": model, "benchmark": "mmlu", "setting": {"shots": 5}, "score": score,
            "evaluated_by": "developer", "source": "touvron2023llama", "locator": "Table 9", **more}


EVALS = [
    result("llama-7b", 35.1),
    result("llama-65b", 63.4),
    result("llama-7b", 26.2, evaluated_by="third-party", evaluator="Some lab", locator="Table 2",
           setting={"shots": 0}),
    result("gpt-3-175b", 43.9, evaluated_by="third-party", evaluator="Hendrycks et al.", source="hendrycks2020mmlu",
           locator="Table 1"),
]


@pytest.fixture
def eval_data(data_copy: Path) -> Path:
    """The fixture data plus a benchmark vocabulary and four MMLU results."""
    (data_copy / "benchmarks.yaml").write_text(yaml.safe_dump(BENCHMARKS, sort_keys=False))
    (data_copy / "evals").mkdir()
    (data_copy / "evals" / "mmlu.yaml").write_text(yaml.safe_dump({"evals": EVALS}, sort_keys=False))
    return data_copy


def test_evals_lists_every_result_side_by_side(eval_data, run):
    out = run("evals", "--benchmark", "MMLU", "--format", "csv")
    assert out.exit_code == 0, out.output
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [(r["model"], r["score"], r["shots"], r["evaluated_by"], r["evaluator"], r["locator"]) for r in rows] == [
        ("gpt-3-175b", "43.9", "5", "third-party", "Hendrycks et al.", "Table 1"),
        ("llama-65b", "63.4", "5", "developer", "", "Table 9"),
        ("llama-7b", "35.1", "5", "developer", "", "Table 9"),
        ("llama-7b", "26.2", "0", "third-party", "Some lab", "Table 2"),
    ]
    assert rows[0]["source_url"] == "https://arxiv.org/abs/2009.03300"
    assert rows[2]["metric"] == "accuracy" and rows[1]["cot"] == "false" and rows[1]["origin"] == "curated"


def test_evals_json_rows_carry_setting_and_source(eval_data, run):
    out = run("evals", "--model", "LLaMA 7B", "--by", "developer", "--format", "json")
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout) == [{
        "model": "llama-7b", "benchmark": "mmlu", "subset": None,
        "setting": {"shots": 5, "cot": False, "prompt": None, "decoding": None},
        "metric": "accuracy", "score": 35.1, "evaluated_by": "developer", "evaluator": None,
        "source": "touvron2023llama", "source_url": "https://arxiv.org/abs/2302.13971", "locator": "Table 9",
        "note": None, "origin": "curated"}]


def test_evals_table_and_list_filters(eval_data, run):
    out = run("evals", "--org", "openai")
    assert out.exit_code == 0, out.output
    assert out.stdout.splitlines()[2].split() == ["gpt-3-175b", "mmlu", "5-shot", "accuracy", "43.9", "third-party:",
                                                  "Hendrycks", "et", "al.", "hendrycks2020mmlu", "Table", "1"]
    assert len(out.stdout.splitlines()) == 3
    none = run("evals", "--benchmark", "gsm8k")
    assert none.exit_code == 0 and none.stdout == "" and none.stderr == "No results match these filters.\n"


def test_unknown_benchmark_is_refused(eval_data, run):
    out = run("evals", "--benchmark", "mmlu-pro")
    assert out.exit_code == 1
    assert out.stderr == "Error: --benchmark: unknown benchmark 'mmlu-pro'; choose from: gsm8k, mmlu\n"


def test_show_includes_results_with_setting_and_source(eval_data, run):
    out = run("show", "llama-7b")
    assert out.exit_code == 0, out.output
    text = out.stdout
    block = text[text.index("Evaluation results"):text.index("Sources:")].splitlines()
    assert block[0] == "Evaluation results (each as its source prints it; none averaged):"
    assert block[3].split() == ["mmlu", "5-shot", "accuracy", "35.1", "developer", "touvron2023llama", "Table", "9"]
    assert block[4].split() == ["mmlu", "0-shot", "accuracy", "26.2", "third-party:", "Some", "lab",
                                "touvron2023llama", "Table", "2"]
    detail = json.loads(run("show", "llama-7b", "--format", "json").stdout)
    assert [e["score"] for e in detail["evaluations"]] == [35.1, 26.2]


def test_show_lists_the_sources_results_cite(eval_data, run):
    text = run("show", "gpt-3-175b").stdout
    assert "  hendrycks2020mmlu: Measuring Massive Multitask Language Understanding " \
           "<https://arxiv.org/abs/2009.03300> (paper)" in text


def test_list_benchmark_column_takes_the_developer_result_in_the_standard_setting(eval_data, run):
    out = run("list", "--columns", "id,mmlu", "--format", "csv", "--sort", "id")
    assert out.exit_code == 0, out.output
    # gpt-3-175b has only a third-party result: no value rather than a borrowed one
    assert out.stdout == ("id,mmlu\nalpaca-7b,\nglm-130b,\ngpt-3-175b,\ngpt-4,\nllama-65b,63.4\nllama-7b,35.1\n"
                          "t5-11b,\n")
    table = run("list", "--columns", "id,mmlu", "--search", "llama", "--sort", "id")
    assert table.stdout.splitlines()[-1] == ("mmlu: the developer's own result in the benchmark's standard setting "
                                             "(see `llmzoo evals --benchmark B` for every result)")
    assert run("list", "--columns", "id,nosuch").exit_code == 1


@pytest.mark.parametrize(("change", "message"), [
    ({"score": 135.1}, "evals[0] (llama-7b/mmlu): score 135.1 is outside the range of accuracy (0..100, in percent); "
                       "write the score as the source prints it (35.1 for 35.1%)"),
    ({"benchmark": "mmlu-redux"}, "evals[0] (llama-7b/mmlu-redux): benchmark 'mmlu-redux' is not in the benchmark "
                                  "vocabulary; use an id from data/benchmarks.yaml (llmzoo evals benchmarks) or add "
                                  "it to a `benchmarks` section"),
    ({"model": "llama-9b"}, "evals[0] (llama-9b/mmlu): model 'llama-9b' does not exist; use the id of a catalogued "
                            "model (llmzoo list --search NAME)"),
])
def test_cross_record_problems_point_at_file_and_line(eval_data, change, message):
    bad = {**EVALS[0], **change}
    (eval_data / "evals" / "mmlu.yaml").write_text(yaml.safe_dump({"evals": [bad, *EVALS[1:]]}, sort_keys=False))
    out = CliRunner().invoke(cli, ["validate", str(eval_data)])
    assert out.exit_code == 1
    assert out.stderr == f"Error: 1 problem:\n  data/evals/mmlu.yaml:2: {message}\n"


@pytest.mark.parametrize(("change", "message"), [
    ({"setting": None}, "evals[0] (llama-7b/mmlu).setting: required field is missing"),
    ({"setting": {"cot": True}}, "evals[0] (llama-7b/mmlu).setting.shots: required field is missing"),
    ({"evaluated_by": "third-party"}, "evals[0] (llama-7b/mmlu): a third-party result needs `evaluator`: who ran it "
                                      "(e.g. \"Meta, Llama 2 paper\")"),
    ({"metric": "pass@1", "score": -1}, "evals[0] (llama-7b/mmlu): score -1 is outside the range of pass@1 "
                                        "(0..100, in percent); write the score as the source prints it (35.1 for "
                                        "35.1%)"),
    ({"score": "35.1%"}, "evals[0] (llama-7b/mmlu).score: '35.1%' is not a number; write the score as the source "
                         "prints it, in percent (35.1 for 35.1%)"),
    ({"stars": 5}, "evals[0] (llama-7b/mmlu).stars: unknown field; see data/README.md for the fields allowed here"),
])
def test_record_problems_point_at_file_and_line(eval_data, change, message):
    bad = {k: v for k, v in {**EVALS[0], **change}.items() if v is not None}
    (eval_data / "evals" / "mmlu.yaml").write_text(yaml.safe_dump({"evals": [bad]}, sort_keys=False))
    out = CliRunner().invoke(cli, ["validate", str(eval_data)])
    assert out.exit_code == 1
    assert out.stderr.startswith("Error: 1 problem:\n  data/evals/mmlu.yaml:")
    assert out.stderr.endswith(f": {message}\n")


def test_the_same_result_twice_is_refused(eval_data):
    twice = [json.loads(json.dumps(EVALS[0])) for _ in range(2)]  # copies: no YAML anchors
    (eval_data / "evals" / "mmlu.yaml").write_text(yaml.safe_dump({"evals": twice}, sort_keys=False))
    out = CliRunner().invoke(cli, ["validate", str(eval_data)])
    assert out.exit_code == 1
    assert out.stderr == ("Error: 1 problem:\n  data/evals/mmlu.yaml:10: evals[1] (llama-7b/mmlu): the same result is "
                          "already listed at data/evals/mmlu.yaml:2: evals[0] (llama-7b/mmlu); keep one\n")


def _export(run, tmp_path: Path, fmt: str) -> Path:
    out = run("evals", "--format", fmt)
    assert out.exit_code == 0, out.output
    path = tmp_path / f"results.{fmt}"
    path.write_text(out.stdout)
    return path


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl"])
def test_exported_results_import_into_another_catalogue(eval_data, run, tmp_path, fmt):
    path = _export(run, tmp_path, fmt)
    other = str(tmp_path / "other.db")
    runner = CliRunner()
    first = runner.invoke(cli, ["--db", other, "evals", "import", str(path)])
    assert first.exit_code == 0, first.output
    # the other catalogue has the same curated results: identical rows are not added twice
    assert first.stdout == "added 0 results, unchanged 4\n"
    text = path.read_text().replace("26.2", "27.5")
    changed = tmp_path / f"changed.{fmt}"
    changed.write_text(text)
    dry = runner.invoke(cli, ["--db", other, "evals", "import", str(changed), "--dry-run"])
    assert dry.stdout == "would add 1 results, unchanged 3\n"
    again = runner.invoke(cli, ["--db", other, "evals", "import", str(changed)])
    assert again.stdout == "added 1 results, unchanged 3\n"
    user = runner.invoke(cli, ["--db", other, "evals", "--model", "llama-7b", "--format", "csv"])
    assert [r["score"] for r in csv.DictReader(io.StringIO(user.stdout)) if r["origin"] == "user"] == ["27.5"]


def test_a_bad_import_changes_nothing(eval_data, run, tmp_path, db):
    path = _export(run, tmp_path, "csv")
    lines = path.read_text().splitlines()
    lines[1] = lines[1].replace("43.9", "143.9")
    lines[2] = lines[2].replace(",mmlu,", ",mmlu-pro,")
    lines.append(lines[3].replace(",5,", ",,").replace("35.1", "36.0"))
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n")
    before = table_rows(db)
    out = run("evals", "import", str(bad))
    assert out.exit_code == 1
    assert out.stderr == (
        f"Error: 3 problems in {bad}:\n"
        f"  {bad}:2: score 143.9 is outside the range of accuracy (0..100, in percent); write the "
        "score as the source prints it (35.1 for 35.1%)\n"
        f"  {bad}:6: setting.shots: required field is missing\n"
        f"  {bad}:3 (llama-65b/mmlu-pro): benchmark 'mmlu-pro' is not in the benchmark vocabulary; use an id from "
        "data/benchmarks.yaml (llmzoo evals benchmarks) or add it to a `benchmarks` section\n")
    assert table_rows(db) == before


def test_user_results_survive_a_curated_refresh_and_go_with_their_model(eval_data, run, tmp_path, db):
    from catalog.store.db import make_engine
    from catalog.store.writes import refresh_curated

    mine = tmp_path / "mine.yaml"
    mine.write_text(yaml.safe_dump({
        "models": [{"id": "my-ft-7b", "name": "My FT 7B", "org": "meta", "source": "touvron2023llama",
                    "parents": [{"model": "llama-7b", "relation": "fine-tune"}]}],
        "evals": [result("my-ft-7b", 40.0, locator="my report"), result("llama-7b", 36.0, locator="my run",
                                                                        evaluated_by="third-party", evaluator="me")],
    }, sort_keys=False))
    added = run("add", str(mine))
    assert added.exit_code == 0, added.output
    assert "added 2 evaluation results" in added.stdout
    engine = make_engine(db)
    assert refresh_curated(engine, force=True) is True
    engine.dispose()
    users = [r for r in csv.DictReader(io.StringIO(run("evals", "--format", "csv").stdout)) if r["origin"] == "user"]
    assert [(r["model"], r["score"]) for r in users] == [("llama-7b", "36.0"), ("my-ft-7b", "40.0")]
    assert run("remove", "my-ft-7b", "--yes").exit_code == 0
    left = run("evals", "--origin", "user", "--format", "csv").stdout
    assert [r["model"] for r in csv.DictReader(io.StringIO(left))] == []


def test_benchmarks_command_lists_the_vocabulary(eval_data, run):
    out = run("evals", "benchmarks", "--format", "csv")
    assert out.exit_code == 0, out.output
    assert out.stdout == ("id,name,task_kind,metric,chance,standard,part_of,results,source\n"
                          "gsm8k,GSM8K,math,accuracy,0,8-shot,,0,hendrycks2020mmlu\n"
                          "mmlu,MMLU,multi-task,accuracy,25,5-shot,,4,hendrycks2020mmlu\n")


def test_capability_chart_spec(eval_data, engine):
    from catalog.charts.capability import chart_capability

    spec = chart_capability(engine, ["mmlu"]).to_dict()
    layers = spec["layer"]
    points = [layer for layer in layers if layer["mark"]["type"] == "point"]
    # GPT-3's compute is its paper's figure (filled); LLaMA's is 6·N·D here (hollow)
    assert [layer["mark"]["filled"] for layer in points] == [True, False]
    assert points[0]["encoding"]["x"]["scale"]["type"] == "log"
    rules = [layer for layer in layers if layer["mark"]["type"] == "rule"]
    assert len(rules) == 1
    data = spec["datasets"]
    chance = [rows for rows in data.values() if rows and "chance" in rows[0]]
    assert chance[0][0]["chance"] == 25
    drawn = [row for rows in data.values() if rows and "score" in rows[0] for row in rows]
    # one point per model: the developer's 5-shot llama-7b result, not the 0-shot third-party one
    assert sorted((r["model"], r["score"], r["x_kind"], r["evaluated_by"]) for r in drawn) == [
        ("gpt-3-175b", 43.9, "reported", "third-party"), ("llama-65b", 63.4, "estimated", "developer"),
        ("llama-7b", 35.1, "estimated", "developer")]
    assert "Setting: mmlu: 5-shot, whole benchmark, accuracy. 3 results." in spec["title"]["subtitle"]


def test_capability_chart_places_a_fine_tune_by_its_pre_training(eval_data):
    """Alpaca's own stage is 25M tokens; its score goes with LLaMA 7B's pre-training (6·N·D, hollow)."""
    from catalog.charts.capability import capability_points
    from catalog.store.db import open_catalog

    models = eval_data / "models" / "fixture.yaml"
    text = models.read_text()
    assert text.count("    params: {value: 6.7B, status: derived") == 1
    models.write_text(text.replace("    params: {value: 6.7B, status: derived",
                                   "    train_tokens: 25M\n    params: {value: 6.7B, status: derived"))
    path = eval_data / "evals" / "mmlu.yaml"
    path.write_text(yaml.safe_dump({"evals": [*EVALS, result("alpaca-7b", 36.0, source="stanford-alpaca-blog")]}))
    points, _ = capability_points(open_catalog(), ["mmlu"])
    alpaca = next(p for p in points if p["model"] == "alpaca-7b")
    assert (alpaca["x"], alpaca["x_kind"]) == (pytest.approx(6 * 6.7e9 * 1e12), "estimated")


def test_capability_chart_small_multiples_and_params(eval_data, engine):
    from catalog.charts.capability import chart_capability

    spec = chart_capability(engine, ["mmlu", "gsm8k"], x="params").to_dict()
    assert len(spec["concat"]) == 1  # no gsm8k result: its panel is left out and the subtitle says so
    assert spec["title"]["subtitle"][-1].endswith("No result in the standard setting (not drawn): gsm8k.")
    assert spec["concat"][0]["layer"][0]["encoding"]["x"]["title"] == "parameters (log scale)"


def test_capability_chart_command(eval_data, run, tmp_path):
    out = run("chart", "capability", "--benchmark", "mmlu", "-o", str(tmp_path / "cap.json"))
    assert out.exit_code == 0, out.output
    assert json.loads((tmp_path / "cap.json").read_text())["title"]["text"] == "MMLU against training compute"
    bad = run("chart", "capability", "--benchmark", "gsm8k", "-o", str(tmp_path / "cap.svg"))
    assert bad.exit_code == 1
    assert bad.stderr == ("Error: no result of the selected models on gsm8k in its standard setting; "
                          "`llmzoo evals --benchmark ID` lists every result\n")
    assert not (tmp_path / "cap.svg").exists()


@pytest.mark.skipif(not (REPO / "data" / "benchmarks.yaml").exists(), reason="no packaged data")
def test_curated_results(monkeypatch, run):
    monkeypatch.delenv("LLMZOO_DATA")
    out = run("evals", "--benchmark", "mmlu", "--format", "csv")
    assert out.exit_code == 0, out.output
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert len(rows) >= 60
    assert all(r["source_url"].startswith("https://") and r["locator"] for r in rows)
    assert {r["evaluated_by"] for r in rows} == {"developer", "third-party"}
    gopher = [(r["score"], r["source"], r["locator"]) for r in rows if r["model"] == "gopher-280b"]
    assert ("60.0", "hoffmann2022chinchilla", "Table 6 (MMLU, average 5-shot accuracy over 57 tasks)") in gopher
    shown = run("show", "gopher-280b").stdout
    assert re.search(r"\nmmlu +5-shot +accuracy +60  developer +hoffmann2022chinchilla  Table 6", shown)


def test_control_characters_in_results_never_reach_the_terminal(eval_data, run):
    (eval_data / "evals" / "mmlu.yaml").write_text(yaml.safe_dump({"evals": [
        result("llama-7b", 35.1, locator="Table 9\x1b[2J", note="x")]}, sort_keys=False))
    for args in (("evals",), ("show", "llama-7b")):
        out = run(*args)
        assert out.exit_code == 0, out.output
        assert "\x1b" not in out.stdout and "Table 9\\x1b[2J" in out.stdout


def test_compare_shows_the_standard_result_of_each_model(eval_data, run):
    out = run("compare", "llama-65b", "llama-7b", "gpt-3-175b", "--format", "csv")
    assert out.exit_code == 0, out.output
    mmlu = [line for line in out.stdout.splitlines() if line.startswith("mmlu,")]
    # the developer's own 5-shot result; the third-party GPT-3 and 0-shot LLaMA 7B results are not standard
    assert mmlu == ["mmlu,63.4,35.1,"]
    json_out = json.loads(run("compare", "llama-65b", "llama-7b", "--format", "json").stdout)
    row = next(r for r in json_out["rows"] if r["fact"] == "mmlu")
    assert row["kind"] == "evaluation" and row["values"]["llama-7b"]["value"] == 35.1

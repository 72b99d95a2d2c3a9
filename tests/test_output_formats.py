"""Output formats everywhere: table, csv, tsv, json, jsonl (nl), markdown; --csv/--tsv/--json/--nl as in
sqlite-utils; --no-headers; `export` to stdout and `import -` from stdin."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from tests.test_evals import eval_data  # noqa: F401  (the fixture: four MMLU results)


@pytest.fixture
def run1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The CLI on one SQLite catalogue (rendering does not depend on the backend)."""
    monkeypatch.setenv("LLMZOO_DB", str(tmp_path / "catalog.store.db"))
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(cli, list(args), input=input, catch_exceptions=False)

    return invoke


LEGEND = ("~ estimated, = derived, ^ inherited from the parent, c. nominal (size from the name), n/d not disclosed "
          "(see `llmzoo show MODEL` for sources)")
LIST = ["list", "--columns", "id,params", "--sort", "params", "--limit", "3"]


@pytest.mark.parametrize("args, expected", [
    (["--format", "csv"], "id,params\nalpaca-7b,6700000000\nllama-7b,6700000000\nt5-11b,11000000000\n"),
    (["--csv"], "id,params\nalpaca-7b,6700000000\nllama-7b,6700000000\nt5-11b,11000000000\n"),
    (["--tsv"], "id\tparams\nalpaca-7b\t6700000000\nllama-7b\t6700000000\nt5-11b\t11000000000\n"),
    (["--csv", "--no-headers"], "alpaca-7b,6700000000\nllama-7b,6700000000\nt5-11b,11000000000\n"),
    (["--format", "tsv", "--no-headers"], "alpaca-7b\t6700000000\nllama-7b\t6700000000\nt5-11b\t11000000000\n"),
    (["--no-headers"], "alpaca-7b   =6.7B\nllama-7b     6.7B\nt5-11b        11B\n"),  # no legend either
    (["--format", "markdown"], "| id | params |\n| --- | --- |\n| alpaca-7b | =6.7B |\n| llama-7b | 6.7B |\n"
                               "| t5-11b | 11B |\n" + LEGEND + "\n"),
])
def test_list_formats(run1, args, expected):
    result = run1(*LIST, *args)
    assert result.exit_code == 0, result.output
    assert result.stdout == expected


@pytest.mark.parametrize("args", [["--nl"], ["--format", "nl"], ["--format", "jsonl"]])
def test_list_json_lines(run1, args):
    result = run1(*LIST, *args)
    assert result.stdout.split("\n")[0] == ('{"id": "alpaca-7b", "params": 6700000000.0, "params_status": "derived", '
                                           '"params_inherited_from": null}')
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["alpaca-7b", "llama-7b", "t5-11b"]
    assert json.loads(run1(*LIST, "--json").stdout) == [json.loads(line) for line in result.stdout.splitlines()]


@pytest.mark.parametrize("args, message", [
    (["--csv", "--json"], "--csv and --json ask for different formats; give one"),
    (["--tsv", "--format", "csv"], "--tsv and --format csv ask for different formats; give one"),
    (["--json", "--no-headers"], "--no-headers is for table, csv and tsv, not json"),
    (["--nl", "--no-headers"], "--no-headers is for table, csv and tsv, not jsonl"),
])
def test_format_option_errors(run1, args, message):
    result = run1(*LIST, *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.endswith(f"\nError: {message}\n")


def test_csv_shortcut_with_the_same_format_is_fine(run1):
    assert run1(*LIST, "--csv", "--format", "csv").stdout == run1(*LIST, "--format", "csv").stdout


def test_show_one_row_per_fact(run1):
    result = run1("show", "t5-11b", "--csv")
    assert result.stdout == (
        "fact,value,status,source,method,confidence,note\n"
        "released,2019-10,reported,raffel2019t5,,,\n"
        "arch,encoder-decoder,reported,raffel2019t5,,,\n"
        "params,11000000000,reported,raffel2019t5,,,\n"
        "context_length,512,reported,raffel2019t5,,,\n"
        "context_window,512,derived,raffel2019t5,context_length,,\n"
        "open_weights,true,reported,raffel2019t5,,,\n"
        "license,Apache-2.0,reported,raffel2019t5,,,\n")
    table = run1("show", "t5-11b", "--format", "table").stdout
    assert table.split("\n")[:3] == ["fact            value            status    source        method",
                                     "--------------  ---------------  --------  ------------  --------------",
                                     "released        2019-10          reported  raffel2019t5"]
    lines = run1("show", "t5-11b", "--nl").stdout.splitlines()
    assert json.loads(lines[2]) == {"fact": "params", "value": 11000000000.0, "status": "reported",
                                    "source": "raffel2019t5", "method": None, "confidence": None, "note": None}
    assert run1("show", "t5-11b").stdout.startswith("T5-11B  [t5-11b]\n")  # text stays the default


def test_stats_rows(run1):
    result = run1("stats", "--tsv")
    assert result.stdout.split("\n")[:3] == ["what\tkey\tcount", "models\t\t7", "datasets\t\t1"]
    assert "by_architecture\tencoder-decoder\t1" in result.stdout.split("\n")


def test_compare_tsv_and_markdown(run1):
    tsv = run1("compare", "llama-7b", "t5-11b", "--tsv").stdout.split("\n")
    assert tsv[:3] == ["fact\tllama-7b\tt5-11b", "name\tLLaMA 7B\tT5-11B", "org\tMeta AI\tGoogle"]
    assert run1("compare", "llama-7b", "t5-11b", "--no-headers").stdout.startswith("name  ")


def test_datasets_formats(run1):
    assert run1("datasets", "list", "--nl").stdout == (
        '{"id": "c4", "name": "Colossal Clean Crawled Corpus (C4)", "kind": "web", "tokens": null, '
        '"bytes": 750000000000.0, "documents": null, "languages": "en", "models": 2}\n')
    assert run1("datasets", "show", "c4", "--format", "table").stdout == (
        "model     name      share  epochs  tokens  source\n"
        "--------  --------  -----  ------  ------  ----------------\n"
        "t5-11b    T5-11B                           raffel2019t5\n"
        "llama-7b  LLaMA 7B  15.0%    1.06          touvron2023llama\n")
    assert run1("datasets", "show", "c4", "--tsv", "--no-headers").stdout == (
        "t5-11b\tT5-11B\t\t\t\traffel2019t5\nllama-7b\tLLaMA 7B\t0.15\t1.06\t\ttouvron2023llama\n")
    mix = run1("datasets", "mix", "llama-7b", "--csv").stdout
    assert mix.split("\n")[0] == "category,share,datasets"


def test_query_formats(run1):
    sql = "select id, params from models order by id limit 2"
    assert run1("query", sql, "--tsv", "--no-headers").stdout == "alpaca-7b\t6700000000\nglm-130b\t130000000000\n"
    assert run1("query", sql, "--nl").stdout == ('{"id": "alpaca-7b", "params": 6700000000.0}\n'
                                                '{"id": "glm-130b", "params": 130000000000.0}\n')


def test_coverage_and_scaling_formats(run1):
    coverage = run1("coverage", "--fields", "params,train_tokens", "--tsv").stdout.split("\n")
    assert coverage[:2] == ["id\tparams\ttrain_tokens", "t5-11b\treported\tmissing"]
    lines = run1("scaling", "optimal", "--compute", "5.76e23", "--nl").stdout.splitlines()
    assert [json.loads(line)["approach"] for line in lines] == [1, 2, 3]
    assert run1("scaling", "optimal", "--compute", "5.76e23", "--tsv", "--no-headers").stdout.startswith(
        "chinchilla\t1\t")


@pytest.mark.usefixtures("eval_data")
def test_evals_tsv_without_headers(run1):
    csv = run1("evals", "--csv").stdout
    tsv = run1("evals", "--tsv", "--no-headers").stdout
    assert len(csv.splitlines()) == 5
    assert tsv == "".join(line.replace(",", "\t") + "\n" for line in csv.splitlines()[1:])
    assert run1("evals", "--benchmark", "mmlu", "--model", "gpt-4", "--csv", "--no-headers").stdout == ""


def test_export_without_output_is_stdout_and_import_reads_stdin(run1, tmp_path: Path, monkeypatch):
    exported = run1("export", "--origin", "curated", "--arch", "encoder-decoder")
    assert exported.exit_code == 0
    assert exported.stdout.startswith("id,name,family,org,")
    assert exported.stderr == ""
    monkeypatch.setenv("LLMZOO_DB", str(tmp_path / "other.db"))
    mine = exported.stdout.replace("t5-11b,T5-11B,t5", "my-t5,My T5,t5", 1)
    imported = run1("import", "-", "--format", "csv", input=mine)
    assert imported.exit_code == 0, imported.output
    assert imported.stdout == "standard input: added 1 model, updated 0, skipped 0, unchanged 0\n  added: my-t5\n"
    listed = run1("list", "--origin", "user", "--csv", "--columns", "id,params")
    assert listed.stdout == "id,params\nmy-t5,11000000000\n"


@pytest.mark.parametrize("args, input, message", [
    (["import", "-"], "id\n", "Error: import -: give --format csv, json or jsonl; standard input has no file "
                              "extension to tell the format by"),
    (["import", "-", "--from", "epoch"], "", "Error: import -: standard input is read as an llmzoo export; "
                                            "--from epoch reads a file: give its path"),
])
def test_import_stdin_usage_errors(run1, args, input, message):
    result = run1(*args, input=input)
    assert result.exit_code == 2
    assert result.stderr.endswith("\n" + message + "\n")


def test_import_stdin_problems_name_stdin(run1):
    result = run1("import", "-", "--format", "csv", input="id,parms\nx,1\n")
    assert result.exit_code == 1
    assert result.stderr == ("Error: 2 problems:\n"
                             "  -:1: column 'parms' is not an llmzoo column; did you mean 'params'?\n"
                             "  -:1: missing columns name, org, source; the header must be the one `llmzoo export` "
                             "writes\n")


def test_history_and_changes_formats(run1):
    assert run1("edit", "t5-11b", "--set", "layers=24").exit_code == 0
    import csv
    import io

    rows = list(csv.reader(io.StringIO(run1("history", "t5-11b", "--tsv").stdout), delimiter="\t"))
    assert rows[0] == ["changed_at", "changed_by", "field", "old", "new"]
    assert rows[1][1:] == ["edit", "layers", "null", '{"value": 24, "source": "user-edit", "status": "user", '
                           '"method": null, "confidence": null, "note": null}']
    change = json.loads(run1("history", "t5-11b", "--nl").stdout)
    assert (change["field"], change["old"], change["new"]["value"]) == ("layers", None, 24)
    assert run1("history", "t5-11b").stdout.split("\n")[0].split() == ["when", "by", "field", "old", "new"]
    assert run1("changes", "--csv").stdout == "data,model,field,old,new\n"

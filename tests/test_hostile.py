"""Hostile input through the CLI: every case is a message, exit 1 and an unchanged database (issue 15)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import table_rows

SOURCE = "sources:\n  - {id: s1, url: 'https://example.org/x', title: X, kind: paper}\n"
MAX = "9,223,372,036,854,775,807"


@pytest.fixture
def ready(run, db):
    """A catalogue that exists (first use done), and a function telling whether it is unchanged."""
    assert run("stats").exit_code == 0
    before = table_rows(db)
    return lambda: table_rows(db) == before


def refused(result, message: str) -> None:
    assert (result.exit_code, result.stderr) == (1, message), result.output


def yaml_file(tmp_path: Path, model: str) -> Path:
    path = tmp_path / "m.yaml"
    path.write_text("models:\n  - {id: bad, name: Bad, org: meta, source: s1, " + model + "}\n" + SOURCE)
    return path


@pytest.mark.parametrize("date", ["2023-02-30", "0000-01-01", "2023-13-01"])
def test_unquoted_impossible_yaml_date(run, ready, tmp_path, date):
    path = yaml_file(tmp_path, f"released: {date}")
    refused(run("add", str(path)), f"Error: 1 problem:\n  {path}:2: models[0] (bad).released: '{date}' is not a "
                                   "real date\n")
    quoted = yaml_file(tmp_path, f"released: '{date}'")
    assert run("add", str(quoted)).stderr == f"Error: 1 problem:\n  {path}:2: models[0] (bad).released: '{date}' " \
                                             "is not a real date\n"
    assert ready()


EXACT = "is not an exact number of tokens; write the exact integer the source gives (32768, not 32k or 32K)"


def test_integers_beyond_the_database_range_in_yaml(run, ready, tmp_path):
    path = yaml_file(tmp_path, "context_length: 1e30, layers: 123456789012345678901234567890")
    refused(run("add", str(path)), "Error: 2 problems:\n"
            f"  {path}:2: models[0] (bad).context_length: '1e30' {EXACT}\n"
            f"  {path}:2: models[0] (bad).layers: 123456789012345678901234567890 is too large; a whole number here "
            f"is at most {MAX}\n")
    assert ready()


@pytest.mark.parametrize(("setting", "shown"), [("layers=123456789012345678901234567890",
                                                 "'123456789012345678901234567890' is too large; a whole number "
                                                 "here is at most {MAX}"),
                                                ("context_length=1e30", "'1e30' {EXACT}")])
def test_integers_beyond_the_database_range_in_edit(run, db, tmp_path, setting, shown):
    assert run("add", "--id", "mine", "--name", "Mine", "--org", "meta",
               "--source-url", "https://example.org/a").exit_code == 0
    before = table_rows(db)
    field = setting.split("=")[0]
    refused(run("edit", "mine", "--set", setting),
            f"Error: 1 problem:\n  --set {field}: {shown.format(MAX=MAX, EXACT=EXACT)}\n")
    assert table_rows(db) == before


def test_integers_beyond_the_database_range_in_jsonl(run, ready, tmp_path):
    path = tmp_path / "m.jsonl"
    path.write_text(json.dumps({"id": "big", "name": "Big", "org": "meta", "source": "brown2020gpt3",
                                "context_length": 1e30}) + "\n")
    refused(run("import", str(path)), f"Error: 1 problem:\n  {path}:1 (big): context_length: 1e+30 is too large; "
                                      f"a whole number here is at most {MAX}\n")
    assert ready()


@pytest.mark.parametrize(("text", "message"), [
    ('{"num_hidden_layers": 1e400}', "num_hidden_layers: inf is not a positive whole number; a config.json holds "
                                     "plain numbers here (e.g. 32)"),
    ('{"num_hidden_layers": NaN}', "num_hidden_layers: nan is not a positive whole number; a config.json holds "
                                   "plain numbers here (e.g. 32)"),
    ('{"max_position_embeddings": 123456789012345678901234567890}',
     f"max_position_embeddings: 123456789012345678901234567890 is too large; a whole number here is at most {MAX}"),
])
def test_impossible_numbers_in_hf_config(run, ready, tmp_path, text, message):
    path = tmp_path / "config.json"
    path.write_text(text)
    refused(run("import", "--from", "hf-config", str(path), "--model", "llama-7b",
                "--source-url", "https://huggingface.co/x/y/blob/main/config.json"),
            f"Error: 1 problem:\n  {path}:1: {message}\n")
    assert ready()


def test_yaml_nested_995_levels(run, ready, tmp_path):
    path = yaml_file(tmp_path, "params: " + "[" * 995 + "1" + "]" * 995)
    refused(run("add", str(path)), f"Error: 1 problem:\n  {path}:2: values nested more than 50 levels deep; a data "
                                   "file holds records of plain values and short lists\n")
    assert ready()


def test_jsonl_nested_100000_levels(run, ready, tmp_path):
    path = tmp_path / "m.jsonl"
    path.write_text('{"id": "deep", "name": "Deep", "org": "meta", "params": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    refused(run("import", str(path)), f"Error: 1 problem:\n  {path}:1: values nested too deeply to read; an export "
                                      "record is an object of plain values and short lists\n")
    assert ready()


def test_hf_config_nested_100000_levels(run, ready, tmp_path):
    path = tmp_path / "config.json"
    path.write_text('{"num_hidden_layers": ' + "[" * 100_000 + "]" * 100_000 + "}")
    refused(run("import", "--from", "hf-config", str(path), "--model", "llama-7b",
                "--source-url", "https://huggingface.co/x/y/blob/main/config.json"),
            f"Error: 1 problem:\n  {path}: values nested too deeply to read; a config.json is a flat object of "
            "settings\n")
    assert ready()


def test_yaml_billion_laughs_is_bounded(run, ready, tmp_path):
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    path = tmp_path / "laughs.yaml"
    path.write_text("\n".join(lines) + "\nmodels:\n  - {id: lol, name: Lol, org: meta, source: s1, params: *a9}\n")
    refused(run("add", str(path)), f"Error: 1 problem:\n  {path}: the file expands to more than 2,000,000 values "
                                   "(through YAML aliases); write the values out, or split the file\n")
    assert ready()


def test_yaml_alias_holding_itself(run, ready, tmp_path):
    path = tmp_path / "loop.yaml"
    path.write_text("models: &m\n  - *m\n")
    refused(run("add", str(path)), f"Error: 1 problem:\n  {path}:1: a YAML alias refers to the value that holds it; "
                                   "write the value out\n")
    assert ready()


def test_long_value_is_cut_in_the_message(run, ready, tmp_path):
    path = yaml_file(tmp_path, "params: '" + "9" * 1_000_000 + "x'")
    result = run("add", str(path))
    refused(result, f"Error: 1 problem:\n  {path}:2: models[0] (bad).params: '" + "9" * 80
            + "... (1,000,001 characters)' has an unknown unit 'x'; write a number such as 7000000000, 7e9, 7B, 1.4T, 350M, "  # noqa: E501
            "65 B (K, M, B, T, P are powers of 1000)\n")
    assert ready()


def test_site_build_into_the_current_empty_folder(run, tmp_path, monkeypatch):
    here = tmp_path / "empty"
    here.mkdir()
    monkeypatch.chdir(here)
    for _ in range(2):  # and again over its own earlier build
        result = run("site", "build", "-o", ".")
        assert result.exit_code == 0, result.output
        assert result.stderr.splitlines()[-1].startswith("Wrote 7 model pages, 1 dataset pages, 4 charts and the tree to . in ")  # noqa: E501
        assert (here / "index.html").is_file() and (here / "models").is_dir()
        assert Path(os.getcwd()) == here and not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]

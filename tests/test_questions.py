"""The literature's questions (issue 17): computed sort keys, datasets, compare, SQL, fitted output."""

from __future__ import annotations

import csv
import io
import json

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


DATASETS_TABLE = """\
id  name                                kind  tokens  bytes   documents  languages  models
--  ----------------------------------  ----  ------  ------  ---------  ---------  ------
c4  Colossal Clean Crawled Corpus (C4)  web           750 GB             en              2
"""

C4_TEXT = """\
Colossal Clean Crawled Corpus (C4)  [c4]
kind: web   languages: en

fact   value   status    source        note
-----  ------  --------  ------------  --------------------
bytes  750 GB  reported  raffel2019t5  about 750 GB of text

Models trained on it (2):
model     name      share  epochs  tokens  source
--------  --------  -----  ------  ------  ----------------
t5-11b    T5-11B                           raffel2019t5
llama-7b  LLaMA 7B  15.0%    1.06          touvron2023llama

Sources:
  raffel2019t5: Exploring the Limits of Transfer Learning with a Unified Text-to-Text Transformer \
<https://arxiv.org/abs/1910.10683> (paper)
  touvron2023llama: LLaMA: Open and Efficient Foundation Language Models <https://arxiv.org/abs/2302.13971> (paper)
"""


@pytest.mark.parametrize("name", ["c4", "C4", "Colossal Clean Crawled Corpus (C4)"])
def test_list_dataset_filter(run, name):
    result = run("list", "--dataset", name, "--format", "csv", "--columns", "id")
    assert result.exit_code == 0
    assert ids(result.stdout) == ["t5-11b", "llama-7b"]


def test_list_dataset_combines_with_other_filters(run):
    result = run("list", "--dataset", "c4", "--org", "meta", "--format", "csv", "--columns", "id")
    assert ids(result.stdout) == ["llama-7b"]


def test_export_dataset_filter(run):
    result = run("export", "--dataset", "c4", "--format", "csv")
    assert result.exit_code == 0
    assert ids(result.stdout) == ["t5-11b", "llama-7b"]


@pytest.mark.parametrize("command", [["list"], ["export"]])
def test_unknown_dataset_is_refused(run, command):
    result = run(*command, "--dataset", "c5")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == "Error: --dataset: no dataset named 'c5'; run `llmzoo datasets list` to see them\n"


def test_datasets_list(run):
    result = run("datasets", "list")
    assert result.exit_code == 0
    assert result.stdout == DATASETS_TABLE
    csv_out = run("datasets", "list", "--format", "csv").stdout
    assert csv_out == ("id,name,kind,tokens,bytes,documents,languages,models\n"
                       "c4,Colossal Clean Crawled Corpus (C4),web,,750000000000,,en,2\n")
    json_out = json.loads(run("datasets", "list", "--format", "json").stdout)
    assert json_out == [{"id": "c4", "name": "Colossal Clean Crawled Corpus (C4)", "kind": "web", "tokens": None,
                         "bytes": 750e9, "documents": None, "languages": "en", "models": 2}]


def test_datasets_list_bad_sort(run):
    result = run("datasets", "list", "--sort", "colour")
    assert result.exit_code == 1
    assert result.stderr == ("Error: --sort: unknown field 'colour'; choose from: id, name, kind, tokens, bytes, "
                             "documents, languages, models (prefix with - for descending)\n")


def test_datasets_show(run):
    result = run("datasets", "show", "c4")
    assert result.exit_code == 0
    assert result.stdout == C4_TEXT
    assert run("datasets", "show", "C4", "--format", "csv").stdout == (
        "model,name,share,epochs,tokens,source\nt5-11b,T5-11B,,,,raffel2019t5\n"
        "llama-7b,LLaMA 7B,0.15,1.06,,touvron2023llama\n")
    detail = json.loads(run("datasets", "show", "c4", "--format", "json").stdout)
    assert detail["facts"]["bytes"] == {"value": 750e9, "source": "raffel2019t5", "status": "reported",
                                        "method": None, "confidence": None, "note": "about 750 GB of text"}
    assert [(m["model"], m["share"], m["epochs"]) for m in detail["models"]] == [
        ("t5-11b", None, None), ("llama-7b", 0.15, 1.06)]


def test_datasets_show_unknown(run):
    result = run("datasets", "show", "c44")
    assert result.exit_code == 1
    assert result.stderr == "Error: dataset: no dataset named 'c44'; did you mean c4?\n"


def test_the_pile_in_the_curated_data(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from cli.main import cli

    monkeypatch.delenv("LLMZOO_DATA")
    monkeypatch.setenv("LLMZOO_DB", str(tmp_path / "curated.db"))
    result = CliRunner().invoke(cli, ["list", "--dataset", "the-pile", "--format", "csv", "--columns", "id"])
    assert result.exit_code == 0
    found = ids(result.stdout)
    assert {"gpt-neox-20b", "pythia-70m", "pythia-12b"} <= set(found)
    assert "llama-65b" not in found


COMPARE_TABLE = """\
fact                       llama-65b       llama-7b        gpt-4
-------------------------  --------------  --------------  ----------
name                       LLaMA 65B       LLaMA 7B        GPT-4
organization               Meta AI         Meta AI         OpenAI
family                     LLaMA           LLaMA           GPT-4
released                   2023-02-24      2023-02-24      2023-03-14
architecture               causal-decoder  causal-decoder
parameters                 65.2B           6.7B            n/d
training tokens            1.4T            1T
context length             2048            2048            8192
context window             =2048           =2048           =8192
layers                     80              32
d_model                    8192            4096
heads                      64              32
position encoding                          rope
open weights               yes             yes             no
training hardware          A100-80GB
accelerators               2048
training days              21
accelerator-hours          1.02M
adaptation stages          pretrain
compute (source or 6ND)    =5.48e23        =4.02e22
tokens per parameter       =21.5           =149
Chinchilla-optimal params  =66.1B          =17.9B
Chinchilla ratio           =1.03           =7.15
compute from hardware      ~4.59e23
~ estimated, = derived, ^ inherited from the parent, c. nominal (size from the name), n/d not disclosed (see `\
llmzoo show MODEL` for sources)
"""


def test_compare_table(run):
    result = run("compare", "llama-65b", "llama-7b", "gpt-4")
    assert result.exit_code == 0
    assert result.stdout == COMPARE_TABLE


def test_compare_only_different_csv(run):
    result = run("compare", "llama-65b", "LLaMA 7B", "--only-different", "--format", "csv")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[:4] == ["fact,llama-65b,llama-7b", "name,LLaMA 65B,LLaMA 7B", "params,65200000000,6700000000",
                         "train_tokens,1400000000000,1000000000000"]
    assert "org,Meta AI,Meta AI" not in lines and "context_length,2048,2048" not in lines
    assert "tokens_per_param,21.47239263803681,149.2537313432836" in lines


def test_compare_json(run):
    result = json.loads(run("compare", "llama-7b", "gpt-4", "--format", "json").stdout)
    assert result["models"] == ["llama-7b", "gpt-4"]
    params = next(r for r in result["rows"] if r["fact"] == "params")
    assert params == {"fact": "params", "kind": "fact", "values": {
        "llama-7b": {"value": 6.7e9, "status": "reported"}, "gpt-4": {"value": None, "status": "unpublished"}}}


@pytest.mark.parametrize(("args", "message"), [
    (["llama-65b"], "Error: compare: give at least two models (llmzoo compare llama-65b chinchilla-70b)\n"),
    (["llama-65b", "LLaMA 65B"], "Error: compare: 'llama-65b', 'LLaMA 65B' all name the same model, llama-65b; "
                                 "give at least two different models\n"),
    (["llama-65b", "lama-99"], "Error: no model named 'lama-99'; did you mean llama-7b?\n"),
])
def test_compare_errors(run, args, message):
    result = run("compare", *args)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == message


def test_query_answers(run):
    result = run("query", "select count(*) as n from models")
    assert result.exit_code == 0
    assert result.stdout == "n\n-\n7\n"


def test_query_parameters_and_formats(run):
    sql = "select id, params from models where params > :p order by params desc"
    result = run("query", sql, "-p", "p", "1e11")
    assert result.stdout == ("id                params\n----------  ------------\ngpt-3-175b  175000000000\n"
                             "glm-130b    130000000000\n")
    assert run("query", sql, "-p", "p", "1e11", "--format", "csv").stdout == \
        "id,params\ngpt-3-175b,175000000000\nglm-130b,130000000000\n"
    assert json.loads(run("query", "select id from models where org_id = :org order by id", "-p", "org", "meta",
                          "--format", "json").stdout) == [{"id": "llama-65b"}, {"id": "llama-7b"}]


READ_ONLY = ("Error: query: {word} is refused: llmzoo query is read-only and runs one SELECT (or WITH, VALUES, "
             "EXPLAIN); change the catalogue with llmzoo add, edit, remove or import\n")


@pytest.mark.parametrize(("sql", "word"), [
    ("delete from models", "DELETE"),
    ("DROP TABLE models", "DROP"),
    ("attach database 'other.db' as other", "ATTACH"),
    ("pragma writable_schema = 1", "PRAGMA"),
    ("-- a comment first\nupdate models set params = 1", "UPDATE"),
])
def test_query_refuses_writes(run, engine, db, sql, word):
    before = table_rows(db)
    result = run("query", "--", sql)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == READ_ONLY.format(word=word)
    assert table_rows(db) == before


@pytest.mark.parametrize("sql", [
    "with x as (select 1) delete from models",  # SQLite: a DELETE after WITH, refused by the connection itself
    "with d as (delete from models returning id) select count(*) from d",  # PostgreSQL: a writable CTE
])
def test_query_connection_itself_is_read_only(run, engine, db, sql):
    before = table_rows(db)
    result = run("query", sql)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: query: ")
    assert "Traceback" not in result.output
    assert table_rows(db) == before


def test_query_one_statement_only(run, engine, db):
    before = table_rows(db)
    result = run("query", "select 1 as one; delete from models")
    assert result.exit_code == 1
    assert result.stderr == ("Error: query: give one statement at a time (no ';' between statements); "
                             "llmzoo query is read-only\n")
    assert table_rows(db) == before


def test_query_sqlite_authorizer_refuses_attach_and_pragma_writes(tmp_path):
    from catalog.query.sql import read_only_engine
    from catalog.store.db import open_catalog

    engine = open_catalog(str(tmp_path / "c.db"))
    ro = read_only_engine(engine)
    import sqlalchemy

    for sql in (f"attach database '{tmp_path / 'new.db'}' as x", "pragma writable_schema = 1",
                "pragma query_only = 0"):
        with ro.connect() as conn, pytest.raises(sqlalchemy.exc.DatabaseError):
            conn.exec_driver_sql(sql)
    assert not (tmp_path / "new.db").exists()
    ro.dispose()
    engine.dispose()


@pytest.mark.parametrize(("args", "message"), [
    (["select * from models where id = :x"], "Error: query: no value for :x; give it with -p x VALUE\n"),
    (["select 1 as one", "-p", "x", "2"], "Error: query: -p x is not used: the SQL has no :x\n"),
    ([" "], 'Error: query: no SQL given; e.g. llmzoo query "select count(*) as n from models"\n'),
])
def test_query_errors(run, args, message):
    result = run("query", *args)
    assert result.exit_code == 1
    assert result.stderr == message


def test_query_unknown_column(run):
    result = run("query", "select nosuch from models")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: query: the database refused the SQL: ")
    assert "nosuch" in result.stderr
    assert result.stderr.endswith("(see `llmzoo query --schema` for tables and columns)\n")


def test_query_schema_documents_tables(run):
    result = run("query", "--schema")
    assert result.exit_code == 0
    assert "\nmodels: one row per model;" in result.stdout
    assert "\n  model_id    varchar(200)  primary key, -> models.id\n  dataset_id  varchar(200)  primary key, " \
        "-> datasets.id\n" in result.stdout
    assert "  status      varchar(12)   reported, nominal, estimated, derived or unpublished\n" in result.stdout


@pytest.fixture(scope="module")
def curated_db(tmp_path_factory):
    """A catalogue of the packaged curated data (long notes, wide ids), opened once for these tests."""
    from catalog.store.db import open_catalog

    path = tmp_path_factory.mktemp("curated") / "curated.db"
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("LLMZOO_DATA", raising=False)
        patch.setenv("HOME", str(path.parent))
        open_catalog(str(path)).dispose()
    return str(path)


def _invoke(curated_db, monkeypatch, args, env=None):
    from click.testing import CliRunner

    from cli.main import cli

    monkeypatch.delenv("LLMZOO_DATA", raising=False)
    monkeypatch.setenv("LLMZOO_DB", curated_db)
    for key, value in (env or {}).items():
        monkeypatch.setenv(key, value)
    return CliRunner().invoke(cli, args, catch_exceptions=False)


FITTED = [["show", "gpt-4"], ["show", "chatgpt"], ["list"], ["compare", "llama-65b", "chinchilla-70b", "gpt-3-175b"],
          ["datasets", "show", "the-pile"], ["datasets", "list"], ["list", "--columns", "id,name,license,hardware"]]


@pytest.mark.parametrize("width", [80, 100])
@pytest.mark.parametrize("args", FITTED)
def test_tables_fit_columns(curated_db, monkeypatch, width, args):
    result = _invoke(curated_db, monkeypatch, args, {"COLUMNS": str(width)})
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) > 3
    assert max(map(len, lines)) <= width


def test_width_option_and_piped_output(curated_db, monkeypatch):
    narrow = _invoke(curated_db, monkeypatch, ["--width", "60", "show", "gpt-4"])
    assert max(map(len, narrow.stdout.splitlines())) <= 60
    piped = _invoke(curated_db, monkeypatch, ["show", "gpt-4"])  # no COLUMNS, not a terminal: whole values
    assert max(map(len, piped.stdout.splitlines())) > 200
    from catalog.query.models import get_model
    from catalog.store.db import open_catalog

    note = get_model(open_catalog(curated_db, refresh=False), "gpt-4")["facts"]["arch"]["note"]
    assert note in piped.stdout


def test_narrow_list_keeps_ids_whole(curated_db, monkeypatch):
    result = _invoke(curated_db, monkeypatch, ["list", "--sort", "-params", "--limit", "3"], {"COLUMNS": "80"})
    header = result.stdout.splitlines()[0].split()
    assert header[:1] == ["id"] and "name" not in header and "org" not in header and "params" in header
    wide = _invoke(curated_db, monkeypatch, ["list", "--sort", "-params", "--limit", "3", "--format", "csv",
                                             "--columns", "id"])
    for model_id in wide.stdout.splitlines()[1:]:
        assert model_id in result.stdout


def test_cells_cut_with_an_ellipsis_when_columns_are_chosen(run, monkeypatch):
    monkeypatch.setenv("COLUMNS", "30")
    result = run("list", "--columns", "id,name,org", "--limit", "3")
    assert result.stdout == ("id         name       org\n---------  ---------  --------\nt5-11b     T5-11B     google\n"
                             "gpt-3-17\u2026  GPT-3 17\u2026  openai\nglm-130b   GLM-130B   tsinghua\n")

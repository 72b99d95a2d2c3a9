"""Input files and output safety (issue 15): what an import would lose is an error, a file with no
rows says so, a byte-order mark is read; text from files reaches a terminal with its control
characters shown, and a CSV opened in a spreadsheet runs no formula."""

from __future__ import annotations

import csv
import io
import json

import pytest
import yaml

from tests.conftest import REPO, SHARED, table_rows

ESC_NAME = "Evil \x1b[2J 7B \x1b]52;c;aGVsbG8=\x07"
SHOWN_NAME = "Evil \\x1b[2J 7B \\x1b]52;c;aGVsbG8=\\x07"
HOSTILE = {
    "sources": [{"id": "evil-src", "url": "https://example.org/evil", "title": "Report \x1b]0;title\x07 \u202eexe",
                 "kind": "paper"},
                {"id": "mmlu-src", "url": "https://arxiv.org/abs/2009.03300", "title": "MMLU", "kind": "paper"}],
    "organizations": [{"id": "evil-org", "name": "Evil \x1b[5m Org \u202e", "kind": "industry", "country": "US"}],
    "benchmarks": [{"id": "mmlu", "name": "MMLU", "task_kind": "multi-task", "metric": "accuracy", "chance": 25,
                    "standard": {"shots": 5}, "source": "mmlu-src"}],
    "datasets": [{"id": "evil-web", "name": "Evil \x1b[31m web \x9b2J", "kind": "web", "source": "evil-src",
                  "note": "crawl \x1b]0;pwned\x07 of the web", "tokens": "1T"}],
    "models": [{"id": "evil-7b", "name": ESC_NAME, "org": "evil-org", "source": "evil-src",
                "aliases": ["evil \x9b31m alias", "evil \u202egnp.exe"], "note": "clears \x1b[2J the \x07 screen \x01",
                "parents": [{"model": "llama-7b", "relation": "fine-tune", "note": "tuned \x1b[31m red"}],
                "datasets": [{"dataset": "evil-web", "share": 1.0}],
                "params": {"value": "7B", "note": "from \x1b]0;x\x07 the card"}, "arch": "causal-decoder",
                "released": "2023-05-01", "license": "evil\x1b[8m hidden"}],
    "evals": [{"model": "evil-7b", "benchmark": "mmlu", "setting": {"shots": 5, "prompt": "Q: \x1b[2J A:"},
               "score": 40.0, "evaluated_by": "third-party", "evaluator": "lab \u202e", "source": "evil-src",
               "locator": "Table \x1b[1m 1"}],
}


@pytest.fixture
def hostile(run, db, tmp_path):
    """A catalogue holding a user model (and its source, dataset, result) full of escape sequences."""
    path = tmp_path / "hostile.yaml"
    path.write_text(yaml.safe_dump(HOSTILE, allow_unicode=True, sort_keys=False))
    added = run("add", str(path))
    assert added.exit_code == 0, added.output
    edited = run("edit", "evil-7b", "--set", "license=mit\x1b]0;t\x07")  # something for `history`
    assert edited.exit_code == 0, edited.output
    return db


UNSAFE = ("\x1b", "\x07", "\x9b", "\u202e", "\x01")
HUMAN_COMMANDS = [  # each shows some of the hostile text (visibly)
    ["list"], ["list", "--format", "markdown"], ["list", "--columns", "id,name,license,mmlu"],
    ["show", "evil-7b"], ["lineage", "evil-7b"], ["lineage", "llama-7b"], ["compare", "evil-7b", "llama-7b"],
    ["compare", "evil-7b", "llama-7b", "--format", "markdown"], ["datasets", "list"], ["datasets", "show", "evil-web"],
    ["datasets", "show", "evil-web", "--format", "markdown"], ["datasets", "mix", "evil-7b"],
    ["evals"], ["evals", "--format", "markdown"], ["history", "evil-7b"], ["stats"],
    ["show", "Evil \x1b[2J"], ["import", "nowhere\x1b[2J.csv"],
]


@pytest.mark.parametrize("args", [*HUMAN_COMMANDS, ["coverage"], ["coverage", "--gaps"], ["evals", "benchmarks"]],
                         ids=lambda a: " ".join(a).encode("unicode_escape").decode())
def test_no_control_character_reaches_the_terminal(run, hostile, args):
    result = run(*args)
    assert result.exit_code in (0, 1), result.output
    for stream in (result.stdout, result.stderr):
        assert not any(c in stream for c in UNSAFE), stream
    if args in HUMAN_COMMANDS:
        assert "\\x1b" in result.stdout + result.stderr


def test_names_are_shown_with_visible_escapes(run, hostile):
    listed = run("list", "--search", "evil", "--columns", "id,name")
    assert listed.stdout == f"id       name\n-------  {'-' * len(SHOWN_NAME)}\nevil-7b  {SHOWN_NAME}\n"
    shown = run("show", "evil-7b").stdout
    assert shown.startswith(f"{SHOWN_NAME}  [evil-7b]  (user-added)\norganization: Evil \\x1b[5m Org \\u202e\n"
                            "aliases: evil \\x9b31m alias, evil \\u202egnp.exe\n"
                            "note: clears \\x1b[2J the \\x07 screen \\x01\n")
    assert "  evil-src: Report \\x1b]0;title\\x07 \\u202eexe <https://example.org/evil> (paper)\n" in shown
    assert run("lineage", "evil-7b").stdout.startswith(f"{SHOWN_NAME} [evil-7b] 2023-05-01\n")


def test_error_messages_show_quoted_values_with_visible_escapes(run, hostile):
    result = run("show", "Evil \x1b[2J")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: no model named 'Evil \\x1b[2J'")


@pytest.mark.parametrize("args", [["list", "--format", "csv"], ["list", "--format", "json"], ["export"],
                                  ["export", "--format", "jsonl"], ["evals", "--format", "csv"],
                                  ["show", "evil-7b", "--format", "json"]])
def test_data_formats_keep_the_exact_value(run, hostile, args):
    out = run(*args).stdout
    if "csv" in args or args == ["export"]:
        names = [r.get("name") or r.get("prompt") for r in csv.DictReader(io.StringIO(out))]
        assert ESC_NAME in names or "Q: \x1b[2J A:" in names
    else:
        assert ESC_NAME in out.replace("\\u001b", "\x1b").replace("\\u0007", "\x07")
        assert "\\x1b" not in out


def test_printable():
    from catalog.query.display import printable

    assert printable("a\x1b[2Jb\x1b]0;t\x07 \x9b c\u202e d\n\te é 中\x7f\x00\u2066") == \
        "a\\x1b[2Jb\\x1b]0;t\\x07 \\x9b c\\u202e d\n\te é 中\\x7f\\x00\\u2066"
    assert printable("Llama 2 70B") == "Llama 2 70B"


# --------------------------------------------------------------------------- what an import reads

@pytest.fixture
def ready(run, db):
    """A catalogue that exists (first use done), and a function telling whether it is unchanged."""
    assert run("stats").exit_code == 0
    before = table_rows(db)
    return lambda: table_rows(db) == before


def refused(result, message: str) -> None:
    assert (result.exit_code, result.stderr) == (1, message), result.output


ROW = {"id": "x", "name": "X", "org": "meta", "source": "brown2020gpt3"}


def test_unknown_csv_columns_are_errors_with_the_closest_column(run, ready, tmp_path):
    path = tmp_path / "models.csv"
    path.write_text("id,name,org,source,parms,contxt_length,zzz,name\nx,X,meta,brown2020gpt3,7B,2048,1,X\n")
    refused(run("import", str(path)), f"Error: 4 problems:\n"
            f"  {path}:1: column 'parms' is not an llmzoo column; did you mean 'params'?\n"
            f"  {path}:1: column 'contxt_length' is not an llmzoo column; did you mean 'context_length'?\n"
            f"  {path}:1: column 'zzz' is not an llmzoo column; the header must be the one `llmzoo export` writes\n"
            f"  {path}:1: column 'name' appears 2 times; keep one\n")
    assert ready()


@pytest.mark.parametrize("name", ["models.jsonl", "models.json"])
def test_unknown_json_keys_are_errors_with_the_closest_key(run, ready, tmp_path, name):
    path = tmp_path / name
    rows = [{**ROW, "parms": 7e9}, {**ROW, "id": "y", "name": "Y", "released": "2023", "relased_status": "reported"}]
    path.write_text("\n".join(map(json.dumps, rows)) if name.endswith("jsonl") else json.dumps(rows))
    refused(run("import", str(path)), f"Error: 2 problems:\n"
            f"  {path}:1 (x): key 'parms' is not an llmzoo field; did you mean 'params'?\n"
            f"  {path}:2 (y): key 'relased_status' is not an llmzoo field; did you mean 'released_status'?\n")
    assert ready()


def test_an_export_imports_back_with_every_column_known(run, db, tmp_path):
    """Every column `export` writes is one `import` knows, in each format."""
    from catalog.io.importing import import_columns
    from catalog.query.models import export_columns

    assert set(export_columns()) == import_columns()
    for fmt in ("csv", "json", "jsonl"):
        out = tmp_path / f"all.{fmt}"
        assert run("export", "-o", str(out)).exit_code == 0
        again = run("import", str(out), "--dry-run", "--on-conflict", "skip")
        assert again.exit_code == 0, again.output


@pytest.mark.parametrize(("name", "content", "why"), [
    ("empty.csv", "", "the file is empty); expected a header row as `llmzoo export` writes"),
    ("header.csv", "id,name,org,source,params\n", "the header only, no model rows)"),
    ("cut.csv", "id,name,org,source", "the header only, no model rows; the header line has no line end: was the "
                                      "file cut off?)"),
    ("blank.csv", "id,name,org,source\n\n,,,\n", "the header only, no model rows)"),
    ("empty.jsonl", "", "the file is empty; JSON Lines hold one model object per line)"),
    ("blank.jsonl", "\n  \n", "the file is empty; JSON Lines hold one model object per line)"),
    ("empty.json", "", "the file is empty); a JSON export is a list of model objects"),
    ("list.json", "[]", "an empty list)"),
])
def test_a_file_with_no_models_is_an_error(run, ready, tmp_path, name, content, why):
    path = tmp_path / name
    path.write_text(content)
    refused(run("import", str(path)), f"Error: 1 problem:\n  {path}: no models read ({why}\n")
    assert ready()


@pytest.mark.parametrize(("name", "content"), [
    ("excel.csv", "id,name,org,source,params\r\nx,X,meta,brown2020gpt3,7B\r\n"),
    ("bom.jsonl", json.dumps({**ROW, "params": "7B"}) + "\n"),
    ("bom.json", json.dumps([{**ROW, "params": "7B"}])),
])
def test_a_utf8_byte_order_mark_is_read(run, db, tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(b"\xef\xbb\xbf" + content.encode())
    result = run("import", str(path))
    assert (result.exit_code, result.stdout) == (0, f"{path}: added 1 model, updated 0, skipped 0, unchanged 0\n"
                                                     "  added: x\n"), result.output
    listed = run("list", "--search", "x", "--columns", "id,params", "--format", "csv")
    assert listed.stdout == "id,params\nx,7000000000\n"


# --------------------------------------------------------------------------- evals import

EVAL_ROW = ("llama-7b,mmlu,,5,false,,,accuracy,40.0,third-party,me,touvron2023llama,,my run,,user")


@pytest.fixture
def benchmarks(data_copy):
    (data_copy / "benchmarks.yaml").write_text(yaml.safe_dump({"benchmarks": HOSTILE["benchmarks"],
                                                               "sources": HOSTILE["sources"][1:]}))
    return data_copy


def test_evals_import_refuses_unknown_columns_and_keys(run, benchmarks, ready, tmp_path):
    from catalog.evalvocab import EVAL_COLUMNS

    path = tmp_path / "e.csv"
    path.write_text(",".join(EVAL_COLUMNS).replace("score", "scor") + ",extra\n" + EVAL_ROW + ",1\n")
    refused(run("evals", "import", str(path)), f"Error: 3 problems:\n"
            f"  {path}:1: column 'scor' is not an llmzoo column; did you mean 'score'?\n"
            f"  {path}:1: column 'extra' is not an llmzoo column; the header must be the one `llmzoo evals --format "
            "csv` writes\n"
            f"  {path}:1: missing column score; the header must be the one `llmzoo evals --format csv` writes\n")
    lines = tmp_path / "e.jsonl"
    lines.write_text(json.dumps({"model": "llama-7b", "benchmark": "mmlu", "setting": {"shots": 5, "cott": True},
                                 "score": 40.0, "evaluated_by": "developer", "source": "touvron2023llama",
                                 "locator": "T", "evalutor": "me"}) + "\n")
    refused(run("evals", "import", str(lines)), f"Error: 2 problems in {lines}:\n"
            f"  {lines}:1: key 'evalutor' is not an llmzoo field; did you mean 'evaluator'?\n"
            f"  {lines}:1: setting: key 'cott' is not an llmzoo field; did you mean 'cot'?\n")
    assert ready()


@pytest.mark.parametrize(("name", "content", "why"), [
    ("e.csv", "", "the file is empty); expected what `llmzoo evals --format csv` writes"),
    ("e.jsonl", "\n", "the file is empty); expected what `llmzoo evals --format jsonl` writes"),
    ("e.json", "[]", "an empty list)"),
])
def test_evals_import_of_nothing_is_an_error(run, benchmarks, ready, tmp_path, name, content, why):
    path = tmp_path / name
    path.write_text(content)
    refused(run("evals", "import", str(path)), f"Error: 1 problem:\n  {path}: no results read ({why}\n")
    assert ready()


def test_evals_import_reads_a_byte_order_mark(run, benchmarks, tmp_path):
    from catalog.evalvocab import EVAL_COLUMNS

    path = tmp_path / "e.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (",".join(EVAL_COLUMNS) + "\r\n" + EVAL_ROW + "\r\n").encode())
    result = run("evals", "import", str(path))
    assert (result.exit_code, result.stdout) == (0, "added 1 results, unchanged 0\n"), result.output


# --------------------------------------------------------------------------- spreadsheets

FORMULAS = {"models": [{"id": "sheet-7b", "name": '=HYPERLINK("https://evil.example","click")', "org": "meta",
                        "source": "brown2020gpt3", "aliases": ["@SUM(1+1)", "'=already quoted"],
                        "note": "+cmd|' /C calc'!A0", "params": {"value": "7B", "note": "-1.5"},
                        "license": "-2+3"}]}


@pytest.fixture
def formulas(run, db, tmp_path):
    path = tmp_path / "formulas.yaml"
    path.write_text(yaml.safe_dump(FORMULAS, sort_keys=False))
    assert run("add", str(path)).exit_code == 0
    return db


def test_excel_safe_export_quotes_formula_cells_only(run, formulas):
    plain = run("export", "--origin", "user").stdout
    safe = run("export", "--origin", "user", "--excel-safe")
    assert safe.exit_code == 0, safe.output
    assert safe.stdout == (plain.replace('"=HYPERLINK(""https', '"\'=HYPERLINK(""https')
                           .replace(",'=already quoted;@SUM(1+1),", ",''=already quoted;@SUM(1+1),")
                           .replace("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0")
                           .replace(",-2+3,", ",'-2+3,"))
    assert safe.stdout != plain
    row = next(csv.DictReader(io.StringIO(safe.stdout)))
    assert (row["name"], row["aliases"], row["note"], row["params"], row["params_note"], row["license"]) == (
        "'=HYPERLINK(\"https://evil.example\",\"click\")", "''=already quoted;@SUM(1+1)", "'+cmd|' /C calc'!A0",
        "7000000000", "-1.5", "'-2+3")


def test_excel_safe_export_imports_back_exactly(run, formulas, tmp_path):
    out = tmp_path / "for-excel.csv"
    assert run("export", "--origin", "user", "--excel-safe", "-o", str(out)).exit_code == 0
    other = str(tmp_path / "other.db")
    imported = run("--db", other, "import", str(out))
    assert imported.exit_code == 0, imported.output
    assert run("--db", other, "export", "--origin", "user").stdout == run("export", "--origin", "user").stdout


@pytest.mark.parametrize(("text", "safe"), [
    ("=1+1", "'=1+1"), ("+cmd", "'+cmd"), ("-cmd", "'-cmd"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
    ("\rx", "'\rx"), ("-1.5", "-1.5"), ("+3e9", "+3e9"), ("-", "'-"), ("'=x", "''=x"), ("'x", "'x"), ("x=1", "x=1"),
    ("", ""), ("'", "'"), ("'-1.5", "''-1.5"),
])
def test_excel_safe_cells_round_trip(text, safe):
    from catalog.io.export import excel_safe, excel_unsafe

    assert excel_safe(text) == safe
    assert excel_unsafe(safe) == text


def test_excel_safe_is_for_csv(run, formulas, tmp_path):
    result = run("export", "--excel-safe", "-o", str(tmp_path / "m.json"))
    assert (result.exit_code, result.stderr) == (1, "Error: --excel-safe is for CSV; JSON keeps every value exactly "
                                                    "(and spreadsheets do not run it)\n")
    assert not (tmp_path / "m.json").exists()


# --------------------------------------------------------------------------- Epoch AI's real export

REAL_EPOCH = SHARED / "data" / "epoch_language_models.csv"


@pytest.mark.skipif(not REAL_EPOCH.is_file(), reason=f"{REAL_EPOCH} is not on this machine")
def test_real_epoch_file_into_the_curated_catalogue_twice(run, db, monkeypatch):
    """Exit 0 with a report of what was added, matched and skipped (with why); the second import
    changes nothing and says so."""
    monkeypatch.setenv("LLMZOO_DATA", str(REPO / "data"))
    first = run("import", "--from", "epoch", str(REAL_EPOCH))
    assert first.exit_code == 0, first.output
    lines = first.stdout.splitlines()
    assert lines[0] == f"{REAL_EPOCH}: read 1044 rows, 1044 language models"
    assert "  skipped 8:" in lines and "    no organization: 6" in lines and "    duplicate row: 1" in lines
    assert "    fails llmzoo's checks: 1" in lines
    assert "      line 836 (Command R+): same model as line 824" in lines
    added = next(line for line in lines if line.startswith("  added "))
    assert added.startswith("  added 639 models, ")
    after = table_rows(db)
    second = run("import", "--from", "epoch", str(REAL_EPOCH))
    assert second.exit_code == 0, second.output
    assert second.stdout.endswith("  added 0 models\n")
    again = second.stdout.splitlines()
    assert [line for line in again if line.startswith("  matched ")] == [
        "  matched 1036 catalogue models, not written: 911 agreeing, 123 conflicting, 2 with no figures to compare"]
    end = next(i for i, line in enumerate(lines) if line.startswith("  matched"))
    skipped = lines[lines.index("  skipped 8:"):end]
    assert again[again.index("  skipped 8:"):again.index("  skipped 8:") + len(skipped)] == skipped
    assert table_rows(db) == after


def test_epoch_import_ignores_the_columns_it_does_not_use(run, db, tmp_path):
    """A foreign format: Epoch's CSV has dozens of columns llmzoo has no use for (documented)."""
    path = tmp_path / "epoch.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (
        b"Model,Domain,Organization,Publication date,Parameters,Training compute (FLOP),"
        b"Training dataset size (datapoints),Parms,Whatever\nMystery LM,Language,Meta AI,2023-02-24,7e9,,,1,x\n"))
    result = run("import", "--from", "epoch", str(path))
    assert result.exit_code == 0, result.output
    assert result.stdout == (f"{path}: read 1 row, 1 language model\n  matched 0 catalogue models\n"
                             "  added 1 model, 1 source\n    added: epoch-mystery-lm\n")
    listed = run("list", "--search", "mystery", "--columns", "id,params", "--format", "csv")
    assert listed.stdout == "id,params\nepoch-mystery-lm,7000000000\n"


def test_warnings_and_reports_of_an_import_show_escapes_visibly(run, db, tmp_path):
    path = tmp_path / "epoch.csv"
    path.write_text("Model,Domain,Organization,Publication date,Parameters,Training compute (FLOP),"
                    "Training dataset size (datapoints)\n"
                    "Evil\x1b]0;x\x07 LM,Language,Acme\x1b[2J Labs,2023-02-24,7e9,,0.0\n")
    result = run("import", "--from", "epoch", str(path))
    assert result.exit_code == 0, result.output
    assert not any(c in result.stdout + result.stderr for c in UNSAFE)
    assert result.stdout.splitlines()[1] == (f"  warning: {path}:2 (Evil\\x1b]0;x\\x07 LM): Training dataset size "
                                             "(datapoints): '0.0' is not a plausible figure (it must be positive and "
                                             "finite): left unknown")


def test_whatever_a_command_prints_goes_through_the_terminal_safe_streams():
    """The net under every command (LlmzooGroup.main): print, click.echo and sys.stderr alike; exact only
    inside exact_stdout()."""
    import sys

    import click
    from click.testing import CliRunner

    from cli.main import LlmzooGroup
    from cli.output import exact_stdout

    group = LlmzooGroup()

    @group.command()
    def shout() -> None:
        print("a\x1b]0;x\x07")
        sys.stderr.write("b\x9b2J\n")
        click.echo("c\u202e")
        with exact_stdout():
            sys.stdout.write("d\x1b]0;x\x07\n")

    before = sys.stdout, sys.stderr
    result = CliRunner().invoke(group, ["shout"])
    assert (result.exit_code, result.stdout, result.stderr) == (0, "a\\x1b]0;x\\x07\nc\\u202e\nd\x1b]0;x\x07\n",
                                                                "b\\x9b2J\n")
    assert (sys.stdout, sys.stderr) == before


def test_jsonl_aliases_as_a_list_are_read_and_other_shapes_refused(run, db, ready, tmp_path):
    """JSON's own form of a list of aliases is accepted (as 'a; b' is); any other shape is a message."""
    path = tmp_path / "aliases.jsonl"
    path.write_text(json.dumps({**ROW, "id": "x-1", "name": "X 1", "aliases": ["Ex One", "X-One"]}) + "\n")
    assert run("import", str(path)).exit_code == 0
    shown = json.loads(run("show", "ex one", "--format", "json").stdout)
    assert (shown["id"], shown["aliases"]) == ("x-1", ["Ex One", "X-One"])
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({**ROW, "id": "x-2", "name": "X 2", "aliases": {"a": 1}}) + "\n")
    before = table_rows(db)
    result = run("import", str(bad))
    refused(result, f"Error: 1 problem:\n  {bad}:1 (x-2): aliases must be text ('a; b') or a list of texts, "
                    "not dict\n")
    assert table_rows(db) == before

"""`llmzoo export`: provenance columns, formats, atomic files."""

from __future__ import annotations

import csv
import io
import json

import pytest
import yaml

from catalog.query.models import export_columns


def read_csv(text: str) -> dict[str, dict[str, str]]:
    return {row["id"]: row for row in csv.DictReader(io.StringIO(text))}


def test_csv_carries_provenance(run, tmp_path):
    out = tmp_path / "models.csv"
    result = run("export", "-o", str(out))
    assert result.exit_code == 0
    assert result.stderr == f"Wrote 7 models to {out}\n"
    rows = read_csv(out.read_text())
    assert list(next(csv.reader(io.StringIO(out.read_text())))) == export_columns()
    gpt3 = rows["gpt-3-175b"]
    assert gpt3["params"] == "175000000000"
    assert gpt3["params_status"] == "reported"
    assert gpt3["params_source"] == "https://arxiv.org/abs/2005.14165"
    assert gpt3["train_compute"] == "3.14e+23"
    assert gpt3["train_compute_note"] == "Table D.1"
    assert gpt3["compute_status"] == "source"
    assert gpt3["aliases"] == "GPT-3;davinci"
    alpaca = rows["alpaca-7b"]
    assert (alpaca["params_status"], alpaca["params_method"]) == ("derived", "same as its parent LLaMA 7B")
    assert json.loads(alpaca["parents"]) == [{"model": "llama-7b", "relation": "instruction-tune",
                                              "source": "https://crfm.stanford.edu/2023/03/13/alpaca.html",
                                              "note": "52K self-instruct demonstrations"}]
    assert json.loads(rows["llama-7b"]["datasets"]) == [{"dataset": "c4", "share": 0.15, "epochs": 1.06,
                                                         "tokens": None, "note": None,
                                                         "source": "https://arxiv.org/abs/2302.13971"}]
    assert gpt3["refs"] == ""
    gpt4 = rows["gpt-4"]
    assert (gpt4["params"], gpt4["params_status"]) == ("", "unpublished")
    assert gpt4["params_note"] == "the report discloses no model size"
    assert rows["t5-11b"]["released"] == "2019-10-01"
    assert rows["t5-11b"]["released_precision"] == "month"
    assert rows["llama-7b"]["compute_status"] == "6ND"
    assert rows["t5-11b"]["layers_status"] == ""


def test_estimates_never_pass_as_reported(run):
    rows = read_csv(run("export", "-o", "-").stdout)
    for row in rows.values():
        for column in export_columns():
            if column.endswith("_status") and column != "compute_status":
                fact = column.removesuffix("_status")
                assert (row[fact] == "" and row[column] in ("", "unpublished")) or row[column] != ""


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_json_formats(run, tmp_path, fmt):
    out = tmp_path / f"m.{fmt}"
    assert run("export", "-o", str(out), "--arch", "prefix-decoder").exit_code == 0
    text = out.read_text()
    records = json.loads(text) if fmt == "json" else [json.loads(line) for line in text.splitlines()]
    assert [r["id"] for r in records] == ["glm-130b"]
    assert records[0]["params"] == 130e9
    assert records[0]["params_source"] == "https://arxiv.org/abs/2210.02414"


def test_empty_json_export_is_valid(run, tmp_path):
    out = tmp_path / "none.json"
    assert run("export", "-o", str(out), "--moe").exit_code == 0
    assert json.loads(out.read_text()) == []


def test_unknown_extension(run, tmp_path):
    result = run("export", "-o", str(tmp_path / "m.xlsx"))
    assert result.exit_code == 1
    assert result.stderr == (f"Error: cannot tell the format of '{tmp_path / 'm.xlsx'}' from its extension; "
                             "use .csv, .json or .jsonl, or --format\n")


def test_failed_export_leaves_no_file(run, tmp_path):
    out = tmp_path / "m.csv"
    out.write_text("previous\n")
    result = run("export", "-o", str(out), "--min-params", "nonsense")
    assert result.exit_code == 1
    assert out.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".m.csv")) == []


def test_export_to_folder(run, tmp_path):
    result = run("export", "-o", str(tmp_path))
    assert result.exit_code == 1
    assert "is a folder" in result.stderr or "cannot tell the format" in result.stderr


AWKWARD_YAML = {
    "sources": [{"id": "awk-card", "url": "https://example.org/awk?a=1,b=2", "title": 'Card, "draft"',
                 "kind": "model-card"}],
    "organizations": [{"id": "awk-lab", "name": "Awk, Lab", "kind": "academia"}],
    "families": [{"id": "awk", "name": 'Awk "family"', "org": "awk-lab", "note": "two\nlines"}],
    "datasets": [{"id": "awk-corpus", "name": "Awk corpus, v2", "kind": "web", "source": "awk-card",
                  "languages": ["en", "fr"], "note": "carriage\rreturn"}],
    "models": [
        {"id": "awk-1b", "name": 'Awk, "the" 1B', "family": "awk", "org": "awk-lab", "source": "awk-card",
         "note": "line one\nline two", "aliases": ["Awk Mini", "awk,one"], "released": "2024-03-05",
         "arch": "causal-decoder", "moe": False, "open_weights": True, "context_length": 4096,
         "params": {"value": "1.3B", "status": "estimated", "method": 'scaled, "roughly"',
                    "confidence": "likely", "note": "semi;colon"},
         "train_tokens": "26B", "training_languages": ["en", "fr"], "license": "custom, see \"terms\"",
         "hardware": "A100", "accelerator_hours": 1000, "mfu": 0.41,
         "parents": [{"model": "llama-7b", "relation": "fine-tune", "note": 'LoRA, "r=8"'}],
         "datasets": [{"dataset": "awk-corpus", "share": 0.5, "note": "ünïcode, ok"}]},
        {"id": "awk-plain", "name": "Awk Plain", "org": "meta", "source": "awk-card", "released": 2023,
         "params": "7B", "note": "carriage\rreturn only"},
        {"id": "awk-comma", "name": "Awk Comma", "org": "meta", "source": "awk-card", "note": "one, two"},
    ],
}


@pytest.fixture
def awkward(run, tmp_path):
    """User records whose text needs CSV quoting: commas, quotes, line breaks, non-ASCII."""
    path = tmp_path / "awkward.yaml"
    path.write_text(yaml.safe_dump(AWKWARD_YAML, sort_keys=False, allow_unicode=True))
    result = run("add", str(path))
    assert result.exit_code == 0, result.output


def expected_cell(value):
    """A JSON export's value as the CSV export writes it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if not value.is_integer() or abs(value) >= 1e16 else str(int(value))
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def test_csv_is_what_the_csv_module_writes(run, awkward, tmp_path):
    assert run("export", "-o", str(tmp_path / "m.csv")).exit_code == 0
    assert run("export", "-o", str(tmp_path / "m.jsonl")).exit_code == 0
    records = [json.loads(line) for line in (tmp_path / "m.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(records) == 10 and all(list(record) == export_columns() for record in records)
    expected = io.StringIO()
    writer = csv.writer(expected, lineterminator="\r\n")  # quotes a bare carriage return too
    writer.writerow(export_columns())
    writer.writerows([expected_cell(value) for value in record.values()] for record in records)
    # quoting exactly where the csv module quotes; lines end in "\n"
    written = (tmp_path / "m.csv").read_bytes().decode("utf-8")
    assert written == expected.getvalue().replace("\r\n", "\n") and ',"carriage\rreturn only",' in written


def test_csv_with_a_carriage_return_imports_back(run, db, awkward, tmp_path):
    """A note holding a bare "\r" stays one cell: the exported file imports into another catalogue."""
    assert run("export", "-o", str(tmp_path / "m.csv"), "--origin", "user").exit_code == 0
    other = str(tmp_path / "other.db")  # a SQLite file, whatever the backend exported from
    result = run("--db", other, "import", str(tmp_path / "m.csv"))
    assert result.exit_code == 0, result.output
    result = run("--db", other, "show", "awk-plain", "--format", "json")
    assert json.loads(result.output)["note"] == "carriage\rreturn only"


def test_awkward_text_survives_csv(run, awkward, tmp_path):
    out = tmp_path / "awk.csv"
    assert run("export", "-o", str(out), "--family", "awk").exit_code == 0
    [awk] = read_csv(out.read_text(encoding="utf-8")).values()
    assert (awk["name"], awk["note"], awk["aliases"]) == ('Awk, "the" 1B', "line one\nline two", "Awk Mini;awk,one")
    assert (awk["params_method"], awk["params_note"]) == ('scaled, "roughly"', "semi;colon")
    assert (awk["training_languages"], awk["license"]) == ("en,fr", 'custom, see "terms"')
    assert (awk["moe"], awk["open_weights"], awk["params"], awk["mfu"]) == ("false", "true", "1300000000", "0.41")
    assert json.loads(awk["parents"])[0]["note"] == 'LoRA, "r=8"'
    assert json.loads(awk["datasets"])[0]["note"] == "ünïcode, ok"
    refs = json.loads(awk["refs"])
    assert sorted(refs) == ["datasets", "families", "organizations", "sources"]
    assert refs["datasets"][0]["note"] == "carriage\rreturn" and refs["families"][0]["note"] == "two\nlines"
    assert refs["organizations"] == [{"id": "awk-lab", "name": "Awk, Lab", "country": None, "kind": "academia"}]
    assert awk["refs"] == json.dumps(refs, ensure_ascii=False, sort_keys=True)


def test_iter_export_is_the_json_export(run, db, awkward, tmp_path):
    from catalog.query.models import iter_export
    from catalog.store.db import make_engine

    assert run("export", "-o", str(tmp_path / "m.jsonl"), "--sort", "-params").exit_code == 0
    records = [json.loads(line) for line in (tmp_path / "m.jsonl").read_text(encoding="utf-8").splitlines()]
    engine = make_engine(db)
    try:
        exported = list(iter_export(engine, sort="-params", batch=2))  # several batches
    finally:
        engine.dispose()
    assert [json.loads(json.dumps(r)) for r in exported] == records
    awk = next(r for r in exported if r["id"] == "awk-1b")
    assert (awk["moe"], awk["open_weights"], awk["context_length"]) == (False, True, 4096)
    assert awk["released"] == "2024-03-05" and awk["compute_status"] == "6ND"
    assert awk["compute_hardware_method"] == ("hardware: 1e+03 NVIDIA A100-hours x 3.12e+14 FLOP/s peak x 0.41 "
                                              "(reported MFU)")

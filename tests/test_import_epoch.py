"""`llmzoo import --from epoch`: Epoch AI's CSV in its 2024, 2025 and 2026 layouts, through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from catalog.io.importers.epoch import name_keys, slug
from tests.conftest import SHARED, table_rows

FIXTURES = Path(__file__).parent / "fixtures" / "epoch"
REAL_FILE = SHARED / "data" / "epoch_language_models.csv"


def state(run, db: str) -> tuple[str, dict[str, list]]:
    """The export of every model and every row of every table: equal means nothing changed."""
    exported = run("export", "-o", "-", "--format", "jsonl")
    assert exported.exit_code == 0, exported.output
    return exported.stdout, table_rows(db)


@pytest.fixture
def ready(run, db):
    """A catalogue that exists (first use done) and its state."""
    assert run("stats").exit_code == 0
    return state(run, db)


def fixture(name: str) -> str:
    return str(FIXTURES / name)


def test_2025_layout(run):
    path = fixture("epoch_2025.csv")
    result = run("import", "--from", "epoch", path)
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"{path}: read 10 rows, 8 language models\n"
        "  skipped 3:\n"
        "    not a language model: 2 (Domain: Games 1, Vision 1)\n"
        "    duplicate row: 1\n"
        "      line 10 (GPT-3 175B (davinci)): same model as line 2\n"
        "  matched 3 catalogue models, not written: 3 agreeing, 0 conflicting\n"
        "    agreeing: gpt-3-175b, llama-65b, gpt-4\n"
        "  added 4 models, 3 sources, 2 organizations\n"
        "    added: epoch-falcon-40b, epoch-chinchilla, epoch-vicuna-7b, epoch-mystery-lm\n")
    # LLaMA-65B's 1.4T "datapoints" are its 1.4T tokens (Epoch's figure is sometimes the token count):
    # it agrees as tokens, so it is no conflict. Acme Labs' kind is not given: imported as unknown.
    mystery = json.loads(run("show", "epoch-mystery-lm", "--format", "json").stdout)
    assert mystery["org"] == "epoch-acme-labs"


def test_added_models_are_third_party_estimates(run):
    assert run("import", "--from", "epoch", fixture("epoch_2025.csv")).exit_code == 0
    falcon = json.loads(run("show", "epoch-falcon-40b", "--format", "json").stdout)
    assert falcon["origin"] == "user"
    assert falcon["org"] == "tii"  # "Technology Innovation Institute" is a catalogued organization
    assert falcon["facts"]["params"] == {"value": 40e9, "source": "epoch-huggingface-co-tiiuae-falcon-40b",
                                         "status": "estimated", "method": "third-party: Epoch AI",
                                         "confidence": "likely", "note": None}
    assert falcon["facts"]["train_compute"]["value"] == 2.4e24
    assert falcon["facts"]["released"]["value"] == "2023-05-25"
    assert "train_tokens" not in falcon["facts"]  # Epoch's datapoints are words: kept in the note only
    assert "training dataset size 750B datapoints (words" in falcon["note"]
    assert falcon["sources"]["epoch-huggingface-co-tiiuae-falcon-40b"] == {
        "url": "https://huggingface.co/tiiuae/falcon-40b", "title": "Falcon-40B (via Epoch AI's data on AI models)",
        "kind": "third-party", "published": None}
    chinchilla = json.loads(run("show", "epoch-chinchilla", "--format", "json").stdout)
    assert chinchilla["source"] == "epoch-ai-models"  # no link in the row: Epoch's own page
    assert chinchilla["sources"]["epoch-ai-models"]["url"] == "https://epoch.ai/data/ai-models"
    assert chinchilla["facts"]["params"]["confidence"] == "confident"
    vicuna = json.loads(run("show", "epoch-vicuna-7b", "--format", "json").stdout)
    assert vicuna["facts"]["params"]["confidence"] == "speculative"
    assert "Epoch gives no confidence for this entry" in vicuna["note"]
    assert vicuna["org"] == "epoch-large-model-systems-organization"
    assert [(p["model"], p["relation"]) for p in vicuna["parents"]] == [("llama-7b", "fine-tune")]
    orgs = run("list", "--org", "Large Model Systems Organization", "--format", "csv", "--columns", "id").stdout
    assert orgs == "id\nepoch-vicuna-7b\n"


def test_matched_models_are_not_written(run, db, ready):
    before = json.loads(run("show", "llama-65b", "--format", "json").stdout)
    assert run("import", "--from", "epoch", fixture("epoch_2025.csv")).exit_code == 0
    assert json.loads(run("show", "llama-65b", "--format", "json").stdout) == before
    assert json.loads(run("show", "gpt-3-175b", "--format", "json").stdout)["origin"] == "curated"


def test_2024_layout_with_system_column(run):
    path = fixture("epoch_2024_system.csv")
    result = run("import", "--from", "epoch", path)
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"{path}: read 5 rows, 4 language models\n"
        "  skipped 2:\n"
        "    not a language model: 1 (Domain: Vision 1)\n"
        "    fails llmzoo's checks: 1\n"
        "      line 5 (Early Alpaca): released 2022-12-01 before its parent 'llama-7b' (2023-02-24); "
        "check both dates\n"
        "  matched 1 catalogue model, not written: 1 agreeing, 0 conflicting\n"
        "    agreeing: gpt-3-175b\n"
        "  added 2 models, 2 sources, 1 organization\n"
        "    added: epoch-gopher-280b, epoch-palm-540b\n")
    palm = json.loads(run("show", "epoch-palm-540b", "--format", "json").stdout)
    assert (palm["org"], palm["org_name"]) == ("epoch-google-research", "Google Research")


def test_2026_layout_with_total_column(run):
    path = fixture("epoch_2026_total.csv")
    result = run("import", "--from", "epoch", path)
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"{path}: read 3 rows, 3 language models\n"
        "  matched 1 catalogue model, not written: 1 agreeing, 0 conflicting\n"
        "    agreeing: llama-65b\n"
        "  added 2 models, 2 sources\n"
        "    added: epoch-llama-3.1-405b, epoch-qwen2.5-72b\n")
    qwen = json.loads(run("show", "epoch-qwen2.5-72b", "--format", "json").stdout)
    assert qwen["org"] == "alibaba"
    assert "organizations: Alibaba, Alibaba Cloud (Qwen team)" in qwen["note"]


def test_dry_run_changes_nothing(run, db, ready):
    path = fixture("epoch_2025.csv")
    result = run("import", "--from", "epoch", path, "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Dry run: {path}: read 10 rows, 8 language models\n")
    assert result.stdout.endswith("  would add 4 models, 3 sources, 2 organizations\n"
                                  "    would add: epoch-falcon-40b, epoch-chinchilla, epoch-vicuna-7b, "
                                  "epoch-mystery-lm\n")
    assert state(run, db) == ready


def test_repeated_import_matches_what_it_added(run, db):
    path = fixture("epoch_2025.csv")
    assert run("import", "--from", "epoch", path).exit_code == 0
    after_first = state(run, db)
    result = run("import", "--from", "epoch", path)
    assert result.exit_code == 0, result.output
    assert "  matched 7 catalogue models, not written: 7 agreeing, 0 conflicting\n" \
           "    agreeing: gpt-3-175b, llama-65b, epoch-falcon-40b, epoch-chinchilla, epoch-vicuna-7b, " \
           "epoch-mystery-lm, gpt-4\n" in result.stdout
    assert result.stdout.endswith("  added 0 models\n")
    assert state(run, db) == after_first


def test_id_taken_by_another_user_model_follows_on_conflict(run, db):
    added = run("add", "--id", "epoch-falcon-40b", "--name", "Falcon Forty", "--org", "tii",
                "--source-url", "https://example.org/falcon")
    assert added.exit_code == 0, added.output
    before = state(run, db)
    path = fixture("epoch_2025.csv")
    refused = run("import", "--from", "epoch", path)
    assert refused.exit_code == 1
    assert refused.stderr == (f"Error: 1 conflict:\n  {path}:6 (Falcon-40B): a model 'epoch-falcon-40b' already "
                              "exists; use --on-conflict update to replace it or skip to keep it\n")
    assert state(run, db) == before
    skipped = run("import", "--from", "epoch", path, "--on-conflict", "skip")
    assert skipped.exit_code == 0, skipped.output
    assert skipped.stdout.endswith("  added 3 models, 3 sources, 2 organizations\n"
                                   "    added: epoch-chinchilla, epoch-vicuna-7b, epoch-mystery-lm\n"
                                   "    skipped (already there): epoch-falcon-40b\n")
    assert json.loads(run("show", "epoch-falcon-40b", "--format", "json").stdout)["name"] == "Falcon Forty"
    updated = run("import", "--from", "epoch", path, "--on-conflict", "update")
    assert updated.exit_code == 0, updated.output
    assert updated.stdout.endswith("  added 0 models\n    updated: epoch-falcon-40b\n")
    assert json.loads(run("show", "epoch-falcon-40b", "--format", "json").stdout)["name"] == "Falcon-40B"


MALFORMED = "malformed_numbers.csv"
ERRORS = [
    (MALFORMED, "3 problems:\n"
     "  {path}:2 (Bad Params LM): Parameters: '175 billion' is not a number; Epoch writes plain numbers such as "
     "1.75e+11: fix the cell or delete the row\n"
     "  {path}:3 (Bad Date LM): Publication date: '28/05/2020' is not a date; write YYYY-MM-DD, YYYY-MM or YYYY; "
     "fix the cell or delete the row\n"
     "  {path}:3 (Bad Date LM): Training compute (FLOP): 'lots' is not a number; Epoch writes plain numbers such "
     "as 1.75e+11: fix the cell or delete the row"),
    ("missing_column.csv", "1 problem:\n  {path}:1: missing columns `Organization`, `Parameters`; expected the "
     "header of Epoch AI's AI-models CSV (https://epoch.ai/data/ai-models)"),
    ("empty.csv", "1 problem:\n  {path}: the file is empty; expected Epoch AI's CSV with a header row (Model, "
     "Domain, Organization, ...)"),
    ("not_csv.json", "1 problem:\n  {path}:1: missing columns `Model` (called `System` before 2025), `Domain`, "
     "`Organization`, `Publication date`, `Parameters`, `Training compute (FLOP)`; expected the header of Epoch "
     "AI's AI-models CSV (https://epoch.ai/data/ai-models)"),
    ("ragged.csv", "1 problem:\n  {path}:3: 23 fields where the header has 22; check the quoting of that row"),
]


@pytest.mark.parametrize(("name", "message"), ERRORS, ids=[e[0] for e in ERRORS])
def test_bad_files_change_nothing(run, db, ready, name, message):
    path = fixture(name)
    result = run("import", "--from", "epoch", path)
    assert result.exit_code == 1
    assert result.stderr == "Error: " + message.format(path=path) + "\n"
    assert state(run, db) == ready


@pytest.mark.parametrize(("content", "message"), [
    (b"\x89PNG\r\n\x1a\n\x00\x00", "not UTF-8 text (invalid start byte at byte 0)"),
    (b"Model,Domain\n\x00\x01", "a binary file, not a CSV"),
    (b'Model,Domain,Organization,Publication date,Parameters,Training compute (FLOP)\n"GPT-5,Language\n',
     ":2: malformed CSV: unexpected end of data; check the quoting of that row"),
])
def test_unreadable_files_change_nothing(run, db, ready, tmp_path, content, message):
    path = tmp_path / "models.csv"
    path.write_bytes(content)
    result = run("import", "--from", "epoch", str(path))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: 1 problem:\n  {path}")
    assert message in result.stderr
    assert state(run, db) == ready


def test_missing_file_and_misused_options(run, tmp_path):
    missing = tmp_path / "nowhere.csv"
    result = run("import", "--from", "epoch", str(missing))
    assert (result.exit_code, result.stderr) == (1, f"Error: 1 problem:\n  {missing}: no such file\n")
    result = run("import", "--from", "epoch", fixture("epoch_2025.csv"), "--model", "llama-7b")
    assert result.exit_code == 2
    assert "--model and --source-url are for --from hf-config" in result.stderr


def test_header_only_file_imports_nothing(run, tmp_path):
    path = tmp_path / "header.csv"
    path.write_text((FIXTURES / "epoch_2025.csv").read_text().splitlines()[0] + "\n")
    result = run("import", "--from", "epoch", str(path))
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{path}: read 0 rows, 0 language models\n  matched 0 catalogue models\n  added 0 models\n"


@pytest.mark.parametrize(("name", "expected"), [
    ("GPT-3 175B (davinci)", "gpt-3-175b-davinci"),
    ("Llama 3.1-405B", "llama-3.1-405b"),
    ("PanGu-Σ", "pangu"),
    ("Qwen2.5-72B", "qwen2.5-72b"),
    ("A. Smith's LM", "a-smith-s-lm"),
])
def test_slug(name, expected):
    assert slug(name) == expected


@pytest.mark.parametrize(("name", "keys"), [
    ("GPT-3 175B (davinci)", ["gpt3-175bdavinci", "gpt3-175b"]),
    ("PaLM (540B)", ["palm540b", "palm"]),
    ("LLaMA-65B", ["llama65b"]),
])
def test_name_keys(name, keys):
    assert name_keys(name) == keys


@pytest.mark.skipif(not REAL_FILE.is_file(), reason=f"{REAL_FILE} is not on this machine")
def test_real_epoch_file(run, db, ready):
    dry = run("import", "--from", "epoch", str(REAL_FILE), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert dry.stdout.startswith(f"Dry run: {REAL_FILE}: read 1044 rows, ")
    assert state(run, db) == ready
    done = run("import", "--from", "epoch", str(REAL_FILE))
    assert done.exit_code == 0, done.output
    assert done.stdout == dry.stdout.removeprefix("Dry run: ").replace("would add", "added")
    after = state(run, db)
    again = run("import", "--from", "epoch", str(REAL_FILE))
    assert again.exit_code == 0, again.output
    assert again.stdout.endswith("  added 0 models\n")
    assert state(run, db) == after


def test_real_epoch_file_report(run, db, ready):
    """The real export: FunSearch's 0.0 dataset size is a warning, every organization is imported."""
    if not REAL_FILE.is_file():
        pytest.skip(f"{REAL_FILE} is not on this machine")
    result = run("import", "--from", "epoch", str(REAL_FILE))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:2] == [
        f"{REAL_FILE}: read 1044 rows, 1044 language models",
        f"  warning: {REAL_FILE}:764 (FunSearch): Training dataset size (datapoints): '0.0' is not a plausible "
        "figure (it must be positive and finite): left unknown"]
    assert "organization kind unknown" not in result.stdout
    assert "\n  matched 7 catalogue models, not written: 4 agreeing, 3 conflicting\n" \
           "    agreeing: t5-11b, llama-65b, alpaca-7b, gpt-4\n" \
           "    conflicting: gpt-3-175b (line 285, GPT-3 175B (davinci)): train_tokens catalogue 300B, Epoch 499B " \
           "(374B words / 0.75)\n" in result.stdout
    orgs = {row[0]: row for row in table_rows(db)["organizations"]}
    assert "unknown" in {row[3] for row in orgs.values()}


def _epoch_csv(tmp_path: Path, rows: list[str]) -> Path:
    path = tmp_path / "epoch.csv"
    path.write_text("Model,Domain,Organization,Publication date,Parameters,Training compute (FLOP),"
                    "Training dataset size (datapoints),Organization categorization\n" + "\n".join(rows) + "\n")
    return path


def test_train_tokens_conflict_only_when_both_readings_disagree(run, tmp_path):
    path = _epoch_csv(tmp_path, [
        "LLaMA-65B,Language,Meta AI,2023-02-24,,,1.05e12,Industry",  # 1.05T words = 1.4T tokens: agrees
        "LLaMA-7B,Language,Meta AI,2023-02-24,,,1e12,Industry",  # 1T: the token count itself: agrees
        "GPT-3 175B (davinci),Language,OpenAI,2020-05-28,,,3e12,Industry",  # 3T or 4T tokens vs 300B: conflict
    ])
    result = run("import", "--from", "epoch", str(path))
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"{path}: read 3 rows, 3 language models\n"
        "  matched 3 catalogue models, not written: 2 agreeing, 1 conflicting\n"
        "    agreeing: llama-65b, llama-7b\n"
        "    conflicting: gpt-3-175b (line 4, GPT-3 175B (davinci)): train_tokens catalogue 300B, Epoch 4T "
        "(3T words / 0.75)\n"
        "  added 0 models\n")


@pytest.mark.parametrize("cell", ["0.0", "0", "-5e9"])
def test_implausible_number_is_left_unknown_with_a_warning(run, tmp_path, cell):
    path = _epoch_csv(tmp_path, [f"Tiny LM,Language,Acme Labs,2024-01-15,1e9,,{cell},"])
    result = run("import", "--from", "epoch", str(path))
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"{path}: read 1 row, 1 language model\n"
        f"  warning: {path}:2 (Tiny LM): Training dataset size (datapoints): '{cell}' is not a plausible figure "
        "(it must be positive and finite): left unknown\n"
        "  matched 0 catalogue models\n"
        "  added 1 model, 1 source, 1 organization\n"
        "    added: epoch-tiny-lm\n")
    tiny = json.loads(run("show", "epoch-tiny-lm", "--format", "json").stdout)
    assert "datapoints" not in tiny["note"]
    assert tiny["facts"]["params"]["value"] == 1e9


def test_organization_of_unknown_kind_is_imported(run, db, tmp_path):
    path = _epoch_csv(tmp_path, ["Mystery LM,Language,Acme Labs,2024-01-15,1e9,,,"])
    assert run("import", "--from", "epoch", str(path)).exit_code == 0
    orgs = {row[0]: row for row in table_rows(db)["organizations"]}
    assert orgs["epoch-acme-labs"][1:5] == ("Acme Labs", None, "unknown", "user")
    listed = run("list", "--org", "Acme Labs", "--format", "csv", "--columns", "id,org")
    assert listed.stdout == "id,org\nepoch-mystery-lm,epoch-acme-labs\n"


def test_real_epoch_file_against_curated_data(run, monkeypatch):
    """Where Epoch's dataset size is the token count itself (Llama 3, Gemma, Qwen 2), it is no conflict."""
    if not REAL_FILE.is_file():
        pytest.skip(f"{REAL_FILE} is not on this machine")
    monkeypatch.setenv("LLMZOO_DATA", str(Path(__file__).resolve().parents[1] / "data"))
    result = run("import", "--from", "epoch", str(REAL_FILE), "--dry-run")
    assert result.exit_code == 0, result.output
    conflicting = {line.split()[1] for line in result.stdout.splitlines() if line.startswith("    conflicting: ")}
    agreeing = next(line for line in result.stdout.splitlines() if line.startswith("    agreeing: "))
    for model_id in ("llama-3-70b", "gemma-7b", "qwen2-72b"):
        assert model_id not in conflicting
        assert f" {model_id}," in agreeing


def test_a_family_name_matches_the_member_of_that_size(run, tmp_path, monkeypatch):
    """Epoch names some models by their family ("PanGu-α" for the 207B model, "Alpaca" for the 7B):
    the member whose size agrees is matched, so no duplicate is added; Greek letters tell PanGu-α
    from PanGu-Σ; a name with a parenthesis is not its family ("GPT-2 (fine-tuned with HYDRA)")."""
    monkeypatch.setenv("LLMZOO_DATA", str(Path(__file__).resolve().parents[1] / "data"))
    path = _epoch_csv(tmp_path, [
        "PanGu-α,Language,Huawei Noah's Ark Lab,2021-04-25,2.07e11,,,Industry",
        "PanGu-Σ,Language,Huawei Noah's Ark Lab,2023-03-20,1.085e12,,,Industry",
        "Alpaca,Language,Stanford University,2023-03-13,7e9,,,Academia",
        "Alpaca,Language,Stanford University,2023-03-13,7e9,,,Academia",
        "GPT-2 (fine-tuned with HYDRA),Language,Acme Labs,2022-01-01,1.54e9,,,Academia",
        "PanGu-α,Language,Huawei Noah's Ark Lab,2021-04-25,5e10,,,Industry",
    ])
    result = run("import", "--from", "epoch", str(path), "--dry-run")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "      line 5 (Alpaca): same model as line 4" in lines
    assert "      line 7 (PanGu-α): same model as line 2" in lines
    matched = next(line for line in lines if line.startswith("  matched "))
    assert matched.startswith("  matched 3 catalogue models")
    named = {line.split()[1] for line in lines if line.startswith("    conflicting: ")}
    named |= set(next(line for line in lines if line.startswith("    agreeing: ")).split(": ")[1].split(", "))
    assert named == {"pangu-alpha-200b", "pangu-sigma", "alpaca-7b"}
    assert lines[-1] == "    would add: epoch-gpt-2-fine-tuned-with-hydra"

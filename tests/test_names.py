"""Names a reader types: family names, Hugging Face repo ids, organization aliases, and aliases that
state another size than their model (never silently)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.conftest import table_rows

HF_MODELS = {
    "sources": [
        {"id": "acme-card", "url": "https://huggingface.co/acme/Widget-7B-hf", "title": "Widget card",
         "kind": "model-card"},
        {"id": "acme-config", "url": "https://huggingface.co/acme/gizmo/blob/main/config.json", "title": "Gizmo",
         "kind": "model-card"},
        {"id": "acme-shared", "url": "https://huggingface.co/acme/shared-card", "title": "Shared",
         "kind": "model-card"},
        {"id": "acme-paper", "url": "https://example.org/acme", "title": "Acme paper", "kind": "paper"},
    ],
    "organizations": [{"id": "acme", "name": "Acme Labs", "kind": "industry", "aliases": ["ACME Research"]}],
    "families": [{"id": "pythia", "name": "Pythia", "org": "acme"}],
    "models": [
        {"id": "acme-w7", "name": "Acme W 7B", "org": "acme", "source": "acme-card", "params": "7B"},
        {"id": "acme-gizmo-2", "name": "Acme Gizmo 2", "org": "google-deepmind", "source": "acme-config"},
        {"id": "acme-one", "name": "Acme One", "org": "deepmind", "source": "acme-paper",
         "params": {"value": "1B", "source": "acme-shared"}},
        {"id": "acme-two", "name": "Acme Two", "org": "acme", "source": "acme-paper",
         "params": {"value": "2B", "source": "acme-shared"}},
        {"id": "pythia-12b", "name": "Pythia-12B", "family": "pythia", "org": "acme", "source": "acme-paper",
         "aliases": ["pythia-13b"]},
        {"id": "pythia-6.9b", "name": "Pythia-6.9B", "family": "pythia", "org": "acme", "source": "acme-paper"},
    ],
}


@pytest.fixture
def hf_run(run, tmp_path: Path):
    path = tmp_path / "hf.yaml"
    path.write_text(yaml.safe_dump(HF_MODELS, sort_keys=False))
    added = run("add", str(path))
    assert added.exit_code == 0, added.output
    return run


@pytest.mark.parametrize("name, model", [
    ("alpaca", "alpaca-7b"),  # the Alpaca family has one model
    ("Alpaca", "alpaca-7b"),
    ("t5", "t5-11b"),
    ("GPT-3", "gpt-3-175b"),  # an alias comes before the family of the same name
])
def test_a_family_of_one_model_names_it(run, name, model):
    result = run("show", name)
    assert result.exit_code == 0, result.output
    assert f"[{model}]" in result.stdout.split("\n")[0]


def test_a_family_of_several_models_lists_them(run):
    result = run("show", "llama")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == "Error: 'llama' names 2 models of the family LLaMA; did you mean llama-7b, llama-65b?\n"


def test_compare_and_lineage_take_the_same_names(run):
    result = run("compare", "alpaca", "t5", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout.split("\n")[0] == "fact,alpaca-7b,t5-11b"
    assert run("lineage", "llama").stderr.startswith("Error: 'llama' names 2 models of the family LLaMA;")


@pytest.mark.parametrize("name, model", [
    ("acme/Widget-7B-hf", "acme-w7"),  # the repo of the model's own source; case ignored
    ("ACME/widget-7b-HF", "acme-w7"),
    ("Widget-7B-hf", "acme-w7"),  # without the organization, as older Hugging Face ids (`gpt2`) read
    ("acme/gizmo", "acme-gizmo-2"),  # read from a /blob/main/config.json URL
    ("gizmo", "acme-gizmo-2"),
])
def test_a_hugging_face_repo_id_names_the_model_citing_it(hf_run, name, model):
    result = hf_run("show", name)
    assert result.exit_code == 0, result.output
    assert f"[{model}]" in result.stdout.split("\n")[0]


def test_a_hugging_face_repo_cited_by_several_models_lists_them(hf_run):
    result = hf_run("show", "acme/shared-card")
    assert result.exit_code == 1
    assert result.stderr == ("Error: 'acme/shared-card' names 2 models citing the Hugging Face repo "
                             "acme/shared-card; did you mean acme-one, acme-two?\n")


def test_an_alias_of_another_size_says_so(hf_run):
    result = hf_run("show", "pythia13b")
    assert result.exit_code == 0
    assert result.stdout.split("\n")[0] == "Pythia-12B  [pythia-12b]  (user-added)"
    assert result.stderr == "warning: 'pythia13b' is an alias of Pythia-12B (pythia-12b), a 12B model, not 13B\n"
    assert hf_run("show", "pythia-12b").stderr == ""


def test_t5_offers_t5_sizes_before_gpt_5(run, engine, tmp_path: Path):
    path = tmp_path / "gpt5.yaml"
    path.write_text(yaml.safe_dump({"models": [
        {"id": "gpt-5", "name": "GPT-5", "org": "openai", "source": "brown2020gpt3"},
        {"id": "t5-small", "name": "T5-Small", "family": "t5", "org": "google", "source": "raffel2019t5",
         "params": "60M"}]}))
    assert run("add", str(path)).exit_code == 0
    result = run("show", "t5")
    assert result.exit_code == 1
    assert result.stderr == "Error: 't5' names 2 models of the family T5; did you mean t5-small, t5-11b?\n"
    from catalog.query.names import suggest

    with engine.connect() as conn:
        assert suggest(conn, "t5") == ["t5-11b", "t5-small", "gpt-5"]  # each T5 before gpt-5, nearest first
        assert suggest(conn, "t5 s") == ["t5-small"]


@pytest.mark.parametrize("org, expected", [
    ("facebook", "id,org\nllama-7b,meta\nllama-65b,meta\n"),
    ("FAIR", "id,org\nllama-7b,meta\nllama-65b,meta\n"),
    ("Facebook AI Research", "id,org\nllama-7b,meta\nllama-65b,meta\n"),
    ("meta", "id,org\nllama-7b,meta\nllama-65b,meta\n"),
])
def test_org_aliases(run, org, expected):
    result = run("list", "--org", org, "--format", "csv", "--columns", "id,org", "--sort", "params")
    assert result.exit_code == 0, result.output
    assert result.stdout == expected


def test_org_deepmind_includes_google_deepmind(hf_run):
    result = hf_run("list", "--org", "deepmind", "--format", "csv", "--columns", "id,org")
    assert result.stdout == "id,org\nacme-gizmo-2,google-deepmind\nacme-one,deepmind\n"
    only = hf_run("list", "--org", "google-deepmind", "--format", "csv", "--columns", "id")
    assert only.stdout == "id\nacme-gizmo-2\n"
    user_alias = hf_run("list", "--org", "acme research", "--format", "csv", "--columns", "id")
    assert user_alias.stdout == "id\nacme-two\nacme-w7\npythia-12b\npythia-6.9b\n"


@pytest.mark.parametrize("command", [["list"], ["export", "--format", "csv"]])
def test_an_unknown_org_is_refused_with_hints(run, engine, db, command):
    before = table_rows(db)
    result = run(*command, "--org", "facebok")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == "Error: --org: no organization named 'facebok'; did you mean Facebook (meta)?\n"
    nothing = run(*command, "--org", "zzzz")
    assert nothing.stderr == "Error: --org: no organization named 'zzzz'; run `llmzoo stats` to see the organizations\n"
    assert table_rows(db) == before


def _write_bundle(folder: Path, models: list[dict]) -> Path:
    (folder / "models").mkdir(parents=True)
    (folder / "sources.yaml").write_text(yaml.safe_dump({"sources": [
        {"id": "card", "url": "https://example.org/card", "title": "Card", "kind": "model-card"}]}))
    (folder / "organizations.yaml").write_text(yaml.safe_dump({"organizations": [
        {"id": "lab", "name": "Lab", "kind": "industry", "aliases": ["The Lab"]}]}))
    (folder / "models" / "lab.yaml").write_text(yaml.safe_dump({
        "families": [{"id": "pythia", "name": "Pythia", "org": "lab"}],
        "models": [{"org": "lab", "source": "card", "family": "pythia", **m} for m in models]}, sort_keys=False))
    return folder


def test_validate_refuses_an_alias_giving_a_siblings_size(run, tmp_path: Path):
    folder = _write_bundle(tmp_path / "data", [
        {"id": "pythia-12b", "name": "Pythia-12B", "aliases": ["pythia-13b", "pythia-6.9b-v0"]},
        {"id": "pythia-6.9b", "name": "Pythia-6.9B"}])
    result = run("validate", str(folder))
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: 1 problem:\n  data/models/lab.yaml:6: pythia-12b: alias 'pythia-6.9b-v0' gives the size 6.9B of "
        "'pythia-6.9b', another model of the family 'pythia'; remove the alias or name it so that it cannot be "
        "read as that model\n")


def test_validate_refuses_an_alias_that_is_another_models_name(run, tmp_path: Path):
    folder = _write_bundle(tmp_path / "data", [
        {"id": "pythia-12b", "name": "Pythia-12B", "aliases": ["Pythia 13B"]},
        {"id": "pythia-13b", "name": "Pythia-13B"}])
    result = run("validate", str(folder))
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: 2 problems:\n"
        "  data/models/lab.yaml:13: pythia-13b: name or alias 'pythia13b' is also a name of 'pythia-12b'; aliases "
        "must be unique\n"
        "  data/models/lab.yaml:6: pythia-12b: alias 'Pythia 13B' gives the size 13B of 'pythia-13b', another model "
        "of the family 'pythia'; remove the alias or name it so that it cannot be read as that model\n")


def test_validate_refuses_a_repeated_organization_alias(run, tmp_path: Path):
    folder = _write_bundle(tmp_path / "data", [{"id": "pythia-12b", "name": "Pythia-12B"}])
    (folder / "organizations.yaml").write_text(yaml.safe_dump({"organizations": [
        {"id": "lab", "name": "Lab", "kind": "industry", "aliases": ["FAIR", "fair"]}]}))
    result = run("validate", str(folder))
    assert result.exit_code == 1
    assert "aliases: an alias is listed twice; keep one" in result.stderr


def test_organization_aliases_survive_export_and_import(hf_run, tmp_path: Path, monkeypatch):
    exported = hf_run("export", "--origin", "user", "--format", "jsonl")
    monkeypatch.setenv("LLMZOO_DB", str(tmp_path / "other.db"))
    imported = hf_run("import", "-", "--format", "jsonl", input=exported.stdout)
    assert imported.exit_code == 0, imported.output
    listed = hf_run("list", "--org", "ACME research", "--format", "csv", "--columns", "id")
    assert listed.stdout == "id\nacme-two\nacme-w7\npythia-12b\npythia-6.9b\n"

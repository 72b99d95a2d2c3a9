"""Data-source ratios of pre-training data: computed from sourced mixture links, never typed in."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from catalog.charts.data_mix import CATEGORY_COLORS, chart_data_mix
from catalog.query.datamix import MixDataset, build_mixture, merge_family_sizes, mix_rows, mixtures
from catalog.query.models import Filters
from catalog.store.db import open_catalog
from catalog.vocab import DATASET_KINDS, KIND_CATEGORY, MIX_CATEGORIES
from cli.main import cli

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def curated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The real curated catalogue in a temporary SQLite file."""
    monkeypatch.setenv("LLMZOO_DATA", str(REPO / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    db = str(tmp_path / "curated.db")
    monkeypatch.setenv("LLMZOO_DB", db)
    return open_catalog(db)


def link(id_: str, kind: str, share: float | None) -> MixDataset:
    return MixDataset(id_, id_.upper(), kind, share, f"https://example.org/{id_}")


def test_every_dataset_kind_has_one_category() -> None:
    assert set(KIND_CATEGORY) == set(DATASET_KINDS)
    assert set(KIND_CATEGORY.values()) <= set(MIX_CATEGORIES)
    assert set(CATEGORY_COLORS) == {*MIX_CATEGORIES, "not recorded"}


def test_shares_add_up_by_category_in_fixed_order() -> None:
    mix = build_mixture("m", "M", 7e9, [link("cc", "web", 0.6), link("gh", "code", 0.1), link("c4", "web", 0.2),
                                        link("se", "dialogue", 0.1)])
    assert [(c.name, round(c.share, 6)) for c in mix.categories] == [
        ("webpages", 0.8), ("conversation", 0.1), ("code", 0.1)]
    assert mix.complete
    partial = build_mixture("p", "P", None, [link("rw", "web", 0.75), link("x", "books", None)])
    assert not partial.complete and [d.id for d in partial.unshared] == ["x"]
    rows = mix_rows([partial])
    assert [(r["category"], round(r["share"], 6)) for r in rows] == [("webpages", 0.75), ("not recorded", 0.25)]


def test_sizes_on_one_mixture_merge_and_others_stay_apart() -> None:
    same = [build_mixture(f"g-{n}", f"G {n}", n, [link("cc", "web", 1.0)], family="g") for n in (1e9, 7e9)]
    other = build_mixture("g-x", "G X", 2e9, [link("cc", "web", 0.5), link("gh", "code", 0.5)], family="g")
    merged = merge_family_sizes([*same, other], {"g": "G family"})
    assert [(m.model_name, m.sizes) for m in merged] == [("G family", [1e9, 7e9]), ("G X", [2e9])]


def test_llama_and_gpt3_mixtures_agree_with_their_papers(curated: Any) -> None:
    found = {m.model_name: m for m in mixtures(curated)}
    llama = {c.name: round(c.share, 4) for c in found["LLaMA"].categories}
    # LLaMA paper, Table 1: CommonCrawl 67.0%, C4 15.0%, GitHub 4.5%, Wikipedia 4.5%, Books 4.5%,
    # ArXiv 2.5%, StackExchange 2.0%
    assert llama == {"webpages": 0.82, "conversation": 0.02, "books & news": 0.045, "scientific": 0.025,
                     "code": 0.045, "encyclopedia": 0.045}
    assert found["LLaMA"].sizes == sorted(found["LLaMA"].sizes) and len(found["LLaMA"].sizes) == 4
    gpt3 = found["GPT-3"]
    # GPT-3 paper, Table 2.2: weights 60 + 22 + 8 + 8 + 3 = 101% as printed
    assert round(gpt3.total, 4) == 1.01 and gpt3.complete
    assert {c.name: round(c.share, 4) for c in gpt3.categories} == {"webpages": 0.82, "books & news": 0.16,
                                                                     "encyclopedia": 0.03}


def test_chart_spec_bars_sum_to_one_sorted_by_web_share(curated: Any) -> None:
    spec = chart_data_mix(mixtures(curated)).to_dict()
    values = spec["datasets"][next(iter(spec["datasets"]))]
    totals: dict[str, float] = {}
    for row in values:
        totals[row["model"]] = totals.get(row["model"], 0.0) + row["share"]
    assert totals and all(abs(t - 1.0) < 1e-9 for t in totals.values())
    order = spec["encoding"]["y"]["sort"]
    webs = {row["model"]: row["web"] for row in values}
    assert [webs[m] for m in order] == sorted(webs.values(), reverse=True)
    scale = spec["encoding"]["color"]["scale"]
    assert dict(zip(scale["domain"], scale["range"], strict=True)) == {
        c: CATEGORY_COLORS[c] for c in scale["domain"]}
    assert spec["encoding"]["x"]["stack"] == "normalize"


def test_cli_writes_the_chart_and_refuses_an_empty_selection(curated: Any, tmp_path: Path) -> None:
    target = tmp_path / "mix.png"
    result = CliRunner().invoke(cli, ["chart", "data-mix", "-o", str(target), "--org", "deepmind"])
    assert result.exit_code == 0, result.output
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    empty = CliRunner().invoke(cli, ["chart", "data-mix", "-o", str(tmp_path / "none.png"), "--org", "xai"])
    assert empty.exit_code == 1
    assert "no model matching these filters has a published data mixture" in empty.output
    assert not (tmp_path / "none.png").exists()
    assert mixtures(curated, Filters(org=["xai"])) == []


def test_datasets_mix_prints_the_breakdown_in_every_format(curated: Any) -> None:
    runner = CliRunner()
    table = runner.invoke(cli, ["datasets", "mix", "llama-65b"])
    assert table.exit_code == 0, table.output
    assert table.stdout.splitlines()[2].split()[:2] == ["webpages", "82.0%"]
    assert table.stdout.splitlines()[-1] == "LLaMA 65B: shares from the training-data links, 100.0% published"
    data = json.loads(runner.invoke(cli, ["datasets", "mix", "LLaMA 65B", "--format", "json"]).stdout)
    assert [(c["name"], c["share"]) for c in data["categories"]] == [
        ("webpages", 0.82), ("conversation", 0.02), ("books & news", 0.045), ("scientific", 0.025),
        ("code", 0.045), ("encyclopedia", 0.045)]
    assert data["categories"][0]["datasets"][0]["source"] == "https://arxiv.org/abs/2302.13971"
    rows = runner.invoke(cli, ["datasets", "mix", "gpt-3-175b", "--format", "csv"]).stdout.splitlines()
    assert rows[0] == "category,share,datasets" and rows[1].startswith("webpages,0.82,")
    missing = runner.invoke(cli, ["datasets", "mix", "gpt-4"])
    assert missing.exit_code == 1
    assert missing.stderr == ("Error: GPT-4 (gpt-4) has no training-data links in the catalogue; `llmzoo chart "
                              "data-mix` lists the models that have a published mixture\n")


def test_two_merged_mixtures_of_one_family_are_two_named_bars() -> None:
    base = [build_mixture(f"cl-{n}", f"Code Llama {n}B", n * 1e9, [link("code", "code", 0.85), link("nl", "web", 0.15)],
                          family="code-llama") for n in (7, 13, 34)]
    python = [build_mixture(f"clp-{n}", f"Code Llama - Python {n}B", n * 1e9,
                            [link("code", "code", 0.75), link("py", "code", 0.1), link("nl", "web", 0.15)],
                            family="code-llama") for n in (7, 13, 34)]
    merged = merge_family_sizes([*base, *python], {"code-llama": "Code Llama"})
    assert [(m.model_name, len(m.sizes)) for m in merged] == [("Code Llama", 3), ("Code Llama - Python", 3)]
    spec = chart_data_mix(merged).to_dict()
    rows = next(iter(spec["datasets"].values()))
    bars = {r["model"] for r in rows}
    assert bars == {"Code Llama (3 sizes, 7B-34B)", "Code Llama - Python (3 sizes, 7B-34B)"}
    for bar in bars:  # each bar alone sums to 100%
        assert sum(r["share"] for r in rows if r["model"] == bar) == pytest.approx(1.0)


def test_labels_that_would_collide_get_the_model_id() -> None:
    one = build_mixture("a-1", "Same", None, [link("cc", "web", 1.0)])
    two = build_mixture("a-2", "Same", None, [link("gh", "code", 1.0)])
    rows = next(iter(chart_data_mix([one, two]).to_dict()["datasets"].values()))
    assert {r["model"] for r in rows} == {"Same [a-1]", "Same [a-2]"}

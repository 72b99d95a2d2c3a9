"""`chart capability` as a spec (chart.to_dict()): small multiples with a panel per benchmark, each
with its own chance line and setting; a benchmark without a chance level; --x params with
estimated (derived) parameter counts drawn hollow. The single-benchmark chart is in test_evals.py."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

SOURCES = [{"id": "hendrycks2020mmlu", "url": "https://arxiv.org/abs/2009.03300",
            "title": "Measuring Massive Multitask Language Understanding", "kind": "paper"}]


def bench(bid: str, name: str, chance: float | None, shots: int) -> dict:
    out = {"id": bid, "name": name, "task_kind": "reasoning", "metric": "accuracy", "standard": {"shots": shots},
           "source": "hendrycks2020mmlu"}
    return out if chance is None else {**out, "chance": chance}


def result(model: str, benchmark: str, shots: int, score: float, **more) -> dict:
    return {"model": model, "benchmark": benchmark, "setting": {"shots": shots}, "score": score,
            "evaluated_by": "developer", "source": "touvron2023llama", "locator": "Table 1", **more}


@pytest.fixture
def results(data_copy: Path) -> Path:
    (data_copy / "benchmarks.yaml").write_text(yaml.safe_dump({"sources": SOURCES, "benchmarks": [
        bench("mmlu", "MMLU", 25, 5), bench("gsm8k", "GSM8K", 0, 8), bench("bbh", "BIG-Bench Hard", None, 3)]},
        sort_keys=False))
    (data_copy / "evals").mkdir()
    (data_copy / "evals" / "all.yaml").write_text(yaml.safe_dump({"evals": [
        result("llama-7b", "mmlu", 5, 35.1), result("llama-65b", "mmlu", 5, 63.4),
        result("llama-7b", "gsm8k", 8, 11.0), result("llama-65b", "gsm8k", 8, 50.9),
        result("alpaca-7b", "gsm8k", 8, 12.0, evaluated_by="third-party", evaluator="A lab"),
        result("llama-65b", "gsm8k", 0, 30.0),  # not the standard setting: not drawn
        result("llama-65b", "bbh", 3, 40.0),
    ]}, sort_keys=False))
    return data_copy


def _points(panel: dict, spec: dict) -> list[tuple]:
    rows = []
    for layer in panel["layer"]:
        if layer["mark"]["type"] == "point":
            rows += [(r["model"], r["score"], layer["mark"]["filled"], r["evaluated_by"])
                     for r in spec["datasets"][layer["data"]["name"]]]
    return sorted(rows)


def _chance(panel: dict, spec: dict) -> list[float]:
    return [spec["datasets"][layer["data"]["name"]][0]["chance"] for layer in panel["layer"]
            if layer["mark"]["type"] == "rule"]


def test_small_multiples_have_a_panel_per_benchmark_with_its_setting_and_chance(results, engine):
    from catalog.charts.capability import chart_capability

    spec = chart_capability(engine, ["mmlu", "gsm8k"], x="params").to_dict()
    mmlu, gsm8k = spec["concat"]
    assert (mmlu["title"]["text"], mmlu["title"]["subtitle"]) == ("MMLU", "5-shot, 2 models")
    assert (gsm8k["title"]["text"], gsm8k["title"]["subtitle"]) == ("GSM8K", "8-shot, 3 models")
    assert _chance(mmlu, spec) == [25] and _chance(gsm8k, spec) == [0]
    # alpaca-7b's parameter count is derived from its parent: drawn hollow; a third party's result: a triangle
    assert _points(gsm8k, spec) == [("alpaca-7b", 12.0, False, "third-party"), ("llama-65b", 50.9, True, "developer"),
                                    ("llama-7b", 11.0, True, "developer")]
    assert _points(mmlu, spec) == [("llama-65b", 63.4, True, "developer"), ("llama-7b", 35.1, True, "developer")]
    point = next(layer for layer in gsm8k["layer"] if layer["mark"]["type"] == "point")
    assert point["encoding"]["x"]["scale"]["type"] == "log"
    assert point["encoding"]["x"]["title"] == "parameters (log scale)"
    assert point["encoding"]["shape"]["scale"] == {"domain": ["developer", "third-party"],
                                                   "range": ["circle", "triangle-up"]}
    assert spec["resolve"]["scale"] == {"color": "shared", "shape": "shared"}
    assert spec["title"]["subtitle"][0] == ("Setting: mmlu: 5-shot; gsm8k: 8-shot, whole benchmark, accuracy. "
                                            "5 results.")
    assert spec["title"]["subtitle"][1].endswith("Hollow marks: parameter count nominal or estimated.")
    assert spec["title"]["subtitle"][2].startswith("Dashed line: chance level. Every point cites its table")


def test_a_benchmark_without_a_chance_level_gets_no_line_and_the_subtitle_says_so(results, engine):
    from catalog.charts.capability import chart_capability

    spec = chart_capability(engine, ["mmlu", "bbh"], x="params").to_dict()
    mmlu, bbh = spec["concat"]
    assert _chance(mmlu, spec) == [25] and _chance(bbh, spec) == []
    assert bbh["title"]["subtitle"] == "3-shot, 1 models"
    assert spec["title"]["subtitle"][2] == ("Dashed line: chance level. No chance level recorded for bbh (no line). "
                                            "Every point cites its table (llmzoo evals --benchmark ID).")
    alone = chart_capability(engine, ["bbh"], x="params").to_dict()
    assert [layer["mark"]["type"] for layer in alone["layer"]] == ["point"]
    assert alone["title"]["subtitle"][2] == ("No chance level recorded for this benchmark. Every point cites its "
                                             "table (llmzoo evals --benchmark ID).")


def test_compute_estimated_as_6nd_is_hollow(results, engine):
    from catalog.charts.capability import chart_capability

    spec = chart_capability(engine, ["gsm8k"]).to_dict()
    # the fixture LLaMA models have params and tokens but no published compute: 6·N·D, hollow; alpaca-7b
    # (a fine-tune without its own token count) sits at LLaMA 7B's pre-training: 6·N·D of its inherited tokens
    assert _points(spec, spec) == [("alpaca-7b", 12.0, False, "third-party"), ("llama-65b", 50.9, False, "developer"),
                                   ("llama-7b", 11.0, False, "developer")]
    xs = {r["model"]: r["x"] for layer in spec["layer"] if layer["mark"]["type"] == "point"
          for r in spec["datasets"][layer["data"]["name"]]}
    assert xs["alpaca-7b"] == pytest.approx(6 * 6.7e9 * 1e12)  # its own stage is 52K demonstrations, not 1T tokens
    assert spec["title"]["subtitle"][1].endswith(
        "Hollow marks: training compute estimated as 6·N·D or marked estimated by its source.")
    assert len(spec["title"]["subtitle"]) == 3  # every result drawn: no "Not drawn" line
    assert len(chart_capability(engine, ["mmlu", "gsm8k"], x="params").to_dict()["title"]["subtitle"]) == 3


def test_every_family_has_its_own_colour_up_to_forty(results, engine):
    from catalog.charts.capability import FAMILY_COLORS, chart_capability

    assert len(set(FAMILY_COLORS)) == 40
    spec = chart_capability(engine, ["gsm8k"], x="params").to_dict()
    point = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "point")
    scale = point["encoding"]["color"]["scale"]
    assert scale["domain"] == ["alpaca", "llama"]
    assert scale["range"] == list(FAMILY_COLORS[:2])  # a colour of its own each, not a scheme that repeats


def test_a_size_from_the_name_is_hollow():
    from catalog.charts.capability import _x

    assert _x({"params": 7e9, "params_status": "nominal"}, "params") == (7e9, True)  # a size from the name: hollow
    assert _x({"params": 7e9, "params_status": "reported"}, "params") == (7e9, False)

"""Charts: specs asserted on `chart.to_dict()`, files written through the CLI, and bad input."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from catalog import scaling
from catalog.charts import draw as charts
from catalog.charts import selection as chartdata
from catalog.charts.files import chart_format, render_chart, save_chart
from catalog.errors import CatalogError
from catalog.query.models import Filters, models_frame

REPO = Path(__file__).resolve().parent.parent

# --- helpers -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def bundle_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache folder for the whole session: vl-convert builds its JavaScript bundle once."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def shared_cache(bundle_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(bundle_cache))


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """An empty folder for the charts (tmp_path also holds the home and the database)."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def synthetic_frame(n: int, seed: int = 0) -> Any:
    """A models_frame-shaped DataFrame of n random models (500 organizations, n/20 families)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    orgs = rng.zipf(1.6, n) % 500
    params = 10 ** rng.uniform(7.5, 12.3, n)
    params[rng.random(n) < 0.1] = np.nan
    tokens = params * 10 ** rng.uniform(-0.5, 3.5, n)
    tokens[rng.random(n) < 0.3] = np.nan
    moe = rng.random(n) < 0.05
    active = np.where(moe, params / 8, np.nan)
    plotted = np.where(moe, active, params)
    compute = 6 * plotted * tokens
    days = rng.integers(0, 365 * 8, n)
    arch = rng.choice(["causal-decoder", "encoder-only", "encoder-decoder", "prefix-decoder", None], n,
                      p=[0.8, 0.06, 0.06, 0.03, 0.05])
    status = lambda values: np.where(np.isnan(values), None, np.where(rng.random(n) < 0.1, "estimated", "reported"))  # noqa: E731
    return pd.DataFrame({
        "id": [f"m{i}" for i in range(n)], "name": [f"Model {i}" for i in range(n)],
        "family": [f"fam-{i % max(n // 20, 1)}" for i in range(n)], "org": [f"org-{o}" for o in orgs],
        "org_name": [f"Organization {o}" for o in orgs],
        "released": pd.Timestamp("2018-01-01") + pd.to_timedelta(days, unit="D"),
        "released_precision": "day", "arch": arch, "moe": moe, "params": params, "active_params": active,
        "train_tokens": tokens, "train_compute": np.nan,
        "open_weights": rng.choice(np.array([True, False, None], dtype=object), n),
        "compute": compute, "compute_status": np.where(np.isnan(compute), None, "6ND"),
        "tokens_per_param": tokens / plotted, "params_status": status(params),
        "active_params_status": np.where(moe, "reported", None), "train_tokens_status": status(tokens),
    })


def model(**facts: Any) -> dict[str, Any]:
    """One row of a hand-made frame; unspecified facts are missing."""
    row = {"id": facts.get("name", "m").lower().replace(" ", "-"), "name": "m", "family": None, "org": "org",
           "org_name": "Org", "released": None, "released_precision": "day", "arch": "causal-decoder",
           "moe": False, "params": None, "active_params": None, "train_tokens": None, "train_compute": None,
           "open_weights": True, "compute": None, "compute_status": None}
    row.update(facts)
    if row["compute"] is None and row["params"] and row["train_tokens"]:
        size = row["active_params"] if row["moe"] and row["active_params"] else row["params"]
        row["compute"], row["compute_status"] = 6 * size * row["train_tokens"], "6ND"
    return row


def frame_of(*rows: dict[str, Any]) -> Any:
    import pandas as pd

    frame = pd.DataFrame(list(rows))
    frame["released"] = pd.to_datetime(frame["released"])
    return frame


def all_layers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Every unit spec inside layers and concatenations."""
    out = []
    for key in ("layer", "vconcat", "hconcat", "concat"):
        for part in spec.get(key, []):
            out += all_layers(part)
    if "mark" in spec:
        out.append(spec)
    return out


def mark_type(layer: dict[str, Any]) -> str:
    return layer["mark"] if isinstance(layer["mark"], str) else layer["mark"]["type"]


def rows_of(spec: dict[str, Any], layer: dict[str, Any]) -> list[dict[str, Any]]:
    """The data rows of a layer (inline datasets, before the layer's transforms)."""
    data = layer.get("data") or spec.get("data")
    return spec["datasets"][data["name"]] if "name" in data else data["values"]


def point_layers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [layer for layer in all_layers(spec) if mark_type(layer) == "point"]


def point_rows(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Model rows of a chart: the data of its point layers, each dataset once."""
    seen, rows = set(), []
    for layer in point_layers(spec):
        name = (layer.get("data") or {}).get("name")
        if name not in seen:
            seen.add(name)
            rows += rows_of(spec, layer)
    return rows


def text_rows(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [row for layer in all_layers(spec) if mark_type(layer) == "text" for row in rows_of(spec, layer)]


def subtitle(spec: dict[str, Any]) -> str:
    sub = spec["title"].get("subtitle") or []
    return " ".join(sub if isinstance(sub, list) else [sub])


# --- timeline ----------------------------------------------------------------------------------


def test_timeline_encodings(engine: Any) -> None:
    spec = charts.chart_timeline(models_frame(engine, columns=charts.CHART_COLUMNS)).to_dict()
    points = point_layers(spec)
    sized = [p for p in points if "size" in p["encoding"]]
    assert len(sized) == 1
    enc = sized[0]["encoding"]
    assert enc["x"]["field"] == "released_plot" and enc["x"]["type"] == "temporal"  # same-day sizes side by side
    assert enc["x"]["axis"]["format"] == "%Y"
    assert enc["x"]["axis"]["tickCount"] == {"interval": "year", "step": 1}
    assert enc["color"]["field"] == "arch_plot"
    assert enc["shape"]["field"] == "weights_plot"
    assert enc["size"]["field"] == "size_params" and enc["size"]["scale"]["type"] == "log"
    assert {t["title"] for t in enc["tooltip"]} >= {"model", "organization", "released", "parameters",
                                                    "training tokens", "weights", "architecture"}
    rows = point_rows(spec)
    assert sorted(r["tip_model"] for r in rows) == sorted(
        ["GPT-3 175B", "T5-11B", "GLM-130B", "LLaMA 7B", "LLaMA 65B", "Alpaca 7B", "GPT-4"])
    by_name = {r["tip_model"]: r for r in rows}
    assert by_name["Alpaca 7B"]["tip_parameters"] == "6.7B (derived)"
    assert by_name["GPT-4"]["tip_parameters"] == "unpublished"
    assert by_name["T5-11B"]["tip_released_text"] == "2019-10"
    assert by_name["GPT-3 175B"]["tip_weights"] == "closed"


def test_timeline_rows_by_first_release_and_filter(engine: Any) -> None:
    frame = models_frame(engine, Filters(org=["meta", "openai"]), columns=charts.CHART_COLUMNS)
    spec = charts.chart_timeline(frame).to_dict()
    rows = point_rows(spec)
    assert {r["tip_organization"] for r in rows} == {"Meta AI", "OpenAI"}
    assert len(rows) == len(frame) == 4
    y_axis = point_layers(spec)[0]["encoding"]["y"]["axis"]
    assert y_axis["labelExpr"].startswith('["OpenAI", "Meta AI"]')  # GPT-3 (2020) before LLaMA (2023)


def test_timeline_group_by_family(engine: Any) -> None:
    spec = charts.chart_timeline(models_frame(engine, columns=charts.CHART_COLUMNS), group_by="family").to_dict()
    labels = point_layers(spec)[0]["encoding"]["y"]["axis"]["labelExpr"]
    assert json.loads(labels.split("[datum")[0]) == ["t5", "gpt-3", "glm", "llama", "alpaca", "gpt-4"]


def test_timeline_labels_do_not_overlap() -> None:
    spec = charts.chart_timeline(synthetic_frame(3000)).to_dict()
    labels = text_rows(spec)
    assert 10 <= len(labels) <= charts.MAX_LABELS
    assert len({r["label"] for r in labels}) == len(labels)


def test_place_labels_avoids_points_and_labels() -> None:
    import numpy as np

    rng = np.random.default_rng(1)
    x, y = rng.uniform(0, 400, 300), rng.uniform(0, 300, 300)
    r = np.full(300, 3.0)
    chosen = charts.place_labels(x, y, r, [(i, f"label {i}") for i in range(300)], 400, 300, limit=300)
    boxes = []
    for index, text, align, ax, ay in chosen:
        w, h = charts.text_width(text), charts.LABEL_SIZE * 1.2
        x0 = ax if align == "left" else ax - w
        box = (x0, ay - h / 2, x0 + w, ay + h / 2)
        assert 0 <= box[0] and box[2] <= 400
        others = np.arange(300) != index
        dx = np.maximum(np.maximum(box[0] - x, 0), x - box[2])[others]
        dy = np.maximum(np.maximum(box[1] - y, 0), y - box[3])[others]
        assert (dx**2 + dy**2 >= r[others] ** 2).all()
        boxes.append(box)
    assert 5 < len(boxes) < 300
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3])


# --- compute -----------------------------------------------------------------------------------


def test_compute_log_scales_and_frontiers(engine: Any) -> None:
    spec = charts.chart_compute(models_frame(engine, columns=charts.CHART_COLUMNS)).to_dict()
    enc = point_layers(spec)[0]["encoding"]
    assert enc["x"]["field"] == "x_params" and enc["x"]["scale"]["type"] == "log"
    assert enc["y"]["field"] == "y_tokens" and enc["y"]["scale"]["type"] == "log"
    assert enc["color"]["field"] == "arch_plot"
    # only the models with both a size and a token count (Alpaca's pre-training: LLaMA 7B's, inherited)
    assert sorted(r["tip_model"] for r in point_rows(spec)) == ["Alpaca 7B", "GLM-130B", "GPT-3 175B", "LLaMA 65B",
                                                                 "LLaMA 7B"]
    lines = [row for layer in all_layers(spec) if mark_type(layer) == "line" for row in rows_of(spec, layer)]
    names = {row["line"] for row in lines}
    assert set(charts.FRONTIER_NAMES.values()) <= names
    for row in lines:
        if row["line"] == charts.FRONTIER_NAMES["chinchilla"]:
            assert row["y_tokens"] / row["x_params"] == pytest.approx(
                scaling.chinchilla_optimal_for_params(1e9).tokens_per_param)
        elif row["line"] == charts.FRONTIER_NAMES["kaplan"]:
            assert row["y_tokens"] == pytest.approx(scaling.kaplan_optimal_for_params(row["x_params"]).tokens)
        else:
            assert row["line"].endswith(" FLOP")
            assert 6 * row["x_params"] * row["y_tokens"] == pytest.approx(10 ** int(row["line"][2:4]))
    iso_labels = {row["label"] for row in text_rows(spec) if row["label"].endswith("FLOP")}
    assert iso_labels and iso_labels <= {f"1e{e} FLOP" for e in range(18, 28)}


def test_compute_iso_flop_lines_span_1e18_to_1e27() -> None:
    frame = frame_of(model(name="tiny", params=1e6, train_tokens=1e9, released="2020-01-01"),
                     model(name="huge", params=2e12, train_tokens=9e13, released="2024-01-01"))
    spec = charts.chart_compute(frame).to_dict()
    names = {row["line"] for layer in all_layers(spec) if mark_type(layer) == "line"
             for row in rows_of(spec, layer)}
    assert {f"1e{e} FLOP" for e in range(18, 28)} <= names


def test_compute_estimates_hollow_and_moe_active() -> None:
    frame = frame_of(
        model(name="Dense", params=7e9, train_tokens=2e12, released="2023-01-01"),
        model(name="Guess", params=70e9, train_tokens=1e12, released="2023-06-01", train_tokens_status="estimated"),
        model(name="MoE", moe=True, params=671e9, active_params=37e9, train_tokens=14.8e12, released="2024-12-26"),
    )
    spec = charts.chart_compute(frame).to_dict()
    shape = point_layers(spec)[0]["encoding"]["shape"]
    assert shape["scale"]["domain"] == ["reported", "estimated or derived"]
    assert shape["scale"]["range"] == ["circle", charts.RING]
    rows = {r["tip_model"]: r for r in point_rows(spec)}
    assert rows["Guess"]["values"] == "estimated or derived" and rows["Dense"]["values"] == "reported"
    assert rows["MoE"]["x_params"] == 37e9
    assert rows["MoE"]["tip_parameters"] == "671B total, 37B active (MoE: active parameters plotted)"
    assert rows["Dense"]["tip_ratio"].startswith("285.7 (14× Chinchilla-optimal)")
    assert "1 MoE model placed by active parameters" in subtitle(spec)


def test_compute_leaves_out_later_training_stages() -> None:
    frame = frame_of(
        model(name="Base", params=7e9, train_tokens=2e12, released="2023-01-01"),
        model(name="Instruct", params=7e9, train_tokens=5e9, released="2023-02-01"),
        model(name="Student", params=1e9, train_tokens=9e12, released="2024-09-01"),
    )
    parents = {"instruct": [("base", "instruction-tune")], "student": [("base", "distillation")]}
    frame = charts.with_lineage(frame, parents)
    assert frame["derived_by"].fillna("-").tolist() == ["-", "instruction-tune", "distillation"]
    spec = charts.chart_compute(frame).to_dict()
    assert sorted(r["tip_model"] for r in point_rows(spec)) == ["Base", "Student"]
    assert ("Not shown: 1 model fine-tuned or further-trained (their token counts cover only their own "
            "training stage, and their base's pre-training is not known).") in subtitle(spec)
    growth = charts.chart_growth(frame).to_dict()
    compute_panel = growth["vconcat"][1]["layer"][0]
    assert sorted(r["tip_model"] for r in rows_of(growth, compute_panel)) == ["Base", "Student"]
    assert "leaves out 1 fine-tuned or further-trained model" in subtitle(growth)
    with pytest.raises(CatalogError, match="training token count of its own pre-training"):
        charts.chart_compute(frame.iloc[[1]])


# --- growth and architectures ------------------------------------------------------------------


def test_fit_trend_recovers_doubling_time() -> None:
    import pandas as pd

    released = pd.Series(pd.date_range("2018-01-01", periods=60, freq="MS"))
    years = released.dt.year + (released.dt.day_of_year - 1) / 365.25
    values = 1e9 * 2 ** ((years - 2018) * 12 / 7.0)  # doubles every 7 months
    trend = charts.fit_trend(released, values)
    assert trend is not None
    assert trend["doubling_months"] == pytest.approx(7.0, rel=1e-6)
    assert trend["n"] == 60
    assert charts.fit_trend(released.head(1), values.head(1)) is None


def test_growth_subtitle_and_panels() -> None:
    import pandas as pd

    dates = pd.date_range("2019-01-01", periods=24, freq="MS")
    rows = [model(name=f"m{i}", released=d, params=1e9 * 2 ** (i / 6), train_tokens=1e11 * 2 ** (i / 12))
            for i, d in enumerate(dates)]
    spec = charts.chart_growth(frame_of(*rows)).to_dict()
    text = subtitle(spec)
    assert "Parameters doubled every 6.0 months" in text
    assert "Training compute doubled every 4.0 months" in text
    assert len(spec["vconcat"]) == 2
    for panel in spec["vconcat"]:
        point = [layer for layer in panel["layer"] if mark_type(layer) == "point"][0]
        assert point["encoding"]["y"]["scale"]["type"] == "log"
        assert [layer for layer in panel["layer"] if mark_type(layer) == "line"]


def test_growth_needs_values(engine: Any) -> None:
    frame = frame_of(model(name="a", released="2020-01-01"), model(name="b", released="2021-01-01"))
    with pytest.raises(CatalogError, match="has a parameter count or a training compute"):
        charts.chart_growth(frame)


def test_architectures_counts(engine: Any) -> None:
    spec = charts.chart_architectures(models_frame(engine, columns=charts.CHART_COLUMNS)).to_dict()
    bars = [layer for layer in all_layers(spec) if mark_type(layer) == "bar"][0]
    counts = {(r["year"], r["arch_plot"]): r["models"] for r in rows_of(spec, bars)}
    assert counts == {(2019, "encoder-decoder"): 1, (2020, "causal-decoder"): 1, (2022, "prefix-decoder"): 1,
                      (2023, "causal-decoder"): 3, (2023, "unknown"): 1}
    assert bars["encoding"]["y"]["stack"] == "zero"
    share = charts.chart_architectures(models_frame(engine, columns=charts.CHART_COLUMNS), share=True).to_dict()
    bars = [layer for layer in all_layers(share) if mark_type(layer) == "bar"][0]
    assert bars["encoding"]["y"]["field"] == "share"
    assert {r["share"] for r in rows_of(share, bars) if r["year"] == 2023} == {0.75, 0.25}


# --- large catalogues and bad input ------------------------------------------------------------


@pytest.mark.parametrize("name", charts.CHARTS)
def test_100k_models_are_capped_and_say_so(name: str) -> None:
    frame = synthetic_frame(100_000)
    spec = getattr(charts, f"chart_{name}")(frame).to_dict()  # altair's row limit would raise here
    for layer in all_layers(spec):
        assert len(rows_of(spec, layer)) <= charts.MAX_POINTS
    if name != "architectures":
        assert len(point_rows(spec)) <= 2 * charts.MAX_POINTS  # growth: two panels
        assert re.search(r"[Ss]howing [\d,]+ of [\d,]+ (dated )?models", subtitle(spec))
    if name == "timeline":
        assert "Showing 3,000 of 100,000 dated models: the largest per organization and year." in subtitle(spec)
        assert "share the row 'Other (" in subtitle(spec)


def test_100k_html_is_small_and_self_contained() -> None:
    content = render_chart(charts.chart_timeline(synthetic_frame(100_000)), "html")
    assert len(content) < 5_000_000
    assert not re.search(rb"<script[^>]*\ssrc\s*=", content)


@pytest.mark.parametrize("name", charts.CHARTS)
def test_empty_selection(name: str) -> None:
    frame = synthetic_frame(5).head(0)
    with pytest.raises(CatalogError, match="no models match these filters; nothing to draw"):
        getattr(charts, f"chart_{name}")(frame)


def test_unknown_grouping(engine: Any) -> None:
    with pytest.raises(CatalogError, match="choose one of org, family"):
        charts.chart_timeline(models_frame(engine, columns=charts.CHART_COLUMNS), group_by="country")


@pytest.mark.parametrize(("path", "fmt"), [("a.html", "html"), ("b.PNG", "png"), ("c.svg", "svg"),
                                           ("d.pdf", "pdf"), ("e.json", "json")])
def test_chart_format(path: str, fmt: str) -> None:
    assert chart_format(path) == fmt


@pytest.mark.parametrize("path", ["chart.jpg", "chart", "chart.html.gz"])
def test_chart_format_unknown(path: str) -> None:
    with pytest.raises(CatalogError, match=r"use one of: \.html, \.png, \.svg, \.pdf, \.json"):
        chart_format(path)


def test_save_chart_is_atomic(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = out / "chart.json"
    target.write_text("old")
    chart = charts.chart_architectures(synthetic_frame(50))

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(CatalogError, match="cannot write .*chart.json: No space left on device"):
        save_chart(chart, target)
    assert target.read_text() == "old"
    assert sorted(p.name for p in out.iterdir()) == ["chart.json"]
    monkeypatch.undo()
    save_chart(chart, target)
    assert json.loads(target.read_text())["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
    assert sorted(p.name for p in out.iterdir()) == ["chart.json"]


def test_html_bundle_is_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import vl_convert

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    chart = charts.chart_architectures(synthetic_frame(50))
    first = render_chart(chart, "html")
    cached = list((tmp_path / "cache" / "llmzoo").glob("vega-bundle-*.js"))
    assert len(cached) == 1 and cached[0].stat().st_size > 100_000

    def no_rebuild(*_args: Any, **_kwargs: Any) -> str:
        raise AssertionError("the bundle was built again")

    monkeypatch.setattr(vl_convert, "javascript_bundle", no_rebuild)
    assert render_chart(chart, "html") == first


# --- the CLI -----------------------------------------------------------------------------------

MAGIC = {
    "png": lambda data: data.startswith(b"\x89PNG\r\n\x1a\n"),
    "svg": lambda data: b"<svg" in data[:500] and data.rstrip().endswith(b"</svg>"),
    "pdf": lambda data: data.startswith(b"%PDF-"),
    "json": lambda data: {"$schema", "datasets", "config"} <= set(json.loads(data)),
    "html": lambda data: b"<html" in data[:200].lower() and b"vegaEmbed" in data,
}


@pytest.mark.parametrize(("name", "fmt"), [("compute", fmt) for fmt in MAGIC] + [
    ("timeline", "png"), ("timeline", "html"), ("growth", "svg"), ("growth", "pdf"), ("architectures", "png"),
    ("architectures", "json")])
def test_cli_writes_each_format(run: Any, out: Path, name: str, fmt: str) -> None:
    path = out / f"{name}.{fmt}"
    result = run("chart", name, "-o", str(path))
    assert result.exit_code == 0, result.output
    assert result.stderr == f"Wrote {path}\n"
    assert result.stdout == ""
    assert MAGIC[fmt](path.read_bytes())
    assert sorted(p.name for p in out.iterdir()) == [path.name]


def test_cli_html_has_no_external_scripts(run: Any, out: Path) -> None:
    path = out / "timeline.html"
    assert run("chart", "timeline", "-o", str(path)).exit_code == 0
    html = path.read_text()
    assert not re.search(r"<script[^>]*\ssrc\s*=", html) and "cdn.jsdelivr" not in html
    assert html.count("<script") >= 2 and len(html) > 500_000  # the inlined Vega bundle
    assert '"renderer": "svg"' in html


def test_cli_filters_and_options(run: Any, out: Path) -> None:
    path = out / "meta.json"
    result = run("chart", "compute", "--org", "meta", "--title", "Meta's models", "--width", "400",
                 "--height", "300", "-o", str(path))
    assert result.exit_code == 0, result.output
    spec = json.loads(path.read_text())
    assert sorted(r["tip_model"] for r in point_rows(spec)) == ["LLaMA 65B", "LLaMA 7B"]
    assert spec["title"]["text"] == "Meta's models"
    assert (spec["width"], spec["height"]) == (400, 300)
    path = out / "families.json"
    assert run("chart", "timeline", "--group-by", "family", "--since", "2023", "-o", str(path)).exit_code == 0
    assert {r["tip_family"] for r in point_rows(json.loads(path.read_text()))} == {"llama", "alpaca", "gpt-4"}


@pytest.mark.parametrize(("args", "message"), [
    (["compute", "-o", "{tmp}/chart.jpg"],
     "Error: {tmp}/chart.jpg: extension '.jpg' is not a chart format; use one of: .html, .png, .svg, .pdf, .json\n"),
    (["timeline", "-o", "{tmp}/missing/chart.png"],
     "Error: cannot write {tmp}/missing/chart.png: the folder {tmp}/missing does not exist\n"),
    (["timeline", "-o", "{tmp}/file.txt/chart.png"],
     "Error: cannot write {tmp}/file.txt/chart.png: {tmp}/file.txt is a file, not a folder\n"),
    (["growth", "-o", "{tmp}"],
     "Error: {tmp}: no extension is not a chart format; use one of: .html, .png, .svg, .pdf, .json\n"),
    (["compute", "--org", "nobody", "-o", "{tmp}/chart.png"],
     "Error: no models match these filters; nothing to draw in the compute chart\n"),
    (["compute", "--org", "google", "-o", "{tmp}/chart.png"],
     "Error: none of the 1 selected model has both a parameter count and a training token count; "
     "nothing to draw in the compute chart\n"),
    (["timeline", "--group-by", "country", "-o", "{tmp}/chart.png"], None),
])
def test_cli_bad_input(run: Any, out: Path, args: list[str], message: str | None) -> None:
    (out / "file.txt").write_text("not a folder")
    before = sorted(p.name for p in out.iterdir())
    result = run("chart", *[a.format(tmp=out) for a in args])
    if message is None:  # a usage error, reported by click
        assert result.exit_code == 2
        assert "Invalid value for '--group-by'" in result.stderr
    else:
        assert result.exit_code == 1
        assert result.stderr == message.format(tmp=out)
    assert "Traceback" not in result.output
    assert sorted(p.name for p in out.iterdir()) == before


def test_cli_compute_uses_lineage(run: Any, out: Path, data_copy: Path) -> None:
    models = data_copy / "models" / "fixture.yaml"
    text = models.read_text()
    models.write_text(text.replace("    params: {value: 6.7B, status: derived", "    train_tokens: 25M\n"
                                   "    params: {value: 6.7B, status: derived"))
    path = out / "compute.json"
    result = run("chart", "compute", "-o", str(path))
    assert result.exit_code == 0, result.output
    spec = json.loads(path.read_text())
    rows = {r["tip_model"]: r for r in point_rows(spec)}  # placed by LLaMA 7B's 1T tokens, not its own 25M
    assert (rows["Alpaca 7B"]["y_tokens"], rows["Alpaca 7B"]["tip_tokens"]) == (
        1e12, "1T pre-training (inherited); own stage 25M")
    assert "1 fine-tuned model placed by the pre-training tokens inherited from a base." in subtitle(spec)
    assert "fine-tuned or further-trained" not in subtitle(spec)


def test_compute_places_a_fine_tune_by_its_inherited_pre_training() -> None:
    frame = frame_of(
        model(name="Base", params=7e9, train_tokens=2e12, released="2023-01-01"),
        model(name="Chat", params=7e9, train_tokens=5e9, pretrain_tokens=2e12, pretrain_tokens_status="inherited",
              released="2023-02-01"),
        model(name="Instruct", params=7e9, train_tokens=5e9, released="2023-02-01"),
    )
    frame = charts.with_lineage(frame, {"chat": [("base", "rlhf")], "instruct": [("base", "instruction-tune")]})
    spec = charts.chart_compute(frame).to_dict()
    rows = {r["tip_model"]: r for r in point_rows(spec)}
    assert sorted(rows) == ["Base", "Chat"]
    assert (rows["Chat"]["y_tokens"], rows["Chat"]["values"]) == (2e12, "reported")
    assert rows["Chat"]["tip_tokens"] == "2T pre-training (inherited); own stage 5B"
    assert "1 fine-tuned model placed by the pre-training tokens inherited from a base." in subtitle(spec)
    assert "Not shown: 1 model fine-tuned or further-trained" in subtitle(spec)


def test_cli_keeps_existing_file_on_error(run: Any, out: Path) -> None:
    path = out / "chart.png"
    path.write_bytes(b"old")
    assert run("chart", "compute", "--org", "nobody", "-o", str(path)).exit_code == 1
    assert path.read_bytes() == b"old"
    assert run("chart", "compute", "-o", str(path)).exit_code == 0
    assert MAGIC["png"](path.read_bytes())


def test_chart_help_lists_commands(run: Any) -> None:
    result = run("chart", "--help")
    assert result.exit_code == 0
    for name in charts.CHARTS:
        assert name in result.output
    compute = run("chart", "compute", "--help").output
    for option in ("--arch", "--org", "--since", "--min-params", "-o, --output", "--title", "--width", "--height"):
        assert option in compute


def test_help_does_not_import_chart_libraries() -> None:
    code = ("import sys\nfrom click.testing import CliRunner\nfrom cli.main import cli\n"
            "for args in (['--help'], ['chart', '--help'], ['chart', 'timeline', '--help']):\n"
            "    assert CliRunner().invoke(cli, args).exit_code == 0\n"
            "print(sorted(m for m in ('altair', 'pandas', 'vl_convert', 'numpy') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_subtitles_read_well(engine: Any) -> None:
    frame = models_frame(engine, columns=charts.CHART_COLUMNS)
    assert subtitle(charts.chart_timeline(frame).to_dict()).startswith(
        "7 models by release date and organization. Mark area: parameters (log scale)")
    text = subtitle(charts.chart_compute(frame).to_dict())
    assert text.startswith("5 models with known size and training tokens.")
    assert "Not shown: 2 models without both a parameter and a token count." in text


# --- charts of large catalogues: selected in SQL, the same chart ------------------------------


def add_synthetic_models(engine: Any, n: int = 400, seed: int = 3) -> None:
    """n models with many ties: 12 organizations (two of them named alike), 30 families, release
    dates from a short list, sizes from a few values (some unknown), MoE models, reported compute,
    lineage (stage relations and distillation) and estimated, derived or unpublished facts."""
    import random

    from catalog.store.db import writing
    from catalog.store.schema import Family, Lineage, Model, ModelFact, Organization, Source

    rng = random.Random(seed)
    dates = ["2019-03-01", "2020-01-01", "2021-06-01", "2021-06-15", "2022-01-01", "2023-05-10", "2024-02-01"]
    orgs = [(f"syn-org-{i}", "Synthetic Lab" if i in (3, 4) else f"Synthetic Org {i}") for i in range(12)]
    families = [(f"syn-fam-{i}", orgs[i][0]) for i in range(6)]
    models, facts, edges = [], [], []
    # five groups of two models released on the same days: tied on count and first release, so
    # their first models' ids (neither their names nor the insertion order) decide which share "Other"
    for k, letter in enumerate("EDCBA"):
        orgs.append((f"tie-org-{k}", f"Tie Lab {letter}"))
        families.append((f"tie-fam-{letter.lower()}", f"tie-org-{k}"))
        for j, day in enumerate(("2020-01-01", "2022-01-01")):
            models.append({"id": f"tie-{(3 * k) % 5}-{j}", "name": f"Tie {letter}{j}", "org_id": f"tie-org-{k}",
                           "family_id": f"tie-fam-{letter.lower()}", "source_id": "syn-paper", "origin": "user",
                           "released": dt.date.fromisoformat(day), "released_precision": "day", "arch": None,
                           "moe": False, "params": 1e9, "active_params": None, "train_tokens": 2e10,
                           "train_compute": None, "open_weights": True})  # every row: the same keys
    for i in range(n):
        org = orgs[min(int(rng.paretovariate(1.2)) - 1, 11)][0] if i % 7 else orgs[i % 12][0]
        precision = rng.choice(["day", "day", "month", "year"])
        released = None if i % 23 == 5 else dt.date.fromisoformat(rng.choice(dates))
        if released and precision != "day":
            released = released.replace(day=1, month=1 if precision == "year" else released.month)
        moe = i % 11 == 0
        params = rng.choice([None, 1e8, 7e9, 7e9, 13e9, 70e9, 175e9, 1.2e12])
        models.append({
            "id": f"syn-{i:04d}", "name": f"Syn {i}", "org_id": org, "source_id": "syn-paper", "origin": "user",
            "family_id": rng.choice([None, *[f for f, _ in families[:6]]]),
            "released": released, "released_precision": precision if released else None,
            "arch": rng.choice(["causal-decoder", "causal-decoder", "encoder-decoder", "encoder-only", None]),
            "moe": moe, "params": params, "active_params": params / 8 if moe and params and i % 2 else None,
            "train_tokens": rng.choice([None, 3e11, 1e12, 2e12, 15e12]),
            "train_compute": rng.choice([None, None, None, 1e23]), "open_weights": rng.choice([True, False, None])})
        for field in ("params", "train_tokens", "arch"):
            if rng.random() < 0.2:
                facts.append({"model_id": f"syn-{i:04d}", "field": field, "source_id": "syn-paper",
                              "status": rng.choice(["estimated", "derived", "unpublished"])})
        if i > 10 and rng.random() < 0.5:
            edges.append({"child_id": f"syn-{i:04d}", "parent_id": f"syn-{rng.randrange(i):04d}",
                          "relation": rng.choice(["fine-tune", "distillation", "quantization", "merge"]),
                          "source_id": "syn-paper", "origin": "user"})
    with writing(engine) as conn:
        conn.execute(Source.__table__.insert(), [{"id": "syn-paper", "url": "https://example.org/syn",
                                                  "title": "Synthetic", "kind": "paper", "origin": "user"}])
        conn.execute(Organization.__table__.insert(),
                     [{"id": o, "name": name, "kind": "lab", "origin": "user"} for o, name in orgs])
        conn.execute(Family.__table__.insert(), [{"id": f, "name": f, "org_id": o, "origin": "user"}
                                                 for f, o in families])
        conn.execute(Model.__table__.insert(), models)
        conn.execute(ModelFact.__table__.insert(), facts)
        conn.execute(Lineage.__table__.insert(), edges)
        from catalog.rules.inheritance import rederive

        rederive(conn)  # fine-tunes inherit their base's size and pre-training tokens, as after any write


SQL_CASES = [
    ("timeline", {}, {}), ("timeline", {}, {"max_points": 60, "max_groups": 5}),
    ("timeline", {}, {"group_by": "family", "max_points": 25, "max_groups": 4}),
    ("timeline", {"since": "2021"}, {"max_points": 40, "max_groups": 3}),
    ("timeline", {}, {"max_points": 5000, "max_groups": 2}),
    ("compute", {}, {}), ("compute", {}, {"max_points": 30}), ("compute", {"open_weights": True}, {"max_points": 9}),
    ("growth", {}, {}), ("growth", {}, {"max_points": 40}),
    ("growth", {"arch": ["causal-decoder"]}, {"max_points": 20}),
    ("growth", {}, {"frontier": "year"}), ("growth", {"since": "2021"}, {"frontier": "quarter", "max_points": 12}),
    ("architectures", {}, {}), ("architectures", {"since": "2021"}, {"share": True}),
]


@pytest.mark.parametrize(("name", "filters", "options"), SQL_CASES)
def test_sql_selection_draws_the_same_chart(engine: Any, name: str, filters: dict[str, Any],
                                            options: dict[str, Any]) -> None:
    """Above `large` models the rows are picked in SQL: the chart must be the one pandas draws."""
    add_synthetic_models(engine)
    frame = models_frame(engine, Filters(**filters), columns=charts.CHART_COLUMNS)
    expected = getattr(charts, f"chart_{name}")(frame, **options).to_dict()
    assert chartdata.chart_from_db(engine, name, Filters(**filters), large=0, **options).to_dict() == expected
    if name == "compute" and not options:  # fine-tunes drawn at the pre-training they inherit, in both ways
        assert re.search(r"\d+ fine-tuned models? placed by the pre-training tokens inherited", subtitle(expected))
    if options.get("max_points", charts.MAX_POINTS) < len(frame) and name != "architectures":
        assert re.search(r"[Ss]howing [\d,]+ of [\d,]+", subtitle(expected))  # the case thins


@pytest.mark.parametrize("group_by", charts.GROUPINGS)
def test_sql_selection_breaks_group_ties_like_pandas(engine: Any, group_by: str) -> None:
    """Which groups share the "Other" row when groups tie on their count and first release date."""
    add_synthetic_models(engine)
    frame = models_frame(engine, columns=charts.CHART_COLUMNS)
    dated = frame[frame["released"].notna()]
    groups = charts.group_names(dated, group_by)
    counts, first = groups.value_counts(), dated["released"].groupby(groups).min()
    ties = [k + 1 for k in range(1, len(counts) - 1)
            if counts.iloc[k - 1] == counts.iloc[k] and first[counts.index[k - 1]] == first[counts.index[k]]]
    assert ties  # the synthetic catalogue has such ties at some boundaries
    for max_groups in ties:
        expected = charts.chart_timeline(frame, group_by, max_groups=max_groups, max_points=50).to_dict()
        got = chartdata.chart_from_db(engine, "timeline", group_by=group_by, max_groups=max_groups, max_points=50,
                                      large=0).to_dict()
        assert got == expected


@pytest.mark.parametrize(("name", "message"), [
    ("timeline", "no models match these filters; nothing to draw in the timeline"),
    ("compute", "none of the 1 selected model has both a parameter count and a training token count"),
    ("growth", "none of the 1 selected model has a parameter count or a training compute"),
])
def test_sql_selection_errors_like_pandas(engine: Any, name: str, message: str) -> None:
    filters = Filters(org=["nobody"]) if name == "timeline" else Filters(ids=["gpt-4"])
    with pytest.raises(CatalogError, match=message):
        chartdata.chart_from_db(engine, name, filters, large=-1)


def test_sql_selection_undated(engine: Any) -> None:
    add_synthetic_models(engine)
    for name in ("timeline", "growth", "architectures"):
        with pytest.raises(CatalogError, match="none of the 1 selected model has a release date"):
            chartdata.chart_from_db(engine, name, Filters(ids=["syn-0005"]), large=-1)


# --- timeline labels: inside their row, on base models; same-day sizes side by side -------------


def _with_chat_variants(engine: Any) -> Any:
    """The fixture frame plus a chat variant of each LLaMA size, released the same day and as large."""
    import pandas as pd

    frame = models_frame(engine, columns=charts.CHART_COLUMNS)
    llama = frame[frame["family"] == "llama"].copy()
    llama["id"] = llama["id"] + "-chat"
    llama["name"] = llama["name"] + " Chat"
    llama["derived_by"] = "instruction-tune"
    return pd.concat([frame, llama], ignore_index=True)


def test_timeline_labels_name_base_models_inside_their_rows(engine: Any) -> None:
    frame = _with_chat_variants(engine)
    spec = charts.chart_timeline(frame).to_dict()
    labels = {r["label"]: r for r in text_rows(spec)}
    assert "LLaMA 65B" in labels and not any(name.endswith(" Chat") for name in labels)
    rows = {r["tip_model"]: r for r in point_rows(spec)}
    groups = json.loads(point_layers(spec)[0]["encoding"]["y"]["axis"]["labelExpr"].split("[datum")[0])
    half = charts.LABEL_SIZE * 0.6 / (spec["height"] / len(groups))  # half a label's height, in rows
    for name, label in labels.items():
        row = rows[name]["row_plot"] - charts.MARK_DROP
        assert row - 0.5 - 1e-9 <= label["ly"] - half and label["ly"] + half <= row + 0.5 + 1e-9, name


def test_timeline_same_day_sizes_sit_side_by_side(engine: Any) -> None:
    frame = _with_chat_variants(engine)
    spec = charts.chart_timeline(frame).to_dict()
    rows = [r for r in point_rows(spec) if r["tip_model"].startswith("LLaMA")]
    assert len(rows) == 4 and len({r["tip_released_text"] for r in rows}) == 1  # four marks of one day
    assert len({r["released_plot"] for r in rows}) == 4  # at four places, not concentric
    assert "sizes released the same day sit side by side, smallest first" in subtitle(spec)
    alone = charts.chart_timeline(models_frame(engine, Filters(ids=["gpt-3-175b"]), columns=charts.CHART_COLUMNS))
    assert "side by side" not in subtitle(alone.to_dict())


# --- growth --frontier ---------------------------------------------------------------------------


def test_frontier_positions_take_the_largest_of_each_period() -> None:
    import numpy as np

    years = np.array([2020.1, 2020.7, 2020.9, 2021.2, 2021.3, 2021.3, 2022.95])
    logs = np.array([9.0, 11.0, 10.0, 8.0, 12.0, 12.0, 10.5])
    assert list(charts.frontier_positions(years, logs, "year")) == [1, 4, 6]  # a tie: the first
    assert list(charts.frontier_positions(years, logs, "half")) == [0, 1, 4, 6]
    assert list(charts.frontier_positions(years, logs, "quarter")) == [0, 1, 2, 3, 4, 6]  # 2021.2: Q1, 2021.3: Q2
    assert list(charts.frontier_positions(years[:0], logs[:0], "year")) == []
    with pytest.raises(CatalogError, match="^frontier period 'month': choose one of year, half, quarter$"):
        charts.chart_growth(synthetic_frame(50), frontier="month")


def test_growth_frontier_fits_the_largest_per_year_and_rings_them(engine: Any) -> None:
    import numpy as np

    frame = synthetic_frame(2000)
    spec = charts.chart_growth(frame, frontier="year").to_dict()
    plain = charts.chart_growth(frame).to_dict()
    assert "Parameters, frontier (largest per year) doubled every" in subtitle(spec)
    params_panel = spec["vconcat"][0]
    assert "largest model per year, ringed" in params_panel["title"]["text"]
    rings = [layer for layer in params_panel["layer"] if layer["mark"].get("filled") is False]
    (ring,) = rings
    ringed = spec["datasets"][ring["data"]["name"]]
    dated = frame[frame["released"].notna() & (frame["params"] > 0)]
    assert len(ringed) == dated["released"].dt.year.nunique()  # one per year
    for row in ringed:  # each the largest of its year
        year = dated[dated["released"].dt.year == int(row["released"][:4])]
        assert row["value"] == pytest.approx(year["params"].max())
    fit = np.polyfit(charts.decimal_years(pd_series(ringed)), np.log10([r["value"] for r in ringed]), 1)
    assert f"every {12 * np.log10(2) / fit[0]:.1f} months" in params_panel["title"]["text"]
    assert subtitle(spec) != subtitle(plain)


def pd_series(rows: list[dict[str, Any]]) -> Any:
    import pandas as pd

    return pd.to_datetime(pd.Series([r["released"] for r in rows]))


def test_cli_growth_frontier(run: Any, tmp_path: Any) -> None:
    target = tmp_path / "g.json"
    assert run("chart", "growth", "--frontier", "--period", "half", "-o", str(target)).exit_code == 0
    assert "frontier (largest per half)" in subtitle(json.loads(target.read_text()))


def test_timeline_labels_overlap_no_label_and_no_mark() -> None:
    """On a crowded timeline (3,000 models), in pixels: no two label boxes meet, and no label box
    covers a mark's centre (the chart's own geometry, recomputed from the spec)."""
    import numpy as np
    import pandas as pd

    spec = charts.chart_timeline(synthetic_frame(3000)).to_dict()
    width, height = spec["width"], spec["height"]
    layer = point_layers(spec)[0]
    start, end = (pd.Timestamp(t) for t in layer["encoding"]["x"]["scale"]["domain"])
    rows_domain = layer["encoding"]["y"]["scale"]["domain"]
    n_rows = rows_domain[1] - rows_domain[0]

    def px(t: Any) -> float:
        return float((pd.Timestamp(t) - start) / (end - start) * width)

    def py(row: float) -> float:
        return (row - rows_domain[0]) / n_rows * height

    boxes = []
    for r in text_rows(spec):
        w, h = charts.text_width(r["label"]), charts.LABEL_SIZE * 1.2
        x0 = px(r["lx"]) if r["align"] == "left" else px(r["lx"]) - w
        boxes.append((x0 + 0.5, py(r["ly"]) - h / 2 + 0.5, x0 + w - 0.5, py(r["ly"]) + h / 2 - 0.5))
    assert len(boxes) >= 10
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (a, b)
    marks = np.array([(px(r["released_plot"]), py(r["row_plot"])) for r in point_rows(spec)])
    for box in boxes:
        inside = (marks[:, 0] > box[0]) & (marks[:, 0] < box[2]) & (marks[:, 1] > box[1]) & (marks[:, 1] < box[3])
        assert not inside.any(), box

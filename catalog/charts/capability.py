"""The emergence figure: benchmark score against training compute (or parameters), from sourced results.

One point per model and benchmark: the model's result in the benchmark's standard setting (whole
benchmark, the benchmark's metric, `standard.shots` and `standard.cot`), the developer's own where
there is one, else a third party's (drawn as a triangle); several benchmarks become small multiples.
x is training compute on a log scale (a source's figure, else 6·N·D, drawn hollow as an estimate;
for a fine-tune the pre-training compute it inherits, never its own stage's: catalog.charts.draw.
pretraining_compute) or, with `x="params"`, parameters (nominal or estimated counts hollow). A dashed rule marks the
benchmark's chance level; each panel's subtitle says the setting.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, select

from catalog.errors import CatalogError
from catalog.query.evals import check_benchmarks, setting_text
from catalog.query.models import Filters, conditions
from catalog.store.db import reading
from catalog.store.evalschema import Benchmark, Evaluation
from catalog.store.schema import Model, Organization, Source

X_AXES = ("compute", "params")
# One colour per family: Vega's tableau20, then its category20b, so up to 40 families stay apart
# (tableau20 alone repeats its colours from the 21st family on).
FAMILY_COLORS = ("#4c78a8", "#9ecae9", "#f58518", "#ffbf79", "#54a24b", "#88d27a", "#b79a20", "#f2cf5b",
                 "#439894", "#83bcb6", "#e45756", "#ff9d98", "#79706e", "#bab0ac", "#d67195", "#fcbfd2",
                 "#b279a2", "#d6a5c9", "#9e765f", "#d8b5a5",
                 "#393b79", "#5254a3", "#6b6ecf", "#9c9ede", "#637939", "#8ca252", "#b5cf6b", "#cedb9c",
                 "#8c6d31", "#bd9e39", "#e7ba52", "#e7cb94", "#843c39", "#ad494a", "#d6616b", "#e7969c",
                 "#7b4173", "#a55194", "#ce6dbd", "#de9ed6")
ESTIMATED = ("estimated", "derived", "nominal")
SHAPES = {"developer": "circle", "third-party": "triangle-up"}


def capability_points(engine: Engine, benchmarks: Sequence[str], filters: Filters | None = None,
                      x: str = "compute") -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(points, benchmarks): one result per model and benchmark by the rule of this module, with x.

    Each benchmark's `unplaced` lists the models whose result cannot be drawn for want of an x.
    """
    import pandas as pd  # noqa: F401  (models_frame needs it; fail here with the import error)

    from catalog.query.models import models_frame

    if x not in X_AXES:
        raise CatalogError(f"--x must be one of {', '.join(X_AXES)}")
    filters = filters or Filters()
    with reading(engine) as conn:
        wanted = check_benchmarks(conn, benchmarks)
        benches = [dict(r._mapping) for r in conn.execute(select(Benchmark).where(Benchmark.id.in_(wanted)))]
        by_id = {b["id"]: b for b in benches}
        benches = [by_id[b] for b in dict.fromkeys(wanted)]
        stmt = (select(Evaluation.model_id, Evaluation.benchmark_id, Evaluation.score, Evaluation.evaluated_by,
                       Evaluation.evaluator, Evaluation.source_id, Evaluation.locator, Evaluation.shots,
                       Evaluation.cot, Evaluation.metric, Evaluation.subset)
                .join(Model, Model.id == Evaluation.model_id)
                .join(Organization, Organization.id == Model.org_id)
                .join(Source, Source.id == Evaluation.source_id)
                .where(Evaluation.benchmark_id.in_(wanted), *conditions(filters))
                .order_by(Source.published.asc().nulls_last(), Evaluation.id))
        rows = [dict(r._mapping) for r in conn.execute(stmt)]
    chosen: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        bench = by_id[row["benchmark_id"]]
        if row["subset"] is not None or row["metric"] != bench["metric"] or not _standard(row, bench):
            continue
        key = (row["model_id"], row["benchmark_id"])
        if key not in chosen or (chosen[key]["evaluated_by"] != "developer" and row["evaluated_by"] == "developer"):
            chosen[key] = row
    if not chosen:
        names = ", ".join(b["id"] for b in benches)
        raise CatalogError(f"no result of the selected models on {names} in its standard setting; "
                           "`llmzoo evals --benchmark ID` lists every result")
    frame = models_frame(engine, Filters(ids=sorted({m for m, _ in chosen})),
                         columns=["id", "name", "family", "org", "params", "train_compute", "train_tokens",
                                  "active_params", "moe", "compute", "compute_status", "pretrain_tokens",
                                  "pretrain_compute"])
    from catalog.charts.draw import pretraining_compute

    # a fine-tune's score goes with the pre-training behind it, never its own stage's compute
    frame["pretrain_x"], frame["pretrain_x_estimated"] = pretraining_compute(frame, ESTIMATED)
    models = {r["id"]: r for r in frame.to_dict("records")}
    points = []
    for bench in benches:
        bench["unplaced"] = []  # models with a result in the standard setting but no known x: not drawn
    for (model_id, bench_id), row in chosen.items():
        m = models[model_id]
        value, estimated = _x(m, x)
        if value is None:
            by_id[bench_id]["unplaced"].append(model_id)
            continue
        points.append({"model": model_id, "name": m["name"], "family": m.get("family") or m.get("org"),
                       "benchmark": bench_id, "score": row["score"], "x": value,
                       "x_kind": "estimated" if estimated else "reported", "evaluated_by": row["evaluated_by"],
                       "evaluator": row["evaluator"] or "developer", "source": row["source_id"],
                       "locator": row["locator"]})
    if not points:
        known = "training compute" if x == "compute" else "parameter count"
        hint = "try --x params" if x == "compute" else "add the parameter counts of the evaluated models"
        raise CatalogError(f"none of the models with a result has a known {known}; {hint}")
    return points, benches


def _standard(row: dict[str, Any], bench: dict[str, Any]) -> bool:
    if bench["standard_shots"] is None:
        return row["shots"] is not None
    return row["shots"] == bench["standard_shots"] and bool(row["cot"]) == bool(bench["standard_cot"])


def _x(model: dict[str, Any], x: str) -> tuple[float | None, bool]:
    """A model's x and whether it is an estimate. Compute is pre-training compute: a fine-tuned or
    instruction-tuned model sits at its base's pre-training (catalog.rules.inheritance's pretrain_compute,
    else 6·N·pretrain_tokens), not at the compute of its own short stage."""
    def known(value: Any) -> bool:
        return value is not None and value == value and value > 0

    if x == "params":
        status = model.get("params_status")
        return (float(model["params"]), status in ESTIMATED) if known(model.get("params")) else (None, False)
    if not known(model.get("pretrain_x")):
        return None, False
    return float(model["pretrain_x"]), bool(model["pretrain_x_estimated"])


def _unplaced_text(benches: list[dict[str, Any]], x: str, shown: int = 5) -> str:
    """Which results are not drawn because their model has no known x ("" when every one is drawn)."""
    pairs = [f"{m} ({b['id']})" if len(benches) > 1 else m for b in benches for m in sorted(b.get("unplaced", []))]
    if not pairs:
        return ""
    known = "training compute (nor N and D for 6·N·D)" if x == "compute" else "parameter count"
    more = f" and {len(pairs) - shown} more" if len(pairs) > shown else ""
    return (f"Not drawn, no known {known}: {len(pairs)} result{'s' if len(pairs) != 1 else ''} "
            f"({', '.join(pairs[:shown])}{more}).")


def _wrapped(lines: list[str], width: int = 160) -> list[str]:
    """Subtitle lines cut at word boundaries (a chart title does not wrap by itself)."""
    import textwrap

    return [part for line in lines for part in (textwrap.wrap(line, width) or [line])]


def _chance_text(benches: list[dict[str, Any]], empty: list[str]) -> str:
    """What the dashed lines are, and which drawn benchmark has no chance level to draw."""
    drawn = [b for b in benches if b["id"] not in empty]
    without = [b["id"] for b in drawn if b["chance"] is None]
    if len(without) == len(drawn):
        return "No chance level recorded for this benchmark." if len(drawn) == 1 else \
            "No chance level recorded for these benchmarks."
    text = "Dashed line: chance level."
    return text + (f" No chance level recorded for {', '.join(without)} (no line)." if without else "")


def chart_capability(engine: Engine, benchmarks: Sequence[str], filters: Filters | None = None, x: str = "compute",
                     title: str | None = None, width: int | None = None, height: int | None = None,
                     columns: int = 2) -> Any:
    """The capability-vs-scale chart (small multiples for several benchmarks), an altair chart."""
    import altair as alt
    import pandas as pd

    from catalog.charts.draw import count_label_expr, decades_within, finish_chart

    points, benches = capability_points(engine, benchmarks, filters, x)
    data = pd.DataFrame(points)
    families = sorted(data["family"].unique())
    palette = [FAMILY_COLORS[i % len(FAMILY_COLORS)] for i in range(len(families))]
    color = alt.Color("family:N", title="family", scale=alt.Scale(domain=families, range=palette),
                      legend=alt.Legend(columns=2 if len(families) > 14 else 1, symbolLimit=60))
    low, high = data["x"].min(), data["x"].max()
    domain = [10.0 ** int(f"{low:e}".split("e")[1]), 10.0 ** (int(f"{high:e}".split("e")[1]) + 1)]
    x_title = "training compute (FLOP, log scale)" if x == "compute" else "parameters (log scale)"
    xenc = alt.X("x:Q", title=x_title, scale=alt.Scale(type="log", domain=domain, nice=False),
                 axis=alt.Axis(values=decades_within(*domain), labelExpr=count_label_expr()))
    panels = []
    single = len(benches) == 1
    for bench in benches:
        part = data[data["benchmark"] == bench["id"]]
        if part.empty:
            continue
        yenc = alt.Y("score:Q", title=f"{bench['name'] if single else bench['id']} {bench['metric']} (%)",
                     scale=alt.Scale(domain=[0, 100]))
        tooltip = [alt.Tooltip("name:N", title="model"), alt.Tooltip("score:Q", title="score"),
                   alt.Tooltip("x:Q", title=x, format=".3g"), alt.Tooltip("x_kind:N", title=f"{x} is"),
                   alt.Tooltip("evaluator:N", title="evaluated by"), alt.Tooltip("source:N", title="source"),
                   alt.Tooltip("locator:N", title="where")]
        shape = alt.Shape("evaluated_by:N", title="evaluated by",
                          scale=alt.Scale(domain=list(SHAPES), range=list(SHAPES.values())))
        layers = []
        for kind, filled in (("reported", True), ("estimated", False)):
            sub = part[part["x_kind"] == kind]
            if not sub.empty:
                layers.append(alt.Chart(sub).mark_point(filled=filled, size=70, opacity=0.9, strokeWidth=1.6)
                              .encode(x=xenc, y=yenc, color=color, shape=shape, tooltip=tooltip))
        if bench["chance"] is not None:
            rule = pd.DataFrame({"chance": [bench["chance"]], "label": [f"chance ({bench['chance']:g}%)"]})
            layers.append(alt.Chart(rule).mark_rule(color="#777777", strokeDash=[5, 4], strokeWidth=1.2)
                          .encode(y="chance:Q"))
            layers.append(alt.Chart(rule).mark_text(align="left", dx=4, dy=-6, color="#555555", fontSize=10)
                          .encode(y="chance:Q", x=alt.value(2), text="label:N"))
        setting = setting_text({"shots": bench["standard_shots"], "cot": bench["standard_cot"]}) \
            if bench["standard_shots"] is not None else "each source's stated setting"
        panel = alt.layer(*layers).properties(width=width or (640 if single else 360),
                                               height=height or (420 if single else 260))
        if not single:
            panel = panel.properties(title=alt.Title(bench["name"], subtitle=f"{setting}, {len(part)} models",
                                                     anchor="start", fontSize=13))
        panels.append(panel)
    empty = [b["id"] for b in benches if data[data["benchmark"] == b["id"]].empty]
    chart = panels[0] if single else alt.concat(*panels, columns=columns).resolve_scale(color="shared",
                                                                                          shape="shared")
    hollow = ("training compute estimated as 6·N·D or marked estimated by its source" if x == "compute"
              else "parameter count nominal or estimated")
    settings = "; ".join(f"{b['id']}: " + (setting_text({"shots": b["standard_shots"], "cot": b["standard_cot"]})
                                             if b["standard_shots"] is not None else "stated setting")
                         for b in benches)
    subtitle = [f"Setting: {settings}, whole benchmark, {', '.join(sorted({b['metric'] for b in benches}))}. "
                f"{len(data)} results.",
                "One result per model: the developer's own in this setting, else a third party's (triangles). "
                f"Hollow marks: {hollow}.",
                _chance_text(benches, empty) + " Every point cites its table (llmzoo evals --benchmark ID)."
                + (f" No result in the standard setting (not drawn): {', '.join(empty)}." if empty else "")]
    subtitle += _wrapped([_unplaced_text(benches, x)]) if _unplaced_text(benches, x) else []
    default = (f"{benches[0]['name']} against training compute" if single and x == "compute" else
               f"{benches[0]['name']} against parameters" if single else
               "Capability against scale")
    return finish_chart(chart, title or default, subtitle)

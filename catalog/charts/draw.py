"""Charts of the catalogue: a models DataFrame in, an altair chart out. Never saves files.

Each `chart_*` function takes the frame of `catalog.query.models.models_frame` (columns listed in
`CHART_COLUMNS`) and returns a configured altair chart; `catalog.charts.files.save_chart` writes it.

Large selections stay drawable: points are thinned and groups merged in pandas before the chart is
built (at most `MAX_POINTS` marks, `MAX_GROUPS` timeline rows), and the subtitle says what is shown
("showing 3,000 of 100,000 models: the largest per organization and year"). Each chart is a
selection (`chart_*`) and a drawing (`draw_*`) of the selected models with the counts the subtitle
needs, so that `catalog.charts.selection` can select in SQL, by the same rules, from a million models.
Labels are placed by
a greedy collision check in pixel space, so no two labels (and no label and point) overlap; the
tooltips carry every model's key facts with their status.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from catalog import scaling
from catalog.errors import CatalogError
from catalog.records.data import ARCHITECTURES
from catalog.units import format_count, format_flop

if TYPE_CHECKING:
    import altair as alt
    import numpy as np
    import pandas as pd

#: Columns of `models_frame` the charts read (the `<fact>_status` columns come with every frame).
CHART_COLUMNS = ("id", "name", "family", "org", "org_name", "released", "released_precision", "arch", "moe",
                 "params", "active_params", "train_tokens", "train_compute", "pretrain_tokens", "open_weights",
                 "compute", "compute_status", "tokens_per_param")
#: The largest number of model marks a chart embeds; larger selections are thinned in pandas.
MAX_POINTS = 3000
#: The most timeline rows (organizations or families); the rest share one "Other" row.
MAX_GROUPS = 40
#: The most labelled models per chart; tooltips carry the rest.
MAX_LABELS = 100
GROUPINGS = ("org", "family")
CHARTS = ("timeline", "compute", "growth", "architectures")

UNKNOWN = "unknown"
#: One color per architecture in every chart (Okabe-Ito, safe for color-blind readers).
ARCH_COLORS = {"causal-decoder": "#0072B2", "prefix-decoder": "#E69F00", "encoder-decoder": "#009E73",
               "encoder-only": "#CC79A7", UNKNOWN: "#999999"}
WEIGHT_SHAPES = {"open": "circle", "closed": "square", UNKNOWN: "cross"}
ESTIMATED = ("estimated", "derived")
FONT = "Liberation Sans, Arial, Helvetica, sans-serif"
LABEL_SIZE = 10
#: How far below its row's middle a timeline mark sits (in rows): room for a label above it.
MARK_DROP = 0.16
INK = "#333333"


# --- Shared helpers ----------------------------------------------------------------------------


def _modules() -> tuple[Any, Any, Any]:
    import altair as alt
    import numpy as np
    import pandas as pd

    return alt, np, pd


def _check_frame(frame: pd.DataFrame, what: str) -> None:
    """Refuse an empty selection or a frame without the columns the charts need."""
    missing = [c for c in ("id", "name", "released", "arch", "params", "train_tokens") if c not in frame]
    if missing:
        raise CatalogError(f"the {what} needs the columns {', '.join(missing)}; build the frame with "
                           "catalog.query.models.models_frame")
    if frame.empty:
        raise CatalogError(f"no models match these filters; nothing to draw in the {what}")


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    """A column of the frame, or an all-missing one when the frame lacks it."""
    _, _, pd = _modules()
    if name in frame:
        return frame[name]
    return pd.Series([None] * len(frame), index=frame.index, dtype=object)


def _status(frame: pd.DataFrame, fact: str) -> pd.Series:
    """The `<fact>_status` column, or "reported" wherever a value is known when the frame has none."""
    name = f"{fact}_status"
    known = _column(frame, fact).notna()
    if name in frame:
        return frame[name].where(frame[name].notna() | ~known, "reported")
    return known.map({True: "reported", False: None})


def _flag(series: pd.Series) -> pd.Series:
    """True where a yes/no column is True (missing counts as False)."""
    return series.isin([True])


def _plotted_params(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(parameters to plot, their status, whether they are MoE active parameters: catalog.rules.computed's rule)."""
    from catalog.rules.computed import uses_active_frame

    active = _column(frame, "active_params")
    uses_active = uses_active_frame(_column(frame, "moe"), active)
    params = active.where(uses_active, _column(frame, "params")).astype(float)
    status = _status(frame, "active_params").where(uses_active, _status(frame, "params"))
    return params, status, uses_active


def _arch(frame: pd.DataFrame) -> pd.Series:
    arch = _column(frame, "arch")
    return arch.where(arch.isin(ARCHITECTURES), UNKNOWN).astype(str)


def _weights(frame: pd.DataFrame) -> pd.Series:
    _, np, pd = _modules()
    ow = _column(frame, "open_weights")
    return pd.Series(np.select([_flag(ow), ow.isin([False])], ["open", "closed"], UNKNOWN),
                     index=frame.index, dtype=str)


def _with_status(value: Any, status: Any, kind: str = "count") -> str:
    """'175B', '6.7B (derived)', 'unpublished', 'unknown' for one fact of a tooltip."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return status if status == "unpublished" else UNKNOWN
    text = format_flop(value) if kind == "flop" else format_count(value)
    return text if status in (None, "reported") or not isinstance(status, str) else f"{text} ({status})"


def _released_text(frame: pd.DataFrame) -> pd.Series:
    """Release dates at their own precision: 2023-02-24, 2023-02 or 2023."""
    released = frame["released"]
    precision = _column(frame, "released_precision")
    text = released.dt.strftime("%Y-%m-%d")
    text = text.where(precision.ne("month"), released.dt.strftime("%Y-%m"))
    text = text.where(precision.ne("year"), released.dt.strftime("%Y"))
    return text.fillna(UNKNOWN)


def _tooltip_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Human-readable facts of a (small, already thinned) frame, with their status."""
    _, _, pd = _modules()
    params, params_status, uses_active = _plotted_params(frame)
    total = [_with_status(v, s) for v, s in zip(_column(frame, "params"), _status(frame, "params"), strict=True)]
    active = [_with_status(v, s) for v, s in zip(params, params_status, strict=True)]
    out = pd.DataFrame(index=frame.index)
    out["tip_model"] = frame["name"].astype(str)
    out["tip_organization"] = _column(frame, "org_name").fillna(_column(frame, "org")).fillna(UNKNOWN).astype(str)
    out["tip_family"] = _column(frame, "family").fillna("none").astype(str)
    out["tip_released_text"] = _released_text(frame)
    out["tip_architecture"] = [a if s in (None, "reported") or not isinstance(s, str) else f"{a} ({s})"
                           for a, s in zip(_arch(frame), _status(frame, "arch"), strict=True)]
    out["tip_weights"] = _weights(frame)
    out["tip_parameters"] = [f"{t} total, {a} active (MoE: active parameters plotted)" if moe else t
                         for t, a, moe in zip(total, active, uses_active, strict=True)]
    out["tip_tokens"] = [_with_status(v, s) for v, s in zip(frame["train_tokens"], _status(frame, "train_tokens"),
                                                        strict=True)]
    compute = _column(frame, "compute")
    how = _column(frame, "compute_status").map({"source": "reported", "6ND": "6·N·D"})
    out["tip_compute_text"] = [f"{format_flop(c)} FLOP ({h})" if isinstance(h, str) else UNKNOWN
                           for c, h in zip(compute, how, strict=True)]
    return out


TOOLTIP_TITLES = (("tip_model", "model"), ("tip_organization", "organization"), ("tip_family", "family"),
                  ("tip_released_text", "released"), ("tip_architecture", "architecture"),
                  ("tip_weights", "weights"), ("tip_parameters", "parameters"), ("tip_tokens", "training tokens"),
                  ("tip_compute_text", "training compute"))


def _tooltip(extra: Sequence[tuple[str, str]] = ()) -> list[Any]:
    alt, _, _ = _modules()
    return [alt.Tooltip(f"{field}:N", title=title) for field, title in (*TOOLTIP_TITLES, *extra)]


def _arch_color(frame: pd.DataFrame, legend: bool = True) -> Any:
    """The architecture color encoding, with every known architecture present in the frame."""
    alt, _, _ = _modules()
    present = [a for a in ARCH_COLORS if a in set(frame["arch_plot"])]
    return alt.Color("arch_plot:N", title="architecture",
                     scale=alt.Scale(domain=present, range=[ARCH_COLORS[a] for a in present]),
                     legend=alt.Legend(orient="bottom", direction="horizontal") if legend else None)


def count_label_expr(scientific_from: float = 1e15) -> str:
    """A Vega expression printing an axis or legend value as 100M, 7B, 1.4T, or 1e18 from `scientific_from`."""
    v = "datum.value"
    return (f"{v} >= {scientific_from:g} ? replace(format({v}, '.0e'), 'e+', 'e') : "
            f"{v} >= 1e12 ? format({v} / 1e12, '~g') + 'T' : {v} >= 1e9 ? format({v} / 1e9, '~g') + 'B' : "
            f"{v} >= 1e6 ? format({v} / 1e6, '~g') + 'M' : {v} >= 1e3 ? format({v} / 1e3, '~g') + 'K' : "
            f"format({v}, '~g')")


def decades_within(low: float, high: float) -> list[float]:
    """Powers of ten between `low` and `high` (both ends if there is none)."""
    inside = [10.0**e for e in range(math.ceil(math.log10(low)), math.floor(math.log10(high)) + 1)]
    return inside or [low, high]


def _thousands(n: int) -> str:
    return f"{n:,}"


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{_thousands(n)} {word if n == 1 else (plural or word + 's')}"


def finish_chart(chart: Any, title: str, subtitle: Sequence[str]) -> Any:
    """Title, subtitle and the publication style shared by every chart."""
    alt, _, _ = _modules()
    lines = [line for line in subtitle if line]
    return (chart.properties(title=alt.Title(title, subtitle=lines or None, anchor="start"))
            .configure(font=FONT, background="white", padding=12)
            .configure_title(fontSize=16, subtitleFontSize=11, subtitleColor="#555555", color=INK, offset=10)
            .configure_axis(labelFontSize=11, titleFontSize=12, labelColor=INK, titleColor=INK,
                            gridColor="#e6e6e6", domainColor="#888888", tickColor="#888888")
            .configure_legend(labelFontSize=11, titleFontSize=11, labelColor=INK, titleColor=INK,
                              symbolStrokeWidth=1.5, labelLimit=320)
            .configure_view(stroke="#cccccc"))


# --- Label placement ---------------------------------------------------------------------------

_NARROW = set("ijlI.,:;!|'` ")
_SEMI = set("frt()-[]/1")
_WIDE = set("mwMW")


def text_width(text: str, size: float = LABEL_SIZE) -> float:
    """Approximate width in pixels of `text` in a sans-serif font of `size` px (Arial metrics, +6%)."""
    units = 0.0
    for ch in text:
        if ch in _NARROW:
            units += 0.26
        elif ch in _SEMI:
            units += 0.34
        elif ch in _WIDE:
            units += 0.86
        elif ch.isupper():
            units += 0.68
        else:
            units += 0.56
    return units * size * 1.06


def place_labels(x: np.ndarray, y: np.ndarray, r: np.ndarray, candidates: Sequence[tuple[int, str]],
                 width: float, height: float, placements: Sequence[str] = ("right", "left", "above", "below"),
                 limit: int = MAX_LABELS, size: float = LABEL_SIZE,
                 bands: np.ndarray | None = None) -> list[tuple[int, str, str, float, float]]:
    """Greedy label placement in pixel space: no label overlaps another label or any other point.

    `x`, `y`, `r` are every point's pixel center and radius; `candidates` are (point index, text)
    in order of importance. Each candidate takes the first placement that is free and inside the
    plot (and inside its point's band, (top, bottom) rows of `bands`, when given), or no label.
    Returns (point index, text, align, anchor x, anchor y) with the anchor at
    the label's vertical middle, on its left edge (align "left") or right edge (align "right").
    """
    _, np, _ = _modules()
    placed: list[tuple[float, float, float, float]] = []
    out: list[tuple[int, str, str, float, float]] = []
    h = size * 1.2
    for index, text in candidates:
        if len(out) >= limit:
            break
        w = text_width(text, size)
        px, py, pr = float(x[index]), float(y[index]), float(r[index])
        for where in placements:
            box, align, ax, ay = _label_box(where, px, py, pr, w, h)
            if box[0] < 0 or box[2] > width or box[1] < -2 or box[3] > height + 2:
                continue
            if bands is not None and (box[1] < bands[index][0] or box[3] > bands[index][1]):
                continue
            if any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in placed):
                continue
            # distance from each other point's center to the box, against its radius (+1 px air)
            dx = np.maximum(np.maximum(box[0] - x, 0), x - box[2])
            dy = np.maximum(np.maximum(box[1] - y, 0), y - box[3])
            hit = (dx * dx + dy * dy) < (r + 1) ** 2
            hit[index] = False
            if hit.any():
                continue
            placed.append(box)
            out.append((index, text, align, ax, ay))
            break
    return out


def _label_box(where: str, px: float, py: float, pr: float, w: float,
               h: float) -> tuple[tuple[float, float, float, float], str, float, float]:
    """(box (x0, y0, x1, y1), align, anchor x, anchor y) of a label placed `where` of a point."""
    gap = 3.0
    if where == "right":
        ax, ay, align = px + pr + gap, py, "left"
    elif where == "left":
        ax, ay, align = px - pr - gap, py, "right"
    elif where == "above":
        ax, ay, align = px - min(pr, 4.0), py - pr - 1 - h / 2, "left"
    else:
        ax, ay, align = px - min(pr, 4.0), py + pr + 1 + h / 2, "left"
    x0 = ax if align == "left" else ax - w
    return (x0, ay - h / 2, x0 + w, ay + h / 2), align, ax, ay


def _label_layers(labels: pd.DataFrame, x: Any, y: Any) -> list[Any]:
    """One text layer per alignment; `labels` has the anchor columns `lx`, `ly`, `align`, `label`."""
    alt, _, _ = _modules()
    layers = []
    for align in ("left", "right"):
        part = labels[labels["align"] == align]
        if part.empty:
            continue
        layers.append(alt.Chart(part).mark_text(align=align, baseline="middle", fontSize=LABEL_SIZE, color=INK)
                      .encode(x=x, y=y, text="label:N"))
    return layers


# --- Timeline ----------------------------------------------------------------------------------


def chart_timeline(frame: pd.DataFrame, group_by: str = "org", title: str | None = None,
                   width: int | None = None, height: int | None = None, max_points: int = MAX_POINTS,
                   max_groups: int = MAX_GROUPS, max_labels: int = MAX_LABELS) -> alt.LayerChart:
    """Every model by release date, one row per organization (or family).

    Color: architecture; shape: open or closed weights; size: parameters (log scale; MoE models
    by total parameters). The most important models are labelled (the largest of each family
    first) where a label fits without overlap; tooltips give every model's facts and status.
    """
    _check_frame(frame, "timeline")
    check_grouping(group_by)
    dated = frame[frame["released"].notna()]
    check_dated(len(frame), len(dated), "timeline")
    data = dated.copy()
    data["group"] = group_names(data, group_by)
    merged = small_groups(data["group"].value_counts(), max_groups)
    if merged:
        data = data.assign(group=data["group"].where(~data["group"].isin(merged), other_name(merged, group_by)))
    keep = data.iloc[_thin_by_group_year(data, max_points)] if len(data) > max_points else data
    return draw_timeline(keep, group_by, len(frame), len(dated), len(merged), title, width, height, max_labels)


def draw_timeline(data: pd.DataFrame, group_by: str, total: int, dated: int, merged: int,
                  title: str | None = None, width: int | None = None, height: int | None = None,
                  max_labels: int = MAX_LABELS) -> alt.LayerChart:
    """The timeline of `data`: the (dated, thinned) models to draw, with their `group` row names.

    `total` models were selected, `dated` of them have a release date, `merged` groups share the
    "Other" row: the subtitle says so. `chart_timeline` selects in pandas, `catalog.charts.selection` in SQL.
    """
    alt, np, pd = _modules()
    groups = _group_order(data)
    data = data.copy()
    data["row"] = data["group"].map({g: i for i, g in enumerate(groups)}).astype(float)
    data["arch_plot"] = _arch(data)
    data["weights_plot"] = _weights(data)
    data["size_params"] = _column(data, "params").astype(float)
    data = data.join(_tooltip_columns(data)).sort_values("size_params", ascending=False, na_position="last")

    width = width or 900
    height = height or max(len(groups) * 34, 120)
    start = pd.Timestamp(year=int(data["released"].dt.year.min()), month=1, day=1)
    end = pd.Timestamp(year=int(data["released"].dt.year.max()) + 1, month=1, day=1)
    known = data["size_params"].dropna()
    size_domain = [float(known.min()), float(known.max())] if not known.empty else [1e9, 1e12]
    if size_domain[1] < size_domain[0] * 10:
        size_domain = [size_domain[0] / 3, size_domain[1] * 3]
    size_range = (12.0, 220.0)

    px = ((data["released"] - start) / (end - start) * width).to_numpy(float)
    # marks sit in the lower part of their row, so a label always fits above them inside the row
    data["row_plot"] = data["row"] + MARK_DROP
    py = ((data["row_plot"] + 0.5) / len(groups) * height).to_numpy(float)
    logs = np.log10(data["size_params"].to_numpy(float))
    lo, hi = math.log10(size_domain[0]), math.log10(size_domain[1])
    area = np.where(np.isnan(logs), 30.0, size_range[0] + (logs - lo) / (hi - lo) * (size_range[1] - size_range[0]))
    radius = np.sqrt(area / math.pi)
    px, dodged = _side_by_side(px, py, radius)
    data["released_plot"] = start + (end - start) * (px / width)
    order = _importance(data)
    labelled = _base_or_alone(data).to_numpy()
    row_px = height / len(groups)
    bands = np.column_stack([data["row"].to_numpy(float) * row_px, (data["row"].to_numpy(float) + 1) * row_px])
    chosen = place_labels(px, py, radius, [(i, data["name"].iat[i]) for i in order[: max_labels * 6]
                                           if labelled[i]],
                          width, height, ("right", "left", "above"), max_labels, bands=bands)
    labels = pd.DataFrame([{"label": text, "align": align,
                            "lx": start + (end - start) * (ax / width),
                            "ly": ay / height * len(groups) - 0.5} for _, text, align, ax, ay in chosen],
                          columns=["label", "align", "lx", "ly"])

    # every layer repeats the same scale and axis, so that Vega-Lite merges them unchanged
    x_scale = alt.Scale(domain=[start.isoformat(), end.isoformat()], nice=False)
    x_axis = alt.Axis(format="%Y", tickCount={"interval": "year", "step": 1}, labelAngle=0, grid=True)
    y_scale = alt.Scale(domain=[-0.5, len(groups) - 0.5], reverse=True, nice=False, zero=False)
    y_axis = alt.Axis(values=list(range(len(groups))), grid=False, ticks=False, domain=False, labelLimit=220,
                      labelFontSize=11, labelOverlap=False, labelBound=False, labelPadding=10,
                      labelExpr=f"{json.dumps(groups, ensure_ascii=False)}[datum.value]")
    x = alt.X("released_plot:T", title=None, scale=x_scale, axis=x_axis)
    y = alt.Y("row_plot:Q", title=None, scale=y_scale, axis=y_axis)
    stripes = pd.DataFrame({"row": [float(i) for i in range(0, len(groups), 2)]})
    stripes["top"], stripes["bottom"] = stripes["row"] - 0.5, stripes["row"] + 0.5
    base = alt.Chart(data[["released_plot", "row_plot", "arch_plot", "weights_plot", "size_params",
                           *[c for c, _ in TOOLTIP_TITLES]]])
    marks = dict(x=x, y=y, color=_arch_color(data), tooltip=_tooltip(),
                 shape=alt.Shape("weights_plot:N", title="weights",
                                 scale=alt.Scale(domain=list(WEIGHT_SHAPES), range=list(WEIGHT_SHAPES.values())),
                                 legend=alt.Legend(orient="bottom", direction="horizontal")))
    sized = base.transform_filter("isValid(datum.size_params)").mark_point(
        filled=True, opacity=0.85, stroke="white", strokeWidth=0.6).encode(
        size=alt.Size("size_params:Q", title="parameters",
                      scale=alt.Scale(type="log", domain=size_domain, range=list(size_range)),
                      legend=alt.Legend(orient="bottom", direction="horizontal", values=decades_within(*size_domain),
                                        labelExpr=count_label_expr(), symbolFillColor="#999999")), **marks)
    unsized = base.transform_filter("!isValid(datum.size_params)").mark_point(
        filled=True, opacity=0.85, size=30, stroke="white", strokeWidth=0.6).encode(**marks)
    zebra = alt.Chart(stripes).mark_rect(color="#f3f3f3").encode(
        y=alt.Y("top:Q", title=None, scale=y_scale, axis=y_axis), y2="bottom:Q", x=alt.value(0), x2=alt.value(width))
    text_layers = _label_layers(labels, alt.X("lx:T", title=None, scale=x_scale, axis=x_axis),
                                alt.Y("ly:Q", title=None, scale=y_scale, axis=y_axis))
    chart = alt.layer(zebra, sized, unsized, *text_layers).properties(width=width, height=height)

    what = "organization" if group_by == "org" else "family"
    n_unsized = int(data["size_params"].isna().sum())
    unsized = "; small fixed marks: size not published" if n_unsized else ""
    thin_note = (f"Showing {_thousands(len(data))} of {_thousands(dated)} dated models: the largest per {what} "
                 "and year." if len(data) < dated else "")
    subtitle = [f"{_plural(total, 'model')} by release date and {what}. Mark area: parameters (log scale)"
                f"{unsized}.",
                "Labels: the largest base model of each family, inside its row where it fits"
                + ("; sizes released the same day sit side by side, smallest first" if dodged else "")
                + "; the HTML chart shows every model's facts on hover.",
                thin_note, _merged_note(merged, group_by), _missing_note(total - dated, "release date")]
    return finish_chart(chart, title or "Large language models over time", subtitle)


def _base_or_alone(data: pd.DataFrame) -> pd.Series:
    """Models a label may name: not a later stage (chat, instruct) of a family that has a base model drawn."""
    later = _stage_only(data)
    family = _column(data, "family").fillna(data["id"]).astype(str)
    return ~(later & (~later).groupby(family).transform("any"))


def _side_by_side(px: np.ndarray, py: np.ndarray, radius: np.ndarray) -> tuple[np.ndarray, int]:
    """Marks of one row and one day (several sizes released together) moved apart to touch, smallest
    first, centred on their day, instead of drawn as concentric rings; and how many groups moved."""
    _, np, _ = _modules()
    out = px.copy()
    groups: dict[tuple[float, float], list[int]] = {}
    for i, key in enumerate(zip(np.round(px, 3), py, strict=True)):
        groups.setdefault(key, []).append(i)
    moved = 0
    for members in groups.values():
        if len(members) < 2:
            continue
        members.sort(key=lambda i: (radius[i], i))
        centers, at = [], 0.0
        for k, i in enumerate(members):
            at += 0.0 if k == 0 else radius[members[k - 1]] + radius[i] + 0.5
            centers.append(at)
        shift = px[members[0]] - centers[-1] / 2
        for i, c in zip(members, centers, strict=True):
            out[i] = c + shift
        moved += 1
    return out, moved


def check_grouping(group_by: str) -> None:
    if group_by not in GROUPINGS:
        raise CatalogError(f"group by {group_by!r}: choose one of {', '.join(GROUPINGS)}")


def check_dated(total: int, dated: int, what: str) -> None:
    if not dated:
        raise CatalogError(f"none of the {_plural(total, 'selected model')} has a release date; "
                           f"nothing to draw in the {what}")


def group_names(data: pd.DataFrame, group_by: str) -> pd.Series:
    if group_by == "org":
        return _column(data, "org_name").fillna(_column(data, "org")).fillna(UNKNOWN).astype(str)
    return _column(data, "family").fillna("(no family)").astype(str)


def small_groups(counts: pd.Series, max_groups: int) -> list[str]:
    """The groups that share the "Other" row: all but the first `max_groups - 1` of `counts`.

    `counts` is models per group, most first, ties in order of each group's first model (what
    pandas' `value_counts` gives for rows in release order, then id; `catalog.charts.selection` orders
    its SQL counts the same way).
    """
    if len(counts) <= max_groups:
        return []
    return [str(group) for group in counts.index[max_groups - 1:]]


def other_name(merged: Sequence[str], group_by: str) -> str:
    return f"Other ({_thousands(len(merged))} {'organizations' if group_by == 'org' else 'families'})"


def _merged_note(merged: int, group_by: str) -> str:
    if not merged:
        return ""
    what = "organizations" if group_by == "org" else "families"
    return f"{_thousands(merged)} {what} with fewer models share the row 'Other ({_thousands(merged)} {what})'."


def _thin_by_group_year(data: pd.DataFrame, max_points: int) -> np.ndarray:
    """Positions (in order) of at most `max_points` models: the largest per group and year first,
    round by round (the largest of every group and year, then the second largest, ...).

    Ties go to the earlier row of `data`, which is in release order (then id), as in
    `catalog.charts.selection.timeline_rows`.
    """
    _, np, _ = _modules()
    params = _column(data, "params").astype(float).fillna(0.0)
    rank = params.groupby([data["group"], data["released"].dt.year]).rank(method="first", ascending=False)
    return np.sort(np.lexsort((-params.to_numpy(), rank.to_numpy()))[:max_points])


def _group_order(data: pd.DataFrame) -> list[str]:
    """Rows by first release (earliest on top); the merged "Other" row last."""
    first = data.groupby("group")["released"].min().sort_values(kind="stable")
    rows = [g for g in first.index if not str(g).startswith("Other (")]
    return rows + [g for g in first.index if str(g).startswith("Other (")]


def _importance(data: pd.DataFrame) -> list[int]:
    """Positions of models in labelling order, round by round over the rows.

    Within a row: each family's flagship first (its largest base model, i.e. not derived from a
    parent by a later stage such as instruction tuning, so "Llama 2 70B" before "Llama 2 70B Chat";
    for a family whose sizes are all unpublished, its first model), largest first, then the other
    models by size. Every row gets its first label before any row gets a second.
    """
    _, np, pd = _modules()
    later = _stage_only(data)
    size = _column(data, "params").astype(float).fillna(-1.0)
    family = _column(data, "family").fillna(data["id"]).astype(str)
    has_base = (~later).groupby(family).transform("any")
    size = size.where(~(later & has_base), size.where(size < 0, 0.0) - 0.5)  # a family's base models first
    biggest = size.groupby(family).transform("max")
    first = data["released"].groupby(family).transform("min")
    flagship = ((size == biggest) & (biggest > 0)) | ((biggest <= 0) & (data["released"] == first))
    flagship &= ~family.where(flagship).duplicated() | ~flagship
    tier = np.where(flagship, 0, 2) + np.where(size > 0, 0, 1)
    order = pd.DataFrame({"group": data["group"].to_numpy(), "tier": tier, "size": -size.to_numpy(),
                          "pos": np.arange(len(data))}).sort_values(["group", "tier", "size", "pos"])
    order["round"] = order.groupby("group").cumcount()
    return [int(i) for i in order.sort_values(["round", "tier", "size", "pos"])["pos"]]


def _missing_note(count: int, what: str) -> str:
    if count <= 0:
        return ""
    return f"{_plural(count, 'model')} without {what} not shown."


# --- Compute frontier --------------------------------------------------------------------------

#: A ring: the "hollow" mark of estimated values, as a shape so that the legend can show it.
RING = "M-1,0A1,1,0,1,0,1,0A1,1,0,1,0,-1,0ZM-0.6,0A0.6,0.6,0,1,1,0.6,0A0.6,0.6,0,1,1,-0.6,0Z"
FRONTIER_NAMES = {"chinchilla": "Chinchilla (Hoffmann et al. 2022): ≈20 tokens per parameter",
                  "kaplan": "Kaplan et al. (2020) compute-efficient allocation"}
ISO_FLOP_EXPONENTS = range(18, 28)
POINT_SIZE = 48


def chart_compute(frame: pd.DataFrame, title: str | None = None, width: int | None = None,
                  height: int | None = None, max_points: int = MAX_POINTS,
                  max_labels: int = 40) -> alt.LayerChart:
    """Parameters against pre-training tokens (log-log) with the compute-optimal frontiers.

    Lines: Chinchilla (Hoffmann et al. 2022, Approach 1: about 20 tokens per parameter), Kaplan
    et al. (2020) compute-efficient allocation, and iso-FLOP lines C = 6·N·D from 1e18 to 1e27.
    Points above the Chinchilla line were trained on more tokens than compute-optimal for their
    size (over-trained), points below on fewer. MoE models are placed by active parameters where
    known. A fine-tuned model is placed by the pre-training behind it (`pretrain_tokens`, its base's
    tokens), never by its own stage's tokens; one without it is left out. Hollow marks: a parameter
    count or token count that is estimated or derived.
    """
    _check_frame(frame, "compute chart")
    params, _, uses_active = _plotted_params(frame)
    tokens, _, _ = pretraining_tokens(frame)
    own = frame["train_tokens"].astype(float)
    counted = (params > 0) & ((tokens > 0) | (own > 0))
    if "compute" in frame:  # known sizes and no compute: 6·N·D beyond float range (models_frame warned)
        counted &= ~((own > 0) & frame["compute"].isna())
    usable = counted & (tokens > 0)
    later_stage = counted & ~usable
    check_usable(len(frame), int(usable.sum()), int(later_stage.sum()))
    data = frame[usable]
    if len(data) > max_points:
        data = data.iloc[one_per_cell(data["id"], log10_of(params[usable]), log10_of(tokens[usable]), max_points)]
    return draw_compute(data, len(frame), int(counted.sum()), int(later_stage.sum()), int(uses_active[usable].sum()),
                        grid_cells(max_points), title, width, height, max_labels)


def pretraining_tokens(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(pre-training tokens, their status, taken from `pretrain_tokens`) of each model of the frame.

    A model derived by a later training stage (STAGE_RELATIONS, the `derived_by` column) counts its
    `pretrain_tokens` (its base's own tokens, inherited through the chain), never its own stage's
    `train_tokens` (None where it has no `pretrain_tokens`); every other model its `train_tokens`.
    The SQL selection of large catalogues (catalog.charts.selection.PRETRAINING_TOKENS) is the same rule.
    """
    stage = _stage_only(frame)
    pretrain = _column(frame, "pretrain_tokens").astype(float)
    from_base = stage & (pretrain > 0)
    tokens = pretrain.where(from_base, frame["train_tokens"].astype(float).where(~stage))
    status = _status(frame, "pretrain_tokens").where(from_base, _status(frame, "train_tokens"))
    return tokens, status, from_base


def pretraining_compute(frame: pd.DataFrame, estimates: Sequence[str] = ESTIMATED) -> tuple[pd.Series, pd.Series]:
    """(pre-training compute in FLOP, whether it is an estimate) of each model of the frame.

    A model not derived by a later stage: its `compute` (a source's figure, else 6·N·D). A later
    stage (STAGE_RELATIONS): its inherited `pretrain_compute`, else 6·N·`pretrain_tokens` (an
    estimate), never its own stage's compute (None where its pre-training is unknown). A figure is
    an estimate when it is 6·N·D or its status is one of `estimates`.
    """
    stage = _stage_only(frame)
    params, _, _ = _plotted_params(frame)
    own = _column(frame, "compute").astype(float)
    own_estimated = _column(frame, "compute_status").eq("6ND") | _status(frame, "train_compute").isin(estimates)
    stated = _column(frame, "pretrain_compute").astype(float)
    has_stated = stated > 0
    pretrain = stated.where(has_stated, 6 * params * _column(frame, "pretrain_tokens").astype(float))
    pretrain_estimated = _status(frame, "pretrain_compute").isin(estimates) | ~has_stated
    compute = own.where(~stage, pretrain.where(pretrain > 0))
    return compute, own_estimated.where(~stage, pretrain_estimated).astype(bool)


def check_usable(total: int, usable: int, later_stage: int) -> None:
    if not usable:
        raise CatalogError(f"none of the {_plural(total, 'selected model')} has both a parameter count and "
                           "a training token count" + (" of its own pre-training" if later_stage else "")
                           + "; nothing to draw in the compute chart")


def draw_compute(data: pd.DataFrame, total: int, counted: int, later_stage: int, moe: int, cells: int,
                 title: str | None = None, width: int | None = None, height: int | None = None,
                 max_labels: int = 40) -> alt.LayerChart:
    """The compute chart of `data`: the (thinned) models to draw, each with a size and a token count
    of its own pre-training.

    Of `total` selected models, `counted` have both counts, `later_stage` of those only for a later
    training stage (not drawn); `moe` of the drawable ones are placed by active parameters; a thinned
    selection kept one model per cell of a `cells` × `cells` grid. The subtitle says all that.
    """
    alt, np, pd = _modules()
    usable = counted - later_stage
    params, params_status, _ = _plotted_params(data)
    data = data.copy()
    tokens, tokens_status, from_base = pretraining_tokens(data)
    data["x_params"], data["y_tokens"] = params, tokens
    estimated = params_status.isin(ESTIMATED) | tokens_status.isin(ESTIMATED)
    data["values"] = np.where(estimated, VALUE_KINDS[1], VALUE_KINDS[0])
    thin_note = (f"Showing {_thousands(len(data))} of {_thousands(usable)} models: one per cell of a {cells}×{cells} "
                 "log grid, so every populated region is drawn." if len(data) < usable else "")
    data["arch_plot"] = _arch(data)
    optimum = scaling.chinchilla_optimal_for_params(1e9).tokens_per_param
    data["tip_ratio"] = [f"{t / p:,.1f} ({t / p / optimum:.2g}× Chinchilla-optimal)"
                         for p, t in zip(data["x_params"], data["y_tokens"], strict=True)]
    data = data.join(_tooltip_columns(data))
    data.loc[from_base, "tip_tokens"] = [  # a fine-tune: its base's pre-training, then its own stage
        f"{format_count(t)} pre-training (inherited); own stage {_with_status(own, status)}" for t, own, status in
        zip(tokens[from_base], data["train_tokens"][from_base], _status(data, "train_tokens")[from_base], strict=True)]
    inherited = int(from_base.sum())

    width, height = width or 720, height or 540
    x_dom, y_dom = _log_domain(data["x_params"]), _log_domain(data["y_tokens"])
    lines = _frontier_lines(x_dom, y_dom)
    iso_labels = _iso_flop_labels(x_dom, y_dom, width, height)
    labels = _compute_labels(data, iso_labels, lines, x_dom, y_dom, width, height, max_labels)

    x = alt.X("x_params:Q", title="parameters (active parameters for MoE)",
              scale=alt.Scale(type="log", domain=x_dom, nice=False),
              axis=alt.Axis(values=decades_within(*x_dom), labelExpr=count_label_expr()))
    y = alt.Y("y_tokens:Q", title="pre-training tokens", scale=alt.Scale(type="log", domain=y_dom, nice=False),
              axis=alt.Axis(values=decades_within(*y_dom), labelExpr=count_label_expr()))
    iso = alt.Chart(lines[lines["kind"] == "iso"]).mark_line(color="#c4c4c4", strokeWidth=0.8, clip=True).encode(
        x=x, y=y, detail="line:N", tooltip=[alt.Tooltip("line:N", title="equal training compute")])
    frontier = alt.Chart(lines[lines["kind"] == "frontier"]).mark_line(
        color="#222222", strokeWidth=1.6, clip=True).encode(
        x=x, y=y, detail="line:N",
        strokeDash=alt.StrokeDash("line:N", title="compute-optimal",
                                  scale=alt.Scale(domain=list(FRONTIER_NAMES.values()), range=[[1, 0], [6, 3]]),
                                  legend=alt.Legend(orient="bottom", direction="vertical", symbolType="stroke",
                                                    symbolStrokeColor="#222222", symbolSize=300)),
        tooltip=[alt.Tooltip("line:N", title="compute-optimal")])
    points = alt.Chart(data[["x_params", "y_tokens", "arch_plot", "values", "tip_ratio",
                             *[c for c, _ in TOOLTIP_TITLES]]]).mark_point(
        filled=True, size=POINT_SIZE, opacity=0.9, stroke="white", strokeWidth=0.4).encode(
        x=x, y=y, color=_arch_color(data), shape=_values_shape(data["values"]),
        tooltip=_tooltip((("tip_ratio", "tokens per parameter"),)))
    layers = [iso, *_iso_label_layers(iso_labels, x, y), frontier, points,
              *_label_layers(labels, alt.X("lx:Q"), alt.Y("ly:Q"))]
    chart = alt.layer(*layers).properties(width=width, height=height)
    subtitle = [f"{_plural(usable, 'model')} with known size and training tokens. Above the solid line: "
                "more tokens per parameter than Chinchilla-optimal (over-trained for its size); below: fewer.",
                "Grey lines: equal training compute C = 6·N·D."
                + (f" {_plural(moe, 'MoE model')} placed by active parameters." if moe else "")
                + (f" {_plural(inherited, 'fine-tuned model')} placed by the pre-training tokens inherited "
                   "from a base." if inherited else ""),
                thin_note, _not_shown([
                    (total - counted, "without both a parameter and a token count"),
                    (later_stage, "fine-tuned or further-trained (their token counts cover only their "
                                             "own training stage, and their base's pre-training is not known)")])]
    return finish_chart(chart, title or "Parameters vs training tokens: the compute-optimal frontier", subtitle)


#: Lineage relations after which a model's `train_tokens` count only its own training stage
#: (data/README.md); distillation is not one: a distilled student is usually trained from scratch.
STAGE_RELATIONS = ("fine-tune", "instruction-tune", "rlhf", "continued-pretrain", "upcycle", "merge",
                   "quantization")


def _stage_only(frame: pd.DataFrame) -> pd.Series:
    """True for models derived from a parent by a STAGE_RELATIONS relation.

    Reads the optional `derived_by` column: the relations to the model's parents, comma-separated
    ("instruction-tune", "distillation,merge"); a frame without it counts every model as pre-trained.
    """
    relations = _column(frame, "derived_by").fillna("").astype(str)
    pattern = r"(?:^|,)(?:" + "|".join(STAGE_RELATIONS) + r")(?:,|$)"
    return relations.str.contains(pattern, regex=True)


def with_lineage(frame: pd.DataFrame, parents: Mapping[str, Sequence[tuple[str, str]]]) -> pd.DataFrame:
    """The frame with a `derived_by` column from {child id: [(parent id, relation), ...]}.

    `catalog.query.lineage.LineageGraph.load(engine).parents` is such a mapping.
    """
    relations = {child: ",".join(sorted({relation for _, relation in edges})) for child, edges in parents.items()}
    return frame.assign(derived_by=frame["id"].map(relations))


def _not_shown(parts: Sequence[tuple[int, str]]) -> str:
    """'Not shown: 163 models without ...; 21 fine-tuned ...' for the parts with a count."""
    shown = [f"{_plural(count, 'model')} {what}" for count, what in parts if count > 0]
    return f"Not shown: {'; '.join(shown)}." if shown else ""


VALUE_KINDS = ("reported", "estimated or derived")


def _values_shape(values: pd.Series, kinds: Sequence[str] = VALUE_KINDS) -> Any:
    """Filled circles for reported values, rings for the others, with a legend saying which."""
    alt, _, _ = _modules()
    present = [k for k in kinds if k in set(values)]
    shapes = dict(zip(kinds, ("circle", RING), strict=True))
    return alt.Shape("values:N", title="values", scale=alt.Scale(domain=present, range=[shapes[k] for k in present]),
                     legend=alt.Legend(orient="bottom", direction="vertical"))


def _log_domain(values: pd.Series) -> list[float]:
    """A log-scale domain from the decade below the smallest value to the decade above the largest."""
    low, high = float(values.min()), float(values.max())
    lo, hi = 10.0 ** math.floor(math.log10(low) - 0.1), 10.0 ** math.ceil(math.log10(high) + 0.1)
    return [lo, hi if hi > lo else lo * 10]


def _frontier_lines(x_dom: list[float], y_dom: list[float]) -> pd.DataFrame:
    """Vertices of the Chinchilla, Kaplan and iso-FLOP lines inside the domain."""
    _, np, pd = _modules()
    rows = []
    for law, name in FRONTIER_NAMES.items():
        for n in np.logspace(math.log10(x_dom[0]), math.log10(x_dom[1]), 60):
            d = scaling.optimal_for_params(float(n), law=law).tokens
            if y_dom[0] <= d <= y_dom[1]:
                rows.append({"line": name, "kind": "frontier", "x_params": float(n), "y_tokens": d})
    for exponent, n_lo, n_hi in _iso_flop_segments(x_dom, y_dom):
        for n in (n_lo, n_hi):
            rows.append({"line": f"1e{exponent} FLOP", "kind": "iso", "x_params": n,
                         "y_tokens": 10.0**exponent / (scaling.FLOP_PER_PARAM_TOKEN * n)})
    return pd.DataFrame(rows, columns=["line", "kind", "x_params", "y_tokens"])


def _iso_flop_segments(x_dom: list[float], y_dom: list[float]) -> list[tuple[int, float, float]]:
    """(exponent, first N, last N) of each iso-FLOP line C = 6·N·D = 10^exponent within the domain."""
    out = []
    for exponent in ISO_FLOP_EXPONENTS:
        c = 10.0**exponent
        n_lo = max(x_dom[0], c / (scaling.FLOP_PER_PARAM_TOKEN * y_dom[1]))
        n_hi = min(x_dom[1], c / (scaling.FLOP_PER_PARAM_TOKEN * y_dom[0]))
        if n_lo < n_hi:
            out.append((exponent, n_lo, n_hi))
    return out


ISO_LABEL_SIZE = 9


def _iso_flop_labels(x_dom: list[float], y_dom: list[float], width: float, height: float) -> pd.DataFrame:
    """A label along the lower end of each iso-FLOP line long enough to carry it, and its angle."""
    _, _, pd = _modules()
    x_decades = math.log10(x_dom[1] / x_dom[0])
    y_decades = math.log10(y_dom[1] / y_dom[0])
    angle = math.degrees(math.atan2(height / y_decades, width / x_decades))
    rows = []
    for exponent, n_lo, n_hi in _iso_flop_segments(x_dom, y_dom):
        text = f"1e{exponent} FLOP"
        d_lo, d_hi = (10.0**exponent / (scaling.FLOP_PER_PARAM_TOKEN * n) for n in (n_lo, n_hi))
        x0, x1 = _log_px([n_lo, n_hi], x_dom, width)
        y0, y1 = _log_px([d_lo, d_hi], y_dom, height, flip=True)
        if math.hypot(x1 - x0, y1 - y0) < text_width(text, ISO_LABEL_SIZE) + 16:
            continue
        rows.append({"label": text, "x_params": n_hi, "y_tokens": d_hi, "angle": angle, "px": float(x1),
                     "py": float(y1), "width": text_width(text, ISO_LABEL_SIZE)})
    return pd.DataFrame(rows, columns=["label", "x_params", "y_tokens", "angle", "px", "py", "width"])


def _iso_label_layers(labels: pd.DataFrame, x: Any, y: Any) -> list[Any]:
    alt, _, _ = _modules()
    if labels.empty:
        return []
    return [alt.Chart(labels[["label", "x_params", "y_tokens"]]).mark_text(
        align="right", baseline="bottom", dx=-8, dy=-2, fontSize=ISO_LABEL_SIZE, color="#8a8a8a",
        angle=round(float(labels["angle"].iloc[0]), 2)).encode(x=x, y=y, text="label:N")]


def _iso_label_obstacles(labels: pd.DataFrame) -> tuple[list[float], list[float], list[float]]:
    """Circles covering each rotated iso-FLOP label, for the model labels to avoid."""
    xs, ys, rs = [], [], []
    radius = ISO_LABEL_SIZE * 0.7
    for row in labels.itertuples():
        a = math.radians(row.angle)
        ux, uy, nx, ny = math.cos(a), math.sin(a), math.sin(a), -math.cos(a)
        t = 8.0
        while t <= 8.0 + row.width:
            xs.append(row.px - ux * t + nx * (radius + 2))
            ys.append(row.py - uy * t + ny * (radius + 2))
            rs.append(radius)
            t += radius
    return xs, ys, rs


def _log_px(values: Any, domain: list[float], length: float, flip: bool = False) -> Any:
    _, np, _ = _modules()
    lo, hi = math.log10(domain[0]), math.log10(domain[1])
    pos = (np.log10(np.asarray(values, dtype=float)) - lo) / (hi - lo) * length
    return length - pos if flip else pos


def _compute_labels(data: pd.DataFrame, iso_labels: pd.DataFrame, lines: pd.DataFrame, x_dom: list[float],
                    y_dom: list[float], width: float, height: float, max_labels: int) -> pd.DataFrame:
    """Labels of the largest-compute model of each family first, clear of points, labels and frontiers."""
    _, np, pd = _modules()
    ox, oy, orad = _iso_label_obstacles(iso_labels)
    for _, line in lines[lines["kind"] == "frontier"].groupby("line"):
        lx = _log_px(line["x_params"], x_dom, width)
        ly = _log_px(line["y_tokens"], y_dom, height, flip=True)
        steps = max(int(np.hypot(np.diff(lx), np.diff(ly)).sum() / 3), 2)
        t = np.linspace(0, len(lx) - 1, steps)
        ox += list(np.interp(t, np.arange(len(lx)), lx))
        oy += list(np.interp(t, np.arange(len(ly)), ly))
        orad += [1.5] * steps
    px = np.concatenate([_log_px(data["x_params"], x_dom, width), ox])
    py = np.concatenate([_log_px(data["y_tokens"], y_dom, height, flip=True), oy])
    radius = np.concatenate([np.full(len(data), math.sqrt(POINT_SIZE / math.pi)), orad])
    compute = (data["x_params"] * data["y_tokens"]).to_numpy()
    family = _column(data, "family").fillna(data["id"]).astype(str).to_numpy()
    first: list[int] = []
    rest: list[int] = []
    seen: set[str] = set()
    for i in np.argsort(-compute, kind="stable"):
        (rest if family[i] in seen else first).append(int(i))
        seen.add(family[i])
    names = data["name"].astype(str).to_numpy()
    chosen = place_labels(px, py, radius, [(i, names[i]) for i in (first + rest)[: max_labels * 6]],
                          width, height, limit=max_labels)
    lo_x, hi_x = math.log10(x_dom[0]), math.log10(x_dom[1])
    lo_y, hi_y = math.log10(y_dom[0]), math.log10(y_dom[1])
    return pd.DataFrame([{"label": text, "align": align, "lx": 10 ** (lo_x + ax / width * (hi_x - lo_x)),
                          "ly": 10 ** (lo_y + (height - ay) / height * (hi_y - lo_y))}
                         for _, text, align, ax, ay in chosen], columns=["label", "align", "lx", "ly"])


def log10_of(values: pd.Series) -> np.ndarray:
    _, np, _ = _modules()
    return np.log10(values.to_numpy(float))


def grid_cells(max_points: int) -> int:
    """Cells per side of the thinning grid: n² <= max_points."""
    return max(int(math.sqrt(max_points)), 1)


def one_per_cell(ids: pd.Series, a: np.ndarray, b: np.ndarray, max_points: int) -> np.ndarray:
    """Positions (in order) of one row per occupied cell of an n × n grid over (a, b), n² <= max_points.

    The row is picked by a hash of the model id: stable from run to run, independent of the order
    the rows come in, and unlike "the largest" it does not pull every mark to a corner of its
    cell, so the thinned cloud keeps its shape.
    """
    return one_per_cell_hashed(id_hashes(ids), a, b, max_points)


def id_hashes(ids: pd.Series) -> np.ndarray:
    """The hash of each model id that picks a cell's model (one id at a time: chunks hash alike)."""
    _, _, pd = _modules()
    return pd.util.hash_pandas_object(ids, index=False).to_numpy()


def one_per_cell_hashed(hashes: np.ndarray, a: np.ndarray, b: np.ndarray, max_points: int) -> np.ndarray:
    _, np, _ = _modules()
    cells = grid_cells(max_points)
    ca = np.floor((a - a.min()) / max(np.ptp(a), 1e-9) * (cells - 1e-9))
    cb = np.floor((b - b.min()) / max(np.ptp(b), 1e-9) * (cells - 1e-9))
    order = np.argsort(hashes, kind="stable")
    _, first = np.unique((ca * cells + cb)[order], return_index=True)
    return np.sort(order[first])


# --- Growth over time --------------------------------------------------------------------------


def fit_trend(released: pd.Series, values: pd.Series) -> dict[str, float] | None:
    """Least squares of log10(value) against time in years; None with fewer than 2 distinct dates.

    Returns slope (decades per year), intercept, doubling time in months (inf when not growing),
    n, and the first and last decimal years of the fit.
    """
    ok = released.notna() & (values > 0)
    return fit_years(decimal_years(released[ok]), log10_of(values[ok]))


def fit_years(years: np.ndarray, logs: np.ndarray) -> dict[str, float] | None:
    """`fit_trend` of decimal years and log10 values."""
    _, np, _ = _modules()
    if len(years) < 2 or np.ptp(years) == 0:
        return None
    slope, intercept = np.polyfit(years, logs, 1)
    doubling = 12 * math.log10(2) / slope if slope > 0 else math.inf
    return {"slope": float(slope), "intercept": float(intercept), "doubling_months": doubling,
            "n": int(len(years)), "start": float(years.min()), "end": float(years.max())}


def decimal_years(released: pd.Series) -> np.ndarray:
    return (released.dt.year + (released.dt.day_of_year - 1) / 365.25).to_numpy(float)


def _trend_text(what: str, trend: dict[str, float] | None) -> str:
    if trend is None:
        return f"{what}: too few dated models to fit a trend."
    span = f"{int(trend['start'])}–{int(trend['end'])}, n = {_thousands(int(trend['n']))}"
    if not math.isfinite(trend["doubling_months"]):
        return f"{what}: no growth in the fitted trend ({span})."
    return (f"{what} doubled every {trend['doubling_months']:.1f} months "
            f"(×{10 ** trend['slope']:.2g} per year; least squares on log10, {span}).")


GROWTH_VALUE_KINDS = ("reported", "estimated, derived or 6·N·D")


def chart_growth(frame: pd.DataFrame, title: str | None = None, width: int | None = None,
                 height: int | None = None, max_points: int = MAX_POINTS,
                 frontier: str | None = None) -> alt.VConcatChart:
    """Parameters and training compute over time, each with a least-squares trend on log10.

    The subtitle and each panel's title give the doubling time. Training compute is the `compute`
    column: reported where a source gives it, else 6·N·D (drawn as rings, as are estimated or
    derived parameter counts). The trend is fitted on every model, also when the points are thinned;
    with `frontier` (a FRONTIER_PERIODS key: "year", "half", "quarter") it is fitted on the largest
    model of each period only, and those models are ringed: the fit over every size variant
    understates how fast the frontier grows.
    """
    check_period(frontier)
    _, np, _ = _modules()
    _check_frame(frame, "growth chart")
    dated = frame[frame["released"].notna()]
    check_dated(len(frame), len(dated), "growth chart")
    values, later_stage = growth_values(dated)
    panels, leaders = [], {}
    for what, value in values.items():
        ok = value > 0
        years, logs = decimal_years(dated["released"][ok]), log10_of(value[ok])
        rows = dated[ok]
        if frontier:
            top = frontier_positions(years, logs, frontier)
            trend, leaders[what] = fit_years(years[top], logs[top]), set(rows["id"].iloc[top])
        else:
            trend = fit_years(years, logs)
        if len(rows) > max_points // 2:  # two panels share the budget; the frontier's models always drawn
            kept = one_per_cell(rows["id"], years, logs, max_points // 2)
            rows = rows.iloc[np.union1d(kept, top) if frontier else kept]
        panels.append((what, rows, trend, int(ok.sum())))
    years = dated["released"].dt.year
    return draw_growth(panels, len(frame), len(dated), (int(years.min()), int(years.max())), int(later_stage.sum()),
                       grid_cells(max_points // 2), title, width, height, frontier=frontier, leaders=leaders)


#: Periods of `chart growth --frontier`: months per period.
FRONTIER_PERIODS = {"year": 12, "half": 6, "quarter": 3}


def check_period(period: str | None) -> None:
    if period is not None and period not in FRONTIER_PERIODS:
        raise CatalogError(f"frontier period {period!r}: choose one of {', '.join(FRONTIER_PERIODS)}")


def frontier_positions(years: np.ndarray, logs: np.ndarray, period: str) -> np.ndarray:
    """Positions of the largest value of each period (the first of a tie), in order.

    `years` are decimal years (2023.5 = early July); a period is a calendar year, half or quarter.
    """
    _, np, _ = _modules()
    if not len(years):
        return np.array([], dtype=int)
    per_year = 12 // FRONTIER_PERIODS[period]
    bucket = np.floor(years * per_year + 1e-9).astype(np.int64)
    order = np.lexsort((np.arange(len(logs)), -logs, bucket))  # by period, largest first, then position
    first = np.ones(len(order), dtype=bool)
    first[1:] = bucket[order][1:] != bucket[order][:-1]
    return np.sort(order[first])


GROWTH_PANELS = ("Parameters", "Training compute (FLOP)")


def growth_values(frame: pd.DataFrame) -> tuple[dict[str, pd.Series], pd.Series]:
    """({panel: the value each model has in it, NaN or <= 0 where none}, whether the model is left
    out of the compute panel because its compute covers only a later training stage)."""
    compute = _column(frame, "compute").astype(float)
    later_stage = (compute > 0) & _stage_only(frame)
    return dict(zip(GROWTH_PANELS, (_column(frame, "params").astype(float), compute.where(~later_stage)),
                    strict=True)), later_stage


def draw_growth(panels: Sequence[tuple[str, pd.DataFrame, dict[str, float] | None, int]], total: int, dated: int,
                years: tuple[int, int], later_stage: int, cells: int, title: str | None = None,
                width: int | None = None, height: int | None = None, frontier: str | None = None,
                leaders: Mapping[str, set[str]] | None = None) -> alt.VConcatChart:
    """The growth chart of `panels`: (panel name, the models to draw in it, the trend fitted on all
    of them, how many there are) for each of GROWTH_PANELS.

    Of `total` selected models, `dated` have a release date, in the `years` (first, last);
    `later_stage` models are left out of the compute panel; a thinned panel kept one model per
    cell of a `cells` × `cells` grid. With `frontier`, each trend was fitted on the `leaders` of its
    panel (the ids of the largest model per period), drawn ringed whether or not thinning kept them.
    The subtitle says all that.
    """
    alt, np, pd = _modules()
    span = (pd.Timestamp(year=years[0], month=1, day=1), pd.Timestamp(year=years[1] + 1, month=1, day=1))
    charts, texts, notes = [], [], []
    for what, rows, trend, n in panels:
        name = what.split(" (")[0]
        texts.append(_trend_text(name + (f", frontier (largest per {frontier})" if frontier else ""), trend))
        if not n:
            continue
        estimated = (_status(rows, "params").isin(ESTIMATED) if what == GROWTH_PANELS[0]
                     else _column(rows, "compute_status").ne("source"))
        data = rows.assign(value=growth_values(rows)[0][what],
                           values=np.where(estimated, *GROWTH_VALUE_KINDS[::-1]))
        notes.append(f"{name}: showing {_thousands(len(data))} of {_thousands(n)} models (one per cell of a "
                     f"{cells}×{cells} time × size grid); the trend uses all of them." if len(data) < n else "")
        ringed = data["id"].isin((leaders or {}).get(what, set())) if frontier else None
        charts.append(_growth_panel(data, what, trend, span, width or 720, height or 280, ringed, frontier))
    if not charts:
        raise CatalogError(f"none of the {_plural(total, 'selected model')} has a parameter count or a "
                           "training compute; nothing to draw in the growth chart")
    chart = alt.vconcat(*charts, spacing=24).resolve_scale(color="shared", shape="shared")
    subtitle = [*texts, *notes, _missing_note(total - dated, "release date"),
                f"The compute panel leaves out {_plural(later_stage, 'fine-tuned or further-trained model')}: their "
                "compute covers only their own training stage." if later_stage else ""]
    return finish_chart(chart, title or "Growth of language models: parameters and training compute", subtitle)


def _growth_panel(data: pd.DataFrame, what: str, trend: dict[str, float] | None,
                  span: tuple[pd.Timestamp, pd.Timestamp], width: int, height: int,
                  ringed: pd.Series | None = None, frontier: str | None = None) -> alt.LayerChart:
    """One panel of the growth chart: the models, and the dashed trend line over the fitted years;
    with `frontier`, the `ringed` models (those the trend was fitted on) ringed in black."""
    alt, _, pd = _modules()
    data = data.copy()
    data["arch_plot"] = _arch(data)
    data = data.join(_tooltip_columns(data))
    dom = _log_domain(data["value"])
    start, end = span
    x = alt.X("released:T", title=None, scale=alt.Scale(domain=[start.isoformat(), end.isoformat()], nice=False),
              axis=alt.Axis(format="%Y", tickCount={"interval": "year", "step": 1}, labelAngle=0))
    y = alt.Y("value:Q", title=what, scale=alt.Scale(type="log", domain=dom, nice=False),
              axis=alt.Axis(values=decades_within(*dom),
                            labelExpr=count_label_expr(1 if "FLOP" in what else 1e15)))
    points = alt.Chart(data[["released", "value", "values", "arch_plot", *[c for c, _ in TOOLTIP_TITLES]]]).mark_point(
        filled=True, size=40, opacity=0.85, stroke="white", strokeWidth=0.4).encode(
        x=x, y=y, color=_arch_color(data), shape=_values_shape(data["values"], GROWTH_VALUE_KINDS),
        tooltip=_tooltip())
    layers = [points]
    if ringed is not None and ringed.any():
        layers.append(alt.Chart(data[ringed.to_numpy()][["released", "value", *[c for c, _ in TOOLTIP_TITLES]]])
                      .mark_point(filled=False, size=120, stroke="#111111", strokeWidth=1.3, shape="circle")
                      .encode(x=x, y=y, tooltip=_tooltip()))
    if trend is not None:
        ends = [trend["start"], trend["end"]]
        line = pd.DataFrame({
            "released": [pd.Timestamp(year=int(t), month=1, day=1) + pd.Timedelta(days=(t - int(t)) * 365.25)
                         for t in ends],
            "value": [10 ** (trend["intercept"] + trend["slope"] * t) for t in ends],
            "trend": [_trend_label(trend, frontier)] * 2})
        layers.append(alt.Chart(line).mark_line(color="#222222", strokeDash=[6, 3], strokeWidth=2).encode(
            x=x, y=y, tooltip=[alt.Tooltip("trend:N", title="least-squares trend")]))
    panel_title = f"{what.split(' (')[0]}: {_trend_label(trend, frontier)}" if trend else what.split(" (")[0]
    return alt.layer(*layers).properties(width=width, height=height,
                                         title=alt.Title(panel_title, fontSize=13, anchor="start"))


def _trend_label(trend: dict[str, float] | None, frontier: str | None = None) -> str:
    fitted = f"least-squares trend of the largest model per {frontier}, ringed" if frontier else "least-squares trend"
    if trend is None:
        return "too few models for a trend"
    if not math.isfinite(trend["doubling_months"]):
        return f"not growing (dashed: {fitted})"
    return f"×2 every {trend['doubling_months']:.1f} months (dashed: {fitted})"


# --- Architectures by year ---------------------------------------------------------------------


def chart_architectures(frame: pd.DataFrame, title: str | None = None, width: int | None = None,
                        height: int | None = None, share: bool = False) -> alt.LayerChart:
    """Models released each year, stacked by architecture type (or each type's share, `share=True`).

    Counted in pandas, so the chart holds one row per year and architecture at any catalogue size.
    """
    _, _, pd = _modules()
    _check_frame(frame, "architectures chart")
    dated = frame[frame["released"].notna()]
    check_dated(len(frame), len(dated), "architectures chart")
    counts = (pd.DataFrame({"year": dated["released"].dt.year.astype(int), "arch_plot": _arch(dated)})
              .value_counts().rename("models").reset_index())
    return draw_architectures(counts, len(frame), len(dated), dated["released"].max(), title, width, height, share)


def draw_architectures(counts: pd.DataFrame, total: int, dated: int, latest: pd.Timestamp,
                       title: str | None = None, width: int | None = None, height: int | None = None,
                       share: bool = False) -> alt.LayerChart:
    """The architectures chart of `counts` (columns year, arch_plot, models: one row per year and
    architecture with models). Of `total` selected models `dated` have a release date, the
    `latest` on that day."""
    alt, _, _ = _modules()
    counts = counts.copy()
    totals = counts.groupby("year")["models"].transform("sum")
    counts["share"] = counts["models"] / totals
    counts["order"] = counts["arch_plot"].map({a: i for i, a in enumerate(ARCH_COLORS)})
    counts = counts.sort_values(["year", "order"]).reset_index(drop=True)
    years = list(range(int(counts["year"].min()), int(counts["year"].max()) + 1))
    x = alt.X("year:O", title=None, scale=alt.Scale(domain=years), axis=alt.Axis(labelAngle=0))
    y = (alt.Y("share:Q", title="share of models released", stack="zero", axis=alt.Axis(format="%"))
         if share else alt.Y("models:Q", title="models released", stack="zero"))
    bars = alt.Chart(counts).mark_bar(stroke="white", strokeWidth=0.5).encode(
        x=x, y=y, color=_arch_color(counts), order=alt.Order("order:Q"),
        tooltip=[alt.Tooltip("year:O"), alt.Tooltip("arch_plot:N", title="architecture"),
                 alt.Tooltip("models:Q"), alt.Tooltip("share:Q", format=".0%")])
    layers = [bars]
    if not share:
        year_totals = counts.groupby("year", as_index=False)["models"].sum()
        layers.append(alt.Chart(year_totals).mark_text(baseline="bottom", dy=-3, fontSize=10, color=INK).encode(
            x=x, y=alt.Y("models:Q"), text="models:Q"))
    chart = alt.layer(*layers).properties(width=width or 560, height=height or 320)
    partial = f"{latest.year} counts releases up to {latest:%Y-%m-%d}." if latest.month < 12 else ""
    subtitle = [f"{_plural(dated, 'model')} by year of release and architecture type"
                + (" (share of each year's models)." if share else ".") + (f" {partial}" if partial else ""),
                _missing_note(total - dated, "release date")]
    return finish_chart(chart, title or "Architecture types of language models by year", subtitle)

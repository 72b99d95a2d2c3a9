"""`chart data-mix`: each model's pre-training data by kind of source, one 100% bar per model.

The survey's figure "Ratios of various data sources in the pre-training data", drawn from the
catalogue's sourced mixture links (catalog.query.datamix), with the datasets and sources of every segment
in its tooltip.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from catalog.errors import CatalogError
from catalog.query.datamix import NOT_RECORDED, ROUNDING, Mixture, mix_rows
from catalog.query.display import human
from catalog.vocab import MIX_CATEGORIES

#: Fixed colours per category (Okabe-Ito, safe for colour-blind readers); "not recorded" is light grey.
CATEGORY_COLORS = {"webpages": "#0072B2", "conversation": "#E69F00", "books & news": "#009E73",
                   "scientific": "#CC79A7", "code": "#D55E00", "encyclopedia": "#56B4E9", "other": "#999999",
                   NOT_RECORDED: "#e3e3e3"}


def model_label(mix: Mixture) -> str:
    """'LLaMA 65B (65.2B)': the model's name with its size where known; 'GPT-3 (8 sizes, 125M-175B)'."""
    if len(mix.sizes) > 1:
        low, high = human("params", mix.sizes[0]), human("params", mix.sizes[-1])
        return f"{mix.model_name} ({len(mix.sizes)} sizes, {low}-{high})"
    if mix.params is None:
        return mix.model_name
    size = human("params", mix.params)
    return mix.model_name if size.lower() in mix.model_name.lower() else f"{mix.model_name} ({size})"


def chart_data_mix(mixtures: Sequence[Mixture], title: str | None = None, width: int | None = None,
                   height: int | None = None) -> Any:
    """One horizontal stacked bar per model, 100% wide, sorted by web share (largest first)."""
    import altair as alt
    import pandas as pd

    from catalog.charts.draw import finish_chart

    if not mixtures:
        raise CatalogError("no model matching these filters has a published data mixture (training-data "
                           "links with shares); `llmzoo datasets mix MODEL` shows one model's links")
    labels = {m.model_id: model_label(m) for m in mixtures}
    taken = Counter(labels.values())
    labels = {mid: f"{label} [{mid}]" if taken[label] > 1 else label for mid, label in labels.items()}  # one bar each
    rows = mix_rows(mixtures)
    for row in rows:
        row["model"] = labels[row["model_id"]]
        row["published_text"] = "" if row["published"] is None else f"{row['published']:.1%}"
    frame = pd.DataFrame(rows)
    categories = [c for c in (*MIX_CATEGORIES, NOT_RECORDED) if c in set(frame["category"])]
    frame["order"] = frame["category"].map({c: i for i, c in enumerate(categories)})
    order = (frame.drop_duplicates("model_id").sort_values(["web", "model"], ascending=[False, True])["model"]
             .tolist())
    bar_height = 22
    bars = alt.Chart(frame).mark_bar(stroke="white", strokeWidth=0.5).encode(
        x=alt.X("sum(share):Q", stack="normalize", title="share of pre-training data",
                axis=alt.Axis(format="%", values=[0, 0.25, 0.5, 0.75, 1])),
        y=alt.Y("model:N", sort=order, title=None, axis=alt.Axis(labelLimit=260)),
        color=alt.Color("category:N", title="data source",
                        scale=alt.Scale(domain=categories, range=[CATEGORY_COLORS[c] for c in categories]),
                        legend=alt.Legend(orient="bottom", columns=4)),
        order=alt.Order("order:Q"),
        tooltip=[alt.Tooltip("model:N"), alt.Tooltip("category:N"),
                 alt.Tooltip("share:Q", format=".1%", title="share (bar)"),
                 alt.Tooltip("published_text:N", title="published share"),
                 alt.Tooltip("datasets:N"), alt.Tooltip("sources:N")],
    ).properties(width=width or 560, height=height or bar_height * len(order))
    incomplete = sum(1 for m in mixtures if m.total < 1.0 - ROUNDING)  # drawn with a grey rest
    subtitle = ["Shares of each model's published data mixture, grouped by kind of source "
                "(after Zhao et al., A Survey of Large Language Models, Data Collection).",
                f"{len(mixtures)} models; " + (f"{incomplete} with a partial mixture (grey: not recorded in the "
                                               "source)." if incomplete else "every mixture complete.")]
    return finish_chart(bars, title or "Ratios of data sources in pre-training data", subtitle)

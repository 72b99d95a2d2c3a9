"""The evolutionary tree chart: one lane per family over time, lineage edges between models.

Reads the frames of `catalog.query.lineage` (or, on large catalogues, counts lanes and picks the
drawn models in SQL) and draws them with Altair.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, and_, case, exists, func, or_, select

from catalog.errors import CatalogError
from catalog.query.lineage import frames_conn, nodes_conn
from catalog.query.models import Filters, conditions
from catalog.records.data import ARCHITECTURES
from catalog.store.db import reading
from catalog.store.schema import Family, Lineage, Model, Organization

if TYPE_CHECKING:
    import altair as alt
    import pandas as pd

UNKNOWN_ARCH = "unknown"
#: The most family lanes the tree draws; the busiest are kept.
MAX_LANES = 150
#: The most model marks the tree draws (lineage edges only join drawn models).
MAX_POINTS = 3000


def tree_lanes(nodes: pd.DataFrame) -> pd.DataFrame:
    """Nodes with a `lane` (family, or organization for models without one) and a `branch`.

    A lane's branch is the architecture of its first model; lanes are ordered by branch
    (encoder-only, encoder-decoder, prefix-decoder, causal-decoder, unknown) then first release.
    """
    frame = nodes[nodes["released"].notna()].copy()
    frame["arch"] = frame["arch"].fillna(UNKNOWN_ARCH).where(frame["arch"].isin(branch_order()), UNKNOWN_ARCH)
    org = frame["org_name"].fillna(frame["org"])
    frame["lane"] = frame["family_name"].where(frame["family_name"].notna(), org + " (other)")
    frame = frame.sort_values(["released", "id"])
    first = frame.groupby("lane", sort=False).agg(start=("released", "min"), branch=("arch", "first"))
    order = {a: i for i, a in enumerate(branch_order())}
    first["rank"] = first["branch"].map(order)
    first = first.sort_values(["rank", "start"], kind="stable")
    frame["branch"] = frame["lane"].map(first["branch"])
    frame["lane_rank"] = frame["lane"].map({lane: i for i, lane in enumerate(first.index)})
    return frame


def _styles() -> tuple[dict[str, str], dict[str, str]]:
    from catalog.charts.draw import ARCH_COLORS, WEIGHT_SHAPES

    return ARCH_COLORS, WEIGHT_SHAPES


def branch_order() -> list[str]:
    """Architectures in the order the tree stacks them, top to bottom."""
    preferred = ["encoder-only", "encoder-decoder", "prefix-decoder", "causal-decoder"]
    return preferred + [a for a in ARCHITECTURES if a not in preferred] + [UNKNOWN_ARCH]


def chart_lineage(nodes: pd.DataFrame, edges: pd.DataFrame, title: str | None = None, width: int | None = None,
                  height: int | None = None, max_lanes: int = MAX_LANES, max_points: int = MAX_POINTS,
                  urls: Mapping[str, str] | None = None) -> alt.LayerChart:
    """The evolutionary tree: one lane per family over time, lineage edges between models.

    `nodes` and `edges` are those of `lineage_frames`. Colour is the architecture and shape open
    or closed weights (as in catalog.charts.draw); mark area grows with parameters. Lanes are grouped
    by architecture, then ordered by first release. With more than `max_lanes` families only the
    busiest (by lineage edges, then models) are drawn, and at most `max_points` models (those
    with lineage first, then the largest, shared fairly between lanes); the subtitle says so.
    `urls` (model id -> address) makes the marks links. Height defaults to 16 px per lane.
    """
    frame = tree_lanes(nodes)
    if nodes.empty:
        raise CatalogError("no model matches these filters; nothing to draw in the evolutionary tree")
    if frame.empty:
        raise CatalogError(f"none of the {len(nodes)} selected models has a release date; "
                           "nothing to draw in the evolutionary tree")
    lanes_total, models_total = frame["lane"].nunique(), len(frame)
    if lanes_total > max_lanes:
        frame = _busiest_lanes(frame, edges, max_lanes)
    lanes = list(frame.sort_values("lane_rank")["lane"].drop_duplicates())
    spans = frame.groupby("lane").agg(start=("released", "min"), end=("released", "max")).reset_index()
    if len(frame) > max_points:
        frame = _thin(frame, edges, max_points)
    return draw_lineage(frame, _edge_rows(frame, edges), lanes, spans, lanes_total, models_total,
                        title, width, height, urls)


def draw_lineage(frame: pd.DataFrame, links: pd.DataFrame, lanes: list[str], spans: pd.DataFrame,
                 lanes_total: int, models_total: int, title: str | None = None, width: int | None = None,
                 height: int | None = None, urls: Mapping[str, str] | None = None) -> alt.LayerChart:
    """The tree of the drawn models (`frame` of `tree_lanes`) and edges (`_edge_rows`), lanes in order
    top to bottom, each lane's span (lane, start, end), out of `lanes_total` lanes and `models_total`
    dated models selected (the subtitle's counts)."""
    import altair as alt
    import numpy as np

    arch_colors, weight_shapes = _styles()
    frame = frame.copy()
    frame["weights"] = frame["open_weights"].map({True: "open", False: "closed"}).fillna(UNKNOWN_ARCH)
    params = frame["params"].astype("float64")
    frame["dot"] = (30 + 40 * np.log10(params.clip(lower=1e8) / 1e8)).fillna(30).clip(upper=400)
    frame["params_text"] = params.map(_count_text)
    frame["date"] = frame["released"].dt.strftime("%Y-%m-%d")
    frame["url"] = frame["id"].map(urls or {})
    points = frame[["id", "name", "lane", "branch", "arch", "released", "date", "weights", "dot",
                    "params_text", "org_name", "url"]]

    y = alt.Y("lane:N", scale=alt.Scale(domain=lanes), title=None,
              axis=alt.Axis(labelLimit=220, ticks=False, domain=False))
    x_axis = alt.Axis(format="%Y", tickCount="year", grid=True, orient="top")
    zoom = alt.selection_interval(bind="scales", encodings=["x"])
    span_layer = alt.Chart(spans).mark_rule(color="#c8c8c8", strokeWidth=2).encode(
        x=alt.X("start:T", scale=alt.Scale(padding=12), axis=x_axis, title=None), x2="end:T", y=y)
    edge_layer = alt.Chart(links).mark_rule(color="#888", strokeWidth=1, opacity=0.7).encode(
        x=alt.X("parent_released:T", axis=None), x2="child_released:T",
        y=alt.Y("parent_lane:N", scale=alt.Scale(domain=lanes)), y2="child_lane:N",
        tooltip=[alt.Tooltip("parent_name:N", title="parent"), alt.Tooltip("relation:N"),
                 alt.Tooltip("child_name:N", title="child")])
    point_layer = alt.Chart(points).mark_point(filled=True, opacity=0.85, stroke="white", strokeWidth=0.5).encode(
        x=alt.X("released:T", title="released", axis=alt.Axis(format="%Y", tickCount="year", grid=False)), y=y,
        color=alt.Color("arch:N", title="architecture",
                        scale=alt.Scale(domain=[a for a in branch_order() if a in arch_colors],
                                            range=[arch_colors[a] for a in branch_order() if a in arch_colors])),
        shape=alt.Shape("weights:N", title="weights",
                        scale=alt.Scale(domain=list(weight_shapes), range=list(weight_shapes.values()))),
        size=alt.Size("dot:Q", scale=None, legend=None),
        tooltip=[alt.Tooltip("name:N", title="model"), alt.Tooltip("id:N"), alt.Tooltip("org_name:N", title="org"),
                 alt.Tooltip("lane:N", title="family"), alt.Tooltip("date:N", title="released"),
                 alt.Tooltip("arch:N"), alt.Tooltip("params_text:N", title="parameters"),
                 alt.Tooltip("weights:N")],
        **({"href": alt.Href("url:N")} if urls else {}),
    ).add_params(zoom)
    shown = f"{len(lanes)} of {lanes_total} families" if lanes_total > len(lanes) else f"{len(lanes)} families"
    counted = f"{len(points)} models" if models_total == len(points) else \
        f"{len(points)} of {models_total} models (with lineage first, then the largest of each family)"
    heading = alt.Title(title or "Evolutionary tree of language models",
                        subtitle=f"{counted}, {len(links)} lineage edges, {shown}; lines join a model "
                                 "to those derived from it; mark area grows with parameters")
    chart = alt.layer(span_layer, edge_layer, point_layer, title=heading).resolve_axis(x="independent")
    return chart.properties(width=width or 900, height=height or max(120, 16 * len(lanes)))


def _busiest_lanes(frame: pd.DataFrame, edges: pd.DataFrame, keep: int) -> pd.DataFrame:
    lane_of = dict(zip(frame["id"], frame["lane"], strict=True))
    busy: dict[str, int] = {}
    for child, parent in zip(edges["child"], edges["parent"], strict=True):
        for end in (child, parent):
            if end in lane_of:
                busy[lane_of[end]] = busy.get(lane_of[end], 0) + 1
    counts = frame["lane"].value_counts()
    score = sorted(counts.index, key=lambda lane: (-busy.get(lane, 0), -counts[lane], lane))
    return frame[frame["lane"].isin(set(score[:keep]))]


def _thin(frame: pd.DataFrame, edges: pd.DataFrame, keep: int) -> pd.DataFrame:
    """At most `keep` models: those with lineage first, then the largest; lanes take turns."""
    linked = set(edges["child"]) | set(edges["parent"])
    ranked = frame.assign(linked=frame["id"].isin(linked), size=frame["params"].astype("float64").fillna(0))
    ranked = ranked.sort_values(["linked", "size", "id"], ascending=[False, False, True])
    ranked["turn"] = ranked.groupby("lane", sort=False).cumcount()
    chosen = ranked.sort_values(["linked", "turn", "lane_rank"], ascending=[False, True, True], kind="stable")
    chosen = chosen.head(keep)
    return frame.loc[frame.index.isin(chosen.index)]


def _edge_rows(frame: pd.DataFrame, edges: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    nodes = frame.set_index("id")[["name", "lane", "released"]]
    joined = edges.join(nodes.add_prefix("child_"), on="child", how="inner")
    joined = joined.join(nodes.add_prefix("parent_"), on="parent", how="inner")
    columns = ["child", "parent", "relation", "child_name", "parent_name", "child_lane", "parent_lane",
               "child_released", "parent_released"]
    return pd.DataFrame(joined[columns]).reset_index(drop=True)


def _count_text(value: float) -> str:
    from catalog.units import format_count

    return "" if value != value else format_count(value)  # NaN is unknown


# --- The evolutionary tree of a large catalogue, selected in SQL -------------------------------


def chart_lineage_from_db(engine: Engine, filters: Filters | None = None, title: str | None = None,
                          width: int | None = None, height: int | None = None, max_lanes: int = MAX_LANES,
                          max_points: int = MAX_POINTS, urls: Mapping[str, str] | None = None,
                          large: int | None = None) -> alt.LayerChart:
    """`chart_lineage(*lineage_frames(engine, filters), ...)`, the same chart, without reading every model.

    Above `large` selected models (catalog.charts.selection.LARGE), the lanes' counts, spans and lineage
    edges are counted in SQL, the busiest lanes and the drawn models picked in SQL by the rules of
    `_busiest_lanes` and `_thin`, and only the drawn models and the edges between them are read.
    """
    from catalog.charts.selection import LARGE, models_matching

    filters = filters or Filters()
    options: dict[str, Any] = {"title": title, "width": width, "height": height, "urls": urls}
    with reading(engine) as conn:
        total = conn.execute(models_matching(filters, func.count())).scalar_one()
        if total > (LARGE if large is None else large) and total:
            return _chart_from_sql(conn, filters, total, max_lanes, max_points, **options)
        nodes, edges = frames_conn(conn, filters)
    return chart_lineage(nodes, edges, max_lanes=max_lanes, max_points=max_points, **options)


@dataclass
class _Lane:
    """A lane's totals over the selection; `groups` are its (family id, org id of a familyless model)."""

    name: str
    models: int = 0
    busy: int = 0
    start: Any = None
    end: Any = None
    groups: list[tuple[str | None, str | None]] = field(default_factory=list)
    first: tuple[Any, str] | None = None  # (release date, id) of its first model
    branch: str = UNKNOWN_ARCH


#: A model's lane group: its family, or its organization when it has no family.
_ORG_PART = case((Model.family_id.is_(None), Model.org_id))


def _chart_from_sql(conn: Connection, filters: Filters, total: int, max_lanes: int, max_points: int,
                    **options: Any) -> alt.LayerChart:
    import pandas as pd

    from catalog.charts.selection import models_matching

    lanes = _lane_totals(conn, filters)
    if not lanes:
        raise CatalogError(f"none of the {total} selected models has a release date; "
                           "nothing to draw in the evolutionary tree")
    lanes_total, models_total = len(lanes), sum(lane.models for lane in lanes.values())
    if lanes_total > max_lanes:
        score = sorted(lanes.values(), key=lambda lane: (-lane.busy, -lane.models, lane.name))
        lanes = {lane.name: lane for lane in score[:max_lanes]}
    _first_models(conn, filters, lanes)
    order = {a: i for i, a in enumerate(branch_order())}
    kept = sorted(lanes.values(), key=lambda lane: (order[lane.branch], *(lane.first or ())))
    rank = {lane.name: i for i, lane in enumerate(kept)}
    index = _lane_index(lanes.values(), rank)
    if sum(lane.models for lane in kept) > max_points:
        ids = _thinned_ids(conn, filters, index, max_points)
    else:
        ids = list(conn.scalars(models_matching(filters, Model.id).where(Model.released.is_not(None),
                                                                         index.is_not(None))))
    frame = tree_lanes(nodes_conn(conn, Filters(ids=ids)))
    frame.index = _positions(conn, filters, frame)
    frame["branch"] = frame["lane"].map({lane.name: lane.branch for lane in kept})
    frame["lane_rank"] = frame["lane"].map(rank)
    # parents kept in Python: `parent_id IN (ids)` too would make SQLite look up every pair of ids
    drawn = set(ids)
    edges = pd.DataFrame.from_records([edge for edge in conn.execute(
        select(Lineage.child_id, Lineage.parent_id, Lineage.relation).where(Lineage.child_id.in_(ids))
        .order_by(Lineage.child_id, Lineage.parent_id)) if edge[1] in drawn], columns=["child", "parent", "relation"])
    spans = sorted((lane.name, lane.start, lane.end) for lane in kept)
    spans_frame = pd.DataFrame({"lane": [s[0] for s in spans],
                                "start": _datetimes([s[1] for s in spans]), "end": _datetimes([s[2] for s in spans])})
    return draw_lineage(frame, _edge_rows(frame, edges), [lane.name for lane in kept], spans_frame,
                        lanes_total, models_total, **options)


def _datetimes(dates: list[Any]) -> pd.Series:
    """Dates as the released column of `nodes_conn` holds them."""
    import pandas as pd

    return pd.to_datetime(pd.Series([d.isoformat() for d in dates], dtype=object), format="mixed")


def _lane_totals(conn: Connection, filters: Filters) -> dict[str, _Lane]:
    """Dated models, first and last release and lineage edge ends of every lane, by lane name (two
    families of one name, or a family named like an organization's "(other)" lane, share a lane)."""
    from catalog.charts.selection import models_matching

    families = dict(conn.execute(select(Family.id, Family.name)).all())
    orgs: dict[str | None, str] = dict(conn.execute(select(Organization.id, Organization.name)).all())

    def name(family: str | None, org: str | None) -> str:
        return families[family] if family is not None else f"{orgs[org]} (other)"

    # every end of a lineage edge between two selected models counts for the lane of a dated end
    ends = [select(func.count()).select_from(Lineage).where(near == Model.id, *_far_end_selected(filters, far))
            .scalar_subquery() for near, far in ((Lineage.child_id, Lineage.parent_id),
                                                 (Lineage.parent_id, Lineage.child_id))]
    lanes: dict[str, _Lane] = {}
    for family, org, n, start, end, busy in conn.execute(
            models_matching(filters, Model.family_id, _ORG_PART, func.count(), func.min(Model.released),
                    func.max(Model.released), func.sum(ends[0] + ends[1]))
            .where(Model.released.is_not(None)).group_by(Model.family_id, _ORG_PART)):
        lane = lanes.setdefault(name(family, org), _Lane(name(family, org)))
        lane.models += n
        lane.busy += int(busy)
        lane.start = start if lane.start is None else min(lane.start, start)
        lane.end = end if lane.end is None else max(lane.end, end)
        lane.groups.append((family, org))
    return lanes


def _far_end_selected(filters: Filters, far: Any) -> list[Any]:
    """WHERE clauses: the `far` end of a lineage edge is a selected model (none if every model is).

    The test is on `coalesce(far, far)`, not `far`: SQLite would otherwise look the lineage
    primary key up once for every selected id, for every model (hours on 100k models)."""
    from catalog.charts.selection import models_matching

    if not conditions(filters):
        return []
    return [func.coalesce(far, far).in_(models_matching(filters, Model.id).correlate(None))]


def _lane_index(lanes: Iterable[_Lane], rank: Mapping[str, int]) -> Any:
    """SQL: the rank of a model's lane among `lanes` (NULL for a model of another lane)."""
    by_family = {f: rank[lane.name] for lane in lanes for f, o in lane.groups if f is not None}
    by_org = {o: rank[lane.name] for lane in lanes for f, o in lane.groups if f is None}
    parts = [case(by_family, value=Model.family_id) if by_family else None,
             case(by_org, value=_ORG_PART) if by_org else None]
    parts = [p for p in parts if p is not None]
    return parts[0] if len(parts) == 1 else func.coalesce(*parts)


def _first_models(conn: Connection, filters: Filters, lanes: Mapping[str, _Lane]) -> None:
    """Set each lane's first model (release date, id) and branch (the first model's architecture)."""
    from catalog.charts.selection import models_matching

    starts = {}
    for lane in lanes.values():
        for group in lane.groups:
            starts[group] = lane.start
    by_family = {f: d for (f, o), d in starts.items() if f is not None}
    by_org = {o: d for (f, o), d in starts.items() if f is None}
    whens = [w for w in (and_(Model.family_id.is_not(None), Model.released == case(by_family, value=Model.family_id))
                         if by_family else None,
                         and_(Model.family_id.is_(None), Model.released == case(by_org, value=Model.org_id))
                         if by_org else None) if w is not None]
    # released IN (the starts) first: the release date index finds the few models of those days
    firsts = conn.execute(models_matching(filters, Model.family_id, _ORG_PART, func.min(Model.id))
                          .where(Model.released.in_(sorted(set(starts.values()))), or_(*whens))
                          .group_by(Model.family_id, _ORG_PART)).all()
    archs = dict(conn.execute(select(Model.id, Model.arch).where(Model.id.in_([i for *_, i in firsts]))).all())
    group_lane = {group: lane for lane in lanes.values() for group in lane.groups}
    for family, org, first_id in firsts:
        lane = group_lane[(family, org)]
        if lane.first is None or first_id < lane.first[1]:
            lane.first = (lane.start, first_id)
            arch = archs[first_id]
            lane.branch = arch if arch in branch_order() else UNKNOWN_ARCH


def _thinned_ids(conn: Connection, filters: Filters, index: Any, keep: int) -> list[str]:
    """The ids `_thin` keeps: models with lineage (between selected models) first, then the largest,
    lanes taking turns in lane order; ties by id."""
    from catalog.charts.selection import models_matching

    linked = or_(*[exists().where(near == Model.id, *_far_end_selected(filters, far))
                   for near, far in ((Lineage.child_id, Lineage.parent_id), (Lineage.parent_id, Lineage.child_id))])
    inner = models_matching(filters, Model.id.label("i"), index.label("l"), case((linked, 1), else_=0).label("k"),
                    func.coalesce(Model.params, 0.0).label("p")).where(
        Model.released.is_not(None), index.is_not(None)).subquery()
    turn = func.row_number().over(partition_by=inner.c.l, order_by=(inner.c.k.desc(), inner.c.p.desc(), inner.c.i))
    ranked = select(inner.c.i, inner.c.l, inner.c.k, turn.label("t")).subquery()
    return list(conn.scalars(select(ranked.c.i).order_by(ranked.c.k.desc(), ranked.c.t, ranked.c.l).limit(keep)))


def _positions(conn: Connection, filters: Filters, frame: pd.DataFrame) -> pd.Index:
    """Where these dated models stand among all the selected ones in release order, then id: their
    index in the nodes frame of `lineage_frames`. Altair names the point layer's view by a hash of
    its data's text, which shows index labels, so the chart is the same only with the same labels."""
    import pandas as pd

    from catalog.charts.selection import models_matching

    place = models_matching(filters, Model.id.label("i"), func.row_number().over(order_by=(Model.released, Model.id))
                    .label("n")).where(Model.released.is_not(None)).subquery()
    at: dict[str, int] = dict(conn.execute(select(place.c.i, place.c.n).where(place.c.i.in_(list(frame["id"])))).all())
    return pd.Index([at[i] - 1 for i in frame["id"]], dtype="int64")

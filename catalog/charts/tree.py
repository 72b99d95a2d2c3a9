"""The evolutionary tree of language models: one node per family, time running up the page.

Drawn as the trees readers know from the literature (the LLaMA-family graph of Zhao et al.'s
survey, the "LLM evolutionary tree" of Yang et al.'s Practical Guide): one branch per kind of
architecture (encoder-only, encoder-decoder, decoder-only with prefix decoders in their own colour,
and the models whose makers publish no architecture), a node for each family at its first release,
lines from a parent family to the families derived from it, every node labelled.

The layout is computed here in pixels, not left to Vega-Lite: a family is placed in the column of
its parent when its row there is free, else in the nearest free column of its branch, so derived
families sit next to their ancestors; a column is as wide as its longest label, so no label can
overlap another label or mark (tests check it on the spec). Families are aggregated in SQL, so a
catalogue of a million models draws as fast as its families and lineage edges can be counted.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, Integer, case, cast, func, select

from catalog.errors import CatalogError
from catalog.query.models import Filters, conditions
from catalog.store.db import reading
from catalog.store.schema import Family, Lineage, Model, Organization

if TYPE_CHECKING:
    import altair as alt

#: The branches left to right, and the architectures each holds.
BRANCHES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Encoder-only", ("encoder-only",)),
    ("Encoder-decoder", ("encoder-decoder",)),
    ("Decoder-only", ("causal-decoder", "prefix-decoder")),
    ("Architecture not published", ("unknown",)),
)
#: The most family nodes drawn; with more, the busiest (lineage edges, then models) are kept.
MAX_NODES = 250
#: How a node's open_weights reads in the tooltip (None: not known).
WEIGHTS: dict[bool | None, str] = {True: "open", False: "closed"}
#: The most parent families linked to one family (those most of its models derive from).
MAX_PARENTS = 3
ROW_GAP = 15  # vertical pixels between two nodes of one column: a label is 10 px high
MARK_X = 10  # a node's mark, from its column's left edge
LABEL_X = 22  # its label's left edge
COLUMN_PAD = 12
BRANCH_GAP = 28
GUTTER = 44  # the year labels at the left
HEADER = 34  # branch names above the plot


@dataclass
class FamilyNode:
    """A family (or an organization's familyless models) as the tree draws it."""

    key: str
    name: str
    org: str
    released: dt.date
    arch: str = "unknown"
    open_weights: bool | None = None
    moe: bool = False
    params: float | None = None
    models: int = 0
    first_id: str | None = None
    parents: set[str] = field(default_factory=set)
    parents_cut: int = 0  # parent families beyond MAX_PARENTS, not linked
    # layout
    branch: int = 0
    column: int = 0
    x: float = 0.0
    y: float = 0.0
    label_width: float = 0.0


def _branch_of(arch: str) -> int:
    for i, (_, archs) in enumerate(BRANCHES):
        if arch in archs:
            return i
    return len(BRANCHES) - 1


# --- Selection ----------------------------------------------------------------------------------

def tree_nodes(engine: Engine, filters: Filters | None = None, max_nodes: int = MAX_NODES,
               with_first_ids: bool = False) -> tuple[list[FamilyNode], int]:
    """The families to draw and how many the selection has.

    A model belongs to its family's node, or to its organization's "(other)" node when it has none.
    `filters.family` draws the evolution of those families: each named family (by id or name; a
    name also takes the later generations whose id extends it, `llama` -> `llama-2`, `llama-3.1`)
    and every family derived from them, as far as the lineage goes. Only dated models count.
    """
    filters = filters or Filters()
    with reading(engine) as conn:
        wanted = _named_families(conn, filters.family) if filters.family else None
        rest = replace(filters, family=())
        nodes = _family_rows(conn, rest)
        _family_edges(conn, rest, nodes)
        if wanted is not None:
            nodes = _descendants(nodes, {f"f:{family_id}" for family_id in wanted})
        if not nodes:
            _nothing_to_draw(conn, rest)
        total = len(nodes)
        if total > max_nodes:
            nodes = _busiest(nodes, max_nodes)
        if with_first_ids:
            _first_models(conn, rest, nodes)
    return sorted(nodes.values(), key=lambda n: (n.released, n.key)), total


def _nothing_to_draw(conn: Connection, filters: Filters) -> None:
    selected = conn.execute(_select(filters, func.count())).scalar_one()
    if not selected:
        raise CatalogError("no model matches these filters; nothing to draw in the evolutionary tree")
    raise CatalogError(f"none of the {selected} selected models has a release date; "
                       "nothing to draw in the evolutionary tree")


def _lane_columns(model: Any) -> tuple[Any, Any]:
    return model.family_id, case((model.family_id.is_(None), model.org_id))


def _select(filters: Filters, *columns: Any) -> Any:
    from catalog.charts.selection import models_matching as filtered

    return filtered(filters, *columns)


def _key(family_id: str | None, org_id: str | None) -> str:
    return f"f:{family_id}" if family_id else f"o:{org_id}"


def _family_rows(conn: Connection, filters: Filters) -> dict[str, FamilyNode]:
    family_id, org_part = _lane_columns(Model)
    if not conditions(filters):
        # every model is read: grouping on coalesce(family_id, family_id) keeps SQLite from walking
        # the family index, which fetches the rows in family order (a table scan: 2.6 s, not 4.2 s, on 1M)
        family_id = func.coalesce(Model.family_id, Model.family_id)
    stmt = (_select(filters, family_id, org_part, Model.org_id, Model.arch, Model.open_weights,
                    func.min(Model.released), func.max(Model.params), func.max(cast(Model.moe, Integer)),
                    func.count())
            .where(Model.released.is_not(None))
            .group_by(family_id, org_part, Model.org_id, Model.arch, Model.open_weights))
    families = {fid: (name, org) for fid, name, org in conn.execute(select(Family.id, Family.name, Family.org_id))}
    orgs = dict(conn.execute(select(Organization.id, Organization.name)).all())
    nodes: dict[str, FamilyNode] = {}
    for fam, org_only, org, arch, open_weights, first, params, moe, count in sorted(
            conn.execute(stmt), key=lambda r: (str(r[5]), str(r[3]))):
        key = _key(fam, org_only)
        first = first if isinstance(first, dt.date) else dt.date.fromisoformat(str(first)[:10])
        node = nodes.get(key)
        if node is None:
            name, owner = families.get(fam, (None, org)) if fam else (None, org)
            label = name or f"{orgs.get(org_only, org_only)} (other)"
            node = nodes[key] = FamilyNode(key, label, orgs.get(owner, owner) or "", first,
                                           open_weights=open_weights)
        if node.arch == "unknown" and arch:
            node.arch = arch  # the architecture of its first model that has one
        node.released = min(node.released, first)
        node.moe = node.moe or bool(moe)
        if params is not None:
            node.params = params if node.params is None else max(node.params, params)
        node.models += count
    return nodes


def _family_edges(conn: Connection, filters: Filters, nodes: dict[str, FamilyNode]) -> None:
    """Each node's parent nodes: a family derived from another when one of its models is. A family
    keeps at most MAX_PARENTS, those most of its models were derived from (then the oldest)."""
    child, parent = Model.__table__.alias("child"), Model.__table__.alias("parent")
    c_fam, c_org = _lane_columns(child.c)
    p_fam, p_org = _lane_columns(parent.c)
    # without filters every child is selected: no IN (all the ids), which SQLite would walk id by id
    selected = [child.c.id.in_(_select(filters, Model.id))] if conditions(filters) else []
    stmt = (select(c_fam, c_org, p_fam, p_org, func.count())
            .select_from(Lineage).join(child, child.c.id == Lineage.child_id)
            .join(parent, parent.c.id == Lineage.parent_id)
            .where(*selected, parent.c.released.is_not(None))
            .group_by(c_fam, c_org, p_fam, p_org))
    weights: dict[str, dict[str, int]] = defaultdict(dict)
    for cf, co, pf, po, count in conn.execute(stmt):
        c, p = _key(cf, co), _key(pf, po)
        if c != p and c in nodes and p in nodes:
            weights[c][p] = weights[c].get(p, 0) + count
    for c, parents in weights.items():
        ranked = sorted(parents, key=lambda p: (-parents[p], nodes[p].released, p))
        nodes[c].parents = set(ranked[:MAX_PARENTS])
        nodes[c].parents_cut = len(ranked) - len(nodes[c].parents)


def _named_families(conn: Connection, names: Sequence[str]) -> set[str]:
    rows = conn.execute(select(Family.id, Family.name)).all()
    found: set[str] = set()
    for name in names:
        want = name.strip().lower()
        slug = "-".join(want.split())
        hits = {fid for fid, fname in rows
                if fid.lower() in (want, slug) or (fname or "").lower() == want}
        if hits:  # the later generations: llama -> llama-2, llama-3.1 (not llama-guard: it descends anyway)
            hits |= {fid for fid, _ in rows if fid.lower().startswith(slug + "-") and fid[len(slug) + 1:][:1].isdigit()}
        if not hits:
            import difflib

            close = difflib.get_close_matches(want, [r[0] for r in rows] + [(r[1] or "").lower() for r in rows], 3)
            hint = f"; did you mean {', '.join(close)}?" if close else "; `llmzoo list --columns family` shows them"
            raise CatalogError(f"--family {name}: no such family{hint}")
        found |= hits
    return found


def _descendants(nodes: dict[str, FamilyNode], roots: set[str]) -> dict[str, FamilyNode]:
    children: dict[str, list[str]] = defaultdict(list)
    for node in nodes.values():
        for p in node.parents:
            children[p].append(node.key)
    keep, todo = set(), [r for r in roots if r in nodes]
    while todo:
        key = todo.pop()
        if key not in keep:
            keep.add(key)
            todo.extend(children[key])
    return {k: _only_parents_in(nodes[k], keep) for k in sorted(keep)}


def _only_parents_in(node: FamilyNode, keep: Iterable[str]) -> FamilyNode:
    node.parents &= set(keep)
    return node


def _busiest(nodes: dict[str, FamilyNode], keep: int) -> dict[str, FamilyNode]:
    degree: dict[str, int] = defaultdict(int)
    for node in nodes.values():
        for p in node.parents:
            degree[p] += 1
            degree[node.key] += 1
    ranked = sorted(nodes.values(), key=lambda n: (-degree[n.key], -n.models, n.released, n.key))[:keep]
    kept = {n.key for n in ranked}
    return {n.key: _only_parents_in(n, kept) for n in ranked}


def _first_models(conn: Connection, filters: Filters, nodes: Mapping[str, FamilyNode]) -> None:
    family_id, org_part = _lane_columns(Model)
    stmt = (_select(filters, family_id, org_part, Model.id, Model.released)
            .where(Model.released.is_not(None)).order_by(Model.released.desc(), Model.id.desc()))
    for fam, org, model_id, _ in conn.execute(stmt):
        node = nodes.get(_key(fam, org))
        if node is not None:
            node.first_id = model_id  # the last one written is the earliest


# --- Layout -------------------------------------------------------------------------------------

def layout(nodes: Sequence[FamilyNode], height: int) -> tuple[float, list[tuple[str, float, float]],
                                                                list[tuple[int, float]]]:
    """Place every node: x, y in pixels (y down the page, the newest at the top).

    Returns the plot width, the branches drawn (name, left, right) and the year lines (year, y).
    """
    from catalog.charts.draw import text_width

    first, last = min(n.released for n in nodes), max(n.released for n in nodes)
    start = dt.date(first.year, 1, 1)
    end = dt.date(last.year + 1, 1, 1)
    span = (end - start).days
    top, usable = HEADER + 8, height - HEADER - 16

    def y_of(day: dt.date) -> float:
        return round(top + usable * (1 - (day - start).days / span), 1)

    for node in nodes:
        node.y = y_of(node.released)
        node.branch = _branch_of(node.arch)
        node.label_width = text_width(node.name)
    columns: dict[int, list[list[float]]] = defaultdict(list)
    for node in _tree_order(nodes):
        node.column = _free_column(columns[node.branch], node, nodes)
    x, branches = float(GUTTER), []
    for b, (name, _) in enumerate(BRANCHES):
        if not columns[b]:
            continue
        left = x
        widths = [0.0] * len(columns[b])
        for node in nodes:
            if node.branch == b:
                widths[node.column] = max(widths[node.column], LABEL_X + node.label_width + COLUMN_PAD)
        widths = [max(w, text_width(name) / len(widths) if i == 0 else 0) for i, w in enumerate(widths)]
        offsets = [left + sum(widths[:i]) for i in range(len(widths))]
        for node in nodes:
            if node.branch == b:
                node.x = round(offsets[node.column] + MARK_X, 1)
        x = left + sum(widths)
        branches.append((name, left, x))
        x += BRANCH_GAP
    years = [(year, y_of(dt.date(year, 1, 1))) for year in range(start.year, end.year + 1)]
    return x - BRANCH_GAP, branches, years


def _tree_order(nodes: Sequence[FamilyNode]) -> list[FamilyNode]:
    """Depth first from the oldest roots, children oldest first: derived families follow their parent."""
    by_key = {n.key: n for n in nodes}
    children: dict[str, list[FamilyNode]] = defaultdict(list)
    for node in nodes:
        for p in sorted(node.parents, key=lambda k: (by_key[k].released, k)):
            children[p].append(node)
            break  # placed beside its oldest parent
    order: list[FamilyNode] = []
    seen: set[str] = set()

    def visit(node: FamilyNode) -> None:
        stack = [node]
        while stack:
            current = stack.pop()
            if current.key in seen:
                continue
            seen.add(current.key)
            order.append(current)
            stack.extend(sorted(children[current.key], key=lambda n: (n.released, n.key), reverse=True))

    for node in sorted(nodes, key=lambda n: (n.released, n.key)):
        if not node.parents:
            visit(node)
    for node in sorted(nodes, key=lambda n: (n.released, n.key)):
        visit(node)  # parents outside the drawing or in a cycle of families
    return order


def _free_column(columns: list[list[float]], node: FamilyNode, nodes: Sequence[FamilyNode]) -> int:
    """A free column for the node at node.y: roots the leftmost, a derived family the nearest one right
    of its parent's (never the parent's own: a vertical line would run through the nodes between)."""
    parent_columns = [n.column for n in nodes if n.key in node.parents and n.branch == node.branch]
    if parent_columns:
        want = parent_columns[0]
        candidates = [c for c in sorted(range(len(columns)), key=lambda c: (c <= want, abs(c - want)))
                      if c != want]
    else:
        candidates = list(range(len(columns)))
    for c in candidates:
        if all(abs(node.y - other) >= ROW_GAP for other in columns[c]):
            columns[c].append(node.y)
            return c
    columns.append([node.y])
    return len(columns) - 1


# --- Drawing ------------------------------------------------------------------------------------

def chart_tree(nodes: Sequence[FamilyNode], total: int | None = None, title: str | None = None,
               height: int | None = None, urls: Mapping[str, str] | None = None) -> alt.LayerChart:
    """The evolutionary tree of `nodes` (from `tree_nodes`), `total` the families selected.

    `urls` (model id -> address) links each node to its family's first model.
    """
    import altair as alt
    import pandas as pd

    from catalog.charts.draw import ARCH_COLORS, FONT, INK, LABEL_SIZE, WEIGHT_SHAPES
    from catalog.units import format_count

    if not nodes:
        raise CatalogError("no model matches these filters; nothing to draw in the evolutionary tree")
    height = height or default_height(len(nodes))
    width, branches, years = layout(nodes, height)
    by_key = {n.key: n for n in nodes}
    points = pd.DataFrame([{
        "key": n.key, "name": n.name, "org": n.org, "x": n.x, "y": n.y, "label_x": n.x + LABEL_X - MARK_X,
        "arch": n.arch, "weights": WEIGHTS.get(n.open_weights, "unknown"),
        "moe": "yes" if n.moe else "no", "released": n.released.isoformat(), "models": n.models,
        "params": format_count(n.params) if n.params else "unknown",
        "dot": 40 + (min(n.params, 2e12) / 2e12) ** 0.5 * 220 if n.params else 40,
        "url": (urls or {}).get(n.first_id or "", ""),
    } for n in nodes])
    edges = pd.DataFrame([{"edge": f"{p}>{n.key}", "x": by_key[p].x, "y": by_key[p].y, "x2": n.x, "y2": n.y,
                           "parent": by_key[p].name, "child": n.name}
                          for n in nodes for p in sorted(n.parents)],
                         columns=["edge", "x", "y", "x2", "y2", "parent", "child"])
    px: dict[str, Any] = {"scale": None, "axis": None}
    lanes = pd.DataFrame([{"branch": name, "x": left - 6, "x2": right + 6, "y": HEADER, "y2": height}
                          for name, left, right in branches])
    year_rows = pd.DataFrame([{"year": str(year), "y": y, "x": GUTTER - 6, "x2": width} for year, y in years])
    background = alt.Chart(lanes).mark_rect(color="#f4f4f4").encode(
        x=alt.X("x:Q", **px), x2="x2:Q", y=alt.Y("y:Q", **px), y2="y2:Q")
    heads = alt.Chart(lanes).mark_text(align="left", baseline="middle", fontSize=13, fontWeight="bold",
                                       color=INK, font=FONT).encode(
        x=alt.X("x:Q", **px), y=alt.value(HEADER / 2), text="branch:N")
    grid = alt.Chart(year_rows).mark_rule(color="#d0d0d0", strokeDash=[3, 3]).encode(
        x=alt.X("x:Q", **px), x2="x2:Q", y=alt.Y("y:Q", **px))
    year_text = alt.Chart(year_rows).mark_text(align="right", baseline="bottom", dx=-4, dy=-2, fontSize=11,
                                               color=INK, font=FONT).encode(
        x=alt.value(GUTTER - 4), y=alt.Y("y:Q", **px), text="year:N")
    links = alt.Chart(edges).mark_rule(color="#7a7a7a", strokeWidth=1, opacity=0.6).encode(
        x=alt.X("x:Q", **px), y=alt.Y("y:Q", **px), x2="x2:Q", y2="y2:Q",
        tooltip=[alt.Tooltip("parent:N"), alt.Tooltip("child:N", title="derived")])
    tooltip = [alt.Tooltip("name:N", title="family"), alt.Tooltip("org:N"), alt.Tooltip("released:N", title="first"),
               alt.Tooltip("models:Q"), alt.Tooltip("params:N", title="largest"), alt.Tooltip("arch:N"),
               alt.Tooltip("moe:N", title="mixture of experts"), alt.Tooltip("weights:N")]
    archs = [a for branch in BRANCHES for a in branch[1]]
    marks = alt.Chart(points).mark_point(filled=True, opacity=0.95, stroke="white", strokeWidth=0.6).encode(
        x=alt.X("x:Q", **px), y=alt.Y("y:Q", **px), size=alt.Size("dot:Q", scale=None, legend=None),
        color=alt.Color("arch:N", title="architecture",
                        scale=alt.Scale(domain=archs, range=[ARCH_COLORS[a] for a in archs])),
        shape=alt.Shape("weights:N", title="weights",
                        scale=alt.Scale(domain=list(WEIGHT_SHAPES), range=list(WEIGHT_SHAPES.values()))),
        tooltip=tooltip, **({"href": alt.Href("url:N")} if urls else {}))
    rings = alt.Chart(points[points["moe"] == "yes"]).mark_point(
        filled=False, stroke="#111111", strokeWidth=1.4, shape="circle").encode(
        x=alt.X("x:Q", **px), y=alt.Y("y:Q", **px), size=alt.Size("dot:Q", scale=None, legend=None),
        tooltip=tooltip)
    text: dict[str, Any] = {"align": "left", "baseline": "middle", "fontSize": LABEL_SIZE, "font": FONT}
    halos = alt.Chart(points).mark_text(**text, color="white", stroke="white", strokeWidth=3,
                                           strokeJoin="round", opacity=0.9).encode(
        x=alt.X("label_x:Q", **px), y=alt.Y("y:Q", **px), text="name:N")  # lines pass behind the labels
    labels = alt.Chart(points).mark_text(**text, color=INK).encode(
        x=alt.X("label_x:Q", **px), y=alt.Y("y:Q", **px), text="name:N", tooltip=tooltip)
    shown = f"{len(nodes)} of {total} families (the most connected)" if total and total > len(nodes) \
        else f"{len(nodes)} families"
    cut = sum(n.parents_cut for n in nodes)
    links_text = f"{len(edges)} lineage links" + (
        f" (at most {MAX_PARENTS} parent families each, the most frequent; {cut} more not drawn)" if cut else "")
    subtitle = [f"{shown}, {links_text}; each node is a family at its first release, time runs up",
                "lines join a family to those derived from it; area grows with its largest model; "
                "ring: mixture-of-experts"]
    chart = alt.layer(background, grid, year_text, heads, links, marks, rings, halos, labels,
                      title=alt.Title(title or "Evolutionary tree of language models", subtitle=subtitle))
    return chart.properties(width=round(width), height=height).configure_view(stroke=None)


def default_height(count: int) -> int:
    """Pixels for `count` family nodes: room for a few per column in a busy year, at most 2,600."""
    return max(520, min(2600, 300 + 12 * count))


def chart_tree_from_db(engine: Engine, filters: Filters | None = None, title: str | None = None,
                       height: int | None = None, max_nodes: int = MAX_NODES,
                       urls: Mapping[str, str] | None = None) -> alt.LayerChart:
    """`chart_tree` of the families `tree_nodes` selects."""
    nodes, total = tree_nodes(engine, filters, max_nodes, with_first_ids=urls is not None)
    return chart_tree(nodes, total, title, height, urls)

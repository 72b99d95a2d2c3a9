"""Lineage: a model's ancestry and descendants as trees, and the frames of the evolutionary tree.

The lineage table holds edges `child was derived from parent by relation`. Validation keeps
it acyclic, but a model may have several parents (merges) and a descendant may be reachable
along two paths; a tree shows such a model once in full and marks later sightings `repeated`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, select

from catalog.errors import CatalogError
from catalog.query.models import Filters, order_by, resolve_model, select_models
from catalog.records.data import format_date
from catalog.store.db import reading
from catalog.store.schema import Family, Lineage, Model

if TYPE_CHECKING:
    import pandas as pd

CHUNK = 500


@dataclass
class TreeNode:
    """One model in an ancestry or descendant tree.

    `relation` is how this node and the node above it are related (None at the root);
    `repeated` means the model appears earlier in the tree, where its subtree is shown;
    `truncated` means it has further ancestors or descendants beyond the depth limit.
    """

    id: str
    name: str
    released: str | None
    relation: str | None = None
    children: list[TreeNode] = field(default_factory=list)
    repeated: bool = False
    truncated: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {"id": self.id, "name": self.name, "released": self.released, "relation": self.relation,
                "repeated": self.repeated, "truncated": self.truncated,
                "children": [c.to_dict() for c in self.children]}

    def size(self) -> int:
        """How many nodes below this one (repeated ones included)."""
        return sum(1 + c.size() for c in self.children)


@dataclass
class LineageGraph:
    """Lineage edges in both directions plus the name and release date of every model in them."""

    info: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    parents: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    children: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    @classmethod
    def load(cls, engine: Engine) -> LineageGraph:
        """Every edge and every model of the catalogue (for the site, which needs them all)."""
        graph = cls()
        with reading(engine) as conn:
            for child, parent, relation in conn.execute(
                    select(Lineage.child_id, Lineage.parent_id, Lineage.relation)):
                graph.add_edge(child, parent, relation)
            for model_id, name, released, precision in conn.execute(
                    select(Model.id, Model.name, Model.released, Model.released_precision)):
                graph.info[model_id] = (name, format_date(released, precision) or None)
        graph.sort()
        return graph

    @classmethod
    def around(cls, engine: Engine, model_id: str, depth: int | None = None) -> LineageGraph:
        """Only the edges reachable from one model, up and down, fetched level by level."""
        graph = cls()
        with reading(engine) as conn:
            for upward in (True, False):
                seen = {model_id}
                frontier = [model_id]
                level = 0
                # one level more than shown, so the tree knows whether it was truncated
                while frontier and (depth is None or level <= depth):
                    found = graph._fetch_level(conn, frontier, upward)
                    frontier = [m for m in found if m not in seen]
                    seen.update(frontier)
                    level += 1
            graph.add_info(conn, [model_id, *graph.parents, *graph.children])
        graph.sort()
        return graph

    def _fetch_level(self, conn: Connection, ids: Sequence[str], upward: bool) -> list[str]:
        near = Lineage.child_id if upward else Lineage.parent_id
        found = []
        for start in range(0, len(ids), CHUNK):
            stmt = select(Lineage.child_id, Lineage.parent_id, Lineage.relation).where(
                near.in_(list(ids[start:start + CHUNK])))
            for child, parent, relation in conn.execute(stmt):
                if self.add_edge(child, parent, relation):
                    found.append(parent if upward else child)
        return found

    def add_edge(self, child: str, parent: str, relation: str) -> bool:
        """Record an edge; False if it was already known."""
        if (parent, relation) in self.parents.get(child, []):
            return False
        self.parents.setdefault(child, []).append((parent, relation))
        self.children.setdefault(parent, []).append((child, relation))
        return True

    def add_info(self, conn: Connection, ids: Iterable[str]) -> None:
        """Fetch names and release dates of these models."""
        wanted = sorted(set(ids) - set(self.info))
        for start in range(0, len(wanted), CHUNK):
            stmt = select(Model.id, Model.name, Model.released, Model.released_precision).where(
                Model.id.in_(wanted[start:start + CHUNK]))
            for model_id, name, released, precision in conn.execute(stmt):
                self.info[model_id] = (name, format_date(released, precision) or None)

    def sort(self) -> None:
        """Order every list of neighbours by release date (unknown last), then id."""
        def key(pair: tuple[str, str]) -> tuple[bool, str, str]:
            released = self.info.get(pair[0], ("", None))[1]
            return released is None, released or "", pair[0]

        for table in (self.parents, self.children):
            for neighbours in table.values():
                neighbours.sort(key=key)

    def ancestry(self, model_id: str, depth: int | None = None) -> TreeNode:
        """The model at the root; its parents as children, their parents below them, and so on."""
        return self._tree(model_id, self.parents, depth)

    def descendants(self, model_id: str, depth: int | None = None) -> TreeNode:
        """The model at the root; the models derived from it below, recursively."""
        return self._tree(model_id, self.children, depth)

    def _tree(self, root: str, edges: dict[str, list[tuple[str, str]]], depth: int | None) -> TreeNode:
        shown: set[str] = set()

        def node(model_id: str, relation: str | None, level: int) -> TreeNode:
            name, released = self.info.get(model_id, (model_id, None))
            out = TreeNode(model_id, name, released, relation)
            if model_id in shown:
                out.repeated = bool(edges.get(model_id))
                return out
            shown.add(model_id)
            if depth is not None and level >= depth:
                out.truncated = bool(edges.get(model_id))
                return out
            out.children = [node(other, rel, level + 1) for other, rel in edges.get(model_id, [])]
            return out

        return node(root, None, 0)


def model_lineage(engine: Engine, name: str, depth: int | None = None) -> dict[str, Any]:
    """A model (by id, name or alias) with its ancestry and descendant trees, up to `depth` levels."""
    if depth is not None and depth < 1:
        raise CatalogError("--depth must be 1 or more")
    with reading(engine) as conn:
        model_id = resolve_model(conn, name)
    graph = LineageGraph.around(engine, model_id, depth)
    model_name, released = graph.info[model_id]
    return {"id": model_id, "name": model_name, "released": released,
            "ancestry": graph.ancestry(model_id, depth), "descendants": graph.descendants(model_id, depth)}


# --- The evolutionary tree ---------------------------------------------------------------------

NODE_COLUMNS = ("id", "name", "family", "org", "org_name", "released", "arch", "params", "open_weights")


def lineage_frames(engine: Engine, filters: Filters | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(nodes, edges) of the evolutionary tree: the selected models and the edges between them.

    nodes: id, name, family, family_name, org, org_name, released (datetime), arch, params,
    open_weights. edges: child, parent, relation.
    """
    with reading(engine) as conn:
        return frames_conn(conn, filters or Filters())


def frames_conn(conn: Connection, filters: Filters) -> tuple[pd.DataFrame, pd.DataFrame]:
    import pandas as pd

    nodes = nodes_conn(conn, filters)
    ids = set(nodes["id"])
    edges = [{"child": c, "parent": p, "relation": r} for c, p, r in conn.execute(
        select(Lineage.child_id, Lineage.parent_id, Lineage.relation)
        .order_by(Lineage.child_id, Lineage.parent_id)) if c in ids and p in ids]
    return nodes, pd.DataFrame.from_records(edges, columns=["child", "parent", "relation"])


def nodes_conn(conn: Connection, filters: Filters) -> pd.DataFrame:
    """The NODE_COLUMNS of the models matching `filters` (as find_models gives them) and family_name."""
    import pandas as pd

    released = NODE_COLUMNS.index("released")
    rows = []
    for *row, precision in conn.execute(select_models([*NODE_COLUMNS, "released_precision"], filters)
                                        .order_by(*order_by(None))):
        row[released] = format_date(row[released], precision) or None
        rows.append(row)
    families = dict(conn.execute(select(Family.id, Family.name)).all())
    nodes = pd.DataFrame.from_records(rows, columns=list(NODE_COLUMNS))
    nodes.insert(3, "family_name", nodes["family"].map(families))
    nodes["released"] = pd.to_datetime(nodes["released"].replace("", None), format="mixed")
    return nodes

"""What the site's pages show, read from the catalogue in batches: the index rows and blob, and the
typed detail of many models at a time (exactly what `get_model` returns, a few queries per batch).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Engine, select

from catalog.query.detail import ModelDetail, SourceDetail
from catalog.query.display import human
from catalog.query.models import Filters, fact_statuses, find_models, model_details
from catalog.site.pack import pack_name, packed_page
from catalog.site.render import page_name
from catalog.store.db import reading
from catalog.store.schema import Alias, Family, Source

BATCH = 500
INDEX_COLUMNS = ("id", "name", "family", "org", "org_name", "origin", "released", "arch", "moe", "params",
                 "active_params", "train_tokens", "train_compute", "context_window", "open_weights",
                 "compute", "compute_status", "tokens_per_param")
STATUS_FIELDS = ("released", "arch", "params", "train_tokens", "train_compute", "context_window", "open_weights")


# --- The index ---------------------------------------------------------------------------------


def index_rows(engine: Engine, filters: Filters) -> list[dict[str, Any]]:
    """The selected models with what the index table shows, newest first."""
    rows = find_models(engine, filters, sort="-released", columns=INDEX_COLUMNS)
    statuses = fact_statuses(engine, [r["id"] for r in rows], STATUS_FIELDS)
    with reading(engine) as conn:
        families = dict(conn.execute(select(Family.id, Family.name)).all())
        aliases: dict[str, list[str]] = {}
        for model_id, alias in conn.execute(select(Alias.model_id, Alias.alias).where(Alias.is_name.is_(False))):
            aliases.setdefault(model_id, []).append(alias)
    for row in rows:
        row["family_name"] = families.get(row["family"])
        row["aliases"] = aliases.get(row["id"], [])
        row["statuses"] = {f: statuses[(row["id"], f)] for f in STATUS_FIELDS if (row["id"], f) in statuses}
    return rows


def _cell(name: str, row: dict[str, Any]) -> list[Any] | None:
    """[sort value, text] of a number column, or None when there is nothing to show."""
    value = row.get(name)
    status = "derived" if name == "compute" and row.get("compute_status") == "6ND" else row["statuses"].get(name)
    text = human(name, value, status)
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        value = int(value)  # 7000000000, not 7000000000.0: a smaller blob
    return [value, text] if text else None


#: Columns of the index blob. `page` is null when it is models/<id>.html (the browser fills it in); a packed
#: build adds `pack`, the hex of the model's pack, and `page` is null when it is models/p-<pack>.html#<id>.
INDEX_FIELDS = ("id", "name", "aliases", "org", "family", "released", "arch", "params", "train_tokens", "compute",
                "tokens_per_param", "context_window", "open_weights", "user", "page")


def index_data(rows: Sequence[dict[str, Any]], packed: bool = False) -> dict[str, Any]:
    """The index table as one JSON-ready blob: a row is a list in the order of `fields`
    (`packed`: the model pages are packs, catalog.site.pack)."""
    out = []
    for row in rows:
        model_id = row["id"]
        if packed:
            page, pack = packed_page(model_id), pack_name(model_id)
            usual = f"{pack}#{model_id}"
        else:
            page, usual = page_name(model_id), model_id + ".html"
        out.append([model_id, row["name"], " ".join(row["aliases"]), row["org_name"] or row["org"],
                    row["family_name"] or "", row["released"] or "", row["arch"] or "", _cell("params", row),
                    _cell("train_tokens", row), _cell("compute", row), _cell("tokens_per_param", row),
                    _cell("context_window", row), row["open_weights"], row.get("origin") == "user",
                    None if page == usual else "models/" + page]
                   + ([pack[len("p-"):-len(".html")]] if packed else []))
    return {"fields": list(INDEX_FIELDS) + (["pack"] if packed else []), "rows": out}


# --- Model pages -------------------------------------------------------------------------------


def iter_model_details(engine: Engine, ids: Sequence[str], batch: int = BATCH) -> Iterator[ModelDetail]:
    """`get_model` for many models, in the order of `ids`, a few queries per batch instead of per model
    (`catalog.query.models.model_details`, the one place a model's detail is assembled)."""
    with reading(engine) as conn:
        yield from model_details(conn, ids, batch)


# --- Datasets ----------------------------------------------------------------------------------


def dataset_sources(engine: Engine, d: dict[str, Any]) -> dict[str, SourceDetail]:
    """The sources a dataset (a `get_dataset` dict) cites, by id."""
    cited = sorted({d["source"]} | {f["source"] for f in d["facts"].values()})
    with reading(engine) as conn:
        return {s.id: {"url": s.url, "title": s.title, "kind": s.kind, "published": s.published}
                for s in conn.execute(select(Source).where(Source.id.in_(cited)))}



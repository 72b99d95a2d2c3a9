"""What the site's pages show, read from the catalogue in batches: the index rows and blob, and the
typed detail of many models at a time (exactly what `get_model` returns, a few queries per batch).
"""

from __future__ import annotations

import typing
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Engine, select

from catalog.query.detail import ModelDetail, SourceDetail
from catalog.query.display import human
from catalog.query.models import COMPUTED, Filters, add_computed, fact_statuses, find_models
from catalog.records.data import DATE_FACTS, MODEL_FACTS, format_date
from catalog.site.render import page_name
from catalog.store.db import reading
from catalog.store.schema import Alias, Dataset, Family, Lineage, Model, ModelDataset, ModelFact, Organization, Source
from catalog.store.writes import LIST_FACTS

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


#: Columns of the index blob. `page` is null when it is models/<id>.html (the browser fills it in).
INDEX_FIELDS = ("id", "name", "aliases", "org", "family", "released", "arch", "params", "train_tokens", "compute",
                "tokens_per_param", "context_window", "open_weights", "user", "page")


def index_data(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The index table as one JSON-ready blob: a row is a list in the order of `fields`."""
    out = []
    for row in rows:
        page = page_name(row["id"])
        out.append([row["id"], row["name"], " ".join(row["aliases"]), row["org_name"] or row["org"],
                    row["family_name"] or "", row["released"] or "", row["arch"] or "", _cell("params", row),
                    _cell("train_tokens", row), _cell("compute", row), _cell("tokens_per_param", row),
                    _cell("context_window", row), row["open_weights"], row.get("origin") == "user",
                    None if page == row["id"] + ".html" else "models/" + page])
    return {"fields": list(INDEX_FIELDS), "rows": out}



# --- Model pages -------------------------------------------------------------------------------


def iter_model_details(engine: Engine, ids: Sequence[str], batch: int = BATCH) -> Iterator[ModelDetail]:
    """`get_model` for many models, in the order of `ids`, a few queries per batch instead of per model.

    Yields dicts of exactly the shape `catalog.query.models.get_model` returns (a test checks it).
    """
    with reading(engine) as conn:
        orgs = {o.id: o for o in conn.execute(select(Organization))}
        families = {f.id: f for f in conn.execute(select(Family))}
        sources: dict[str, SourceDetail] = {}
        for start in range(0, len(ids), batch):
            part = list(ids[start:start + batch])
            models = {m.id: m for m in conn.execute(select(Model).where(Model.id.in_(part)))}
            related = _related(conn, part)
            cited = {s for m in models.values() for s in _cited(m, related, m.id)} - set(sources)
            for chunk in _chunks(sorted(cited)):
                for s in conn.execute(select(Source).where(Source.id.in_(chunk))):
                    sources[s.id] = {"url": s.url, "title": s.title, "kind": s.kind, "published": s.published}
            for model_id in part:
                model = models.get(model_id)
                if model is not None:
                    yield _detail(model, orgs, families, related, sources)


def _chunks(items: Sequence[str], size: int = BATCH) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start:start + size])


def _related(conn: Any, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Provenance, aliases, datasets, parents and children of a batch of models, by model id."""
    out: dict[str, dict[str, Any]] = {i: {"special": {}, "aliases": [], "datasets": [], "parents": [],
                                          "children": []} for i in ids}
    for r in conn.execute(select(ModelFact.model_id, ModelFact.field, ModelFact.source_id, ModelFact.status,
                                 ModelFact.method, ModelFact.confidence, ModelFact.note)
                          .where(ModelFact.model_id.in_(ids))):
        out[r.model_id]["special"][r.field] = {"source": r.source_id, "status": r.status, "method": r.method,
                                               "confidence": r.confidence, "note": r.note}
    from catalog.rules.inheritance import computed_provenance

    for (model_id, name), prov in computed_provenance(conn, ids).items():
        out[model_id]["special"][name] = {k: prov[k] for k in ("source", "status", "method", "confidence", "note")}
        if prov["inherited_from"]:
            out[model_id]["special"][name]["inherited_from"] = prov["inherited_from"]
    for model_id, alias in conn.execute(select(Alias.model_id, Alias.alias).where(
            Alias.model_id.in_(ids), Alias.is_name.is_(False)).order_by(Alias.alias)):
        out[model_id]["aliases"].append(alias)
    for r in conn.execute(
            select(ModelDataset.model_id, ModelDataset.dataset_id.label("dataset"), Dataset.name, ModelDataset.share,
                   ModelDataset.epochs, ModelDataset.tokens, ModelDataset.source_id.label("source"),
                   ModelDataset.note)
            .join(Dataset, Dataset.id == ModelDataset.dataset_id).where(ModelDataset.model_id.in_(ids))
            .order_by(ModelDataset.share.desc().nulls_last(), ModelDataset.dataset_id)):
        row = dict(r._mapping)
        out[row.pop("model_id")]["datasets"].append(row)
    for r in conn.execute(
            select(Lineage.child_id, Lineage.parent_id.label("model"), Model.name, Lineage.relation,
                   Lineage.source_id.label("source"), Lineage.note)
            .join(Model, Model.id == Lineage.parent_id).where(Lineage.child_id.in_(ids))
            .order_by(Lineage.parent_id)):
        row = dict(r._mapping)
        out[row.pop("child_id")]["parents"].append(row)
    for r in conn.execute(
            select(Lineage.parent_id, Lineage.child_id.label("model"), Model.name, Lineage.relation)
            .join(Model, Model.id == Lineage.child_id).where(Lineage.parent_id.in_(ids))
            .order_by(Lineage.child_id)):
        row = dict(r._mapping)
        out[row.pop("parent_id")]["children"].append(row)
    return out


def _cited(model: Any, related: dict[str, dict[str, Any]], model_id: str) -> set[str]:
    rel = related[model_id]
    return ({model.source_id} | {p["source"] for p in rel["special"].values()}
            | {d["source"] for d in rel["datasets"]} | {p["source"] for p in rel["parents"]})


def _detail(model: Any, orgs: dict[str, Any], families: dict[str, Any], related: dict[str, dict[str, Any]],
            sources: dict[str, SourceDetail]) -> ModelDetail:
    rel = related[model.id]
    facts = {}
    for name in MODEL_FACTS:
        value = getattr(model, name)
        prov = rel["special"].get(name)
        if value is None and prov is None:
            continue
        if name in LIST_FACTS and value:
            value = value.split(",")
        prov = prov or {"source": model.source_id, "status": "reported", "method": None,
                        "confidence": None, "note": None}
        facts[name] = {"value": value, **prov}
    for date_fact in DATE_FACTS:
        if date_fact in facts and getattr(model, date_fact) is not None:
            facts[date_fact]["value"] = format_date(getattr(model, date_fact),
                                                    getattr(model, f"{date_fact}_precision"))
    cited = _cited(model, related, model.id) | {f["source"] for f in facts.values()}
    computed = add_computed({k: (v["value"] if isinstance(v, dict) else None) for k, v in facts.items()}
                            | {"moe": facts.get("moe", {}).get("value")}, model.id)
    org = orgs.get(model.org_id)
    family = families.get(model.family_id) if model.family_id else None
    return typing.cast("ModelDetail", {
        "id": model.id, "name": model.name, "origin": model.origin,
        "family": family.id if family else None, "family_name": family.name if family else None,
        "org": org.id if org else model.org_id, "org_name": org.name if org else None,
        "source": model.source_id, "note": model.note, "aliases": list(rel["aliases"]),
        "facts": facts, "released_precision": model.released_precision, "accept": model.accept or {},
        "computed": {k: computed[k] for k in COMPUTED},
        "datasets": rel["datasets"], "parents": rel["parents"], "children": rel["children"],
        "sources": {s: sources[s] for s in sorted(cited) if s in sources},
    })


# --- Datasets ----------------------------------------------------------------------------------


def dataset_sources(engine: Engine, d: dict[str, Any]) -> dict[str, SourceDetail]:
    """The sources a dataset (a `get_dataset` dict) cites, by id."""
    cited = sorted({d["source"]} | {f["source"] for f in d["facts"].values()})
    with reading(engine) as conn:
        return {s.id: {"url": s.url, "title": s.title, "kind": s.kind, "published": s.published}
                for s in conn.execute(select(Source).where(Source.id.in_(cited)))}



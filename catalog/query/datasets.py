"""Datasets: finding one by id or name, listing them with their use, one dataset with every fact.

`--dataset` on `list` and `export` selects the models whose training data (the mixture a paper
publishes, `model_datasets`) includes the dataset; `resolve_datasets` turns what a user types
(`the-pile`, `The Pile`, `pile`, `c4`) into dataset ids, or says which ones were meant.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from catalog.errors import CatalogError, shorten
from catalog.query.models import Filters, get_dataset
from catalog.store.db import reading
from catalog.store.schema import Dataset, Model, ModelDataset, Source
from catalog.vocab import alias_key

DATASET_COLUMNS = ("id", "name", "kind", "tokens", "bytes", "documents", "languages", "models")


def _keys(dataset_id: str, name: str) -> set[str]:
    """Lookup keys of a dataset: its id and name without case or punctuation, and without a leading 'the'."""
    keys = {alias_key(dataset_id), alias_key(name)}
    keys |= {k[3:] for k in keys if k.startswith("the") and len(k) > 3}
    return {k for k in keys if k}


def resolve_datasets(conn: Connection, names: Sequence[str], what: str = "--dataset") -> list[str]:
    """The ids of the datasets named (id, name or name without 'The'); unknown or ambiguous names raise."""
    rows = conn.execute(select(Dataset.id, Dataset.name).order_by(Dataset.id)).all()
    by_key: dict[str, list[str]] = {}
    for dataset_id, name in rows:
        for key in _keys(dataset_id, name):
            by_key.setdefault(key, []).append(dataset_id)
    ids = {r[0] for r in rows}
    found, problems = [], []
    for text in names:
        if text in ids:
            found.append(text)
            continue
        matches = sorted(set(by_key.get(alias_key(text), [])))
        if len(matches) == 1:
            found.append(matches[0])
        elif matches:
            problems.append(f"{what}: {text!r} names several datasets: {', '.join(matches)}; give one id")
        else:
            close = difflib.get_close_matches(alias_key(text), list(by_key), n=8, cutoff=0.6)
            contained = sorted((k for k in by_key if alias_key(text) and alias_key(text) in k), key=len)
            hints = list(dict.fromkeys(i for k in contained[:5] + close for i in by_key[k]))[:5]
            problems.append(f"{what}: no dataset named {text!r}; " +
                            (f"did you mean {', '.join(hints)}?" if hints else
                             "run `llmzoo datasets list` to see them"))
    if problems:
        raise CatalogError("\n".join(problems))
    return list(dict.fromkeys(found))


def with_dataset_ids(engine: Engine | Connection, filters: Filters) -> Filters:
    """`filters` with its `dataset` names replaced by dataset ids (checked: unknown names raise)."""
    if not filters.dataset:
        return filters
    if isinstance(engine, Connection):
        return replace(filters, dataset=tuple(resolve_datasets(engine, filters.dataset)))
    with reading(engine) as conn:
        return replace(filters, dataset=tuple(resolve_datasets(conn, filters.dataset)))


def list_datasets(engine: Engine, sort: str | None = None) -> list[dict[str, Any]]:
    """Every dataset: kind, size in tokens, bytes and documents, languages, and how many models used it."""
    key = (sort or "id").lstrip("-+")
    if key not in DATASET_COLUMNS:
        raise CatalogError(f"--sort: unknown field {shorten(key)!r}; choose from: {', '.join(DATASET_COLUMNS)} "
                           "(prefix with - for descending)")
    used = select(ModelDataset.dataset_id, func.count().label("n")).group_by(ModelDataset.dataset_id).subquery()
    stmt = select(Dataset.id, Dataset.name, Dataset.kind, Dataset.tokens, Dataset.bytes, Dataset.documents,
                  Dataset.languages, func.coalesce(used.c.n, 0).label("models")) \
        .outerjoin(used, used.c.dataset_id == Dataset.id).order_by(Dataset.id)
    with reading(engine) as conn:
        rows = [dict(r._mapping) for r in conn.execute(stmt)]
    for row in rows:
        row["languages"] = ",".join(row["languages"] or [])
    known = [r for r in rows if r[key] is not None and r[key] != ""]
    known.sort(key=lambda r: r[key], reverse=(sort or "").startswith("-"))
    return known + [r for r in rows if r[key] is None or r[key] == ""]


def dataset_detail(engine: Engine, name: str) -> dict[str, Any]:
    """One dataset by id or name: every size fact with its source, the models trained on it
    (share, epochs, tokens and the source of each link), and the sources cited, by id."""
    with reading(engine) as conn:
        dataset_id = resolve_datasets(conn, [name], what="dataset")[0]
    detail = get_dataset(engine, dataset_id)
    with reading(engine) as conn:
        detail["models"] = [dict(r._mapping) for r in conn.execute(
            select(ModelDataset.model_id.label("model"), Model.name, ModelDataset.share, ModelDataset.epochs,
                   ModelDataset.tokens, ModelDataset.source_id.label("source"), ModelDataset.note)
            .join(Model, Model.id == ModelDataset.model_id).where(ModelDataset.dataset_id == dataset_id)
            .order_by(Model.released.asc().nulls_last(), ModelDataset.model_id))]
        cited = {detail["source"]} | {f["source"] for f in detail["facts"].values()} | \
            {m["source"] for m in detail["models"]}
        detail["sources"] = {s.id: {"url": s.url, "title": s.title, "kind": s.kind}
                             for s in conn.execute(select(Source).where(Source.id.in_(cited)).order_by(Source.id))}
    return detail

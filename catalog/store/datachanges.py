"""What a curated refresh changed: models added and removed, facts changed (old -> new).

A refresh (catalog.store.writes.refresh_curated) compares the curated facts before and after and keeps
each difference in `fact_history`, by `data <version>`, beside the changes users make; `history
MODEL` shows them, `llmzoo changes` lists them per refresh. A data version is the llmzoo version
and the data fingerprint (`0.1.0+3f2a9c...`), shown by `llmzoo db info`. Each refresh leaves a
`data_refresh:<version>` entry in catalog_meta: the version before it, when, and the range of
history rows it wrote. A model added or removed is one row with the field `model` (its name and
source as the value); only the facts of the models kept are compared one by one.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select

from catalog.errors import CatalogError
from catalog.store.db import reading
from catalog.store.schema import ComputedFact, FactHistory, Meta, Model, ModelFact
from catalog.vocab import DATE_FACTS, LIST_FACTS, MODEL_FACTS

VERSION_KEY = "data_version"
REFRESH_PREFIX = "data_refresh:"
BY_PREFIX = "data "
MODEL_ROW = "model"  # the `field` of a model added or removed
Snapshot = dict[str, dict[str, Any]]  # {model: {"name", "source", "facts": {field: fact JSON}}}


def data_version(stamp: str) -> str:
    """The data version of a fingerprint: `<llmzoo version>+<fingerprint>` (at most 35 characters)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        package = version("llmzoo")
    except PackageNotFoundError:  # pragma: no cover  (running from a checkout that is not installed)
        package = "0"
    return f"{package[:35 - len(stamp) - 1]}+{stamp}"


def _value_json(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name in DATE_FACTS and isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    if name in LIST_FACTS and isinstance(value, str):
        return value.split(",")
    return value


def _fact_json(name: str, value: Any, prov: dict[str, Any] | None, source: str) -> dict[str, Any] | None:
    """A stored fact (column value, its provenance row or the default) as the history keeps facts."""
    if value is None and (prov is None or prov["status"] != "unpublished"):
        return None
    prov = prov or {"source_id": source, "status": "reported", "method": None, "confidence": None, "note": None}
    return {"value": _value_json(name, value), "source": prov["source_id"], "status": prov["status"],
            "method": prov["method"], "confidence": prov["confidence"], "note": prov["note"]}


def _snapshot(models: Iterable[dict[str, Any]], facts: Iterable[dict[str, Any]],
              computed: set[tuple[str, str]]) -> Snapshot:
    provenance = {(f["model_id"], f["field"]): f for f in facts}
    out: Snapshot = {}
    for row in models:
        model_id = row["id"]
        stated = {}
        for name in MODEL_FACTS:
            if (model_id, name) in computed:
                continue  # inherited or derived by llmzoo: computed again, never compared as stated
            fact = _fact_json(name, row.get(name), provenance.get((model_id, name)), row["source_id"])
            if fact is not None:
                stated[name] = fact
        out[model_id] = {"name": row["name"], "source": row["source_id"], "facts": stated}
    return out


def snapshot_stored(conn: Connection) -> Snapshot:
    """The stated facts of every curated model in the database (before a refresh replaces them)."""
    curated = select(Model.id).where(Model.origin == "curated")
    models = [dict(r._mapping) for r in conn.execute(select(Model).where(Model.origin == "curated"))]
    facts = [dict(r._mapping) for r in conn.execute(select(ModelFact).where(ModelFact.model_id.in_(curated)))]
    computed = set(map(tuple, conn.execute(select(ComputedFact.model_id, ComputedFact.field)
                                           .where(ComputedFact.model_id.in_(curated)))))
    return _snapshot(models, facts, computed)  # type: ignore[arg-type]


def snapshot_rows(rows: dict[type, list[dict[str, Any]]]) -> Snapshot:
    """The stated facts of the curated models a refresh is about to insert (catalog.store.writes.bundle_rows)."""
    return _snapshot(rows[Model], rows[ModelFact], set())


def _whole(entry: dict[str, Any]) -> dict[str, Any]:
    return {"value": entry["name"], "source": entry["source"], "status": "reported", "method": None,
            "confidence": None, "note": None}


def diff(old: Snapshot, new: Snapshot) -> list[tuple[str, str, Any, Any]]:
    """(model, field, old, new) of every difference, by model id, then `model` before the facts in order."""
    out = []
    for model_id in sorted(old.keys() | new.keys()):
        before, after = old.get(model_id), new.get(model_id)
        if before is None or after is None:
            out.append((model_id, MODEL_ROW, before and _whole(before), after and _whole(after)))
            continue
        for name in MODEL_FACTS:
            was, now = before["facts"].get(name), after["facts"].get(name)
            if was != now:
                out.append((model_id, name, was, now))
    return out


def record_refresh(conn: Connection, old: Snapshot | None, new: Snapshot, stamp: str) -> int:
    """Keep what a refresh changed in fact_history and mark the refresh; returns how many changes.

    `old` is None when the catalogue had no curated data yet (the first fill records no change)."""
    version = data_version(stamp)
    previous = conn.execute(select(Meta.value).where(Meta.key == VERSION_KEY)).scalar()
    now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    changes = [] if old is None else diff(old, new)
    first = (conn.execute(select(func.max(FactHistory.id))).scalar() or 0) + 1
    if changes:
        conn.execute(insert(FactHistory), [
            {"model_id": m, "field": f, "old": o, "new": n, "changed_at": now, "changed_by": BY_PREFIX + version}
            for m, f, o, n in changes])
    last = conn.execute(select(func.max(FactHistory.id))).scalar() or 0
    if not changes and previous == version:
        return 0  # the same data loaded again (a forced refresh): the last refresh's changes stay the last
    from catalog.store.writes import set_meta

    set_meta(conn, VERSION_KEY, version)
    set_meta(conn, REFRESH_PREFIX + version, json.dumps(
        {"from": previous if old is not None else None, "at": now, "first": first, "last": last}))
    return len(changes)


def _refreshes(conn: Connection) -> dict[str, dict[str, Any]]:
    rows = conn.execute(select(Meta.key, Meta.value).where(Meta.key.startswith(REFRESH_PREFIX, autoescape=True)))
    return {key.removeprefix(REFRESH_PREFIX): json.loads(value) for key, value in rows}


def data_changes(engine: Engine, since: str | None = None) -> dict[str, Any]:
    """The changes of the last curated refresh, or of every refresh after the data version `since`.

    Returns {"version", "since", "from", "changes": [{data, model, field, old, new, changed_at}],
    "added", "removed", "changed"}; CatalogError for a data version this catalogue never had."""
    with reading(engine) as conn:
        current = conn.execute(select(Meta.value).where(Meta.key == VERSION_KEY)).scalar()
        refreshes = _refreshes(conn)
        if since is not None:
            if since not in refreshes:
                known = ", ".join(sorted(refreshes, key=lambda v: refreshes[v]["last"])) or "none recorded yet"
                raise CatalogError(f"--since {since!r}: this catalogue never had that data version; its data "
                                   f"versions: {known} (see `llmzoo db info`)")
            low, high = refreshes[since]["last"] + 1, None
        elif current in refreshes:
            low, high = refreshes[current]["first"], refreshes[current]["last"]
        else:
            low, high = 1, 0  # refreshed before llmzoo kept changes: nothing to show
        stmt = select(FactHistory).where(FactHistory.changed_by.startswith(BY_PREFIX, autoescape=True),
                                         FactHistory.id >= low).order_by(FactHistory.id)
        if high is not None:
            stmt = stmt.where(FactHistory.id <= high)
        rows = [dict(r._mapping) for r in conn.execute(stmt)]
    changes = [{"data": r["changed_by"].removeprefix(BY_PREFIX), "model": r["model_id"], "field": r["field"],
                "old": r["old"], "new": r["new"], "changed_at": r["changed_at"]} for r in rows]
    models = [c for c in changes if c["field"] == MODEL_ROW]
    return {"version": current, "since": since,
            "from": None if since is not None or current is None else (refreshes.get(current) or {}).get("from"),
            "changes": changes, "added": sum(1 for c in models if c["old"] is None),
            "removed": sum(1 for c in models if c["new"] is None), "changed": len(changes) - len(models)}

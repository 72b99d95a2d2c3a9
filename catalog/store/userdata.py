"""User records: add, edit, remove and import models without ever losing or corrupting data.

Every write validates first (against the records and against what the database already holds),
then happens in one transaction: a failure changes nothing. User rows have origin `user`; the
curated refresh never touches them. Editing a curated model makes it a user row first (it
"adopts" the model), so the edit survives every refresh.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, Engine, delete, insert, select

from catalog.errors import CatalogError, ConflictError, DataError, shorten
from catalog.records.data import MODEL_FACTS, ModelRecord
from catalog.records.loading import Bundle, format_loc
from catalog.rules.inheritance import computed_provenance, rederive
from catalog.rules.validation import Known, alias_key, check_bundle
from catalog.store.db import reading, writing
from catalog.store.schema import (
    Alias,
    ComputedFact,
    Dataset,
    FactHistory,
    Family,
    Lineage,
    Model,
    ModelDataset,
    ModelFact,
    Organization,
    Source,
)
from catalog.store.writes import bundle_rows, insert_rows
from catalog.vocab import ID_MAX_LENGTH

CONFLICT_POLICIES = ("fail", "skip", "update")


@dataclass
class Changes:
    """What a write did (or, for a dry run, would do)."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    other: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False

    def summary(self) -> str:
        """One line: 'added 2 models, updated 1, skipped 0, unchanged 3'."""
        verb = "would add" if self.dry_run else "added"
        parts = [f"{verb} {len(self.added)} model{'s' if len(self.added) != 1 else ''}",
                 f"{'would update' if self.dry_run else 'updated'} {len(self.updated)}",
                 f"skipped {len(self.skipped)}", f"unchanged {len(self.unchanged)}"]
        parts += [f"{'would add' if self.dry_run else 'added'} {n} {kind}" for kind, n in self.other.items() if n]
        return ", ".join(parts)


def known_from_db(conn: Connection, exclude_models: set[str] | None = None) -> Known:
    """Ids, aliases, dates and lineage already in the database, for validating new records."""
    exclude = exclude_models or set()
    known = Known(
        sources=set(conn.execute(select(Source.id)).scalars()),
        organizations=set(conn.execute(select(Organization.id)).scalars()),
        families=set(conn.execute(select(Family.id)).scalars()),
        models=set(conn.execute(select(Model.id)).scalars()),
        datasets=set(conn.execute(select(Dataset.id)).scalars()),
    )
    for key, model_id in conn.execute(select(Alias.key, Alias.model_id)):
        if model_id not in exclude:
            known.alias_owner[key] = model_id
    for model_id, released in conn.execute(select(Model.id, Model.released).where(Model.released.is_not(None))):
        known.released[model_id] = released
    for child, parent in conn.execute(select(Lineage.child_id, Lineage.parent_id)):
        if child not in exclude:
            known.parents.setdefault(child, []).append(parent)
    return known


def known_for(conn: Connection, bundle: Bundle, exclude_models: set[str] | None = None) -> Known:
    """`known_from_db` narrowed to what checking `bundle` consults: the ids its records cite, the
    owners of its names, its parents' dates and the lineage above them. A few indexed queries, so
    adding one model to a catalogue of millions does not read the whole catalogue."""
    exclude = exclude_models or set()
    cited: dict[str, set[Any]] = {"sources": set(), "organizations": set(), "families": set(), "models": set(),
                                  "datasets": set(), "benchmarks": set()}
    keys: set[str] = set()
    for family in bundle.families.values():
        cited["organizations"].add(family.org)
    for model in bundle.models.values():
        cited["organizations"].add(model.org)
        cited["families"].add(model.family)
        cited["sources"].update([model.source, *(f.source for f in model.facts().values())])
        for parent in model.parents:
            cited["models"].add(parent.model)
            cited["sources"].add(parent.source)
        for link in model.datasets:
            cited["datasets"].add(link.dataset)
            cited["sources"].add(link.source)
        keys.update(alias_key(name) for name in (model.id, model.name, *model.aliases))
    for dataset in bundle.datasets.values():
        cited["sources"].update([dataset.source, *(f.source for f in dataset.facts().values())])
    for link in bundle.training_data:
        cited["models"].add(link.model)
        cited["datasets"].add(link.dataset)
        cited["sources"].add(link.source)
    from catalog.query.evals import cite_evals
    from catalog.store.schema import Benchmark

    cite_evals(bundle, cited)
    tables = {"sources": Source, "organizations": Organization, "families": Family, "models": Model,
              "datasets": Dataset, "benchmarks": Benchmark}
    found: dict[str, Any] = {section: set(model_origins(conn, tables[section], sorted(ids - {None})))
                             for section, ids in cited.items()}
    known = Known(**found)
    if cited["benchmarks"]:
        from catalog.query.evals import benchmark_metrics

        known.benchmark_metrics = benchmark_metrics(conn, sorted(cited["benchmarks"]))
    for chunk in _chunks(sorted(keys)):
        for key, model_id in conn.execute(select(Alias.key, Alias.model_id).where(Alias.key.in_(chunk))):
            if model_id not in exclude:
                known.alias_owner[key] = model_id
    for chunk in _chunks(sorted(cited["models"])):
        known.released.update(conn.execute(select(Model.id, Model.released).where(
            Model.id.in_(chunk), Model.released.is_not(None))).all())
    for child, parent_id in _ancestry(conn, sorted(cited["models"])):
        if child not in exclude:
            known.parents.setdefault(child, []).append(parent_id)
    return known


def _ancestry(conn: Connection, models: list[str]) -> set[tuple[str, str]]:
    """Every lineage edge (child, parent) above these models (a recursive query)."""
    edges: set[tuple[str, str]] = set()
    for chunk in _chunks(models):
        above = select(Model.id.label("id")).where(Model.id.in_(chunk)).cte("above", recursive=True)
        above = above.union(select(Lineage.parent_id).join(above, Lineage.child_id == above.c.id))
        edges.update(conn.execute(select(Lineage.child_id, Lineage.parent_id)
                                  .join(above, Lineage.child_id == above.c.id)).all())
    return edges


def _chunks(ids: list[str], size: int = 500) -> list[list[str]]:
    return [ids[start:start + size] for start in range(0, len(ids), size)]


def model_origins(conn: Connection, table: Any, ids: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        out.update(dict(conn.execute(select(table.id, table.origin).where(table.id.in_(chunk))).all()))
    return out


def add_bundle(engine: Engine, bundle: Bundle, on_conflict: str = "fail", dry_run: bool = False) -> Changes:
    """Add the bundle's records as user rows; existing user models follow `on_conflict`.

    Curated ids cannot be overwritten by an add (edit the model instead). Sources, organizations,
    families and datasets that already exist with the same id are reused if identical.
    """
    if on_conflict not in CONFLICT_POLICIES:
        raise CatalogError(f"--on-conflict must be one of {', '.join(CONFLICT_POLICIES)}")
    changes = Changes(dry_run=dry_run)
    with writing(engine) as conn:
        existing = model_origins(conn, Model, list(bundle.models))
        _check_conflicts(bundle, existing, on_conflict, changes)
        replaced = set(changes.updated)
        for model_id in changes.skipped:
            bundle.models.pop(model_id)
        _drop_existing_supporting(conn, bundle, changes)
        report = check_bundle(bundle, known_for(conn, bundle, exclude_models=replaced))
        if report.errors:
            raise DataError(report.errors)
        changes.added = [m for m in bundle.models if m not in existing]
        for model_id in list(changes.updated):
            if record_from_db(conn, model_id) == bundle.models[model_id]:
                changes.updated.remove(model_id)
                changes.unchanged.append(model_id)
                bundle.models.pop(model_id)
                replaced.discard(model_id)
        if dry_run:
            return changes
        olds = {model_id: record_from_db(conn, model_id) for model_id in sorted(replaced)}
        delete_models(conn, sorted(replaced), keep_children=True)
        if bundle.evals:
            from catalog.query.evals import fill_metrics

            fill_metrics(conn, bundle)
        insert_rows(conn, bundle_rows(bundle, "user"))
        for model_id, old in olds.items():
            record_history(conn, model_id, old, bundle.models[model_id], "import")
        rederive(conn, list(bundle.models))
    return changes


def _check_conflicts(bundle: Bundle, existing: dict[str, str], on_conflict: str, changes: Changes) -> None:
    problems = []
    for model_id, origin in existing.items():
        where = bundle.locate("models", model_id)
        if origin == "curated":
            problems.append(f"{where}: {model_id!r} is a curated model; choose another id, or change it with "
                            f"`llmzoo edit {model_id} --set FIELD=VALUE`")
        elif on_conflict == "fail":
            problems.append(f"{where}: a model {model_id!r} already exists; use --on-conflict update to "
                            "replace it or skip to keep it")
        elif on_conflict == "skip":
            changes.skipped.append(model_id)
        else:
            changes.updated.append(model_id)
    if problems:
        raise ConflictError("\n  ".join([f"{len(problems)} conflict{'s' if len(problems) > 1 else ''}:",
                                         *problems]))


def _drop_existing_supporting(conn: Connection, bundle: Bundle, changes: Changes) -> None:
    """Sources, organizations, families, datasets already stored: identical ones are reused."""
    from catalog.store.schema import Benchmark

    tables = {"sources": Source, "organizations": Organization, "families": Family, "datasets": Dataset,
              "benchmarks": Benchmark}
    problems = []
    for section, table in tables.items():
        records: dict[str, Any] = getattr(bundle, section)
        stored = model_origins(conn, table, list(records))
        for record_id in list(records):
            if record_id not in stored:
                continue
            if section in ("sources", "organizations") and not _same(conn, table, records[record_id]):
                problems.append(f"{bundle.locate(section, record_id)}: {section[:-1]} {record_id!r} already "
                                "exists with other values; use its id without redefining it, or another id")
            records.pop(record_id)
        changes.other[section] = len(records)
    changes.other["evaluation results"] = len(bundle.evals)
    if problems:
        raise ConflictError("\n  ".join([f"{len(problems)} conflict{'s' if len(problems) > 1 else ''}:",
                                         *problems]))


def _same(conn: Connection, table: Any, record: Any) -> bool:
    row = conn.execute(select(table).where(table.id == record.id)).mappings().one()
    return all(row.get(k) == v for k, v in record.model_dump().items())


def delete_models(conn: Connection, model_ids: list[str], keep_children: bool = False) -> None:
    """Delete models with their facts, aliases, data links and parent edges."""
    if not model_ids:
        return
    conn.execute(delete(ModelFact).where(ModelFact.model_id.in_(model_ids)))
    conn.execute(delete(ComputedFact).where(ComputedFact.model_id.in_(model_ids)))
    conn.execute(delete(Alias).where(Alias.model_id.in_(model_ids)))
    conn.execute(delete(ModelDataset).where(ModelDataset.model_id.in_(model_ids)))
    conn.execute(delete(Lineage).where(Lineage.child_id.in_(model_ids)))
    if not keep_children:
        conn.execute(delete(Lineage).where(Lineage.parent_id.in_(model_ids)))
    conn.execute(delete(Model).where(Model.id.in_(model_ids)))


def remove_model(engine: Engine, name: str) -> str:
    """Remove a user model. Curated models come from data/ and cannot be removed here."""
    from catalog.query.models import resolve_model

    with writing(engine) as conn:
        model_id = resolve_model(conn, name)
        origin = conn.execute(select(Model.origin).where(Model.id == model_id)).scalar_one()
        if origin == "curated":
            raise CatalogError(f"{model_id!r} is a curated model (from the packaged data) and cannot be removed; "
                               "only models you added can be")
        children = conn.execute(select(Lineage.child_id).where(Lineage.parent_id == model_id)
                                .order_by(Lineage.child_id)).scalars().all()
        if children:
            raise CatalogError(f"{model_id!r} is the parent of {', '.join(children)}; remove or re-parent "
                               "those first")
        from catalog.store.schema import Evaluation

        conn.execute(delete(Evaluation).where(Evaluation.model_id == model_id))
        delete_models(conn, [model_id])
    return model_id


def record_from_db(conn: Connection, model_id: str) -> ModelRecord:
    """Rebuild the full record of a stored model (facts with provenance, aliases, parents, data)."""
    from catalog.query.models import get_model_conn

    detail = get_model_conn(conn, model_id)
    computed = {name for (_, name) in computed_provenance(conn, [model_id])}
    data: dict[str, Any] = {"id": detail["id"], "name": detail["name"], "family": detail["family"],
                            "org": detail["org"], "source": detail["source"], "aliases": detail["aliases"],
                            "note": detail["note"], "accept": detail["accept"]}
    for name, fact in detail["facts"].items():
        if name in computed:
            continue  # inherited or derived by llmzoo, never stated by the record
        data[name] = {k: fact[k] for k in ("value", "source", "status", "method", "confidence", "note")}
    data["parents"] = [{k: p[k] for k in ("model", "relation", "source", "note")} for p in detail["parents"]]
    data["datasets"] = [{k: d[k] for k in ("dataset", "share", "epochs", "tokens", "source", "note")}
                        for d in detail["datasets"]]
    return ModelRecord.model_validate(data)


SETTABLE = ("name", "family", "org", "source", "note", "aliases") + tuple(MODEL_FACTS)


def edit_model(engine: Engine, name: str, settings: list[str], source_url: str | None = None,
               note: str | None = None, source: str | None = None) -> tuple[str, bool]:
    """Apply `field=value` settings to a model (adopting a curated one); returns (id, adopted).

    `source_url` (a user source, created once per URL), or `source` (the id of a catalogued source),
    and `note` go with every fact whose value is set here. A value set without either has the source
    `user-edit` and status `user`: it is the user's, never the cited source's. Parts
    (`params.status=...`) apply after the values, in any order. Each fact that changes keeps its
    previous value in the history (`fact_history`).
    """
    from catalog.query.models import resolve_model

    # `params.value=7B` sets a value as `params=7B` does: with this edit's source and status
    changes = {key.removesuffix(".value") if key.count(".") == 1 else key: value
               for key, value in _parse_settings(settings).items()}
    with writing(engine) as conn:
        model_id = resolve_model(conn, name)
        record = record_from_db(conn, model_id)
        origin = conn.execute(select(Model.origin).where(Model.id == model_id)).scalar_one()
        data = record.model_dump()
        if any(key in MODEL_FACTS and value is not None for key, value in changes.items()):
            if source_url and source:
                raise CatalogError("give --source-url URL or --source ID, not both")
            if source:
                _check_source(conn, source)
            cited = source or (_edit_source(conn, source_url) if source_url else None)
            fact_source, status = (cited, "reported") if cited else (_user_edit_source(conn), "user")
        for key in sorted(changes, key=lambda k: "." in k):  # whole values first, then their parts
            value = changes[key]
            fact_name, _, part = key.partition(".")
            if fact_name in MODEL_FACTS:
                if part:
                    fact = {**(data.get(fact_name) or {"source": None}), part: value}
                elif value is None:
                    fact = None
                else:
                    fact = {"value": value, "source": fact_source, "status": status, **({"note": note} if note else {})}
                data[fact_name] = None if fact is None or (fact.get("value") is None and fact.get("status") !=
                                                           "unpublished" and not part) else fact
            elif key == "aliases":
                data["aliases"] = [a.strip() for a in str(value or "").split(";") if a.strip()]
            else:
                data[key] = value
        _write_record(conn, model_id, record, data, "edit")
    return model_id, origin == "curated"


def _check_source(conn: Connection, source_id: str) -> None:
    if conn.execute(select(Source.id).where(Source.id == source_id)).first() is None:
        near = conn.execute(select(Source.id).where(Source.id.startswith(source_id[:4], autoescape=True))
                            .order_by(Source.id).limit(5)).scalars().all()
        raise CatalogError(f"--source {source_id!r}: no such source" + (f" (did you mean {', '.join(near)}?)"
                                                                        if near else "")
                           + "; give the id of a catalogued source, or --source-url URL")


def _user_edit_source(conn: Connection) -> str:
    """The `user-edit` source of values set without a citation, created on first use."""
    from catalog.vocab import USER_EDIT_SOURCE

    if conn.execute(select(Source.id).where(Source.id == USER_EDIT_SOURCE["id"])).first() is None:
        conn.execute(insert(Source).values(**USER_EDIT_SOURCE, published=None, origin="user"))
    return USER_EDIT_SOURCE["id"]


def _write_record(conn: Connection, model_id: str, record: ModelRecord, data: dict[str, Any], by: str) -> None:
    """Validate `data` as the new record of a model, replace it as a user row, keep the history."""
    try:
        new = ModelRecord.model_validate(data)
    except ValidationError as exc:
        raise DataError([f"--set {format_loc(tuple(e['loc']), data)}: {e['msg'].removeprefix('Value error, ')}"
                         for e in exc.errors()]) from None
    bundle = Bundle(models={model_id: new})
    report = check_bundle(bundle, known_for(conn, bundle, exclude_models={model_id}))
    if report.errors:
        raise DataError(report.errors)
    delete_models(conn, [model_id], keep_children=True)
    insert_rows(conn, bundle_rows(bundle, "user"))
    record_history(conn, model_id, record, new, by)
    rederive(conn, [model_id])  # its children follow the edit


def _fact_json(fact: Any) -> dict[str, Any] | None:
    return None if fact is None else fact.model_dump(mode="json")


def record_history(conn: Connection, model_id: str, old: ModelRecord | None, new: ModelRecord | None,
                   by: str) -> int:
    """Keep every stated fact that differs between two versions of a model; returns how many."""
    import datetime as dt

    now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    rows = []
    for name in MODEL_FACTS:
        before, after = (_fact_json(getattr(r, name)) if r is not None else None for r in (old, new))
        if before != after:
            rows.append({"model_id": model_id, "field": name, "old": before, "new": after, "changed_at": now,
                         "changed_by": by})
    if rows:
        conn.execute(insert(FactHistory), rows)
    return len(rows)


def _edit_source(conn: Connection, url: str) -> str:
    """The id of the source with this URL; a new user source (id from the URL) if there is none."""
    import hashlib
    import re

    from catalog.records.data import SourceRecord

    found = conn.execute(select(Source.id).where(Source.url == url).order_by(Source.id)).scalars().first()
    if found:
        return found
    stem = re.sub(r"[^a-z0-9]+", "-", re.sub(r"^https?://(www\.)?", "", url.lower())).strip("-")[:60].strip("-")
    source_id = f"{stem or 'source'}-{hashlib.sha1(url.encode()).hexdigest()[:6]}"
    try:
        record = SourceRecord(id=source_id, url=url, title=url, kind="third-party")
    except ValidationError as exc:
        raise DataError([f"--source-url: {e['msg'].removeprefix('Value error, ')}" for e in exc.errors()]) from None
    conn.execute(insert(Source).values(**record.model_dump(), origin="user"))
    return source_id


def fact_history(engine: Engine, name: str, field: str | None = None) -> list[dict[str, Any]]:
    """The changes of a model's facts (of one field if given), oldest first."""
    from catalog.query.models import resolve_model

    if field is not None and field not in MODEL_FACTS:
        raise CatalogError(f"{shorten(field)!r} is not a fact; choose from: {', '.join(MODEL_FACTS)}")
    with reading(engine) as conn:
        model_id = resolve_model(conn, name)
        stmt = select(FactHistory).where(FactHistory.model_id == model_id).order_by(FactHistory.id)
        if field is not None:
            stmt = stmt.where(FactHistory.field == field)
        return [dict(r._mapping) for r in conn.execute(stmt)]


def revert_fact(engine: Engine, name: str, field: str) -> tuple[str, dict[str, Any] | None]:
    """Give a fact back the value it had before its last change; returns (model id, restored fact)."""
    from catalog.query.models import resolve_model

    if field not in MODEL_FACTS:
        raise CatalogError(f"{shorten(field)!r} is not a fact; choose from: {', '.join(MODEL_FACTS)}")
    with writing(engine) as conn:
        model_id = resolve_model(conn, name)
        last = conn.execute(select(FactHistory.old).where(FactHistory.model_id == model_id, FactHistory.field == field)
                            .order_by(FactHistory.id.desc()).limit(1)).first()
        if last is None:
            raise CatalogError(f"{model_id}: {field} has no recorded change to revert "
                               f"(see `llmzoo history {model_id}`)")
        record = record_from_db(conn, model_id)
        data = record.model_dump()
        data[field] = last.old
        _write_record(conn, model_id, record, data, "revert")
    return model_id, last.old


def _parse_settings(settings: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in settings:
        key, sep, value = item.partition("=")
        key = key.strip()
        base = key.split(".")[0]
        if not sep or not key:
            raise CatalogError(f"--set {shorten(item)!r}: write FIELD=VALUE (e.g. params=7B, license=MIT, "
                               "params.note='from the card')")
        if base not in SETTABLE or (key != base and key.split(".", 1)[1] not in
                                    ("value", "source", "status", "method", "confidence", "note")):
            raise CatalogError(f"--set {shorten(key)!r}: unknown field; settable fields: {', '.join(SETTABLE)} "
                               "(facts also take .source .status .method .confidence .note)")
        value = value.strip()
        out[key] = None if value == "" else _coerce(value)
    return out


def _coerce(value: str) -> Any:
    low = value.lower()
    if low in ("true", "yes"):
        return True
    if low in ("false", "no"):
        return False
    return value


def quick_record(fields: dict[str, Any]) -> Bundle:
    """A one-model bundle from `llmzoo add --id ... --name ...` options (None values dropped)."""
    data = {k: v for k, v in fields.items() if v not in (None, (), [])}
    source_url = data.pop("source_url", None)
    source_title = data.pop("source_title", None)
    source_kind = data.pop("source_kind", None) or "third-party"
    bundle = Bundle()
    if source_url:
        from catalog.records.data import SourceRecord

        source_id = data.get("source") or f"{str(data.get('id', 'model'))[:ID_MAX_LENGTH - 7]}-source"
        try:
            bundle.sources[source_id] = SourceRecord.model_validate(
                {"id": source_id, "url": source_url, "title": source_title or source_url, "kind": source_kind})
        except ValidationError as exc:
            raise DataError([f"--source-url: {e['msg'].removeprefix('Value error, ')}" for e in exc.errors()]) \
                from None
        data["source"] = source_id
    if "source" not in data:
        raise CatalogError("every fact needs a source: give --source-url URL (paper, model card or blog) "
                           "or --source ID of a catalogued source")
    try:
        record = ModelRecord.model_validate(data)
    except ValidationError as exc:
        raise DataError([f"--{'-'.join(str(p) for p in e['loc'][:1]).replace('_', '-')}: "
                         f"{e['msg'].removeprefix('Value error, ')}" for e in exc.errors()]) from None
    bundle.models[record.id] = record
    return bundle


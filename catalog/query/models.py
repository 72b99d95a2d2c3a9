"""select()-based queries returning plain records (dicts) or a pandas DataFrame.

Sort keys and columns come from the fixed `COLUMNS` table, never from user text.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import typing
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, String, and_, bindparam, cast, func, literal, or_, select, type_coerce
from sqlalchemy.sql.elements import ColumnElement

from catalog.errors import CatalogError, UnknownModel, shorten
from catalog.query.names import check_organizations, organizations_named, resolve_model, suggest  # noqa: F401  (resolve_model, suggest: re-exported)
from catalog.store.db import reading
from catalog.store.schema import (
    Alias,
    ComputedFact,
    Dataset,
    DatasetFact,
    Family,
    Lineage,
    Model,
    ModelDataset,
    ModelFact,
    Organization,
    Source,
)
from catalog.units import parse_count
from catalog.vocab import (
    ADAPTATIONS,
    ARCHITECTURES,
    COMPUTED_INPUTS,
    DATASET_FACTS,
    DATE_FACTS,
    INHERITABLE_FACTS,
    LIST_FACTS,
    MODALITIES,
    MODEL_FACTS,
    PRETRAIN_FACTS,
    format_date,
    parse_date,
)

if TYPE_CHECKING:
    import pandas as pd

    from catalog.query.detail import ModelDetail, SourceDetail

# Every column a user can show, sort by or export, and the SQL expression behind it.
COLUMNS: dict[str, ColumnElement[Any]] = {
    "id": Model.id,
    "name": Model.name,
    "family": Model.family_id,
    "org": Model.org_id,
    "org_name": Organization.name,
    "origin": Model.origin,
    **{name: getattr(Model, name) for name in MODEL_FACTS},
    "released_precision": Model.released_precision,
    "knowledge_cutoff_precision": Model.knowledge_cutoff_precision,
}
COMPUTED = ("tokens_per_param", "compute", "compute_status", "chinchilla_optimal_params",
            "chinchilla_ratio", "compute_hardware", "compute_hardware_method")
DEFAULT_COLUMNS = ("id", "name", "org", "released", "arch", "params", "train_tokens",
                   "context_window", "open_weights")
# Shorter headers of wide columns in tables.
SHORT_HEADERS = {"context_window": "context"}


@dataclass
class Filters:
    """What `list`, `export`, the charts and the site select. Empty means no restriction."""

    arch: Sequence[str] = ()
    org: Sequence[str] = ()
    family: Sequence[str] = ()
    moe: bool | None = None
    open_weights: bool | None = None
    since: str | None = None
    until: str | None = None
    min_params: str | float | None = None
    max_params: str | float | None = None
    min_tokens: str | float | None = None
    max_tokens: str | float | None = None
    min_context: str | float | None = None
    max_context: str | float | None = None
    search: str | None = None
    origin: str | None = None
    adaptation: Sequence[str] = ()
    hardware: str | None = None
    ids: Sequence[str] = field(default_factory=tuple)
    #: trained on any of these datasets (ids or names; catalog.query.datasets.with_dataset_ids checks them)
    dataset: Sequence[str] = ()
    #: how `search` finds its rows (catalog.query.search; the same rows every way): "index" tests the candidates of
    #: SQLite's trigram index, "common" scans testing each model's aliases (stopping at the first matches),
    #: "scan" reads the matching aliases first; None lets find_models choose from the catalogue and the text
    search_route: str | None = None
    #: any of these modalities (text, code, image, audio, video)
    modality: Sequence[str] = ()
    #: the license contains this text (case ignored): `apache`, `llama 2`, `proprietary`
    license: str | None = None
    #: the developer's headquarters in any of these countries (ISO 3166-1 alpha-2: US, CN, FR)
    country: Sequence[str] = ()


def period_bounds(text: str, what: str) -> tuple[dt.date, dt.date]:
    """'2023' -> (2023-01-01, 2023-12-31); '2023-02' -> Feb; a date -> that day."""
    try:
        start, precision = parse_date(text)
    except ValueError as exc:
        raise CatalogError(f"{what}: {exc}") from None
    if precision == "year":
        return start, dt.date(start.year, 12, 31)
    if precision == "month":
        return start, dt.date(start.year, start.month, calendar.monthrange(start.year, start.month)[1])
    return start, start


def conditions(filters: Filters) -> list[ColumnElement[bool]]:
    """The WHERE clauses of a Filters (validated: bad values raise CatalogError)."""
    where: list[ColumnElement[bool]] = []
    for arch in filters.arch:
        if arch not in ARCHITECTURES:
            raise CatalogError(f"--arch: {arch!r} is not an architecture; use one of: "
                               f"{', '.join(ARCHITECTURES)}")
    if filters.arch:
        where.append(Model.arch.in_(list(filters.arch)))
    if filters.org:
        where.append(Model.org_id.in_(organizations_named(filters.org)))
    if filters.family:
        wanted = [f.lower() for f in filters.family]
        where.append(or_(Model.family_id.in_(wanted), func.lower(Family.name).in_(wanted)))
    if filters.moe is not None:
        where.append(Model.moe.is_(True) if filters.moe else or_(Model.moe.is_(False), Model.moe.is_(None)))
    if filters.open_weights is not None:
        where.append(Model.open_weights.is_(filters.open_weights))
    if filters.since:
        where.append(Model.released >= period_bounds(filters.since, "--since")[0])
    if filters.until:
        where.append(Model.released <= period_bounds(filters.until, "--until")[1])
    for value, column, op, what in (
        (filters.min_params, Model.params, "ge", "--min-params"),
        (filters.max_params, Model.params, "le", "--max-params"),
        (filters.min_tokens, Model.train_tokens, "ge", "--min-tokens"),
        (filters.max_tokens, Model.train_tokens, "le", "--max-tokens"),
        (filters.min_context, Model.context_window, "ge", "--min-context"),
        (filters.max_context, Model.context_window, "le", "--max-context"),
    ):
        if value is not None:
            number = parse_count(value, what)
            where.append(column >= number if op == "ge" else column <= number)
    if filters.search:
        from catalog.query.search import search_candidates, search_patterns

        text, key = search_patterns(filters.search)

        candidates = search_candidates(text, key) if filters.search_route == "index" else None
        if candidates is not None:  # the same condition, tested on the candidates the trigram index finds only
            where.append(Model.id.in_(candidates))
        if candidates is not None or filters.search_route == "common":
            alias_match: Any = select(Alias.model_id).where(Alias.model_id == Model.id,
                                                             Alias.key.contains(key, autoescape=True)).exists()
        else:
            alias_match = Model.id.in_(select(Alias.model_id).where(Alias.key.contains(key, autoescape=True)))
        where.append(or_(func.lower(Model.name).like(text), alias_match) if key
                     else func.lower(Model.name).like(text))
    if filters.origin:
        where.append(Model.origin == filters.origin)
    for stage in filters.adaptation:
        if stage not in ADAPTATIONS:
            raise CatalogError(f"--adaptation: {stage!r} is not a stage; use one of: {', '.join(ADAPTATIONS)}")
        where.append((literal(",") + Model.adaptation + literal(",")).contains(f",{stage},"))
    if filters.hardware:
        where.append(func.lower(Model.hardware).contains(filters.hardware.lower(), autoescape=True))
    for modality in filters.modality:
        if modality not in MODALITIES:
            raise CatalogError(f"--modality: {shorten(modality)!r} is not a modality; use one of: "
                               f"{', '.join(MODALITIES)}")
    if filters.modality:
        where.append(or_(*[(literal(",") + Model.modality + literal(",")).contains(f",{m},")
                           for m in filters.modality]))
    if filters.license:
        where.append(func.lower(Model.license).contains(filters.license.lower(), autoescape=True))
    if filters.country:
        where.append(Model.org_id.in_(select(Organization.id).where(
            Organization.country.in_([c.upper() for c in filters.country]))))
    if filters.ids:
        where.append(Model.id.in_(list(filters.ids)))
    if filters.dataset:
        named = select(Dataset.id).where(or_(Dataset.id.in_(list(filters.dataset)),
                                             func.lower(Dataset.name).in_([d.lower() for d in filters.dataset])))
        where.append(Model.id.in_(select(ModelDataset.model_id).where(ModelDataset.dataset_id.in_(named))))
    return where


def select_models(columns: Sequence[str], filters: Filters) -> Any:
    stmt = select(*[COLUMNS[c].label(c) for c in columns]).select_from(Model)
    stmt = stmt.join(Organization, Organization.id == Model.org_id)
    if filters.family:
        stmt = stmt.outerjoin(Family, Family.id == Model.family_id)
    return stmt.where(and_(literal(True), *conditions(filters)))


def check_columns(columns: Sequence[str], what: str = "--columns") -> list[str]:
    """Validate column names against the fixed list."""
    allowed = list(COLUMNS) + list(COMPUTED)
    bad = [c for c in columns if c not in allowed]
    if bad:
        raise CatalogError(f"{what}: unknown column {', '.join(repr(shorten(b)) for b in bad)}; choose from: "
                           f"{', '.join(allowed)}")
    return list(columns)


def order_by(sort: str | None) -> list[Any]:
    """ORDER BY for `name` or `-name` (descending); nulls last; ties broken by id.

    NULLS LAST rather than an `IS NULL` sort key: SQLite and PostgreSQL then read the rows in index
    order and stop at the limit, instead of sorting every match.
    """
    if not sort:
        return [Model.released.asc().nulls_last(), Model.id]
    descending = sort.startswith("-")
    key = sort.lstrip("-+")
    if key in COMPUTED:
        raise CatalogError(f"--sort: {key!r} is computed, not stored: `llmzoo list --sort {sort}` sorts by it; "
                           f"here choose a stored column: {', '.join(COLUMNS)}")
    if key not in COLUMNS:
        raise CatalogError(f"--sort: unknown field {shorten(key)!r}; choose from: {', '.join([*COLUMNS, *COMPUTED])} "
                           "(prefix with - for descending)")
    column = COLUMNS[key]
    return [(column.desc() if descending else column.asc()).nulls_last(), Model.id]


def find_models(engine: Engine, filters: Filters | None = None, sort: str | None = None,
                limit: int | None = None, columns: Sequence[str] = DEFAULT_COLUMNS) -> list[dict[str, Any]]:
    """Models matching the filters as dicts of the requested columns (computed ones included)."""
    from catalog.query.datasets import with_dataset_ids

    filters = with_dataset_ids(engine, filters or Filters())
    if filters.org:
        with reading(engine) as conn:
            check_organizations(conn, filters.org)
    if filters.search and filters.search_route is None:
        from dataclasses import replace

        from catalog.query.search import has_search_index, search_route

        if has_search_index(engine):
            with reading(engine) as conn:
                filters = replace(filters, search_route=search_route(conn, filters.search))
    columns = check_columns(columns)
    computed_key = sort.lstrip("-+") if sort and sort.lstrip("-+") in COMPUTED else None
    base = [c for c in columns if c in COLUMNS]
    extra = list(COMPUTED_INPUTS) if set(columns) & set(COMPUTED) or computed_key else []
    if "released" in columns:
        extra.append("released_precision")
    needed = list(dict.fromkeys(base + extra + ["id"]))
    stmt = select_models(needed, filters).order_by(*order_by(None if computed_key else sort))
    if limit is not None:
        if limit < 0:
            raise CatalogError("--limit must be zero or more")
        if not computed_key:
            stmt = stmt.limit(limit)
    with reading(engine) as conn:
        rows = [dict(r._mapping) for r in conn.execute(stmt)]
    for row in rows:
        add_computed(row)
        if row.get("released") is not None:
            row["released"] = format_date(row["released"], row.get("released_precision"))
    if computed_key:  # computed in Python (add_computed, the one rule), so sorted here, then cut
        rows = sort_rows(rows, computed_key, descending=(sort or "").startswith("-"))[:limit]
    return [{c: row.get(c) for c in columns} for row in rows]


def sort_rows(rows: list[dict[str, Any]], key: str, descending: bool = False) -> list[dict[str, Any]]:
    """Rows sorted by one value as ORDER BY does here: nulls last, ties broken by id."""
    known = sorted((r for r in rows if r.get(key) is not None), key=lambda r: r.get("id") or "")
    known.sort(key=lambda r: r[key], reverse=descending)  # stable: ids stay ascending within ties
    return known + sorted((r for r in rows if r.get(key) is None), key=lambda r: r.get("id") or "")


def add_computed(row: dict[str, Any], model_id: str | None = None) -> dict[str, Any]:
    """Derived columns of a row (MoE models use their active parameters):

    - `tokens_per_param`: train_tokens / params;
    - `compute`, `compute_status`: train_compute as a source gives it ("source"), else 6·N·D ("6ND");
    - `chinchilla_optimal_params`: the Chinchilla-optimal size for that compute (Approach 1);
    - `chinchilla_ratio`: tokens per parameter over the Chinchilla-optimal tokens per parameter
      (> 1 over-trained for its compute, < 1 under-trained);
    - `compute_hardware`, `compute_hardware_method`: accelerator-hours x peak FLOP/s x utilization.

    A value beyond floating-point range (params 1e299 on 1e300 tokens) is left empty with a
    `CatalogWarning` naming the model (`model_id`, else the row's id): writes refuse such values
    (`computed_problems`), and one row stored before that must not stop a whole listing.
    """
    import warnings

    from catalog.errors import CatalogWarning
    from catalog.rules.computed import fill_computed

    for problem in fill_computed(row):
        who = model_id or row.get("id")
        warnings.warn(f"{who + ': ' if who else ''}{problem}; shown empty (correct the figures with llmzoo edit)",
                      CatalogWarning, stacklevel=2)
    return row


def fact_statuses(engine: Engine, model_ids: Sequence[str], fields: Sequence[str],
                  include_reported: bool = False) -> dict[tuple[str, str], str]:
    """{(model_id, field): status} for facts with a provenance row (not plainly reported)."""
    out: dict[tuple[str, str], str] = {}
    fields = [f for f in fields if f in MODEL_FACTS]
    if not model_ids or not fields:
        return out
    with reading(engine) as conn:
        for start in range(0, len(model_ids), 500):
            chunk = list(model_ids[start:start + 500])
            stmt = select(ModelFact.model_id, ModelFact.field, ModelFact.status).where(
                ModelFact.model_id.in_(chunk), ModelFact.field.in_(fields),
                literal(include_reported) | (ModelFact.status != "reported"))
            out.update({(m, f): s for m, f, s in conn.execute(stmt)})
            out.update({(m, f): s for m, f, s in conn.execute(computed_statuses(chunk, fields))})
    return out


def with_provenance(engine: Engine, rows: list[dict[str, Any]], columns: Sequence[str]) -> list[str]:
    """Add `<fact>_status` to each row for every fact column (None where the model has no value), and
    `<fact>_inherited_from` for the facts a derived model can inherit; returns the columns with them.

    The status is the one `show` gives: reported, nominal, estimated, derived, unpublished, user, or
    inherited (then `_inherited_from` names the model that states the value)."""
    facts = [c for c in columns if c in MODEL_FACTS]
    if not facts:
        return list(columns)
    ids = [r["id"] for r in rows if r.get("id")]
    from catalog.rules.inheritance import computed_provenance

    statuses = fact_statuses(engine, ids, facts, include_reported=True)
    with reading(engine) as conn:
        inherited = {key: prov["inherited_from"] for key, prov in computed_provenance(conn, ids, facts).items()}
    inheritable = {*INHERITABLE_FACTS, *PRETRAIN_FACTS}
    out = []
    for column in columns:
        out.append(column)
        if column in MODEL_FACTS:
            out += [f"{column}_status"] + ([f"{column}_inherited_from"] if column in inheritable else [])
    for row in rows:
        for name in facts:
            key: tuple[Any, str] = (row.get("id"), name)
            row[f"{name}_status"] = statuses.get(key) or ("reported" if row.get(name) is not None else None)
            if name in inheritable:
                row[f"{name}_inherited_from"] = inherited.get(key)
    return out


def computed_statuses(ids: Sequence[str], fields: Sequence[str] | None = None) -> Any:
    """(model, field, status) of the inherited and rule-derived facts of these models."""
    stmt = select(ComputedFact.model_id, ComputedFact.field, ComputedFact.status).where(
        ComputedFact.model_id.in_(list(ids)))
    return stmt if fields is None else stmt.where(ComputedFact.field.in_(list(fields)))


def _provenance(conn: Connection, table: Any, key_column: Any, key: str) -> dict[str, dict[str, Any]]:
    rows = conn.execute(select(table.field, table.source_id, table.status, table.method, table.confidence,
                               table.note).where(key_column == key))
    return {r.field: {"source": r.source_id, "status": r.status, "method": r.method,
                      "confidence": r.confidence, "note": r.note} for r in rows}


def cast_row(row: Any) -> Any:
    """A result row as a dict of its columns (typed as whichever detail TypedDict it is assigned to)."""
    return dict(row._mapping)


def get_model(engine: Engine, name: str) -> ModelDetail:
    """Everything about one model: facts with provenance, sources, datasets, parents, children."""
    with reading(engine) as conn:
        return get_model_conn(conn, resolve_model(conn, name))


def _row_by_id(conn: Connection, table: Any, row_id: str) -> Any:
    """One row of a table with an `id` primary key (attributes by column name), or None."""
    return conn.execute(select(table).where(table.id == row_id)).first()


def get_model_conn(conn: Connection, model_id: str) -> ModelDetail:
    """`get_model` on an open connection, for a known model id."""
    for detail in model_details(conn, [model_id]):
        return detail
    raise UnknownModel(model_id)


def model_details(conn: Connection, ids: Sequence[str], batch: int = 500) -> Iterator[ModelDetail]:
    """The detail of each model of `ids` that exists, in that order, a few queries per batch of models:
    the one place a model's detail (`ModelDetail`) is assembled, for `get_model`, show, compare, the site."""
    sources: dict[str, SourceDetail] = {}
    for start in range(0, len(ids), batch):
        part = list(ids[start:start + batch])
        models = {m.id: m for m in conn.execute(select(Model).where(Model.id.in_(part)))}
        orgs = {o.id: o for o in conn.execute(select(Organization).where(
            Organization.id.in_(sorted({m.org_id for m in models.values()}))))}
        families = {f.id: f for f in conn.execute(select(Family).where(
            Family.id.in_(sorted({m.family_id for m in models.values() if m.family_id}))))}
        related = _related(conn, part)
        cited = {s for m in models.values() for s in _cited(m, related, m.id)} - set(sources)
        for chunk in _chunks(sorted(cited), batch):
            for s in conn.execute(select(Source).where(Source.id.in_(chunk))):
                sources[s.id] = {"url": s.url, "title": s.title, "kind": s.kind, "published": s.published}
        for model_id in part:
            model = models.get(model_id)
            if model is not None:
                yield _detail(model, orgs, families, related, sources)


def _chunks(items: Sequence[str], size: int) -> Iterator[list[str]]:
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


def export_columns() -> list[str]:
    """Columns of `export`: identity, every fact with its provenance, lineage and computed values."""
    cols = ["id", "name", "family", "org", "origin", "source", "source_url", "aliases", "note"]
    for name in MODEL_FACTS:
        cols += [name] + ([f"{name}_precision"] if name in DATE_FACTS else []) + \
            [f"{name}_status", f"{name}_source", f"{name}_method", f"{name}_confidence", f"{name}_note"]
    cols += ["parents", "datasets", "accept", "refs", *COMPUTED]
    cols += [f"{name}_inherited_from" for name in (*INHERITABLE_FACTS, *PRETRAIN_FACTS)] + ["computed_facts"]
    return cols


def iter_export(engine: Engine, filters: Filters | None = None, sort: str | None = None,
                batch: int = 2000) -> Iterator[dict[str, Any]]:
    """Stream one flat dict per model with provenance columns (memory bounded by one batch)."""
    columns = export_columns()
    for rows in iter_export_batches(engine, filters, sort, batch):
        for row in rows:
            yield dict(zip(columns, row, strict=True))


def iter_export_batches(engine: Engine, filters: Filters | None = None, sort: str | None = None,
                        batch: int = 2000) -> Iterator[list[list[Any]]]:
    """`iter_export` as lists of rows, each a list of values in the order of `export_columns()`.

    The values are those of `iter_export` (no dict per row): a writer picks what it needs by position.
    """
    filters = filters or Filters()
    raw = engine.dialect.name == "sqlite"  # dates and JSON as SQLite stores them, parsed only if needed
    stmt = select_models(["id", "name", "family", "org", "origin"], filters).add_columns(
        Model.source_id, Source.url, Model.note, type_coerce(Model.accept, String) if raw else Model.accept,
        *[type_coerce(COLUMNS[name], String) if raw and name in DATE_FACTS else COLUMNS[name]
          for name in MODEL_FACTS],
        *[COLUMNS[f"{name}_precision"] for name in DATE_FACTS],
    ).join(Source, Source.id == Model.source_id).order_by(*order_by(sort))
    with reading(engine) as conn:
        users = _UserRecords(conn)
        result = conn.execution_options(yield_per=batch).execute(stmt)
        for chunk in result.partitions(batch):
            lookup = _chunk_lookup(conn, [r[0] for r in chunk])
            user_rows = [r for r in chunk if r[4] == "user"]
            sources = _chunk_sources(conn, user_rows, lookup, users) if user_rows else {}
            yield [_export_row(row, lookup, sources, users, raw) for row in chunk]


# Where `iter_export_batches` finds each value in its query's rows, and puts it in export_columns().
_AT = {name: i for i, name in enumerate(export_columns())}
_VALUE_AT = 9  # the facts follow id, name, family, org, origin, source, source_url, note, accept
_PRECISION_AT = {name: _VALUE_AT + len(MODEL_FACTS) + i for i, name in enumerate(DATE_FACTS)}
_PLAIN_FACTS = tuple((_VALUE_AT + i, _AT[name], _AT[f"{name}_status"])
                     for i, name in enumerate(MODEL_FACTS) if name not in DATE_FACTS)
_DATE_FACTS = tuple((_VALUE_AT + i, _PRECISION_AT[name], _AT[name], _AT[f"{name}_status"])
                    for i, name in enumerate(MODEL_FACTS) if name in DATE_FACTS)
_STATUS_AT = {name: _AT[f"{name}_status"] for name in MODEL_FACTS}  # then source, method, confidence, note
_COMPUTED_INPUTS = tuple((name, _VALUE_AT + list(MODEL_FACTS).index(name)) for name in COMPUTED_INPUTS)
_WIDTH = len(_AT)
_JSON_SORTED = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode  # = json.dumps(..., sort_keys=True)
_PARENTS_AT, _DATASETS_AT, _ACCEPT_AT, _REFS_AT = (_AT[name] for name in ("parents", "datasets", "accept", "refs"))
_COMPUTED_AT = tuple((name, _AT[name]) for name in COMPUTED)
_INHERITED_AT = {name: _AT[f"{name}_inherited_from"] for name in (*INHERITABLE_FACTS, *PRETRAIN_FACTS)}
_COMPUTED_FACTS_AT = _AT["computed_facts"]


def _export_row(row: Any, lookup: dict[str, Any], sources: dict[str, str], users: _UserRecords,
                raw: bool) -> list[Any]:
    """One model as a list over export_columns(); `row` is a row of the query of iter_export_batches."""
    model_id, url = row[0], row[6]
    out: list[Any] = [None] * _WIDTH
    out[0:7] = row[0:7]  # id, name, family, org, origin, source, source_url: the first columns of both
    aliases = lookup["aliases"].get(model_id)
    out[_AT["aliases"]], out[_AT["note"]] = ";".join(aliases) if aliases else None, row[7]
    for at, value_at, status_at in _PLAIN_FACTS:  # a fact without a provenance row: reported by the model's source
        value = row[at]
        if value is not None:
            out[value_at], out[status_at], out[status_at + 1] = value, "reported", url
    for at, precision_at, value_at, status_at in _DATE_FACTS:
        value = row[at]
        if value is not None:
            out[value_at] = value if value.__class__ is str else value.isoformat()
            out[value_at + 1], out[status_at], out[status_at + 1] = row[precision_at], "reported", url
    facts = lookup["facts"].get(model_id)
    if facts:
        for name, (_source_id, status, cited_url, method, confidence, note) in facts.items():
            first = _STATUS_AT.get(name)
            if first is not None:
                out[first:first + 5] = status, cited_url, method, confidence, note
    computed_facts = lookup["computed"].get(model_id)
    if computed_facts:
        for name, (_source_id, status, cited_url, method, confidence, note, parent) in computed_facts.items():
            first = _STATUS_AT.get(name)
            if first is not None:
                out[first:first + 5] = status, cited_url, method, confidence, note
            if parent is not None and name in _INHERITED_AT:
                out[_INHERITED_AT[name]] = parent
        out[_COMPUTED_FACTS_AT] = ",".join(sorted(computed_facts))
    parents, links = lookup["parents"].get(model_id), lookup["datasets"].get(model_id)
    if parents:
        out[_PARENTS_AT] = [{"model": p[0], "relation": p[1], "source": p[2], "note": p[3]} for p in parents]
    if links:
        out[_DATASETS_AT] = [{"dataset": d[0], "share": d[1], "epochs": d[2], "tokens": d[3], "source": d[4],
                         "note": d[5]} for d in links]
    accept = row[8]
    if raw and accept is not None:
        accept = None if accept == "null" else json.loads(accept)
    out[_ACCEPT_AT] = accept or None
    if row[4] == "user":
        out[_REFS_AT] = _refs(row, facts, parents, links, sources, users)
    computed = add_computed({name: row[at] for name, at in _COMPUTED_INPUTS}, model_id)
    for name, at in _COMPUTED_AT:
        out[at] = computed[name]
    return out


_IDS: Any = bindparam("ids", expanding=True)


def _padded(ids: list[str], step: int = 250) -> dict[str, list[str]]:
    """{"ids": ids} with the last id repeated up to a multiple of `step` (the rows are the same).

    SQLite caches a prepared statement per SQL text, and an IN list of each new length is a new
    text: padding keeps them to a few, so memory stays flat over a long export.
    """
    return {"ids": ids + ids[-1:] * (-len(ids) % step)}


_LOOKUPS: dict[str, Any] = {  # the rows of a batch of models, by model id (first column) in the order given
    "facts": select(ModelFact.model_id, ModelFact.field, ModelFact.source_id, ModelFact.status, Source.url,
                    ModelFact.method, ModelFact.confidence, ModelFact.note)
    .outerjoin(Source, Source.id == ModelFact.source_id).where(ModelFact.model_id.in_(_IDS)),
    "computed": select(ComputedFact.model_id, ComputedFact.field, ComputedFact.source_id, ComputedFact.status,
                       Source.url, ComputedFact.method, ComputedFact.confidence, ComputedFact.note,
                       ComputedFact.inherited_from)
    .outerjoin(Source, Source.id == ComputedFact.source_id).where(ComputedFact.model_id.in_(_IDS)),
    "aliases": select(Alias.model_id, Alias.alias).where(Alias.model_id.in_(_IDS), Alias.is_name.is_(False))
    .order_by(Alias.alias),
    "parents": select(Lineage.child_id, Lineage.parent_id, Lineage.relation, Source.url, Lineage.note,
                      Lineage.source_id).outerjoin(Source, Source.id == Lineage.source_id)
    .where(Lineage.child_id.in_(_IDS)).order_by(Lineage.parent_id),
    "datasets": select(ModelDataset.model_id, ModelDataset.dataset_id, ModelDataset.share, ModelDataset.epochs,
                       ModelDataset.tokens, Source.url, ModelDataset.note, ModelDataset.source_id)
    .outerjoin(Source, Source.id == ModelDataset.source_id).where(ModelDataset.model_id.in_(_IDS))
    .order_by(ModelDataset.model_id, ModelDataset.dataset_id),
}
_USER_SOURCES = select(Source.id, Source.url, Source.title, Source.kind, Source.published).where(
    Source.id.in_(_IDS), Source.origin == "user")


def _chunk_lookup(conn: Connection, ids: list[str]) -> dict[str, Any]:
    """Provenance, aliases, parents and training data of a batch of models, by model id (tuples, urls joined).

    facts: {field: (source id, status, url, method, confidence, note)}; aliases: [alias];
    parents: [(parent, relation, url, note, source id)]; datasets: [(dataset, share, epochs, tokens, url,
    note, source id)].
    """
    facts: dict[str, dict[str, list[Any]]] = {}
    for model_id, name, *rest in conn.execute(_LOOKUPS["facts"], _padded(ids)).all():
        facts.setdefault(model_id, {})[name] = rest
    computed: dict[str, dict[str, list[Any]]] = {}
    for model_id, name, *rest in conn.execute(_LOOKUPS["computed"], _padded(ids)).all():
        computed.setdefault(model_id, {})[name] = rest
    aliases: dict[str, list[str]] = {}
    for model_id, alias in conn.execute(_LOOKUPS["aliases"], _padded(ids)).all():
        aliases.setdefault(model_id, []).append(alias)
    found: dict[str, Any] = {"facts": facts, "aliases": aliases, "computed": computed}
    for key in ("parents", "datasets"):
        links: dict[str, list[list[Any]]] = found.setdefault(key, {})
        for model_id, *rest in conn.execute(_LOOKUPS[key], _padded(ids)).all():
            links.setdefault(model_id, []).append(rest)
    return found


def _chunk_sources(conn: Connection, rows: list[Any], lookup: dict[str, Any],
                   users: _UserRecords) -> dict[str, str]:
    """The user-added sources the user models of a batch cite, by id, as the JSON text of their record."""
    ids = {r[5] for r in rows}
    datasets = set()
    facts, parents, links = lookup["facts"], lookup["parents"], lookup["datasets"]
    for r in rows:
        model_id = r[0]
        if model_id in facts:
            ids.update(f[0] for f in facts[model_id].values())
        if model_id in parents:
            ids.update(p[4] for p in parents[model_id])
        for link in links.get(model_id, ()):
            ids.add(link[6])
            datasets.add(link[0])
    ids.update(d["source"] for d in users.find("datasets", datasets).values())
    users.find("organizations", {r[3] for r in rows})  # one query per batch, not one per new id
    users.find("families", {r[2] for r in rows})
    ids.discard(None)
    wanted, found = list(ids), dict[str, str]()
    for start in range(0, len(wanted), 2000):
        found.update((r[0], _JSON_SORTED({"id": r[0], "url": r[1], "title": r[2], "kind": r[3], "published": r[4]}))
                     for r in conn.execute(_USER_SOURCES, _padded(wanted[start:start + 2000])).all())
    return found


class _UserRecords:
    """User-added organizations, families and datasets, looked up as exported rows cite them."""

    TABLES: dict[str, Any] = {"organizations": Organization, "families": Family, "datasets": Dataset}

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.known: dict[str, dict[str, dict[str, Any] | None]] = {key: {} for key in self.TABLES}
        self.texts: dict[str, dict[str, str]] = {key: {} for key in self.TABLES}

    def find(self, key: str, ids: Iterable[str | None]) -> dict[str, dict[str, Any]]:
        """The user-added records among `ids`, as a self-contained export writes them."""
        known, table = self.known[key], self.TABLES[key]
        missing = sorted(i for i in ids if i is not None and i not in known)
        for start in range(0, len(missing), 500):
            chunk = missing[start:start + 500]
            known.update(dict.fromkeys(chunk))
            for r in self.conn.execute(select(table).where(table.id.in_(_IDS), table.origin == "user"),
                                       _padded(chunk)).mappings():
                known[r["id"]] = user_record(key, r)
                self.texts[key][r["id"]] = _JSON_SORTED(known[r["id"]])
        return {i: record for i in ids if i is not None and (record := known.get(i)) is not None}

    def one(self, key: str, record_id: str) -> dict[str, Any] | None:
        """The user-added record with this id, or None (one looked up before costs a dict lookup)."""
        known = self.known[key]
        if record_id not in known:
            self.find(key, (record_id,))
        return known[record_id]


def user_record(key: str, row: Any) -> dict[str, Any]:
    """A user-added record as the `refs` of an export writes it (the fields of its YAML form)."""
    record = {k: v for k, v in row.items() if k != "origin"}
    if key == "families":
        record["org"] = record.pop("org_id")
    elif key == "datasets":
        record["source"] = record.pop("source_id")
    elif key == "organizations" and not record.get("aliases"):
        record.pop("aliases", None)  # exports of organizations without aliases read as before revision 0006
    return record


def _refs(row: Any, facts: dict[str, Any] | None, parents: list[Any] | None, links: list[Any] | None,
          sources: dict[str, str], users: _UserRecords) -> str | None:
    """JSON of the user-defined records a row refers to (so a file can be imported elsewhere).

    The text of `json.dumps({...}, ensure_ascii=False, sort_keys=True)`, joined from the JSON of each
    record (written once per batch or per record): keys datasets, families, organizations, sources.
    """
    cited = {row[5]}
    if facts:
        cited.update(f[0] for f in facts.values())
    if parents:
        cited.update(p[4] for p in parents)
    parts = []
    if links:
        datasets = users.find("datasets", [d[0] for d in links])
        cited.update(d[6] for d in links)
        if datasets:
            cited.update(d["source"] for d in datasets.values())
            texts = users.texts["datasets"]
            parts.append('"datasets": [' + ", ".join(texts[i] for i in sorted(datasets)) + "]")
    for key, record_id in (("families", row[2]), ("organizations", row[3])):
        if record_id is not None and users.one(key, record_id) is not None:
            parts.append(f'"{key}": [{users.texts[key][record_id]}]')
    mine = sorted(i for i in cited if i in sources)
    if mine:
        parts.append('"sources": [' + ", ".join(sources[i] for i in mine) + "]")
    return "{" + ", ".join(parts) + "}" if parts else None


STATUS_FIELDS = ("released", "arch", "params", "active_params", "train_tokens", "train_compute", "context_length",
                 "context_window", "pretrain_tokens", "pretrain_compute")


def models_frame(engine: Engine | Connection, filters: Filters | None = None,
                 columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Models as a pandas DataFrame: every column, the computed ones, and `<fact>_status` columns.

    `released` is a datetime (first day of its period; `released_precision` says which);
    `<fact>_status` is reported / nominal / estimated / derived / inherited / user / unpublished, or None
    where unknown;
    `derived_by` lists the relations to the model's parents ("fine-tune,merge"), None for none.

    Built column by column (one query per table, arithmetic in pandas), so a million models take
    seconds; the values are those `find_models` gives. Given a Connection rather than an Engine,
    reads in that connection's transaction (catalog.charts.selection: the same snapshot as its counts).
    """
    from contextlib import nullcontext

    import pandas as pd

    columns = list(columns or [c for c in COLUMNS] + list(COMPUTED))
    if "id" not in columns:
        columns.insert(0, "id")
    columns = check_columns(columns)
    computed = [c for c in columns if c in COMPUTED]
    inputs = list(COMPUTED_INPUTS) if computed else []
    needed = list(dict.fromkeys(["id", *(c for c in columns if c in COLUMNS and c != "released"), *inputs,
                                 *(["released_precision"] if "released" in columns else [])]))
    stmt = select_models(needed, filters or Filters())
    if "released" in columns:  # as text, cut to its precision below: what find_models prints
        stmt = stmt.add_columns(cast(Model.released, String).label("released"))
        needed.append("released")
    with nullcontext(engine) if isinstance(engine, Connection) else reading(engine) as conn:
        rows = list(map(tuple, conn.execute(stmt.order_by(*order_by(None))).all()))  # all(): one fetchall;
        frame = pd.DataFrame.from_records(rows, columns=needed)  # tuples: pandas reads them faster than Rows
        del rows
        ids = list(frame["id"])
        provenance, derived = _status_frame(conn, ids), _derived_by(conn, ids)
    where = pd.Index(frame["id"])  # one hash table of the ids, to place looked-up values
    from catalog.rules.computed import as_built, fill_computed_frame

    if computed:
        fill_computed_frame(frame, computed)
    if "released" in columns:
        text, precision = frame["released"], frame["released_precision"]
        text = text.where(precision != "year", text.str[:4]).where(precision != "month", text.str[:7])
        frame["released"] = pd.to_datetime(text, format="mixed")
    for name in STATUS_FIELDS:
        status = _placed(where, provenance.get(name, {}))
        if name in columns:
            status = status.where(status.notna() | frame[name].isna(), "reported")
        frame[f"{name}_status"] = as_built(status)
    frame["derived_by"] = as_built(_placed(where, derived))
    return frame[columns + [f"{n}_status" for n in STATUS_FIELDS] + ["derived_by"]].reset_index(drop=True)


def _derived_by(conn: Connection, ids: list[str]) -> dict[str, str]:
    """{model_id: "fine-tune,merge"}: the relations to each model's parents, in parent order."""
    stmt = select(Lineage.child_id, Lineage.relation).order_by(Lineage.child_id, Lineage.parent_id)
    if len(ids) > 20000:
        rows = conn.execute(stmt).all()
    else:
        rows = [r for start in range(0, len(ids), 500)
                for r in conn.execute(stmt.where(Lineage.child_id.in_(ids[start:start + 500]))).all()]
    relations: dict[str, list[str]] = {}
    for child, relation in rows:
        relations.setdefault(child, []).append(relation)
    return {child: ",".join(found) for child, found in relations.items()}


def _placed(where: pd.Index, values: dict[str, str]) -> pd.Series:
    """`values` (by model id) as a column aligned with the ids of `where`, None elsewhere."""
    import numpy as np
    import pandas as pd

    column = np.full(len(where), None, dtype=object)
    if values:
        positions = where.get_indexer(list(values))
        found = positions >= 0
        column[positions[found]] = np.array(list(values.values()), dtype=object)[found]
    return pd.Series(column, index=range(len(where)), dtype=object)


def _status_frame(conn: Connection, ids: list[str]) -> dict[str, dict[str, str]]:
    """{field: {model_id: status}} of the STATUS_FIELDS provenance rows of these models (for many
    models one pass over model_facts, for few an indexed lookup per 500)."""
    stmt = select(ModelFact.model_id, ModelFact.field, ModelFact.status).where(ModelFact.field.in_(STATUS_FIELDS))
    out: dict[str, dict[str, str]] = {}
    rows: list[Any]
    if len(ids) > 20000:  # statuses of models outside `ids` are looked up and left unused
        rows = list(conn.execute(stmt).all())
    else:
        rows = [r for start in range(0, len(ids), 500)
                for r in conn.execute(stmt.where(ModelFact.model_id.in_(ids[start:start + 500]))).all()]
    computed = select(ComputedFact.model_id, ComputedFact.field, ComputedFact.status).where(
        ComputedFact.field.in_(STATUS_FIELDS))
    if len(ids) > 20000:
        rows += list(conn.execute(computed).all())
    else:
        rows += [r for start in range(0, len(ids), 500)
                 for r in conn.execute(computed.where(ComputedFact.model_id.in_(ids[start:start + 500]))).all()]
    for model_id, name, status in rows:
        out.setdefault(name, {})[model_id] = status
    return out


def _organization_counts(rows: Sequence[Any]) -> list[tuple[str, int]]:
    """(label, model count) per organization: its name, or `name (id)` where two share a name."""
    names = Counter(row.name for row in rows)
    return [(name if names[name] == 1 else f"{name} ({org_id})", n) for org_id, name, n in rows]


def catalog_stats(engine: Engine) -> dict[str, Any]:
    """Counts of models, datasets, lineage edges and sources, and models by arch, org and year."""
    with reading(engine) as conn:
        def count(table: Any) -> int:
            return conn.execute(select(func.count()).select_from(table)).scalar_one()

        by_arch = conn.execute(select(func.coalesce(Model.arch, "unknown"), func.count())
                               .group_by(Model.arch).order_by(func.count().desc(), Model.arch)).all()
        by_org_rows = conn.execute(
            select(Organization.id, Organization.name, func.count(Model.id))
            .outerjoin(Model, Model.org_id == Organization.id)
            .group_by(Organization.id, Organization.name)
            .order_by(func.count(Model.id).desc(), Organization.name, Organization.id)).all()
        by_org = _organization_counts(by_org_rows)
        years = conn.execute(select(Model.released)).scalars()
        by_year: dict[str, int] = {}
        for released in years:
            label = str(released.year) if released else "unknown"
            by_year[label] = by_year.get(label, 0) + 1
        by_origin = conn.execute(select(Model.origin, func.count()).group_by(Model.origin)).all()
        return {
            "models": count(Model), "datasets": count(Dataset), "lineage_edges": count(Lineage),
            "sources": count(Source), "organizations": count(Organization), "families": count(Family),
            "training_data_links": count(ModelDataset),
            "by_origin": {k: v for k, v in by_origin},
            "by_architecture": {k: v for k, v in by_arch},
            "by_organization": {k: v for k, v in by_org if v},
            "organizations_without_models": sum(1 for _, v in by_org if not v),
            "by_year": dict(sorted(by_year.items())),
        }


def get_dataset(engine: Engine, dataset_id: str) -> dict[str, Any]:
    """One dataset with provenance of its sizes and the models trained on it."""
    with reading(engine) as conn:
        ds = _row_by_id(conn, Dataset, dataset_id)
        if ds is None:
            raise CatalogError(f"no dataset {dataset_id!r}; run `llmzoo datasets list` to list them")
        special = _provenance(conn, DatasetFact, DatasetFact.dataset_id, dataset_id)
        facts = {}
        for name in DATASET_FACTS:
            value = getattr(ds, name)
            if value is None and name not in special:
                continue
            facts[name] = {"value": value, **(special.get(name) or {"source": ds.source_id, "status": "reported",
                                                                    "method": None, "confidence": None,
                                                                    "note": None})}
        models = [dict(r._mapping) for r in conn.execute(
            select(ModelDataset.model_id.label("model"), Model.name, ModelDataset.share, ModelDataset.epochs)
            .join(Model, Model.id == ModelDataset.model_id).where(ModelDataset.dataset_id == dataset_id)
            .order_by(ModelDataset.model_id))]
    return {"id": ds.id, "name": ds.name, "kind": ds.kind, "source": ds.source_id,
            "languages": ds.languages or [], "note": ds.note, "facts": facts, "models": models}

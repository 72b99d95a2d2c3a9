"""Writing records into the database: the curated refresh and user additions, each one transaction."""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Connection, Engine, delete, insert, select
from sqlalchemy.exc import IntegrityError

from catalog.errors import DamagedDatabase, DatabaseError, DataError
from catalog.records.datapath import data_dir, data_files, fingerprint
from catalog.store.db import describe, reading, writing
from catalog.store.schema import (
    Alias,
    Benchmark,
    ComputedFact,
    Dataset,
    DatasetFact,
    Evaluation,
    Family,
    Lineage,
    Meta,
    Model,
    ModelDataset,
    ModelFact,
    Organization,
    Source,
)
from catalog.vocab import DATASET_FACTS, DATE_FACTS, LIST_FACTS, MODEL_FACTS, alias_key

if TYPE_CHECKING:  # the YAML loader and pydantic records load only when the curated data changed
    from catalog.records.data import Fact, ModelRecord
    from catalog.records.loading import Bundle

# Tables in the order rows are inserted (parents first) and deleted (reverse).
TABLES = (Source, Organization, Family, Model, ModelFact, Alias, Dataset, DatasetFact,
          ModelDataset, Lineage, Benchmark, Evaluation)
DATA_KEY = "data_fingerprint"


def store_value(name: str, value: Any) -> Any:
    if name in LIST_FACTS and isinstance(value, list):
        return ",".join(value)
    return value


def _is_default(fact: Fact, source: str) -> bool:
    return (fact.status == "reported" and fact.source == source and not fact.note
            and not fact.method and not fact.confidence)


def _fact_row(key: dict[str, str], name: str, fact: Fact) -> dict[str, Any]:
    return {**key, "field": name, "source_id": fact.source, "status": fact.status,
            "method": fact.method, "confidence": fact.confidence, "note": fact.note}


def model_rows(model: ModelRecord, origin: str) -> dict[type, list[dict[str, Any]]]:
    """The rows of one model: the model, its non-default provenance, aliases, parents, data."""
    row: dict[str, Any] = {"id": model.id, "name": model.name, "family_id": model.family,
                           "org_id": model.org, "source_id": model.source, "note": model.note,
                           "origin": origin, "released_precision": model.released_precision,
                           "knowledge_cutoff_precision": model.knowledge_cutoff_precision,
                           "accept": dict(model.accept) or None}
    facts = []
    for name in MODEL_FACTS:
        fact: Fact | None = getattr(model, name)
        row[name] = None if fact is None else store_value(name, fact.value)
        if fact is not None and not _is_default(fact, model.source):
            facts.append(_fact_row({"model_id": model.id}, name, fact))
    for name in DATE_FACTS:
        if row[name] is None:
            row[f"{name}_precision"] = None
    aliases: dict[str, dict[str, Any]] = {}
    for text, is_name in [(model.id, True), (model.name, True)] + [(a, False) for a in model.aliases]:
        key = alias_key(text)
        if key and key not in aliases:
            aliases[key] = {"key": key, "model_id": model.id, "alias": text, "is_name": is_name}
    lineage = [{"child_id": model.id, "parent_id": p.model, "relation": p.relation,
                "source_id": p.source or model.source, "note": p.note, "origin": origin}
               for p in model.parents]
    data = [{"model_id": model.id, "dataset_id": d.dataset, "share": d.share, "epochs": d.epochs,
             "tokens": d.tokens, "source_id": d.source or model.source, "note": d.note, "origin": origin}
            for d in model.datasets]
    return {Model: [row], ModelFact: facts, Alias: list(aliases.values()), Lineage: lineage,
            ModelDataset: data}


def bundle_rows(bundle: Bundle, origin: str) -> dict[type, list[dict[str, Any]]]:
    """All rows of a bundle, keyed by table."""
    rows: dict[type, list[dict[str, Any]]] = {table: [] for table in TABLES}
    rows[Source] = [{**s.model_dump(), "origin": origin} for s in bundle.sources.values()]
    rows[Organization] = [{**o.model_dump(), "origin": origin} for o in bundle.organizations.values()]
    rows[Family] = [{"id": f.id, "name": f.name, "org_id": f.org, "note": f.note, "origin": origin}
                    for f in bundle.families.values()]
    for model in bundle.models.values():
        for table, more in model_rows(model, origin).items():
            rows[table].extend(more)
    for ds in bundle.datasets.values():
        row = {"id": ds.id, "name": ds.name, "kind": ds.kind, "source_id": ds.source,
               "languages": ds.languages or None, "note": ds.note, "origin": origin}
        for name in DATASET_FACTS:
            fact = getattr(ds, name)
            row[name] = None if fact is None else fact.value
            if fact is not None and not _is_default(fact, ds.source):
                rows[DatasetFact].append(_fact_row({"dataset_id": ds.id}, name, fact))
        rows[Dataset].append(row)
    defaults = {m.id: m.source for m in bundle.models.values()}
    for link in bundle.training_data:
        rows[ModelDataset].append({"model_id": link.model, "dataset_id": link.dataset,
                                   "share": link.share, "epochs": link.epochs, "tokens": link.tokens,
                                   "source_id": link.source or defaults.get(link.model),
                                   "note": link.note, "origin": origin})
    from catalog.query.evals import benchmark_rows, evaluation_rows

    rows[Benchmark] = benchmark_rows(bundle, origin)
    rows[Evaluation] = evaluation_rows(bundle, origin)
    return rows


def insert_rows(conn: Connection, rows: dict[type, list[dict[str, Any]]], batch: int = 5000) -> None:
    """Bulk-insert rows table by table (executemany in batches)."""
    for table in TABLES:
        items = rows.get(table) or []
        for start in range(0, len(items), batch):
            conn.execute(insert(table), items[start:start + batch])


def write_rows(conn: Connection, rows: dict[type, list[dict[str, Any]]]) -> None:
    """`insert_rows` for rows that carry every column of their table, without SQLAlchemy's per-row
    work: on SQLite one compiled INSERT per table, run as executemany of tuples taken from the rows
    in C (itemgetter), then passed through the bind processors of the columns that have one (dates,
    booleans, JSON, floats); on PostgreSQL `copy_rows`."""
    if conn.dialect.name == "postgresql":
        copy_rows(conn, rows)
        return
    if conn.dialect.name != "sqlite":
        insert_rows(conn, rows)
        return
    for table in [*TABLES, *(t for t in rows if t not in TABLES)]:  # parents first
        if rows.get(table):
            statement, values_of, processed = _compiled_insert(conn.dialect, table)
            conn.exec_driver_sql(statement, [_processed(values_of(row), processed) for row in rows[table]]
                                 if processed else [values_of(row) for row in rows[table]])


def copy_rows(conn: Connection, rows: dict[type, list[dict[str, Any]]]) -> None:
    """The rows into PostgreSQL through COPY (psycopg's `cursor.copy`), table by table, within the
    import's transaction: one stream per table instead of a round trip per row. Values pass through
    the columns' bind processors (JSON), as an INSERT would send them."""
    cursor = cast(Any, conn.connection.driver_connection).cursor()
    for table in [*TABLES, *(t for t in rows if t not in TABLES)]:  # parents first
        if not rows.get(table):
            continue
        keys, values_of, processed = _copy_columns(conn.dialect, table, tuple(rows[table][0]))
        mapped: Any = table.__table__  # type: ignore[attr-defined]  # an ORM class (a key of TABLES)
        names = ", ".join(conn.dialect.identifier_preparer.quote(mapped.columns[k].name) for k in keys)
        with cursor.copy(f"COPY {conn.dialect.identifier_preparer.format_table(mapped)} ({names}) "
                         "FROM STDIN") as copy:
            for row in rows[table]:
                copy.write_row(_processed(values_of(row), processed) if processed else values_of(row))
    cursor.close()


@functools.lru_cache(maxsize=64)
def _copy_columns(dialect: Any, table: Any, keys: tuple[str, ...]) -> tuple[tuple[str, ...], Any,
                                                                              tuple[tuple[int, Any, bool], ...]]:
    """The columns a COPY of rows with these keys writes, a getter of their values, and the bind
    processors of the columns that have one (position, processor)."""
    columns = table.__table__.columns
    keys = tuple(k for k in keys if k in columns)
    getter = operator.itemgetter(*keys)
    values_of = getter if len(keys) > 1 else lambda row: (getter(row),)
    processors = [columns[key].type.dialect_impl(dialect).bind_processor(dialect) for key in keys]
    return keys, values_of, _with_none(processors)


def _with_none(processors: list[Any]) -> tuple[tuple[int, Any, bool], ...]:
    """(position, processor, whether it turns None into None) of the columns that have a processor:
    most cells of a model row are empty, and those processors need not be called for them (JSON's is,
    as it writes None as 'null')."""
    return tuple((i, p, p(None) is None) for i, p in enumerate(processors) if p is not None)


def _processed(values: tuple[Any, ...], processed: tuple[tuple[int, Any, bool], ...]) -> tuple[Any, ...]:
    out = list(values)
    for index, process, keeps_none in processed:
        value = out[index]
        if value is not None or not keeps_none:
            out[index] = process(value)
    return tuple(out)


@functools.lru_cache(maxsize=32)
def _compiled_insert(dialect: Any, table: Any) -> tuple[str, Callable[[dict[str, Any]], tuple[Any, ...]],
                                                        tuple[tuple[int, Any, bool], ...]]:
    """The INSERT, a function giving a row's values in its order, and (position, bind processor)
    of the columns that need one."""
    compiled = insert(table).compile(dialect=dialect)
    columns = table.__table__.columns
    keys = compiled.positiontup or []
    getter = operator.itemgetter(*keys)
    values_of = getter if len(keys) > 1 else lambda row: (getter(row),)
    processors = [columns[key].type.dialect_impl(dialect).bind_processor(dialect) for key in keys]
    return str(compiled), values_of, _with_none(processors)


def delete_curated(conn: Connection) -> None:
    """Remove every curated row (user rows stay); foreign keys are checked at commit."""
    curated_models = select(Model.id).where(Model.origin == "curated")
    curated_datasets = select(Dataset.id).where(Dataset.origin == "curated")
    conn.execute(delete(Evaluation).where(Evaluation.origin == "curated"))
    conn.execute(delete(Benchmark).where(Benchmark.origin == "curated"))
    conn.execute(delete(Lineage).where(Lineage.origin == "curated"))
    conn.execute(delete(ModelDataset).where(ModelDataset.origin == "curated"))
    conn.execute(delete(DatasetFact).where(DatasetFact.dataset_id.in_(curated_datasets)))
    conn.execute(delete(ModelFact).where(ModelFact.model_id.in_(curated_models)))
    conn.execute(delete(ComputedFact).where(ComputedFact.model_id.in_(curated_models)))
    conn.execute(delete(Alias).where(Alias.model_id.in_(curated_models)))
    for table in (Dataset, Model, Family, Organization, Source):
        conn.execute(delete(table).where(table.origin == "curated"))


def set_meta(conn: Connection, key: str, value: str) -> None:
    """Upsert one catalog_meta entry."""
    conn.execute(delete(Meta).where(Meta.key == key))
    conn.execute(insert(Meta).values(key=key, value=value))


def get_meta(conn: Connection, key: str) -> str | None:
    """One catalog_meta entry, or None."""
    return conn.execute(select(Meta.value).where(Meta.key == key)).scalar()


def refresh_curated(engine: Engine, force: bool = False) -> bool:
    """Replace the curated rows when the packaged data changed; True if it did. User rows stay."""
    files = data_files(data_dir())
    stamp = fingerprint(files)
    with reading(engine) as conn:
        if not force and get_meta(conn, DATA_KEY) == stamp:
            return False
    from catalog.records.loading import load_directory
    from catalog.rules.validation import check_bundle

    try:
        bundle = load_directory()
    except DataError as exc:
        raise DataError(exc.problems, path="the curated data (run `llmzoo validate`)") from None
    report = check_bundle(bundle)
    if report.errors:
        raise DataError(report.errors, path="the curated data (run `llmzoo validate`)")
    rows = bundle_rows(bundle, "curated")
    try:
        with writing(engine) as conn:
            stored = get_meta(conn, DATA_KEY)
            if not force and stored == stamp:
                return False  # another process refreshed it while we waited for the lock
            from catalog.store.datachanges import record_refresh, snapshot_rows, snapshot_stored

            _drop_user_clashes(conn, rows)
            _check_orphans(conn, rows)
            before = snapshot_stored(conn) if stored is not None else None  # the first fill changes nothing
            delete_curated(conn)
            insert_rows(conn, rows)
            from catalog.rules.inheritance import rederive

            rederive(conn)  # user models derived from curated ones follow their parents' new facts
            record_refresh(conn, before, snapshot_rows(rows), stamp)  # kept in fact_history: `llmzoo changes`
            set_meta(conn, DATA_KEY, stamp)
    except DatabaseError as exc:
        if "nothing was changed" in str(exc) or isinstance(exc, DamagedDatabase):
            raise
        raise DatabaseError(f"refreshing the curated data failed, nothing was changed: {exc}") from None
    except IntegrityError as exc:
        raise DatabaseError(f"{describe(engine)}: refreshing the curated data would break a user "
                            f"record ({exc.orig}); nothing was changed") from None
    return True


def _check_orphans(conn: Connection, rows: dict[type, list[dict[str, Any]]]) -> None:
    """Refuse a refresh that would remove a curated record a user record depends on.

    Only the curated records the new data drops are looked up (usually none), so a catalogue with
    a million user models is not read whole.
    """
    dropped = _dropped(conn, Model, rows)
    lost = [] if not dropped else [tuple(r) for start in range(0, len(dropped), 500) for r in conn.execute(
        select(Lineage.child_id, Lineage.parent_id).where(Lineage.origin == "user",
                                                          Lineage.parent_id.in_(dropped[start:start + 500])))]
    if lost:
        pairs = ", ".join(f"{c} -> {p}" for c, p in sorted(lost))
        raise DatabaseError(f"the new curated data no longer has models that your models derive from ({pairs}); "
                            "nothing was changed. Re-parent or remove those models (llmzoo edit / llmzoo "
                            "remove), then run the command again")
    for table, column, target, kind in ((Model, Model.org_id, Organization, "organization"),
                                        (Model, Model.family_id, Family, "family"),
                                        (Model, Model.source_id, Source, "source"),
                                        (ModelDataset, ModelDataset.dataset_id, Dataset, "dataset")):
        dropped = _dropped(conn, target, rows)
        missing = sorted({x for start in range(0, len(dropped), 500) for x in conn.execute(
            select(column).where(table.origin == "user", column.in_(dropped[start:start + 500]))).scalars()})
        if missing:
            raise DatabaseError(f"the new curated data no longer has the {kind} {', '.join(missing)} that your "
                                "records use; nothing was changed. Edit those records, then run the command again")


def _dropped(conn: Connection, table: Any, rows: dict[type, list[dict[str, Any]]]) -> list[str]:
    """Ids of the curated records of `table` that the new curated rows no longer have."""
    kept = {r["id"] for r in rows[table]}
    return sorted(set(conn.execute(select(table.id).where(table.origin == "curated")).scalars()) - kept)


def _drop_user_clashes(conn: Connection, rows: dict[type, list[dict[str, Any]]]) -> None:
    """A user row keeps its id: a curated row with the same id or alias is left out."""
    curated_ids, curated_keys = [r["id"] for r in rows[Model]], [r["key"] for r in rows[Alias]]
    user_models = {x for start in range(0, len(curated_ids), 500) for x in conn.execute(select(Model.id).where(
        Model.origin == "user", Model.id.in_(curated_ids[start:start + 500]))).scalars()}
    user_keys = {x for start in range(0, len(curated_keys), 500) for x in conn.execute(
        select(Alias.key).join(Model).where(Model.origin == "user", Alias.key.in_(curated_keys[start:start + 500])))
        .scalars()}
    if not user_models and not user_keys:
        return
    rows[Model] = [r for r in rows[Model] if r["id"] not in user_models]
    for table, column in ((ModelFact, "model_id"), (Alias, "model_id"), (ModelDataset, "model_id"),
                          (Lineage, "child_id")):
        rows[table] = [r for r in rows[table] if r[column] not in user_models]
    rows[Alias] = [r for r in rows[Alias] if r["key"] not in user_keys]

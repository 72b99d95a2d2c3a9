"""Evaluation results: rows for the store, cross-record checks, queries, and the import of exports.

Every published score is kept as its own row, side by side with the others for the same model and
benchmark (a model's MMLU can be 35.1 in its own paper and 26.2 in somebody else's run): nothing is
averaged. One rule picks a single result per model when a table has room for one number:

  **the standard result** = the developer's own result (`evaluated_by: developer`) on the whole
  benchmark (no subset) with the benchmark's metric in its standard setting (`standard.shots`,
  `standard.cot` of data/benchmarks.yaml); among several, the one from the earliest-published source
  (then the first listed). Without such a result the cell stays empty rather than borrowing a
  third-party or off-setting score.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, and_, insert, select

from catalog.errors import CatalogError, DataError, header_problems, shorten, unknown_keys
from catalog.evalvocab import EVAL_COLUMNS, METRICS
from catalog.store.db import reading, writing
from catalog.store.evalschema import Benchmark, Evaluation
from catalog.store.schema import Model, Source

if TYPE_CHECKING:
    from catalog.query.detail import ModelDetail
    from catalog.query.models import Filters
    from catalog.records.loading import Bundle
    from catalog.rules.validation import Known, Report

STANDARD_RULE = ("the developer's own result in the benchmark's standard setting "
                 "(see `llmzoo evals --benchmark B` for every result)")


# --------------------------------------------------------------------------- rows for the store


def benchmark_rows(bundle: Bundle, origin: str) -> list[dict[str, Any]]:
    """Rows of the `benchmarks` table for a bundle."""
    return [{"id": b.id, "name": b.name, "task_kind": b.task_kind, "metric": b.metric, "chance": b.chance,
             "standard_shots": b.standard.shots if b.standard else None,
             "standard_cot": b.standard.cot if b.standard else None, "part_of": b.part_of,
             "aliases": ",".join(b.aliases) or None, "source_id": b.source, "note": b.note, "origin": origin}
            for b in bundle.benchmarks.values()]


def evaluation_rows(bundle: Bundle, origin: str, metrics: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Rows of the `evaluations` table; a result without `metric` takes its benchmark's."""
    metrics = {**(metrics or {}), **{b.id: b.metric for b in bundle.benchmarks.values()}}
    return [{"model_id": e.model, "benchmark_id": e.benchmark, "subset": e.subset, "shots": e.setting.shots,
             "cot": e.setting.cot, "prompt": e.setting.prompt, "decoding": e.setting.decoding,
             "metric": e.metric or metrics.get(e.benchmark), "score": e.score, "evaluated_by": e.evaluated_by,
             "evaluator": e.evaluator, "source_id": e.source, "locator": e.locator, "note": e.note,
             "origin": origin}
            for e in bundle.evals]


def cite_evals(bundle: Bundle, cited: dict[str, set[str]]) -> None:
    """Add the ids a bundle's benchmarks and results cite (for narrow lookups in the database)."""
    for bench in bundle.benchmarks.values():
        cited["sources"].add(bench.source)
    for result in bundle.evals:
        cited["models"].add(result.model)
        cited["benchmarks"].add(result.benchmark)
        cited["sources"].add(result.source)


# --------------------------------------------------------------------------- checks


def _key(result: Any, metric: str | None) -> tuple[Any, ...]:
    s = result.setting
    return (result.model, result.benchmark, result.subset, s.shots, s.cot, s.prompt, s.decoding, metric,
            result.source, result.locator)


def check_evals(bundle: Bundle, known: Known, report: Report,
                stored_metrics: dict[str, tuple[str, float | None]] | None = None) -> None:
    """Benchmarks and results: references exist, the score fits the metric, no result listed twice."""
    sources = set(bundle.sources) | known.sources
    models = set(bundle.models) | known.models
    benchmarks = set(bundle.benchmarks) | known.benchmarks
    metric_of = {**known.benchmark_metrics, **(stored_metrics or {})}
    metric_of.update({b.id: (b.metric, b.chance) for b in bundle.benchmarks.values()})
    err = report.errors.append
    for bench in bundle.benchmarks.values():
        where = bundle.locate("benchmarks", bench.id)
        if bench.source not in sources:
            err(f"{where}: source {bench.source!r} does not exist; add it to a `sources` section")
        if bench.part_of is not None and bench.part_of not in benchmarks:
            err(f"{where}: part_of {bench.part_of!r} is not a benchmark; use an id from data/benchmarks.yaml")
        if bench.part_of == bench.id:
            err(f"{where}: a benchmark cannot be part of itself")
    seen: dict[tuple[Any, ...], str] = {}
    for index, result in enumerate(bundle.evals):
        where = bundle.eval_where[index] if index < len(bundle.eval_where) else \
            f"evals[{index}] ({result.model}/{result.benchmark})"
        if result.model not in models:
            err(f"{where}: model {result.model!r} does not exist; use the id of a catalogued model "
                "(llmzoo list --search NAME)")
        if result.benchmark not in benchmarks:
            err(f"{where}: benchmark {result.benchmark!r} is not in the benchmark vocabulary; use an id from "
                "data/benchmarks.yaml (llmzoo evals benchmarks) or add it to a `benchmarks` section")
        if result.source not in sources:
            err(f"{where}: source {result.source!r} does not exist; add it to a `sources` section")
        metric = result.metric or (metric_of.get(result.benchmark) or (None, None))[0]
        if metric is not None and result.metric is None:
            low, high = METRICS.get(metric, (0.0, 100.0))
            if not low <= result.score <= high:
                err(f"{where}: score {result.score:g} is outside the range of {metric} ({low:g}..{high:g}, "
                    "in percent); write the score as the source prints it (35.1 for 35.1%)")
        key = _key(result, metric)
        if key in seen:
            err(f"{where}: the same result is already listed at {seen[key]}; keep one")
        seen.setdefault(key, where)


def benchmark_metrics(conn: Connection, ids: Sequence[str] | None = None) -> dict[str, tuple[str, float | None]]:
    """{benchmark: (metric, chance)} of stored benchmarks (all, or these ids)."""
    stmt = select(Benchmark.id, Benchmark.metric, Benchmark.chance)
    if ids is not None:
        stmt = stmt.where(Benchmark.id.in_(sorted(set(ids))))
    return {bid: (metric, chance) for bid, metric, chance in conn.execute(stmt)}


def fill_metrics(conn: Connection, bundle: Bundle) -> None:
    """Give each result without a `metric` its stored benchmark's metric (before writing user rows)."""
    missing = {e.benchmark for e in bundle.evals if e.metric is None} - set(bundle.benchmarks)
    stored = benchmark_metrics(conn, sorted(missing)) if missing else {}
    bundle.evals = [e.model_copy(update={"metric": stored[e.benchmark][0]})
                    if e.metric is None and e.benchmark in stored else e for e in bundle.evals]


# --------------------------------------------------------------------------- queries

_SELECT = (Evaluation.model_id.label("model"), Evaluation.benchmark_id.label("benchmark"), Evaluation.subset,
           Evaluation.shots, Evaluation.cot, Evaluation.prompt, Evaluation.decoding, Evaluation.metric,
           Evaluation.score, Evaluation.evaluated_by, Evaluation.evaluator, Evaluation.source_id.label("source"),
           Source.url.label("source_url"), Evaluation.locator, Evaluation.note, Evaluation.origin)


def printable(value: Any) -> Any:
    """Text for a terminal: control characters (ESC sequences, carriage returns) written visibly, as
    catalog.query.display.printable writes them; other values unchanged."""
    from catalog.query.display import printable as visible

    return visible(value) if isinstance(value, str) else value


def setting_text(row: dict[str, Any]) -> str:
    """'5-shot', '8-shot, chain of thought, maj1@1', '0-shot, "Q: ... A:"'."""
    parts = ["shots not stated" if row.get("shots") is None else f"{row['shots']}-shot"]
    if row.get("cot"):
        parts.append("chain of thought")
    if row.get("prompt"):
        parts.append(str(row["prompt"]))
    if row.get("decoding"):
        parts.append(str(row["decoding"]))
    return ", ".join(parts)


def check_benchmarks(conn: Connection, names: Sequence[str]) -> list[str]:
    """Benchmark ids for ids or aliases (case ignored); CatalogError listing the known ones otherwise."""
    rows = conn.execute(select(Benchmark.id, Benchmark.aliases)).all()
    lookup = {bid.lower(): bid for bid, _ in rows}
    for bid, aliases in rows:
        for alias in (aliases or "").split(","):
            if alias:
                lookup.setdefault(alias.strip().lower(), bid)
    out: list[str] = []
    bad: list[str] = []
    for name in names:
        found = lookup.get(name.strip().lower())
        (out if found else bad).append(found or name)
    if bad:
        raise CatalogError(f"--benchmark: unknown benchmark {', '.join(repr(shorten(b)) for b in bad)}; choose from: "
                           f"{', '.join(sorted(b for b, _ in rows))}")
    return out


def find_evals(engine: Engine, filters: Filters | None = None, benchmarks: Sequence[str] = (),
               evaluated_by: str | None = None, models: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Results of the models matching `filters` (the filters of `llmzoo list`), benchmark by benchmark."""
    from catalog.query.models import Filters, conditions, resolve_model
    from catalog.store.schema import Family, Organization

    filters = filters or Filters()
    with reading(engine) as conn:
        wanted = check_benchmarks(conn, benchmarks) if benchmarks else []
        ids = [resolve_model(conn, m) for m in models]
        stmt = (select(*_SELECT).join(Model, Model.id == Evaluation.model_id)
                .join(Source, Source.id == Evaluation.source_id)
                .join(Organization, Organization.id == Model.org_id))
        if filters.family:
            stmt = stmt.outerjoin(Family, Family.id == Model.family_id)
        where = conditions(filters)
        if wanted:
            where.append(Evaluation.benchmark_id.in_(wanted))
        if evaluated_by:
            where.append(Evaluation.evaluated_by == evaluated_by)
        if ids:
            where.append(Evaluation.model_id.in_(ids))
        stmt = stmt.where(and_(*where)) if where else stmt
        stmt = stmt.order_by(Evaluation.benchmark_id, Model.released.asc().nulls_last(), Evaluation.model_id,
                             Evaluation.id)
        rows = [dict(r._mapping) for r in conn.execute(stmt)]
    for row in rows:
        row["setting"] = setting_text(row)
    return rows


def list_benchmarks(engine: Engine) -> list[dict[str, Any]]:
    """The benchmark vocabulary with the number of results of each."""
    from sqlalchemy import func

    counts = select(Evaluation.benchmark_id, func.count().label("results")).group_by(Evaluation.benchmark_id) \
        .subquery()
    with reading(engine) as conn:
        rows = conn.execute(select(Benchmark, func.coalesce(counts.c.results, 0).label("results"))
                            .outerjoin(counts, counts.c.benchmark_id == Benchmark.id).order_by(Benchmark.id))
        out = [dict(r._mapping) for r in rows]
    for row in out:
        row["standard"] = None if row["standard_shots"] is None else setting_text(
            {"shots": row["standard_shots"], "cot": row["standard_cot"]})
        row["source"] = row.pop("source_id")
    return out


def model_evaluations(conn: Connection, model_id: str) -> list[dict[str, Any]]:
    """Every result of one model (for `llmzoo show`), by benchmark."""
    stmt = (select(*_SELECT, Benchmark.name.label("benchmark_name"))
            .join(Source, Source.id == Evaluation.source_id)
            .join(Benchmark, Benchmark.id == Evaluation.benchmark_id)
            .where(Evaluation.model_id == model_id)
            .order_by(Evaluation.benchmark_id, Evaluation.subset.asc().nulls_first(), Evaluation.id))
    rows = [dict(r._mapping) for r in conn.execute(stmt)]
    for row in rows:
        row["setting"] = setting_text(row)
    return rows


def standard_scores(engine: Engine, benchmark_ids: Sequence[str], model_ids: Sequence[str]) \
        -> dict[tuple[str, str], float]:
    """{(model, benchmark): score} by the standard-result rule of this module's docstring."""
    out: dict[tuple[str, str], float] = {}
    if not benchmark_ids or not model_ids:
        return out
    with reading(engine) as conn:
        for start in range(0, len(model_ids), 500):
            chunk = list(model_ids[start:start + 500])
            stmt = (select(Evaluation.model_id, Evaluation.benchmark_id, Evaluation.score)
                    .join(Benchmark, Benchmark.id == Evaluation.benchmark_id)
                    .join(Source, Source.id == Evaluation.source_id)
                    .where(Evaluation.model_id.in_(chunk), Evaluation.benchmark_id.in_(list(benchmark_ids)),
                           Evaluation.evaluated_by == "developer", Evaluation.subset.is_(None),
                           Evaluation.metric == Benchmark.metric, Evaluation.shots == Benchmark.standard_shots,
                           Evaluation.cot == Benchmark.standard_cot)
                    .order_by(Source.published.asc().nulls_last(), Evaluation.id))
            for model_id, bench, score in conn.execute(stmt):
                out.setdefault((model_id, bench), score)
    return out


def benchmark_columns(engine: Engine, columns: Sequence[str]) -> dict[str, str]:
    """{column: benchmark id} for the columns of `list --columns` that name a benchmark."""
    from catalog.query.models import COLUMNS, COMPUTED

    maybe = [c for c in columns if c not in COLUMNS and c not in COMPUTED]
    if not maybe:
        return {}
    with reading(engine) as conn:
        known = {bid.lower(): bid for bid in conn.execute(select(Benchmark.id)).scalars()}
    return {c: known[c.lower()] for c in maybe if c.lower() in known}


def find_models_with_scores(engine: Engine, filters: Filters | None = None, sort: str | None = None,
                            limit: int | None = None, columns: Sequence[str] = ()) -> tuple[list[dict[str, Any]],
                                                                                         dict[str, str]]:
    """`find_models`, where a benchmark id as a column gives the model's standard result on it."""
    from catalog.query.models import DEFAULT_COLUMNS, find_models

    columns = list(columns or DEFAULT_COLUMNS)
    benches = benchmark_columns(engine, columns)
    if not benches:
        return find_models(engine, filters, sort=sort, limit=limit, columns=columns), {}
    plain = [c for c in columns if c not in benches]
    rows = find_models(engine, filters, sort=sort, limit=limit, columns=list(dict.fromkeys([*plain, "id"])))
    scores = standard_scores(engine, list(benches.values()), [r["id"] for r in rows])
    out = []
    for row in rows:
        full = {**row, **{c: scores.get((row["id"], b)) for c, b in benches.items()}}
        out.append({c: full.get(c) for c in columns})
    return out, benches


# --------------------------------------------------------------------------- export and import


def write_evals(rows: list[dict[str, Any]], fmt: str, headers: bool = True) -> str:
    """Results as csv, json or jsonl with EVAL_COLUMNS: the format `evals import` reads back (tsv too,
    for other programs; `headers=False` leaves out the header row of csv and tsv)."""
    if fmt == "jsonl":
        return "\n".join(json.dumps(json_row(r), ensure_ascii=False) for r in rows)
    if fmt == "json":
        return json.dumps([json_row(r) for r in rows], indent=2, ensure_ascii=False)
    import io

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n", delimiter="\t" if fmt == "tsv" else ",")
    if headers:
        writer.writerow(EVAL_COLUMNS)
    for r in rows:
        writer.writerow(["" if r.get(c) is None else ("true" if r[c] is True else "false" if r[c] is False
                                                       else r[c]) for c in EVAL_COLUMNS])
    return buf.getvalue().rstrip("\n")


def _read_rows(path: Path, fmt: str | None) -> tuple[str, list[tuple[int, dict[str, Any]]]]:
    fmt = fmt or path.suffix.lower().lstrip(".")
    if fmt not in ("csv", "json", "jsonl"):
        raise DataError([f"{path}: cannot tell the format from the extension; use .csv, .json or .jsonl, "
                         "or --format"])
    if not path.is_file():
        raise DataError([f"{path}: no such file"])
    try:
        text = path.read_text(encoding="utf-8-sig")  # a byte-order mark (Excel's "CSV UTF-8") is skipped
        if not text.strip():
            raise DataError([f"{path}: no results read (the file is empty); expected what "
                             f"`llmzoo evals --format {fmt}` writes"])
        if fmt == "csv":
            reader = csv.DictReader(text.splitlines(), strict=True)
            problems = header_problems(list(reader.fieldnames or []), _CSV_REQUIRED, frozenset(EVAL_COLUMNS),
                                       "llmzoo evals --format csv")
            if problems:
                raise DataError([f"{path}:1: {p}" for p in problems])
            items = [(reader.line_num, {k: v for k, v in row.items() if v not in ("", None)}) for row in reader]
        elif fmt == "jsonl":
            items = [(n, json.loads(line)) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
        else:
            data = json.loads(text)
            if not isinstance(data, list):
                raise DataError([f"{path}: a JSON file of results is a list of objects"])
            items = list(enumerate(data, 1))
    except json.JSONDecodeError as exc:
        raise DataError([f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}"]) from None
    except csv.Error as exc:
        raise DataError([f"{path}: malformed CSV: {exc}"]) from None
    except UnicodeDecodeError as exc:
        raise DataError([f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})"]) from None
    bad = [n for n, item in items if not isinstance(item, dict)]
    if bad:
        raise DataError([f"{path}: record {n}: expected an object with result fields" for n in bad])
    if not items:
        what = "the header only, no result rows" if fmt == "csv" else "an empty list"
        raise DataError([f"{path}: no results read ({what})"])
    return fmt, items


_CSV_REQUIRED = ("model", "benchmark", "shots", "score", "evaluated_by", "source", "locator")
_JSON_KEYS = frozenset((*EVAL_COLUMNS, "setting"))
_SETTING_KEYS = frozenset(("shots", "cot", "prompt", "decoding"))


def _unknown_keys(row: dict[str, Any], fmt: str) -> list[str]:
    """Keys of a JSON result that `llmzoo evals` does not write (a CSV's header is checked once)."""
    if fmt == "csv":
        return []
    problems = unknown_keys(row, _JSON_KEYS, f"llmzoo evals --format {fmt}")
    if isinstance(row.get("setting"), dict):
        problems += [f"setting: {p}" for p in unknown_keys(row["setting"], _SETTING_KEYS,
                                                             f"llmzoo evals --format {fmt}")]
    return problems


def _record_input(row: dict[str, Any]) -> dict[str, Any]:
    def flag(value: Any) -> Any:
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        return value

    def number(value: Any, whole: bool = False) -> Any:
        if isinstance(value, str):
            try:
                return int(value) if whole else float(value)
            except ValueError:
                return value
        return value

    if isinstance(row.get("setting"), dict):
        row = {**row, **row["setting"]}
    setting = {k: v for k, v in (("shots", number(row.get("shots"), True)), ("cot", flag(row.get("cot"))),
                                 ("prompt", row.get("prompt")), ("decoding", row.get("decoding")))
               if v is not None}
    out = {k: row.get(k) for k in ("model", "benchmark", "subset", "metric", "evaluated_by", "evaluator",
                                  "source", "locator", "note") if row.get(k) is not None}
    if row.get("score") is not None:
        out["score"] = number(row["score"])
    return {**out, "setting": setting}


def import_evals(engine: Engine, path: Path, fmt: str | None = None, dry_run: bool = False) -> dict[str, int]:
    """Add results from a file `llmzoo evals` wrote, as user rows; all-or-nothing.

    Every row is checked first (fields, setting, score within its metric's range, known model,
    benchmark and source, duplicates); any problem ends the import with every problem listed and
    nothing written. Results already stored identically are skipped.
    """
    from pydantic import ValidationError

    from catalog.records.evalrecords import EvalRecord
    from catalog.records.loading import Bundle, format_loc

    fmt, items = _read_rows(path, fmt)
    bundle, problems = Bundle(), list[str]()
    for number, row in items:
        where = f"{path}:{number}" if path.suffix.lower() != ".json" else f"{path}: record {number}"
        if unknown := _unknown_keys(row, fmt):
            problems.extend(f"{where}: {p}" for p in unknown)
            continue
        data = _record_input(row)
        try:
            record = EvalRecord.model_validate(data)
        except ValidationError as exc:
            for error in exc.errors():
                msg = str(error["msg"]).removeprefix("Value error, ")
                if error["type"] == "missing":
                    msg = "required field is missing"
                elif error["type"] == "extra_forbidden":
                    msg = "unknown field"
                loc = format_loc(tuple(error["loc"]), data)
                problems.append(f"{where}: {loc}: {msg}" if loc else f"{where}: {msg}")
            continue
        bundle.evals.append(record)
        bundle.eval_where.append(f"{where} ({record.model}/{record.benchmark})")
    return store_results(engine, bundle, problems, str(path), dry_run)


def store_results(engine: Engine, bundle: Bundle, problems: list[str], where: str, dry_run: bool = False) \
        -> dict[str, int]:
    """Check a bundle of results (and the sources it brings) against the database and add the new ones.

    All or nothing: any problem (with those the caller found while reading) raises DataError and
    nothing is written. A result stored identically already is counted as unchanged; a source of
    the bundle already stored is reused when identical and a problem otherwise.
    """
    from catalog.rules.validation import Known, Report

    with writing(engine) as conn:
        stored_sources = {row.id: row for row in conn.execute(select(Source))}
        for source in bundle.sources.values():
            old = stored_sources.get(source.id)
            if old is not None and (old.url, old.title, old.kind) != (source.url, source.title, source.kind):
                problems.append(f"{where}: source {source.id!r} already exists with another URL or title "
                                f"({old.url}); import with the same --source-url, or remove the earlier results")
        known = Known(sources=set(stored_sources),
                      models=set(conn.execute(select(Model.id).where(
                          Model.id.in_(sorted({e.model for e in bundle.evals})))).scalars()))
        stored = {bid: (metric, chance) for bid, metric, chance in
                  conn.execute(select(Benchmark.id, Benchmark.metric, Benchmark.chance))}
        known.benchmarks = set(stored)
        report = Report()
        check_evals(bundle, known, report, stored)
        problems += report.errors
        if problems:
            raise DataError(problems, path=where)
        rows = evaluation_rows(bundle, "user", {b: m for b, (m, _) in stored.items()})
        existing = {_row_key(r) for r in conn.execute(select(*[getattr(Evaluation, c) for c in _ROW_KEY]).where(
            Evaluation.model_id.in_(sorted({r["model_id"] for r in rows})))).mappings()}
        new = [r for r in rows if _row_key(r) not in existing]
        cited = {r["source_id"] for r in new}
        new_sources = [{**s.model_dump(), "origin": "user"} for s in bundle.sources.values()
                       if s.id not in stored_sources and s.id in cited]
        if not dry_run:
            if new_sources:
                conn.execute(insert(Source), new_sources)
            if new:
                conn.execute(insert(Evaluation), new)
    return {"added": len(new), "unchanged": len(rows) - len(new)}


_ROW_KEY = ("model_id", "benchmark_id", "subset", "shots", "cot", "prompt", "decoding", "metric", "score",
            "evaluated_by", "evaluator", "source_id", "locator", "note")


def _row_key(row: Any) -> tuple[Any, ...]:
    return tuple(row[c] for c in _ROW_KEY)


def add_evaluations(engine: Engine, detail: ModelDetail) -> ModelDetail:
    """Put a model's results (and the sources they cite) into a `get_model` detail."""
    with reading(engine) as conn:
        results = model_evaluations(conn, detail["id"])
        cited = sorted({r["source"] for r in results} - set(detail["sources"]))
        for s in conn.execute(select(Source).where(Source.id.in_(cited))) if cited else []:
            detail["sources"][s.id] = {"url": s.url, "title": s.title, "kind": s.kind, "published": s.published}
    detail["evaluations"] = [json_row(r) for r in results]
    return detail


def json_row(row: dict[str, Any]) -> dict[str, Any]:
    """One result as JSON carries it: the setting as an object, the score as the source prints it."""
    return {"model": row["model"], "benchmark": row["benchmark"], "subset": row.get("subset"),
            "setting": {"shots": row["shots"], "cot": row["cot"], "prompt": row.get("prompt"),
                        "decoding": row.get("decoding")},
            "metric": row["metric"], "score": row["score"], "evaluated_by": row["evaluated_by"],
            "evaluator": row.get("evaluator"), "source": row["source"], "source_url": row.get("source_url"),
            "locator": row["locator"], "note": row.get("note"), "origin": row.get("origin")}

"""Read files in the format `llmzoo export` writes (CSV, JSON, JSONL) back into records.

Source URLs are mapped back to source ids through the catalogue and the file's own `refs`
column, so export-then-import reproduces the records with their provenance.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import json
import math
import multiprocessing
import os
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import compress
from pathlib import Path
from typing import Any, cast

from pydantic import ValidationError
from sqlalchemy import Connection, Engine, select

from catalog import rules
from catalog.errors import CatalogError, ConflictError, DataError, header_problems, shorten, unknown_keys
from catalog.records.data import (
    DATE_FACTS,
    MODEL_FACTS,
    RELATIONS,
    SLUG,
    SOURCE_KINDS,
    DatasetRecord,
    FamilyRecord,
    ModelRecord,
    OrganizationRecord,
    SourceRecord,
    check_url,
    convert_value,
    format_date,
    parse_date,
    published_date,
)
from catalog.records.loading import Bundle, format_loc
from catalog.rules.inheritance import RecentFacts, derive_rows, rederive, stored_descendants
from catalog.rules.validation import alias_key, check_bundle
from catalog.store.db import reading, writing
from catalog.store.schema import Alias, Dataset, Family, Lineage, Model, ModelDataset, ModelFact, Organization, Source
from catalog.store.userdata import (
    CONFLICT_POLICIES,
    Changes,
    known_for,
    record_from_db,
    record_history,
)
from catalog.store.userdata import delete_models as _delete_models
from catalog.store.userdata import model_origins as _origins
from catalog.store.writes import LIST_FACTS, TABLES, bundle_rows, model_rows, write_rows
from catalog.store.writes import store_value as _store_value
from catalog.vocab import COMPUTED_STATUSES, ID_MAX_LENGTH

IMPORT_FORMATS = ("csv", "json", "jsonl")
REQUIRED = ("id", "name", "org", "source")
FACT_PARTS = ("status", "source", "method", "confidence", "note")
MAX_CSV_FIELD = 10_000_000


def detect_format(path: Path, fmt: str | None) -> str:
    """The format named, or the one the extension says."""
    if fmt:
        return fmt
    suffix = path.suffix.lower().lstrip(".")
    if suffix in IMPORT_FORMATS:
        return suffix
    raise DataError([f"{path}: cannot tell the format from the extension; use .csv, .json or .jsonl, "
                     "or --format"])


def iter_rows(path: Path, fmt: str,
              progress: Callable[[int], None] | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line or record number, row) from a CSV, JSON array or JSON Lines file.

    A byte-order mark at the start (Excel's "CSV UTF-8") is skipped. A file that holds no row (empty,
    a CSV header alone, an empty JSON list) is a DataError: an import that reads nothing says so.
    `progress`, if given, is called every thousand rows with the number of bytes read so far.
    """
    if not path.is_file():
        raise DataError([f"{path}: no such file"])
    read = 0
    try:
        if fmt == "csv":
            for read, row in enumerate(_csv_rows(path, progress), 1):  # noqa: B007 (counted for the end)
                yield row
        elif fmt == "jsonl":
            with path.open(encoding="utf-8-sig") as handle:
                for number, line in enumerate(handle, 1):
                    if line.strip():
                        read += 1
                        yield number, _json_object(_loads(line, path, number), path, number)
                    if progress is not None and number % 1000 == 0:
                        progress(cast(Any, handle.buffer).tell())
        else:
            with path.open(encoding="utf-8-sig") as handle:
                text = handle.read()
            if not text.strip():
                raise DataError([f"{path}: no models read (the file is empty); a JSON export is a list of "
                                 "model objects"])
            data = _loads(text, path, None)
            if not isinstance(data, list):
                raise DataError([f"{path}: a JSON export is a list of model objects; this file holds a "
                                 f"{type(data).__name__}"])
            for read, item in enumerate(data, 1):
                yield read, _json_object(item, path, read)
    except json.JSONDecodeError as exc:
        raise DataError([f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}"]) from None
    except UnicodeDecodeError as exc:
        raise DataError([f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})"]) from None
    except OSError as exc:
        raise DataError([f"{path}: cannot read: {exc.strerror}"]) from None
    if not read:
        raise DataError([f"{path}: no models read ({_nothing_read(path, fmt)})"])


def _nothing_read(path: Path, fmt: str) -> str:
    """Why a file gave no row, for the message: what it holds, and how the file should look."""
    if fmt == "csv":
        with path.open("rb") as handle:
            handle.seek(-1, os.SEEK_END)
            ended = handle.read(1) in (b"\n", b"\r")
        return "the header only, no model rows" + ("" if ended else "; the header line has no line end: was the "
                                                   "file cut off?")
    if fmt == "jsonl":
        return "the file is empty; JSON Lines hold one model object per line"
    return "an empty list"


def _loads(text: str, path: Path, line: int | None) -> Any:
    """JSON text -> value; a value nested too deeply for the parser is a DataError, not a crash."""
    try:
        return json.loads(text)
    except RecursionError:
        where = f"{path}:{line}" if line is not None else str(path)
        raise DataError([f"{where}: values nested too deeply to read; an export record is an object of plain "
                         "values and short lists"]) from None


def _json_object(item: Any, path: Path, number: int) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise DataError([f"{path}: record {number}: expected an object with model fields"])
    return item


@functools.cache
def import_columns() -> frozenset[str]:
    """Every column (CSV) or key (JSON) of a model row `llmzoo import` reads: those `llmzoo export` writes."""
    from catalog.query.models import export_columns

    return frozenset(export_columns())


def _csv_rows(path: Path, progress: Callable[[int], None] | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    from catalog.io.export import excel_unsafe

    csv.field_size_limit(MAX_CSV_FIELD)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, strict=True)
        try:
            header = next(reader)
        except StopIteration:
            raise DataError([f"{path}: no models read (the file is empty); expected a header row as "
                             "`llmzoo export` writes"]) from None
        except csv.Error as exc:
            raise DataError([f"{path}:1: malformed CSV: {exc}"]) from None
        problems = header_problems(header, REQUIRED, import_columns(), "llmzoo export")
        if problems:
            raise DataError([f"{path}:1: {p}" for p in problems])
        rows = 0
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise DataError([f"{path}:{reader.line_num}: malformed CSV: {exc}"]) from None
            if not any(values):
                continue
            if len(values) != len(header):
                raise DataError([f"{path}:{reader.line_num}: {len(values)} fields where the header has "
                                 f"{len(header)}; check quoting"])
            row = dict(compress(zip(header, values, strict=True), values))  # empty cells left out: row.get gives None
            cells = "\x00".join(row.values())  # one C-speed test for the rare cell that starts with a quote
            if "'" in cells and (cells[0] == "'" or "\x00'" in cells):
                row = {key: excel_unsafe(value) for key, value in row.items()}  # the quote of `export --excel-safe`
            for key in ("parents", "datasets", "accept", "refs"):
                if row.get(key):
                    try:
                        row[key] = _loads(row[key], path, reader.line_num)
                    except json.JSONDecodeError as exc:
                        raise DataError([f"{path}:{reader.line_num}: column {key}: invalid JSON ({exc.msg})"]) \
                            from None
            yield reader.line_num, row
            rows += 1
            if progress is not None and rows % 1000 == 0:
                progress(cast(Any, handle.buffer).tell())


def _source_ids(engine: Engine) -> dict[str, str]:
    with reading(engine) as conn:
        return {url: sid for sid, url in conn.execute(select(Source.id, Source.url))}


def read_export(engine: Engine, path: Path, fmt: str | None = None) -> Bundle:
    """Records from an export file; every problem reported at once as file:line (id): column: what.
    The reading side of `import_export` (same checks, same messages), kept in memory, no writes."""
    fmt = detect_format(path, fmt)
    reader = _Reader(path, fmt, _source_ids(engine))
    bundle = Bundle()
    problems: list[str] = []
    for rows in _batches(iter_rows(path, fmt, reader.at), IMPORT_BATCH):
        batch = reader.batch(rows)
        problems.extend(batch.problems)
        for section, records in batch.refs.items():
            for record_id, record in records.items():
                if record_id not in getattr(bundle, section):
                    getattr(bundle, section)[record_id] = (
                        record if isinstance(record, DatasetRecord) else _REF_RECORDS[section].model_validate(record))
        for item in batch.planned:
            record = item.record or _record_from_rows(item.rows)
            if record.id in bundle.models:
                problems.append(f"{item.where}: model {record.id!r} appears twice in the file")
                continue
            bundle.models[record.id] = record
            bundle.where[("models", record.id)] = item.where
    if problems:
        raise DataError(problems)
    return bundle


def _source_of(url: Any, url_ids: dict[str, str], where: str, column: str, problems: list[str]) -> str | None:
    if url is None:
        return None
    if url in url_ids:
        return url_ids[url]
    problems.append(f"{where}: {column}: source {url!r} is not in the catalogue; add it first "
                    "(llmzoo add sources.yaml) or include it in the row's refs")
    return None


def _record_data(row: dict[str, Any], url_ids: dict[str, str], where: str,
                 problems: list[str]) -> dict[str, Any] | None:
    missing = [c for c in REQUIRED if not row.get(c)]
    if missing:
        problems.append(f"{where}: missing {', '.join(missing)}")
        return None
    default = row["source"]
    data: dict[str, Any] = {k: row.get(k) for k in ("id", "name", "family", "org", "note")}
    data["source"] = default
    aliases = row.get("aliases") or ""
    if isinstance(aliases, list) and all(isinstance(a, str) for a in aliases):
        data["aliases"] = [a for a in aliases if a]  # JSON's own form of the list
    elif isinstance(aliases, str):
        data["aliases"] = [a for a in aliases.split(";") if a]
    else:
        problems.append(f"{where}: aliases must be text ('a; b') or a list of texts, not {type(aliases).__name__}")
        return None
    if row.get("accept"):
        data["accept"] = row["accept"]
    computed = _computed_names(row)
    for name in MODEL_FACTS:
        value, status = _fact_input(name, row.get(name), row.get(f"{name}_status"), row.get(f"{name}_precision"))
        if status is None or name in computed:
            continue
        source = _source_of(row.get(f"{name}_source"), url_ids, where, f"{name}_source", problems) or default
        data[name] = {"value": value, "status": status, "source": source,
                      **{part: row.get(f"{name}_{part}") for part in ("method", "confidence", "note")}}
    data["parents"] = [{**p, "source": _source_of(p.get("source"), url_ids, where, "parents", problems)}
                       for p in (row.get("parents") or []) if isinstance(p, dict)]
    data["datasets"] = [{**d, "source": _source_of(d.get("source"), url_ids, where, "datasets", problems)}
                        for d in (row.get("datasets") or []) if isinstance(d, dict)]
    return data


def _computed_names(row: dict[str, Any]) -> set[str]:
    """The facts an export row says its catalogue computed (column `computed_facts`): never imported as stated."""
    cell = row.get("computed_facts")
    return set(cell.split(",")) if isinstance(cell, str) and cell else set()


def _fact_input(name: str, value: Any, status: Any, precision: Any) -> tuple[Any, str | None]:
    """A fact's value as the records read it (dates at their precision, true/false, lists) and its
    status (None when the row does not have the fact), from its value, status and precision cells."""
    status = status or ("reported" if value is not None else None)
    if status in COMPUTED_STATUSES:
        return None, None  # computed by the catalogue it came from; computed again here
    if status is None or value is None:
        return value, status
    if name in DATE_FACTS:
        value = _at_precision(str(value), precision)
    if name in ("moe", "open_weights") and isinstance(value, str):
        value = {"true": True, "false": False}.get(value.lower(), value)
    if name in LIST_FACTS and isinstance(value, str):
        value = value.split(",")
    return value, status


def _at_precision(value: str, precision: str | None) -> str:
    if precision == "year":
        return value[:4]
    if precision == "month":
        return value[:7]
    return value[:10]


# ---------------------------------------------------------------------------------------------
# Streamed import: what `llmzoo import` runs. One transaction; memory stays flat however long the
# file. Rows are read in batches. A row of the usual shape becomes table rows in `_plain_model`,
# which accepts only what `_record_data` + `ModelRecord` accept and builds the rows `model_rows`
# would; any other row goes through them (so their messages are the ones a user sees). Checks
# across records run against the database, which already holds the earlier batches (foreign keys
# are checked at commit). A model whose check cannot be settled on the spot (a reference to a
# later row, a name already taken, a date before its parent's, an implausible number, a cycle,
# a replaced model) waits: at the end `check_bundle` runs on the waiting models against the
# final database, so problems read exactly as when whole files were checked in memory. Each batch
# is written with its computed facts (`derive_rows`), so no pass over the catalogue follows.

IMPORT_BATCH = 2000
_REF_TABLES: dict[str, Any] = {"sources": Source, "organizations": Organization, "families": Family,
                               "datasets": Dataset}
_REF_RECORDS: dict[str, Any] = {"sources": SourceRecord, "organizations": OrganizationRecord,
                                "families": FamilyRecord, "datasets": DatasetRecord}
_SOURCE_KEYS = frozenset(("id", "url", "title", "kind", "published"))
_PARENT_KEYS = frozenset(("model", "relation", "source", "note"))
_DATA_KEYS = frozenset(("dataset", "share", "epochs", "tokens", "source", "note"))
_CACHE_LIMIT = 100_000
_CHUNK = 900  # ids per IN (...) list, under SQLite's oldest limit of 999 variables
_FACT_KEYS = tuple((name, kind, *(f"{name}_{part}" for part in (*FACT_PARTS, "precision")))
                   for name, kind in MODEL_FACTS.items())  # name, kind, then its columns by FACT_PARTS, precision
_NO_FACTS = {"accept": None, **{name: None for name in MODEL_FACTS}, **{f"{d}_precision": None for d in DATE_FACTS}}


class _NotPlain(Exception):
    """A value outside the plain shape `_plain_model` handles: the pydantic records judge it."""


def _slug(value: Any) -> str:
    if type(value) is not str or not SLUG.fullmatch(value := value.strip()) or len(value) > ID_MAX_LENGTH:
        raise _NotPlain
    return value


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if type(value) is not str:
        raise _NotPlain
    return value.strip()


def _number(value: Any) -> float | None:
    if value is None:
        return None
    if type(value) not in (int, float) or not math.isfinite(value):
        raise _NotPlain
    return float(value)


def _source_id(url: Any, url_ids: dict[str, str], default: str) -> str:
    if url is None:
        return default
    if type(url) is not str or url not in url_ids:
        raise _NotPlain
    return url_ids[url]


def _plain_fact(name: str, kind: str, cells: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """(stored value, precision, status, method, confidence, note) of one fact from its cells (value,
    status, method, confidence, note, precision); None if the row does not have it."""
    value, status = _fact_input(name, cells[0], cells[1], cells[5])
    if status is None:
        return None
    method, confidence, note = _text(cells[2]), cells[3], _text(cells[4])
    if rules.fact_problem(value, status, method, confidence):
        raise _NotPlain  # the record says what (`Fact`, the same rule)
    precision = None
    if value is None:
        pass
    elif name in DATE_FACTS:
        value, precision = parse_date(value)
    else:
        value = convert_value(kind, value)
    return _store_value(name, value), precision, status, method, confidence, note


class _FactMemo:
    """`_plain_fact` remembered per fact and cells, for files whose cells are all text (CSV): there a
    fact's conversion depends on its cells alone, and most cells recur (statuses, architectures,
    layer counts, licences, dates). Sources are looked up per row, outside the memo."""

    LIMIT = 20_000  # entries per fact; a fact with more distinct cells starts afresh

    def __init__(self) -> None:
        self.facts: dict[str, dict[tuple[Any, ...], tuple[Any, ...] | None]] = {name: {} for name in MODEL_FACTS}

    def fact(self, name: str, kind: str, cells: tuple[Any, ...]) -> tuple[Any, ...] | None:
        known = self.facts[name]
        try:
            return known[cells]
        except KeyError:
            pass
        fact = _plain_fact(name, kind, cells)  # _NotPlain and ValueError are not remembered
        if len(known) >= self.LIMIT:
            known.clear()
        known[cells] = fact
        return fact


def _plain_model(row: dict[str, Any], url_ids: dict[str, str],
                 memo: _FactMemo | None = None) -> dict[type, list[dict[str, Any]]]:
    """The rows `model_rows` gives for this export row; _NotPlain (or ValueError) if not plain.
    `memo` only for rows whose cells are all text or None."""
    if not all(row.get(c) for c in REQUIRED) or row.get("accept"):
        raise _NotPlain
    model_id, org, source = _slug(row["id"]), _slug(row["org"]), _slug(row["source"])
    family = None if row.get("family") is None else _slug(row["family"])
    name, note, aliases = _text(row["name"]), _text(row.get("note")), row.get("aliases") or ""
    if type(aliases) is not str:
        raise _NotPlain
    model = {**_NO_FACTS, "id": model_id, "name": name, "family_id": family, "org_id": org, "source_id": source,
             "note": note, "origin": "user"}
    facts = []
    get = row.get
    computed = _computed_names(row) if row.get("computed_facts") else ()
    for fact_name, kind, status_key, source_key, method_key, confidence_key, note_key, precision_key in _FACT_KEYS:
        if fact_name not in row and status_key not in row:  # the usual case, so made cheap
            continue
        if computed and fact_name in computed:
            continue
        cells = (get(fact_name), get(status_key), get(method_key), get(confidence_key), get(note_key),
                 get(precision_key))
        fact = _plain_fact(fact_name, kind, cells) if memo is None else memo.fact(fact_name, kind, cells)
        if fact is None:
            continue
        value, precision, status, method, confidence, fact_note = fact
        fact_source = _source_id(get(source_key), url_ids, source)
        if fact_source is not source and fact_source != source and not SLUG.fullmatch(fact_source):
            raise _NotPlain
        model[fact_name] = value
        if precision:
            model[f"{fact_name}_precision"] = precision
        if status != "reported" or fact_source != source or fact_note or method or confidence:
            facts.append({"model_id": model_id, "field": fact_name, "source_id": fact_source, "status": status,
                          "method": method, "confidence": confidence, "note": fact_note})
    keys: dict[str, dict[str, Any]] = {}
    for text, is_name in [(model_id, True), (name, True)] + [(a.strip(), False) for a in aliases.split(";") if a]:
        key = alias_key(text or "")
        if key and key not in keys:
            keys[key] = {"key": key, "model_id": model_id, "alias": text, "is_name": is_name}
    return {Model: [model], ModelFact: facts, Alias: list(keys.values()),
            Lineage: _plain_parents(row.get("parents"), model_id, source, url_ids),
            ModelDataset: _plain_datasets(row.get("datasets"), model_id, source, url_ids)}


def _plain_parents(parents: Any, model_id: str, source: str, url_ids: dict[str, str]) -> list[dict[str, Any]]:
    if type(parents or []) is not list:
        raise _NotPlain
    rows = []
    for link in parents or []:
        if type(link) is not dict or not link.keys() <= _PARENT_KEYS or link.get("relation") not in RELATIONS:
            raise _NotPlain
        rows.append({"child_id": model_id, "parent_id": _slug(link.get("model")), "relation": link["relation"],
                     "source_id": _source_id(link.get("source"), url_ids, source), "note": _text(link.get("note")),
                     "origin": "user"})
    return rows


def _plain_datasets(links: Any, model_id: str, source: str, url_ids: dict[str, str]) -> list[dict[str, Any]]:
    if type(links or []) is not list:
        raise _NotPlain
    rows = []
    for link in links or []:
        if type(link) is not dict or not link.keys() <= _DATA_KEYS:
            raise _NotPlain
        share, epochs = _number(link.get("share")), _number(link.get("epochs"))
        if (share is not None and not 0 <= share <= 1) or (epochs is not None and not epochs > 0):
            raise _NotPlain
        tokens = link.get("tokens")
        rows.append({"model_id": model_id, "dataset_id": _slug(link.get("dataset")), "share": share,
                     "epochs": epochs, "tokens": None if tokens is None else convert_value("count", tokens),
                     "source_id": _source_id(link.get("source"), url_ids, source), "note": _text(link.get("note")),
                     "origin": "user"})
    return rows


def _plain_source(item: Any) -> dict[str, Any] | None:
    """A `sources` entry of refs as `SourceRecord.model_dump()` gives it, or None if not plain."""
    if type(item) is not dict or not item.keys() <= _SOURCE_KEYS or item.get("kind") not in SOURCE_KINDS \
            or type(item.get("url")) is not str or type(item.get("title")) is not str:
        return None
    try:
        published = item.get("published")
        return {"id": _slug(item.get("id")), "url": check_url(item["url"].strip()),
                "title": item["title"].strip(), "kind": item["kind"],
                "published": None if published is None else published_date(published)}
    except (_NotPlain, ValueError):
        return None


def _record_from_rows(rows: dict[type, list[dict[str, Any]]]) -> ModelRecord:
    """A model's record from its table rows: `model_rows` backwards, read as `record_from_db` reads
    the stored rows, but from memory, so a parent or dataset that does not exist stays named."""
    model = rows[Model][0]
    provenance = {f["field"]: f for f in rows[ModelFact]}
    data: dict[str, Any] = {"id": model["id"], "name": model["name"], "family": model["family_id"],
                            "org": model["org_id"], "source": model["source_id"], "note": model["note"],
                            "accept": model["accept"] or {},
                            "aliases": [a["alias"] for a in rows[Alias] if not a["is_name"]]}
    for name in MODEL_FACTS:
        value, prov = model[name], provenance.get(name)
        if value is None and prov is None:
            continue
        if name in LIST_FACTS and value:
            value = value.split(",")
        elif name in DATE_FACTS and value is not None:
            value = format_date(value, model[f"{name}_precision"])
        prov = prov or {"source_id": model["source_id"], "status": "reported", "method": None, "confidence": None,
                        "note": None}
        data[name] = {"value": value, "source": prov["source_id"],
                      **{k: prov[k] for k in ("status", "method", "confidence", "note")}}
    data["parents"] = [{"model": p["parent_id"], "relation": p["relation"], "source": p["source_id"],
                        "note": p["note"]} for p in rows[Lineage]]
    data["datasets"] = [{"dataset": d["dataset_id"], **{k: d[k] for k in ("share", "epochs", "tokens")},
                         "source": d["source_id"], "note": d["note"]} for d in rows[ModelDataset]]
    return ModelRecord.model_validate(data)


def _suspect(model: dict[str, Any], lineage: list[dict[str, Any]], data: list[dict[str, Any]],
             today: dt.date) -> bool:
    """True if the rules of one model (its numbers, dates, shares) find a problem: then it waits for
    `check_bundle`, which words it."""
    return bool(rules.model_problems(model, [p["relation"] for p in lineage], model["accept"] or (), today)
                or rules.shares_problem(sum(d["share"] or 0.0 for d in data)))


@dataclass
class _Planned:
    """One model of a batch: where it came from, its rows, its record if it has one, and whether it waits."""

    where: str
    rows: dict[type, list[dict[str, Any]]]
    record: ModelRecord | None = None
    waits: bool = False
    held: list[dict[str, Any]] = field(default_factory=list)
    suspect: bool = False  # a rule of the model alone finds a problem (`_suspect`, worked out by the reader)


@dataclass
class _Batch:
    """What the reader makes of a batch of rows: the supporting records they define, the models, the
    problems, and how many bytes of the file have been read."""

    refs: dict[str, dict[str, Any]]
    planned: list[_Planned]
    problems: list[str]
    read: int
    rows: int

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (from the reading process to the writing one) as columns: each table's rows in one
        list, the model rows without their empty facts (a hundred keys a model, mostly None); the
        models rebuilt on arrival. Unpickling had become a sixth of the writing process's time."""
        tables: dict[type, list[dict[str, Any]]] = {table: [] for table in (Model, ModelFact, Alias, Lineage,
                                                                             ModelDataset)}
        counts = []
        for item in self.planned:
            counts.append(tuple(len(item.rows[table]) for table in tables))
            for table, rows in tables.items():
                rows.extend(item.rows[table])
        tables[Model] = [{k: v for k, v in model.items() if v is not None or k not in _NO_FACTS}
                         for model in tables[Model]]
        items = [(item.where, item.record, item.waits, item.held, item.suspect) for item in self.planned]
        return {**self.__dict__, "planned": (list(tables), list(tables.values()), counts, items)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        tables, columns, counts, items = state["planned"]
        columns[0] = [{**_NO_FACTS, **model} for model in columns[0]]
        starts = [0] * len(tables)
        planned = []
        for (where, record, waits, held, suspect), count in zip(items, counts, strict=True):
            rows = {}
            for index, table in enumerate(tables):
                rows[table] = columns[index][starts[index]:starts[index] + count[index]]
                starts[index] += count[index]
            planned.append(_Planned(where, rows, record, waits, held, suspect))
        self.__dict__.update({**state, "planned": planned})


class _Reader:
    """Rows to planned models and supporting records: parsing, per-record validation and source URL
    mapping, in file order (a row sees the sources defined by the rows before it). No database."""

    def __init__(self, path: Path, fmt: str, url_ids: dict[str, str], today: dt.date | None = None) -> None:
        self.path, self.url_ids, self.today = path, url_ids, today or dt.date.today()
        self.memo = _FactMemo() if fmt == "csv" else None  # CSV cells are text: conversions can be reused
        self.known = None if fmt == "csv" else import_columns()  # CSV columns are checked once, in the header
        self.valid: dict[tuple[Any, ...], dict[str, Any] | DatasetRecord] = {}
        self.read = 0

    def at(self, read: int) -> None:
        """Progress callback of `iter_rows`."""
        self.read = read

    def batch(self, rows: list[tuple[int, dict[str, Any]]]) -> _Batch:
        """Read one batch of rows."""
        refs: dict[str, dict[str, Any]] = {section: {} for section in _REF_TABLES}
        planned: list[_Planned] = []
        problems: list[str] = []
        for number, row in rows:
            where = f"{self.path}:{number}" + (f" ({shorten(row.get('id'))})" if row.get("id") else "")
            if self.known is not None and (unknown := unknown_keys(row, self.known, "llmzoo export")):
                problems.extend(f"{where}: {p}" for p in unknown)
                continue
            self._refs(row.get("refs"), where, refs, problems)
            item = self._plan(row, where, problems)
            if item is not None:
                planned.append(item)
        return _Batch(refs, planned, problems, self.read, len(rows))

    def _plan(self, row: dict[str, Any], where: str, problems: list[str]) -> _Planned | None:
        try:
            rows = _plain_model(row, self.url_ids, self.memo)
        except (_NotPlain, ValueError):
            pass
        else:  # the per-model rules run here, in the reading process, rather than in the writing one
            suspect = _suspect(rows[Model][0], rows[Lineage], rows[ModelDataset], self.today)
            return _Planned(where, rows, suspect=suspect)
        data = _record_data(row, self.url_ids, where, problems)
        if data is None:
            return None
        try:
            record = ModelRecord.model_validate(data)
        except ValidationError as exc:
            problems.extend(f"{where}: {format_loc(tuple(e['loc']), data)}: "
                            f"{e['msg'].removeprefix('Value error, ')}" for e in exc.errors())
            return None
        return _Planned(where, model_rows(record, "user"), record, waits=True)

    def _refs(self, refs: Any, where: str, batch: dict[str, dict[str, Any]], problems: list[str]) -> None:
        """`_add_refs` for one row: validate the records it defines; the first definition wins."""
        if not refs:
            return
        if isinstance(refs, str):
            try:
                refs = json.loads(refs)
            except json.JSONDecodeError as exc:
                problems.append(f"{where}: refs: invalid JSON ({exc.msg})")
                return
        for section, items in (refs or {}).items():
            if section not in _REF_RECORDS or not isinstance(items, list):
                problems.append(f"{where}: refs: unknown section {section!r}")
                continue
            for item in items:
                record = self._ref_record(section, item, where, problems)
                if record is None:
                    continue
                record_id = record.id if isinstance(record, DatasetRecord) else record["id"]
                batch[section].setdefault(record_id, record)
                if section == "sources":
                    self.url_ids.setdefault(cast(dict, record)["url"], record_id)

    def _ref_record(self, section: str, item: Any, where: str,
                    problems: list[str]) -> dict[str, Any] | DatasetRecord | None:
        if section == "sources" and (plain := _plain_source(item)) is not None:
            return plain
        try:
            key: tuple[Any, ...] | None = (section, *sorted(item.items()))
            hash(key)
        except (AttributeError, TypeError):
            key = None
        if key is not None and key in self.valid:
            return self.valid[key]
        try:
            record = _REF_RECORDS[section].model_validate(item)
        except ValidationError as exc:
            problems.extend(f"{where}: refs.{section}: {e['msg']}" for e in exc.errors())
            return None
        value = record if section == "datasets" else record.model_dump()
        if key is not None:
            if len(self.valid) > _CACHE_LIMIT:
                self.valid.clear()
            self.valid[key] = value
        return value


class _Writer:
    """Checks batches against the database (which holds the earlier ones) and writes them; keeps
    the problems, the counts and the models that wait for the final check."""

    def __init__(self, conn: Connection, before: _Before, on_conflict: str, changes: Changes) -> None:
        self.conn, self.before, self.on_conflict, self.changes = conn, before, on_conflict, changes
        self.problems: list[str] = []
        self.conflicts: list[str] = []
        self.ref_conflicts: list[str] = []
        self.waiting: list[tuple[str, ModelRecord]] = []
        self.held: list[dict[str, Any]] = []
        self.siblings: dict[str, list[rules.Sibling]] = {}
        self.where: dict[str, str] = {}  # where the models of `siblings` come from
        self.stored: set[tuple[str, str]] = set()  # supporting records known to be in the database
        self.compared: set[tuple[str, str]] = set()  # records stored before the import, compared once
        self.met: set[str] = set()  # models stored before the import that the file names
        self.today = dt.date.today()
        self.rows = 0  # rows of the file handled so far
        self.recent = RecentFacts()  # effective facts of the last models written, for `derive_rows`
        self.unmet: set[str] = set()  # models named as parents before they were stored
        changes.other.update({section: 0 for section in _REF_TABLES})

    def add(self, batch: _Batch) -> None:
        """Check and write one batch."""
        self.rows += batch.rows
        self.problems.extend(batch.problems)
        planned: dict[str, _Planned] = {}
        for item in batch.planned:
            model_id = item.rows[Model][0]["id"]
            if model_id in planned:
                self.problems.append(f"{item.where}: model {model_id!r} appears twice in the file")
            else:
                planned[model_id] = item
        defined = {section: set(records) for section, records in batch.refs.items()}
        self._store_refs(batch.refs)
        replaced = self._existing(planned)
        defined["models"] = set(planned)
        self._references(planned, defined)
        self._aliases(planned)
        self._cycles(planned)
        rows: dict[type, list[dict[str, Any]]] = {table: [] for table in TABLES}
        for item in planned.values():
            if item.waits or item.suspect:
                self.waiting.append((item.where, item.record or _record_from_rows(item.rows)))
            self.held.extend(item.held)
            self._sibling(item)
            for table, more in item.rows.items():
                rows[table].extend(more if table is not Alias else [a for a in more if a not in item.held])
        if rows[Model]:
            derive_rows(self.conn, rows, self.recent)  # computed columns go in with the rows (records taken above)
        write_rows(self.conn, rows)
        for model_id, old in replaced.items():
            new = record_from_db(self.conn, model_id)
            if new == old:  # a no-op update
                self.changes.updated.remove(model_id)
                self.changes.unchanged.append(model_id)
            else:
                record_history(self.conn, model_id, old, new, "import")
        # a stored model below one of this batch (written before its parent, or a child of a replaced
        # model) is computed again now; only a model named as a parent before it was stored can have one
        below = stored_descendants(self.conn, [m for m in planned if m in self.unmet or m in replaced])
        if below:
            self.recent.forget()
            rederive(self.conn, below)

    def _store_refs(self, refs: dict[str, dict[str, Any]]) -> None:
        """Insert the new supporting records; one stored before the import is reused if identical."""
        datasets = Bundle()
        for section, table in _REF_TABLES.items():
            records = refs[section] = {i: r for i, r in refs[section].items() if (section, i) not in self.stored}
            found = _present(self.conn, table.id, list(records))
            before = self.before.present(table, sorted(found)) if found else set()
            for record_id in found:
                record = records.pop(record_id)
                if record_id in before and (section, record_id) not in self.compared:
                    self.compared.add((section, record_id))
                    if section in ("sources", "organizations") and not _same_values(self.conn, table, record):
                        self.ref_conflicts.append(f"{section}[{record_id}]: {section[:-1]} {record_id!r} already "
                                                  "exists with other values; use its id without redefining it, or "
                                                  "another id")
            self._remember(section, [*found, *records])
            self.changes.other[section] += len(records)
        datasets.datasets = refs["datasets"]
        rows = bundle_rows(datasets, "user")
        rows[Source] = [{**r, "origin": "user"} for r in refs["sources"].values()]
        rows[Organization] = [{**r, "origin": "user"} for r in refs["organizations"].values()]
        rows[Family] = [{"id": r["id"], "name": r["name"], "org_id": r["org"], "note": r["note"], "origin": "user"}
                        for r in refs["families"].values()]
        write_rows(self.conn, rows)

    def _remember(self, section: str, ids: list[str]) -> None:
        """Note ids known to be stored (a bounded cache that saves lookups of often-cited records)."""
        if len(self.stored) > _CACHE_LIMIT:
            self.stored.clear()
        self.stored.update((section, i) for i in ids)

    def _existing(self, planned: dict[str, _Planned]) -> dict[str, ModelRecord]:
        """Models stored before the import follow --on-conflict; a second row of one id is a problem.
        Returns the replaced models' previous records, to tell no-op updates apart."""
        found = _present(self.conn, Model.id, list(planned))
        origins = self.before.origins(sorted(found)) if found else {}
        replaced: dict[str, ModelRecord] = {}
        for model_id in [m for m in planned if m in found]:
            item = planned.pop(model_id)
            origin = origins.get(model_id)
            if origin is None or model_id in self.met:
                self.problems.append(f"{item.where}: model {model_id!r} appears twice in the file")
                continue
            self.met.add(model_id)
            if origin == "curated":  # a user copy of a curated model: it becomes the same user override here
                replaced[model_id] = record_from_db(self.conn, model_id)
                self.changes.updated.append(model_id)
                item.waits = True
                planned[model_id] = item
            elif self.on_conflict == "fail":
                self.conflicts.append(f"{item.where}: a model {model_id!r} already exists; use --on-conflict "
                                      "update to replace it or skip to keep it")
            elif self.on_conflict == "skip":
                self.changes.skipped.append(model_id)
            else:
                replaced[model_id] = record_from_db(self.conn, model_id)
                self.changes.updated.append(model_id)
                item.waits = True
                planned[model_id] = item
        _delete_models(self.conn, sorted(replaced), keep_children=True)  # after reading them all: a
        self.changes.added.extend(m for m in planned if m not in found)  # record names its parents
        return replaced

    def _references(self, planned: dict[str, _Planned], defined: dict[str, set[str]]) -> None:
        """A model citing what is not (yet) stored waits; one released before its parent waits."""
        wanted: dict[str, dict[str, list[_Planned]]] = {section: {} for section in (*_REF_TABLES, "models")}
        for item in planned.values():
            model = item.rows[Model][0]
            cited = [("organizations", model["org_id"]), ("families", model["family_id"]),
                     ("sources", model["source_id"])]
            cited += [("sources", f["source_id"]) for f in item.rows[ModelFact]]
            cited += [pair for link in item.rows[Lineage]
                      for pair in (("models", link["parent_id"]), ("sources", link["source_id"]))]
            cited += [pair for link in item.rows[ModelDataset]
                      for pair in (("datasets", link["dataset_id"]), ("sources", link["source_id"]))]
            for section, ref in cited:
                if ref is not None and ref not in defined[section] and (section, ref) not in self.stored:
                    wanted[section].setdefault(ref, []).append(item)
        for section, refs in wanted.items():
            table = Model if section == "models" else _REF_TABLES[section]
            found = _present(self.conn, table.id, list(refs))
            if section != "models":
                self._remember(section, list(found))
            for ref in set(refs) - found:
                for item in refs[ref]:
                    item.waits = True
                if section == "models":
                    self.unmet.add(ref)
        self._parent_dates(planned, list(wanted["models"]))

    def _parent_dates(self, planned: dict[str, _Planned], stored: list[str]) -> None:
        dates = {m: (item.rows[Model][0]["released"], item.rows[Model][0]["released_precision"])
                 for m, item in planned.items()}
        for among in _among(self.conn, Model.id, stored):
            dates.update((m, (d, p)) for m, d, p in self.conn.execute(
                select(Model.id, Model.released, Model.released_precision).where(among)))
        for item in planned.values():
            model = item.rows[Model][0]
            if model["released"] is None:
                continue
            for link in item.rows[Lineage]:
                parent, precision = dates.get(link["parent_id"], (None, None))
                if parent is not None and rules.released_before(model["released"], model["released_precision"],
                                                                parent, precision):
                    item.waits = True

    def _aliases(self, planned: dict[str, _Planned]) -> None:
        """A name or alias taken by another model waits (and is not written until the end)."""
        owner: dict[str, str] = {}
        for model_id, item in planned.items():
            for alias in item.rows[Alias]:
                if owner.setdefault(alias["key"], model_id) != model_id:
                    item.waits = True
                    item.held.append(alias)
        keys = list(owner)
        for key, _owner in _text_among(self.conn, Alias.key, keys, Alias.model_id):
            item = planned[owner[key]]
            item.waits = True
            item.held.extend(a for a in item.rows[Alias] if a["key"] == key)

    def _cycles(self, planned: dict[str, _Planned]) -> None:
        """Models on a lineage cycle within the batch wait (cycles through earlier rows involve a
        model that waits already: the one that named a parent not yet stored)."""
        graph = {m: [p["parent_id"] for p in item.rows[Lineage] if p["parent_id"] in planned]
                 for m, item in planned.items()}
        for cycle in rules.lineage_cycles(graph):
            for member in cycle:
                planned[member].waits = True

    def _sibling(self, item: _Planned) -> None:
        model = item.rows[Model][0]
        if model["family_id"] and not item.rows[Lineage] and model["params"] is not None \
                and model["train_compute"] is not None:
            self.siblings.setdefault(model["family_id"], []).append(
                (model["id"], model["params"], model["train_compute"], "sibling_compute" in (model["accept"] or ())))
            self.where[model["id"]] = item.where

    def finish(self) -> None:
        """Raise every problem found, in the order the unstreamed import did; else write what waited."""
        if self.problems:
            raise DataError(self.problems)
        for found in (self.conflicts, self.ref_conflicts):
            if found:
                raise ConflictError("\n  ".join([f"{len(found)} conflict{'s' if len(found) > 1 else ''}:", *found]))
        errors = self._check_waiting() + self._check_siblings()
        if errors:
            raise DataError(list(dict.fromkeys(errors)))
        write_rows(self.conn, {Alias: self.held})

    def _check_waiting(self) -> list[str]:
        """`check_bundle` on the models that waited, against the database that now holds the file."""
        if not self.waiting:
            return []
        bundle = Bundle(models={r.id: r for _, r in self.waiting},
                        where={("models", r.id): where for where, r in self.waiting})
        return check_bundle(bundle, known_for(self.conn, bundle), self.today).errors

    def _check_siblings(self) -> list[str]:
        return [f"{self.where[model_id]}: {problem}" for members in self.siblings.values()
                if len(members) > 1 and rules.any_sibling_problem(members)
                for model_id, problem in rules.sibling_problems(members)]


class _Before:
    """The catalogue as it was before the import: the ids each table held, the models' origins.
    Read from the snapshot of a second connection; for a bulk import into PostgreSQL, which locks
    the tables whose indexes and foreign keys it drops until the commit, loaded once at the start
    (the catalogue is then smaller than the file)."""

    def __init__(self, snapshot: Connection, loaded_from: Connection | None = None) -> None:
        self.snapshot = snapshot
        self.loaded: dict[str, dict[str, str]] | None = None
        if loaded_from is not None:
            self.loaded = {table.__tablename__: {i: o for i, o in loaded_from.execute(select(table.id, table.origin))}
                           for table in (*_REF_TABLES.values(), Model)}

    def present(self, table: Any, ids: list[str]) -> set[str]:
        """The ids among `ids` that `table` held."""
        if self.loaded is None:
            return _present(self.snapshot, table.id, ids)
        held = self.loaded[table.__tablename__]
        return {i for i in ids if i in held}

    def origins(self, ids: list[str]) -> dict[str, str]:
        """The origins of the models among `ids` that were stored."""
        if self.loaded is None:
            return _origins(self.snapshot, Model, ids)
        held = self.loaded["models"]
        return {i: held[i] for i in ids if i in held}


class _DryRun(Exception):
    """Raised inside the transaction of a dry run so that it rolls back."""


def _present(conn: Connection, column: Any, ids: list[str]) -> set[str]:
    """The ids among `ids` that `column` (a text column) holds."""
    return {row[0] for row in _text_among(conn, column, ids)}


def _text_among(conn: Connection, column: Any, ids: list[str], *more: Any) -> Iterator[Any]:
    """(column, *more) of the rows whose text `column` is among `ids`. On SQLite a plain statement of
    _CHUNK placeholders that the driver prepares once (SQLAlchemy renders an expanding IN list
    anew each time); `more` must then be text columns too, which the driver returns as they are."""
    if conn.dialect.name != "sqlite":
        for among in _among(conn, column, ids):
            yield from conn.execute(select(column, *more).where(among))
        return
    quote = conn.dialect.identifier_preparer.quote
    names = ", ".join(quote(c.name) for c in (column, *more))
    table = quote(column.table.name)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        yield from conn.exec_driver_sql(
            f"SELECT {names} FROM {table} WHERE {quote(column.name)} IN ({', '.join('?' * len(chunk))})", tuple(chunk))


def _among(conn: Connection, column: Any, ids: list[str]) -> Iterator[Any]:
    """Conditions that together select the rows whose `column` is among `ids`: on PostgreSQL one
    `= ANY(array)` with a single bound value (an IN list of 900 placeholders is a new statement
    that psycopg converts each time), elsewhere IN lists of at most _CHUNK ids."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy import any_, bindparam
        from sqlalchemy.dialects.postgresql import ARRAY

        if ids:
            yield column == any_(bindparam(None, list(ids), type_=ARRAY(column.type)))
        return
    for start in range(0, len(ids), _CHUNK):
        yield column.in_(ids[start:start + _CHUNK])


def _same_values(conn: Connection, table: Any, values: dict[str, Any]) -> bool:
    row = conn.execute(select(table).where(table.id == values["id"])).mappings().one()
    return all(row.get(k) == v for k, v in values.items())


def _batches(rows: Iterator[tuple[int, dict[str, Any]]], size: int) -> Iterator[list[tuple[int, dict[str, Any]]]]:
    batch: list[tuple[int, dict[str, Any]]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def import_export(engine: Engine, path: Path, fmt: str | None = None, on_conflict: str = "fail",
                  dry_run: bool = False, progress: Callable[[int, int], None] | None = None) -> Changes:
    """Import an export file (CSV, JSON or JSON Lines) as user models, in one transaction.

    The rows are read, checked and written in batches, so memory stays flat however long the
    file; the checks and messages are those of `read_export` followed by `add_bundle`, and so is
    the outcome: every row is written, or on any problem (or a dry run, or an interruption, even
    SIGKILL) nothing is. `progress`, if given, is called after each batch with the bytes of the
    file read so far and the number of rows written so far.
    """
    if on_conflict not in CONFLICT_POLICIES:
        raise CatalogError(f"--on-conflict must be one of {', '.join(CONFLICT_POLICIES)}")
    fmt = detect_format(path, fmt)
    changes = Changes(dry_run=dry_run)
    try:
        with writing(engine) as conn, reading(engine) as snapshot, _big_cache(conn):
            url_ids = {url: sid for sid, url in conn.execute(select(Source.id, Source.url))}
            bulk = _grows(conn, path)
            before = _Before(snapshot, conn if bulk and conn.dialect.name == "postgresql" else None)
            writer = _Writer(conn, before, on_conflict, changes)
            with _bulk_indexes(conn, bulk):
                for batch in _read(path, fmt, url_ids, writer.today):
                    writer.add(batch)
                    if progress is not None:
                        progress(batch.read, writer.rows)
                writer.finish()  # each batch was written with its computed facts (`derive_rows`)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return changes


@contextmanager
def _big_cache(conn: Connection) -> Iterator[None]:
    """A 256 MB page cache while importing into SQLite (2 MB by default): inserting into the indexes
    of a big catalogue then reads pages from memory, not from the file."""
    if conn.dialect.name != "sqlite":
        yield
        return
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    conn.exec_driver_sql("PRAGMA cache_size = -262144")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size = {int(before if before is not None else -2000)}")


# Indexes that the import itself needs (to delete a replaced model, to find a model's children).
_IMPORT_INDEXES = ("ix_aliases_model_id", "ix_lineage_parent_id")
_BULK_TABLES = ("models", "model_facts", "model_datasets", "lineage")
_PG_BULK_TABLES = ("models", "aliases", "model_facts", "model_datasets", "lineage", "computed_facts")
_BYTES_PER_MODEL = 1000  # about what a model takes in an export file


def _grows(conn: Connection, path: Path) -> bool:
    """True when the file would grow the catalogue more than twofold (the bulk route)."""
    if conn.dialect.name not in ("sqlite", "postgresql") or not path.is_file():
        return False
    sqlite = conn.dialect.name == "sqlite"
    stored = conn.exec_driver_sql("SELECT max(rowid) FROM models" if sqlite else "SELECT count(*) FROM models").scalar()
    return path.stat().st_size / _BYTES_PER_MODEL >= (stored or 0)


@contextmanager
def _bulk_indexes(conn: Connection, bulk: bool) -> Iterator[None]:
    """For the bulk route, drop the secondary indexes the import does not use and build them again
    at the end: sorting once beats updating a dozen B-trees (and on PostgreSQL the trigram GIN
    indexes) per row. On PostgreSQL the foreign keys of the tables written are dropped too and
    added again at the end, each checked by one join instead of a queued check per row. Within the
    transaction, so an interrupted import leaves them as they were. (Dropping them locks those
    tables and the ones they refer to until the commit: the import's view of the catalogue as it
    was is then loaded beforehand, see `_Before`.)"""
    if not bulk:
        yield
        return
    sqlite = conn.dialect.name == "sqlite"
    quote = conn.dialect.identifier_preparer.quote
    if sqlite:
        found = conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN "
            f"({', '.join('?' * len(_BULK_TABLES))})", _BULK_TABLES).all()
        keys: Sequence[Any] = ()
    else:
        found = conn.exec_driver_sql(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = ANY(%(t)s) "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint) ORDER BY indexname",
            {"t": list(_PG_BULK_TABLES)}).all()
        keys = conn.exec_driver_sql(
            "SELECT c.relname, k.conname, pg_get_constraintdef(k.oid) FROM pg_constraint k "
            "JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE k.contype = 'f' AND n.nspname = current_schema() AND c.relname = ANY(%(t)s) "
            "ORDER BY c.relname, k.conname", {"t": list(_PG_BULK_TABLES)}).all()
    indexes = [(name, sql) for name, sql in found if name not in _IMPORT_INDEXES]
    for table, name, _definition in keys:
        conn.exec_driver_sql(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
    for name, _sql in indexes:
        conn.exec_driver_sql(f"DROP INDEX {quote(name)}")
    from catalog.query.search import bulk_search_index

    with bulk_search_index(conn):  # the substring index too: rebuilt once at the end
        yield
    if not sqlite:  # PostgreSQL alters no table with foreign-key checks pending:
        conn.exec_driver_sql("SET CONSTRAINTS ALL IMMEDIATE")  # they run now rather than at commit
    for _name, sql in indexes:
        conn.exec_driver_sql(sql)
    for table, name, definition in keys:
        conn.exec_driver_sql(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}")
    if not sqlite:
        conn.exec_driver_sql("SET CONSTRAINTS ALL DEFERRED")


_PARALLEL_BYTES = 16 * 2**20  # from this size on, a second process reads while this one writes


def _read(path: Path, fmt: str, url_ids: dict[str, str], today: dt.date) -> Iterator[_Batch]:
    """The file's batches, read here, or for a big file on Linux with two cores or more by a forked
    second process (parsing and validating take about as long as writing, so the two overlap)."""
    if sys.platform == "linux" and (os.cpu_count() or 1) > 1 and path.is_file() \
            and path.stat().st_size >= _PARALLEL_BYTES:
        yield from _read_in_child(path, fmt, url_ids, today)
        return
    reader = _Reader(path, fmt, url_ids, today)
    for rows in _batches(iter_rows(path, fmt, reader.at), IMPORT_BATCH):
        yield reader.batch(rows)


def _read_in_child(path: Path, fmt: str, url_ids: dict[str, str], today: dt.date) -> Iterator[_Batch]:
    # fork, not spawn: a spawned child re-runs the caller's main module, which a script calling the
    # library without `if __name__ == "__main__"` does not survive. The child never touches the
    # database connections it inherits, and leaves with os._exit, which closes none of them.
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_reading_process, args=(path, fmt, url_ids, today, send, receive), daemon=True)
    child.start()
    send.close()  # so that the child's writes fail (and it ends) if this process dies
    try:
        while True:
            try:
                message = receive.recv()
            except EOFError:
                raise CatalogError(f"reading {path} stopped unexpectedly (the reading process ended); "
                                   "nothing was changed") from None
            if message is None:
                return
            if isinstance(message, _Batch):
                yield message
            elif message[0] == "problems":
                raise DataError(message[1])
            else:
                raise RuntimeError(message[1])
    finally:
        receive.close()
        child.join(timeout=10)
        if child.is_alive():
            child.terminate()


def _reading_process(path: Path, fmt: str, url_ids: dict[str, str], today: dt.date, send: Any,
                     receive: Any) -> None:
    """The second process: send each batch, then None, or what went wrong."""
    receive.close()  # only the importing process reads: if it dies, sending fails and this process ends
    reader = _Reader(path, fmt, url_ids, today)
    try:
        for rows in _batches(iter_rows(path, fmt, reader.at), IMPORT_BATCH):
            send.send(reader.batch(rows))
        send.send(None)
    except (BrokenPipeError, KeyboardInterrupt):
        return  # the importing process has gone; so does this one
    except DataError as exc:
        send.send(("problems", exc.problems))
    except Exception:  # a bug: its traceback goes to the importing process
        send.send(("bug", traceback.format_exc()))

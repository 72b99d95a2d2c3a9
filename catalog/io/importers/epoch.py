"""Epoch AI's AI-models CSV -> third-party user records, after comparing with the catalogue.

Epoch AI publishes its database of AI models (https://epoch.ai/data/ai-models) as a CSV file. This
importer reads the language models in it (rows whose `Domain` includes `Language`):

- A row whose name (or its name without a parenthesis: "GPT-3 175B (davinci)" -> "GPT-3 175B")
  is the name or alias of a catalogued model is *matched*: its figures are compared with the
  catalogue's (params, train_compute: within 10%; train_tokens: see below; released: same month)
  and reported as agreeing or conflicting. Matched models are never written.
- Every other language model is added as a user model with the id `epoch-<slug of its name>`.
  Its params, train_compute and released are facts with status `estimated`, method
  `third-party: Epoch AI` and Epoch's `Confidence` (Confident/Likely/Speculative; a missing or
  other value becomes `speculative`, said in the model's note: we do not claim more than Epoch).
  They cite a `third-party` source per distinct `Link` (Epoch's database page when the row has no
  http(s) link).
- Training data: Epoch's dataset size counts "datapoints", which are words for language models
  (Epoch converts at 0.75 words per token) and a dataset size rather than tokens seen. It is never
  stored as train_tokens: the figure goes into the model's note. Only the comparison with a
  catalogued train_tokens converts it (words / 0.75), and the report prints that conversion.
- Organizations match existing ones by name or id (case and punctuation ignored). Others are
  created with the id `epoch-<slug>` and the kind from `Organization categorization` (Industry,
  Academia, Government, Research collective -> collaboration, Non-profit -> nonprofit), taken from
  rows where that category is unambiguous; failing that, a name with "University" or "College" is
  academia; failing that, the organization is created with the kind `unknown` (it is still an
  organization; Epoch's exports do not always carry the categorization column).
- `Base model`, when it names a catalogued or imported model, becomes a `fine-tune` parent link.
- Rows left out are counted by reason: not a language model, no name, no organization, a repeat
  of an earlier row (files that join several of Epoch's exports repeat models), organization kind
  unknown, or failing llmzoo's checks (e.g. released before its base model). One bad row never
  blocks the others; a malformed cell (a number or date that cannot be read) stops the whole
  import, listing every such cell, and nothing is written. A number that reads but is not a
  plausible figure (`0.0`, a negative size) is left unknown, with a warning line naming the cell.
- Models are written through `add_bundle`: a generated id that a user model already has follows
  --on-conflict; --dry-run writes nothing. Repeating an import matches what it added before.

Epoch's column names change between releases: the first column was `System` in 2024 and `Model`
from 2025; the dataset size is `Training dataset size (datapoints)`, then `(total)` from 2026.
"""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Engine, select

from catalog.errors import DataError, UnitError, shorten
from catalog.records.data import (
    ModelRecord,
    OrganizationRecord,
    ParentLink,
    SourceRecord,
    format_date,
    parse_date,
)
from catalog.records.loading import Bundle, format_loc
from catalog.rules.validation import alias_key, check_bundle
from catalog.store.db import reading
from catalog.store.schema import Alias, Family, Model, Organization, Source
from catalog.store.userdata import Changes, add_bundle, known_from_db
from catalog.units import format_count, format_flop, parse_count

EPOCH_PAGE = "https://epoch.ai/data/ai-models"
EPOCH_SOURCE_ID = "epoch-ai-models"
METHOD = "third-party: Epoch AI"
CONFIDENCES = {"confident": "confident", "likely": "likely", "speculative": "speculative"}
NAME_COLUMNS = ("Model", "System")  # `System` until 2024
SIZE_COLUMNS = ("Training dataset size (total)", "Training dataset size (datapoints)")  # `(total)` from 2026
REQUIRED_COLUMNS = ("Domain", "Organization", "Publication date", "Parameters", "Training compute (FLOP)")
ORG_KINDS = {"industry": "industry", "academia": "academia", "government": "government",
             "research collective": "collaboration", "non-profit": "nonprofit", "nonprofit": "nonprofit"}
WORDS_PER_TOKEN = 0.75  # Epoch's own conversion for language datasets
TOLERANCE = 0.10
MAX_CSV_FIELD = 10_000_000

# Reasons a row is not imported, in the order the report lists them.
NOT_LANGUAGE = "not a language model"
NO_NAME = "no model name"
NO_ORG = "no organization"
DUPLICATE = "duplicate row"
ORG_KIND = "organization kind unknown"  # no longer a reason to skip: kept so scripts importing it still work
FAILS_CHECKS = "fails llmzoo's checks"
SKIP_REASONS = (NOT_LANGUAGE, NO_NAME, NO_ORG, DUPLICATE, FAILS_CHECKS)

_SPLIT = re.compile(r",(?! )")  # Epoch joins multiple values with "," (a name may hold ", ")


@dataclass
class EpochRow:
    """One language-model row of Epoch's CSV, with numbers and dates read."""

    line: int
    name: str
    orgs: list[str]
    categories: list[str]
    released: str | None
    params: float | None
    train_compute: float | None
    dataset_size: float | None
    confidence: str | None
    link: str | None
    reference: str | None
    accessibility: str | None
    base_model: str | None
    notes: dict[str, str]

    @property
    def label(self) -> str:
        return f"line {self.line} ({self.name})"


@dataclass
class Skip:
    """A row left out, and why."""

    line: int
    name: str
    detail: str = ""


@dataclass
class FieldDiff:
    """One figure on which Epoch and the catalogue disagree."""

    field: str
    ours: str
    theirs: str


@dataclass
class Match:
    """A row that is already a catalogued model: compared, not written."""

    line: int
    name: str
    model_id: str
    agreeing: list[str] = field(default_factory=list)
    conflicts: list[FieldDiff] = field(default_factory=list)


@dataclass
class EpochImport:
    """What an Epoch import read, matched, skipped and added (or, for a dry run, would add)."""

    path: Path
    rows: int = 0
    language_models: int = 0
    skipped: dict[str, list[Skip]] = field(default_factory=lambda: {r: [] for r in SKIP_REASONS})
    matched: list[Match] = field(default_factory=list)
    changes: Changes = field(default_factory=Changes)
    warnings: list[str] = field(default_factory=list)

    @property
    def agreeing(self) -> list[Match]:
        """Matches where every figure both sides have agrees (at least one)."""
        return [m for m in self.matched if m.agreeing and not m.conflicts]

    @property
    def conflicting(self) -> list[Match]:
        """Matches with at least one conflicting figure."""
        return [m for m in self.matched if m.conflicts]

    @property
    def uncompared(self) -> list[Match]:
        """Matches where no figure is on both sides."""
        return [m for m in self.matched if not m.agreeing and not m.conflicts]


def import_epoch(engine: Engine, path: Path, on_conflict: str = "fail", dry_run: bool = False) -> EpochImport:
    """Import the language models of an Epoch AI CSV; DataError (nothing written) on a malformed file."""
    result = EpochImport(path=path)
    rows = read_rows(path, result)
    catalogue = _Catalogue.load(engine)
    to_add = _match(rows, catalogue, result)
    bundle, lines = _build_bundle(to_add, rows, catalogue, result)
    _drop_failing(bundle, lines, engine, result)
    result.changes = add_bundle(engine, bundle, on_conflict=on_conflict, dry_run=dry_run)
    return result


# --- reading the file -------------------------------------------------------------------------

def _raw_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and (line, values) of Epoch's AI-models CSV; DataError if it is not a readable CSV."""
    return read_csv(path, unreadable=f"Epoch AI's CSV (download it again from {EPOCH_PAGE})",
                    empty="Epoch AI's CSV with a header row (Model, Domain, Organization, ...)",
                    binary=f"Epoch AI's CSV from {EPOCH_PAGE}")


def read_csv(path: Path, unreadable: str, empty: str, binary: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and (line, values) of the non-blank rows of a CSV file (of Epoch's models or benchmarks);
    DataError if it is not a readable CSV, each message ending 'expected ' + what the file should be."""
    if not path.is_file():
        raise DataError([f"{path}: no such file"])
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError([f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); expected {unreadable}"]) from None
    except OSError as exc:
        raise DataError([f"{path}: cannot read: {exc.strerror}"]) from None
    if not text.strip():
        raise DataError([f"{path}: the file is empty; expected {empty}"])
    if "\x00" in text:
        raise DataError([f"{path}: a binary file, not a CSV; expected {binary}"])
    csv.field_size_limit(MAX_CSV_FIELD)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    out: list[tuple[int, list[str]]] = []
    header: list[str] | None = None
    while True:
        start = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise DataError([f"{path}:{start}: malformed CSV: {exc}; check the quoting of that row"]) from None
        if header is None:
            header = [v.strip() for v in values]
        elif any(v.strip() for v in values):
            out.append((start, values))
    return header or [], out


def _check_header(path: Path, header: list[str]) -> str:
    """The name column; DataError naming every missing column."""
    missing = [f"`{c}`" for c in REQUIRED_COLUMNS if c not in header]
    name_column = next((c for c in NAME_COLUMNS if c in header), None)
    if name_column is None:
        missing.insert(0, "`Model` (called `System` before 2025)")
    if name_column is None or missing:
        raise DataError([f"{path}:1: missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}; "
                         f"expected the header of Epoch AI's AI-models CSV ({EPOCH_PAGE})"])
    return name_column


def read_rows(path: Path, result: EpochImport) -> list[EpochRow]:
    """The language-model rows of the file (others counted as skipped); DataError lists every bad cell."""
    header, raw = _raw_rows(path)
    name_column = _check_header(path, header)
    size_column = next((c for c in SIZE_COLUMNS if c in header), None)
    problems: list[str] = []
    rows: list[EpochRow] = []
    for line, values in raw:
        result.rows += 1
        if len(values) != len(header):
            problems.append(f"{path}:{line}: {len(values)} fields where the header has {len(header)}; "
                            "check the quoting of that row")
            continue
        cells = {k: v.strip() for k, v in zip(header, values, strict=True)}
        name = cells[name_column]
        domains = [d.lower() for d in re.split(r"\s*,\s*", cells["Domain"]) if d]
        if "language" not in domains:
            result.skipped[NOT_LANGUAGE].append(Skip(line, name, cells["Domain"] or "no domain"))
            continue
        result.language_models += 1
        if not name:
            result.skipped[NO_NAME].append(Skip(line, ""))
            continue
        row = _parse_row(path, line, name, cells, size_column, problems, result.warnings)
        if not row.orgs:
            result.skipped[NO_ORG].append(Skip(line, name))
            continue
        rows.append(row)
    if problems:
        raise DataError(problems)
    return rows


def _parse_row(path: Path, line: int, name: str, cells: dict[str, str], size_column: str | None,
               problems: list[str], warnings: list[str]) -> EpochRow:
    where = f"{path}:{line} ({name})"
    released = cells["Publication date"] or None
    if released is not None:
        try:
            parse_date(released)
        except ValueError as exc:
            problems.append(f"{where}: Publication date: {exc}; fix the cell or delete the row")
            released = None
    return EpochRow(
        line=line, name=name,
        orgs=[o.strip() for o in _SPLIT.split(cells["Organization"]) if o.strip()],
        categories=[c.strip() for c in _SPLIT.split(cells.get("Organization categorization", "")) if c.strip()],
        released=released,
        params=_number(cells["Parameters"], "Parameters", where, problems, warnings),
        train_compute=_number(cells["Training compute (FLOP)"], "Training compute (FLOP)", where, problems,
                              warnings),
        dataset_size=_number(cells[size_column], size_column, where, problems, warnings) if size_column else None,
        confidence=cells.get("Confidence") or None,
        link=cells.get("Link") or None,
        reference=cells.get("Reference") or None,
        accessibility=cells.get("Model accessibility") or None,
        base_model=cells.get("Base model") or None,
        notes={k: cells[k] for k in ("Parameters notes", "Training compute notes") if cells.get(k)},
    )


def _number(text: str, column: str, where: str, problems: list[str], warnings: list[str]) -> float | None:
    """A cell's number; None for an empty cell, or (with a warning) for a number that is no plausible figure."""
    if not text:
        return None
    plain = text.replace(",", "") if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", text) else text
    try:
        return parse_count(plain, column)
    except UnitError:
        pass
    try:
        number = float(plain)
    except ValueError:
        number = None
    if number is None or math.isnan(number):
        problems.append(f"{where}: {column}: {shorten(text)!r} is not a number; Epoch writes plain numbers "
                        "such as 1.75e+11: fix the cell or delete the row")
    else:
        warnings.append(f"{where}: {column}: {shorten(text)!r} is not a plausible figure (it must be positive "
                        "and finite): left unknown")
    return None


# --- matching ---------------------------------------------------------------------------------

@dataclass
class _Catalogue:
    """What the database holds that an import needs: names, figures, organizations, sources."""

    owner: dict[str, str]
    figures: dict[str, Any]
    curated: set[str]
    org_keys: dict[str, str]
    sources: set[str]
    epoch_sources: dict[str, str]
    families: dict[str, list[str]]

    @classmethod
    def load(cls, engine: Engine) -> _Catalogue:
        with reading(engine) as conn:
            owner = {key: model_id for key, model_id in conn.execute(select(Alias.key, Alias.model_id))}
            figures = {r.id: r for r in conn.execute(select(
                Model.id, Model.origin, Model.params, Model.train_tokens, Model.train_compute, Model.released,
                Model.released_precision, Model.family_id))}
            org_keys: dict[str, str] = {}
            for org_id, name in conn.execute(select(Organization.id, Organization.name)):
                org_keys.setdefault(alias_key(org_id), org_id)
                org_keys.setdefault(alias_key(name), org_id)
            sources = {source_id: url for source_id, url in conn.execute(select(Source.id, Source.url))}
        curated = {model_id for model_id, row in figures.items() if row.origin == "curated"}
        epoch_sources = {url: source_id for source_id, url in sorted(sources.items())
                         if source_id.startswith("epoch-")}
        members: dict[str, list[str]] = {}
        for model_id, row in figures.items():
            if row.family_id:
                members.setdefault(row.family_id, []).append(model_id)
        with reading(engine) as conn:
            families = {key: members.get(family_id, []) for family_id, name in conn.execute(
                select(Family.id, Family.name)) for key in {alias_key(family_id), alias_key(name)}}
        return cls(owner, figures, curated, org_keys, set(sources), epoch_sources, families)

    def model_named(self, row: EpochRow) -> str | None:
        """The model a row names: by its name, else the one member of the family it names whose
        size agrees with the row's ("PanGu-α", 207B -> pangu-alpha-200b; "Alpaca", 7B -> alpaca-7b); the
        name as written, not without its parentheses ("GPT-2 (fine-tuned with HYDRA)" is not GPT-2)."""
        keys = name_keys(row.name)
        model_id = next((self.owner[k] for k in keys if k in self.owner), None)
        if model_id is not None or row.params is None:
            return model_id
        sized = {m for m in self.families.get(keys[0], ())
                 if self.figures[m].params and _close(row.params, self.figures[m].params)}
        return sized.pop() if len(sized) == 1 else None


def name_keys(name: str) -> list[str]:
    """Lookup keys of an Epoch name: as written, then without parentheses ("GPT-3 175B (davinci)")."""
    keys = [alias_key(name), alias_key(re.sub(r"\([^)]*\)", " ", name))]
    return [k for k in dict.fromkeys(keys) if k]


def _match(rows: list[EpochRow], catalogue: _Catalogue, result: EpochImport) -> list[EpochRow]:
    """Report duplicates and catalogued models; return the rows to add."""
    first_line: dict[str, int] = {}
    to_add = []
    for row in rows:
        key = name_keys(row.name)[0]
        if key in first_line:
            result.skipped[DUPLICATE].append(Skip(row.line, row.name, f"same model as line {first_line[key]}"))
            continue
        first_line[key] = row.line
        model_id = catalogue.model_named(row)
        if model_id is None:
            to_add.append(row)
        else:
            result.matched.append(compare(row, model_id, catalogue.figures[model_id]))
    return to_add


def _close(theirs: float, mine: float) -> bool:
    return abs(theirs - mine) <= TOLERANCE * mine


def compare(row: EpochRow, model_id: str, ours: Any) -> Match:
    """Field by field: params and compute within 10%, released in the same month, tokens after conversion."""
    match = Match(row.line, row.name, model_id)
    tokens = row.dataset_size / WORDS_PER_TOKEN if row.dataset_size else None
    for name, mine, theirs, show in (("params", ours.params, row.params, format_count),
                                     ("train_tokens", ours.train_tokens, tokens, format_count),
                                     ("train_compute", ours.train_compute, row.train_compute, format_flop)):
        if mine is None or theirs is None:
            continue
        if _close(theirs, mine) or (name == "train_tokens" and row.dataset_size is not None
                                    and _close(row.dataset_size, mine)):
            match.agreeing.append(name)  # Epoch's "datapoints" are sometimes the token count itself
            continue
        text = show(theirs)
        if name == "train_tokens":
            text += f" ({format_count(row.dataset_size)} words / {WORDS_PER_TOKEN})"
        match.conflicts.append(FieldDiff(name, show(mine), text))
    if ours.released is not None and row.released is not None:
        theirs_date = parse_date(row.released)[0]
        digits = 4 if ours.released_precision == "year" else 7
        if ours.released.isoformat()[:digits] == theirs_date.isoformat()[:digits]:
            match.agreeing.append("released")
        else:
            match.conflicts.append(FieldDiff("released", format_date(ours.released, ours.released_precision),
                                             row.released))
    return match


# --- building records -------------------------------------------------------------------------

def slug(text: str) -> str:
    """A lowercase id fragment: 'Llama 3.1-405B' -> 'llama-3.1-405b', 'PanGu-Σ' -> 'pangu'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    out = re.sub(r"(?<!\d)\.|\.(?!\d)", "-", re.sub(r"[^a-z0-9.]+", "-", ascii_text))
    return re.sub(r"-{2,}", "-", out).strip("-.")[:80].strip("-.")


def _unique(base: str, taken: set[str]) -> str:
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    taken.add(candidate)
    return candidate


def _org_kind_evidence(rows: list[EpochRow]) -> dict[str, Counter[str]]:
    """For each organization name key, the kinds that rows with one unambiguous category give it."""
    evidence: dict[str, Counter[str]] = {}
    for row in rows:
        kinds = {ORG_KINDS.get(c.lower()) for c in row.categories}
        if len(kinds) == 1 and None not in kinds:
            for org in row.orgs:
                evidence.setdefault(alias_key(org), Counter()).update(kinds)  # type: ignore[arg-type]
    return evidence


def _org_kind(name: str, evidence: dict[str, Counter[str]]) -> str:
    counts = evidence.get(alias_key(name))
    if counts:
        return counts.most_common(1)[0][0]
    if re.search(r"\b(universit|college)", name, re.IGNORECASE):
        return "academia"
    return "unknown"


def _source_for(row: EpochRow, bundle: Bundle, catalogue: _Catalogue) -> str:
    """The id of the row's third-party source (its Link, or Epoch's page), added to the bundle if new.

    A URL already cited by an earlier Epoch import keeps its source id, so imports can be repeated.
    """
    url = next((u for u in re.split(r"[\s,]+", row.link or "") if re.match(r"^https?://", u)), None)
    if url is None:
        url, title = EPOCH_PAGE, "Epoch AI, Data on AI Models"
    else:
        title = f"{row.reference or row.name} (via Epoch AI's data on AI models)"
    if url in catalogue.epoch_sources:
        return catalogue.epoch_sources[url]
    if url == EPOCH_PAGE:
        source_id = EPOCH_SOURCE_ID
    else:
        stem = re.sub(r"^https?://(www\.)?", "", url).rstrip("/")
        source_id = _unique("epoch-" + (slug(stem)[:60].strip("-.") or "source"), catalogue.sources)
    try:
        record = SourceRecord(id=source_id, url=url, title=title, kind="third-party")
    except ValidationError:  # not a usable URL after all: cite Epoch's page
        return _source_for(replace(row, link=None), bundle, catalogue)
    bundle.sources[source_id] = record
    catalogue.epoch_sources[url] = source_id
    return source_id


def _note(row: EpochRow, confidence: str) -> str:
    parts = ["Imported from Epoch AI's data on AI models"]
    if not row.confidence:
        parts.append("Epoch gives no confidence for this entry, so its figures are marked speculative")
    elif row.confidence.lower() not in CONFIDENCES:
        parts.append(f"Epoch's confidence {row.confidence!r} is not one of Confident, Likely, Speculative, "
                     f"so its figures are marked {confidence}")
    if len(row.orgs) > 1:
        parts.append(f"organizations: {', '.join(row.orgs)}")
    if row.dataset_size is not None:
        parts.append(f"training dataset size {format_count(row.dataset_size)} datapoints (words, for language "
                     "models, in Epoch's counting; not converted to tokens, so train_tokens is left empty)")
    if row.accessibility:
        parts.append(f"model accessibility: {row.accessibility}")
    return "; ".join(parts)


def _record(row: EpochRow, model_id: str, org_id: str, source_id: str) -> dict[str, Any]:
    confidence = CONFIDENCES.get((row.confidence or "").lower(), "speculative")

    def fact(value: Any, note: str | None = None) -> dict[str, Any] | None:
        if value is None:
            return None
        return {"value": value, "status": "estimated", "method": METHOD, "confidence": confidence,
                "source": source_id, "note": note}

    return {"id": model_id, "name": row.name, "org": org_id, "source": source_id, "note": _note(row, confidence),
            "released": fact(row.released), "params": fact(row.params, row.notes.get("Parameters notes")),
            "train_compute": fact(row.train_compute, row.notes.get("Training compute notes"))}


def _build_bundle(to_add: list[EpochRow], rows: list[EpochRow], catalogue: _Catalogue,
                  result: EpochImport) -> tuple[Bundle, dict[str, int]]:
    """User records of the rows to add (organizations, sources, models, parent links), and their lines.

    Ids avoid curated ones and each other; an id that a user model already has is left for
    `add_bundle`, which applies --on-conflict to it.
    """
    bundle = Bundle()
    lines: dict[str, int] = {}
    evidence = _org_kind_evidence(rows)
    taken_ids = set(catalogue.curated)
    taken_orgs = set(catalogue.org_keys.values())
    new_orgs: dict[str, str] = {}
    added_keys: dict[str, str] = {}
    problems: list[str] = []
    for row in to_add:
        where = f"{result.path}:{row.line} ({row.name})"
        org_name = row.orgs[0]
        org_id = catalogue.org_keys.get(alias_key(org_name)) or new_orgs.get(alias_key(org_name))
        if org_id is None:
            kind = _org_kind(org_name, evidence)
            org_id = _unique("epoch-" + (slug(org_name) or "org"), taken_orgs)
            new_orgs[alias_key(org_name)] = org_id
            bundle.organizations[org_id] = OrganizationRecord.model_validate({"id": org_id, "name": org_name,
                                                                              "kind": kind})
        model_id = _unique("epoch-" + (slug(row.name) or "model"), taken_ids)
        data = _record(row, model_id, org_id, _source_for(row, bundle, catalogue))
        try:
            record = ModelRecord.model_validate(data)
        except ValidationError as exc:
            problems.extend(f"{where}: {format_loc(tuple(e['loc']), data)}: "
                            f"{e['msg'].removeprefix('Value error, ')}" for e in exc.errors())
            continue
        bundle.models[model_id] = record
        bundle.where[("models", model_id)] = where
        lines[model_id] = row.line
        added_keys[name_keys(row.name)[0]] = model_id
    if problems:
        raise DataError(problems)
    _link_parents(to_add, bundle, catalogue, added_keys)
    return bundle, lines


def _link_parents(rows: list[EpochRow], bundle: Bundle, catalogue: _Catalogue, added: dict[str, str]) -> None:
    """`Base model` -> a fine-tune parent when it names a catalogued or imported model; else a note."""
    for row in rows:
        model_id = added.get(name_keys(row.name)[0])
        if model_id is None or not row.base_model:
            continue
        keys = name_keys(row.base_model)
        parent = next((catalogue.owner.get(k) or added.get(k) for k in keys
                       if catalogue.owner.get(k) or added.get(k)), None)
        model = bundle.models[model_id]
        if parent is None or parent == model_id:
            model.note = f"{model.note}; base model: {row.base_model} (not in the catalogue)"
            continue
        model.parents = [*model.parents, ParentLink(model=parent, relation="fine-tune", source=model.source,
                                                    note=f"Epoch AI base model: {row.base_model}")]


def _drop_failing(bundle: Bundle, lines: dict[str, int], engine: Engine, result: EpochImport) -> None:
    """Leave out (and report) models that fail llmzoo's checks, so one bad row does not block the rest."""
    with reading(engine) as conn:
        known = known_from_db(conn)
    while True:
        failing: dict[str, str] = {}
        for error in check_bundle(bundle, known).errors:
            model_id, message = _culprit(bundle, error)
            if model_id is None:
                raise DataError([error])
            failing.setdefault(model_id, message)
        if not failing:
            break
        for model_id, message in failing.items():
            model = bundle.models.pop(model_id)
            result.skipped[FAILS_CHECKS].append(Skip(lines[model_id], model.name, message))
        for model in bundle.models.values():
            model.parents = [p for p in model.parents if p.model not in failing]
    used_orgs = {m.org for m in bundle.models.values()}
    used_sources = {m.source for m in bundle.models.values()}
    bundle.organizations = {k: v for k, v in bundle.organizations.items() if k in used_orgs}
    bundle.sources = {k: v for k, v in bundle.sources.items() if k in used_sources}


def _culprit(bundle: Bundle, error: str) -> tuple[str | None, str]:
    """The imported model an error of check_bundle is about, and the message without its location."""
    if error.startswith("lineage cycle: "):
        cycle = error.removeprefix("lineage cycle: ").split(";")[0].split(" -> ")
        return next((m for m in cycle if m in bundle.models), None), error
    for model_id in bundle.models:
        prefix = bundle.locate("models", model_id) + ": "
        if error.startswith(prefix):
            return model_id, error.removeprefix(prefix)
    return None, error

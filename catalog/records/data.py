"""Pydantic models of what lives in data/ (and of user-added records): extra="forbid" everywhere.

A *fact* is a sourced value. YAML may write it as a plain value (reported by the record's default
source) or as a mapping; after validation every fact is a `Fact` with the same shape.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from catalog.errors import UnitError, shorten
from catalog.rules import fact_problem
from catalog.units import MAX_INTEGER, parse_count, parse_int
from catalog.vocab import (  # noqa: F401  (re-exported: records are where callers look)
    ADAPTATIONS,
    ARCHITECTURES,
    ATTENTIONS,
    CONFIDENCES,
    DATASET_FACTS,
    DATASET_KINDS,
    DATE_FACTS,
    MODALITIES,
    MODEL_FACTS,
    ORG_KINDS,
    POSITION_ENCODINGS,
    PRECISIONS,
    RELATIONS,
    SLUG,
    SOURCE_KINDS,
    STATUSES,
    USER_EDIT_SOURCE,
    AcceptedCheck,
    Confidence,
    DatasetKind,
    OrgKind,
    Precision,
    Relation,
    SourceKind,
    Status,
    check_slug,
    format_date,
    parse_date,
)


class Strict(BaseModel):
    """Base of every record: unknown fields are errors."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _choice(value: Any, allowed: tuple[str, ...], what: str) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{shorten(value)!r} is not a valid {what}; use one of: {', '.join(allowed)}")
    return value


_WHOLE = frozenset(("count", "int", "exact_int"))


def convert_value(kind: str, value: Any) -> Any:
    """Convert a fact's raw value by its kind; raise ValueError with a fix-it message."""
    if kind in _WHOLE and type(value) is str and len(value) < 20 and value.isascii() and value.isdigit() \
            and 0 < (number := int(value)) <= MAX_INTEGER:
        return float(number) if kind == "count" else number  # plain digits (most CSV cells), as parse_* read them
    try:
        if kind == "count":
            return parse_count(value, "value")
        if kind == "exact_int":
            return _exact_int(value)
        if kind == "int":
            if isinstance(value, float) and not value.is_integer():
                raise ValueError(f"{value!r} is not a whole number")
            return parse_int(value, "value")
    except UnitError as exc:
        raise ValueError(str(exc).removeprefix("value: ")) from None
    if kind == "date":
        return parse_date(value)[0]
    if kind == "number":
        return parse_count(value, "value")
    if kind == "fraction":
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                pass
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
            raise ValueError(f"{value!r} is not a fraction between 0 and 1 (write 0.38 for 38%)")
        return float(value)
    if kind == "languages":
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not items or not all(
                isinstance(v, str) and re.match(r"^([a-z]{2,3}|multilingual)$", v) for v in items):
            raise ValueError(f"{value!r} is not a list of ISO 639 language codes (en, zh) or 'multilingual'")
        return items
    if kind == "adaptation":
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not items:
            raise ValueError(f"{value!r} is not a list of adaptation stages")
        return [_choice(v, ADAPTATIONS, "adaptation stage") for v in items]
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"{value!r} is not true or false")
        return value
    if kind == "text":
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{value!r} is not a text")
        return value.strip()
    if kind == "arch":
        return _choice(value, ARCHITECTURES, "architecture")
    if kind == "attention":
        return _choice(value, ATTENTIONS, "attention type")
    if kind == "position_encoding":
        return _choice(value, POSITION_ENCODINGS, "position encoding")
    if kind == "modality":
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not items:
            raise ValueError(f"{value!r} is not a list of modalities")
        return [_choice(v, MODALITIES, "modality") for v in items]
    raise AssertionError(f"unknown fact kind {kind}")


def _exact_int(value: Any) -> int:
    """A context size: an exact whole number (32768, 32_768, "32768"); `32k` is refused, not read as 32000."""
    if isinstance(value, str) and value.strip().replace("_", "").replace(",", "").isdigit():
        return parse_int(value.strip().replace("_", "").replace(",", ""), "value")
    if isinstance(value, str):
        raise ValueError(f"{shorten(value)!r} is not an exact number of tokens; write the exact integer the source "
                         "gives (32768, not 32k or 32K)")
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(f"{value!r} is not a whole number")
    return parse_int(value, "value")


class Fact(Strict):
    """One sourced value: value, source, status, method, confidence, note."""

    value: Any = None
    source: str | None = None
    status: Status = "reported"
    method: str | None = None
    confidence: Confidence | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Fact:
        if problem := fact_problem(self.value, self.status, self.method, self.confidence):
            raise ValueError(problem)
        if self.source is not None:
            check_slug(self.source)
        return self


def _facts_from_shorthand(data: Any, fields: dict[str, str]) -> Any:
    """Turn `params: 7B` into `params: {value: 7B}` so every fact has one shape."""
    if not isinstance(data, dict):
        return data
    out = dict(data)
    for name in fields:
        if name in out and out[name] is not None and not isinstance(out[name], dict):
            out[name] = {"value": out[name]}
    return out


def _convert_fact(fact: Fact | None, kind: str) -> Fact | None:
    if fact is None or fact.value is None:
        return fact
    return fact.model_copy(update={"value": convert_value(kind, fact.value)})


class SourceRecord(Strict):
    """A paper, model card or blog post that facts cite."""

    id: str
    url: str
    title: str
    kind: SourceKind
    published: str | None = None

    _id = field_validator("id")(check_slug)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return check_url(value)

    @field_validator("published", mode="before")
    @classmethod
    def _published(cls, value: Any) -> str | None:
        return published_date(value)


def check_url(value: str) -> str:
    """A source's URL as stored: an http(s) URL (or the user-edit source's own), else ValueError."""
    if value == USER_EDIT_SOURCE["url"]:
        return value  # the source of values a user set without citing one
    if not re.match(r"^https?://[^\s/$.?#][^\s]*\.[^\s]+$|^https?://[^\s/$.?#][^\s]*/[^\s]*$", value):
        raise ValueError(f"{shorten(value)!r} is not an http(s) URL")
    return value


def published_date(value: Any) -> str | None:
    """A source's publication date as stored (YYYY, YYYY-MM or YYYY-MM-DD), else ValueError."""
    if value is None:
        return None
    date, precision = parse_date(value)
    return format_date(date, precision)


class OrganizationRecord(Strict):
    """A lab or company."""

    id: str
    name: str
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    kind: OrgKind
    #: other names a reader filters by (`--org facebook`); one may be another organization's name
    #: (`DeepMind` for Google DeepMind), so that filtering by the older lab includes the newer one
    aliases: list[str] = []

    _id = field_validator("id")(check_slug)

    @field_validator("aliases")
    @classmethod
    def _aliases(cls, value: list[str]) -> list[str]:
        for alias in value:
            if not alias.strip():
                raise ValueError("an alias is empty; remove it")
        if len({a.lower() for a in value}) < len(value):
            raise ValueError("an alias is listed twice; keep one")
        return value


class FamilyRecord(Strict):
    """A model family (GPT-3, LLaMA, GLM)."""

    id: str
    name: str
    org: str
    note: str | None = None

    _id = field_validator("id", "org")(check_slug)


class ParentLink(Strict):
    """A lineage edge seen from the child."""

    model: str
    relation: Relation
    source: str | None = None
    note: str | None = None

    _slugs = field_validator("model")(check_slug)


class DataLink(Strict):
    """A dataset in a model's training mixture."""

    dataset: str
    share: float | None = Field(default=None, ge=0, le=1)
    epochs: float | None = Field(default=None, gt=0)
    tokens: float | None = None
    source: str | None = None
    note: str | None = None

    _slugs = field_validator("dataset")(check_slug)

    @field_validator("tokens", mode="before")
    @classmethod
    def _tokens(cls, value: Any) -> float | None:
        return None if value is None else convert_value("count", value)


class TrainingDataRecord(DataLink):
    """A model-dataset link written in a top-level `training_data` section."""

    model: str

    _model = field_validator("model")(check_slug)


class ModelRecord(Strict):
    """One released model (one size of a family)."""

    id: str
    name: str
    family: str | None = None
    org: str
    source: str
    aliases: list[str] = []
    note: str | None = None
    released_precision: Precision | None = None
    knowledge_cutoff_precision: Precision | None = None
    accept: dict[AcceptedCheck, str] = {}
    parents: list[ParentLink] = []
    datasets: list[DataLink] = []

    released: Fact | None = None
    arch: Fact | None = None
    moe: Fact | None = None
    params: Fact | None = None
    active_params: Fact | None = None
    experts: Fact | None = None
    experts_active: Fact | None = None
    train_tokens: Fact | None = None
    train_compute: Fact | None = None
    pretrain_tokens: Fact | None = None
    pretrain_compute: Fact | None = None
    context_length: Fact | None = None
    context_length_extended: Fact | None = None
    context_extension: Fact | None = None
    context_window: Fact | None = None
    max_output_tokens: Fact | None = None
    layers: Fact | None = None
    d_model: Fact | None = None
    heads: Fact | None = None
    kv_heads: Fact | None = None
    attention: Fact | None = None
    position_encoding: Fact | None = None
    vocab_size: Fact | None = None
    modality: Fact | None = None
    open_weights: Fact | None = None
    license: Fact | None = None
    hardware: Fact | None = None
    hardware_count: Fact | None = None
    training_days: Fact | None = None
    accelerator_hours: Fact | None = None
    mfu: Fact | None = None
    knowledge_cutoff: Fact | None = None
    training_languages: Fact | None = None
    adaptation: Fact | None = None
    adaptation_data: Fact | None = None

    _slugs = field_validator("id", "org", "source")(check_slug)

    @field_validator("family")
    @classmethod
    def _family(cls, value: str | None) -> str | None:
        return None if value is None else check_slug(value)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        data = _facts_from_shorthand(data, MODEL_FACTS)
        for name in DATE_FACTS:
            if isinstance(data, dict) and isinstance(data.get(name), dict):
                raw = data[name].get("value")
                if raw is not None and data.get(f"{name}_precision") is None:
                    try:
                        data[f"{name}_precision"] = parse_date(raw)[1]
                    except ValueError:
                        pass  # reported by the field validator below
        return data

    @field_validator(*MODEL_FACTS)
    @classmethod
    def _values(cls, fact: Fact | None, info: Any) -> Fact | None:
        return _convert_fact(fact, MODEL_FACTS[info.field_name])

    @model_validator(mode="after")
    def _defaults(self) -> ModelRecord:
        for name in MODEL_FACTS:
            fact = getattr(self, name)
            if fact is not None and fact.source is None:
                setattr(self, name, fact.model_copy(update={"source": self.source}))
        links: list[ParentLink | DataLink] = [*self.parents, *self.datasets]
        for link in links:
            if link.source is None:
                link.source = self.source
        return self

    def facts(self) -> dict[str, Fact]:
        """The facts that are present (known or explicitly unpublished), in display order."""
        return {name: getattr(self, name) for name in MODEL_FACTS if getattr(self, name) is not None}


class DatasetRecord(Strict):
    """A pre-training or fine-tuning corpus."""

    id: str
    name: str
    kind: DatasetKind
    source: str
    languages: list[str] = []
    note: str | None = None
    tokens: Fact | None = None
    bytes: Fact | None = None
    documents: Fact | None = None

    _slugs = field_validator("id", "source")(check_slug)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return _facts_from_shorthand(data, DATASET_FACTS)

    @field_validator(*DATASET_FACTS)
    @classmethod
    def _values(cls, fact: Fact | None, info: Any) -> Fact | None:
        return _convert_fact(fact, DATASET_FACTS[info.field_name])

    @model_validator(mode="after")
    def _defaults(self) -> DatasetRecord:
        for name in DATASET_FACTS:
            fact = getattr(self, name)
            if fact is not None and fact.source is None:
                setattr(self, name, fact.model_copy(update={"source": self.source}))
        return self

    def facts(self) -> dict[str, Fact]:
        """The size facts that are present."""
        return {name: getattr(self, name) for name in DATASET_FACTS if getattr(self, name) is not None}


from catalog.records.evalrecords import BenchmarkRecord, EvalRecord  # noqa: E402  (the `benchmarks`/`evals` sections)


class DataFile(Strict):
    """The top level of one YAML file in data/."""

    sources: list[SourceRecord] = []
    organizations: list[OrganizationRecord] = []
    families: list[FamilyRecord] = []
    models: list[ModelRecord] = []
    datasets: list[DatasetRecord] = []
    training_data: list[TrainingDataRecord] = []
    benchmarks: list[BenchmarkRecord] = []
    evals: list[EvalRecord] = []


SECTIONS = ("sources", "organizations", "families", "models", "datasets", "training_data", "benchmarks", "evals")

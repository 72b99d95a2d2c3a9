"""The typed shape of one model's detail: what `get_model` returns, `llmzoo show` prints (and writes as
JSON), `compare` lines up and `export` flattens into one row (a test checks the two agree).

Types only (TypedDict): a detail is a plain dict at run time, so JSON output and callers that index it
are unchanged, and importing this module costs nothing.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict


class FactDetail(TypedDict):
    """A fact with its provenance. `value` is as shown: a date at its precision, a list for list facts."""

    value: Any
    source: str
    status: str
    method: str | None
    confidence: str | None
    note: str | None
    inherited_from: NotRequired[str]


class DatasetUse(TypedDict):
    dataset: str
    name: str
    share: float | None
    epochs: float | None
    tokens: float | None
    source: str
    note: str | None


class ParentDetail(TypedDict):
    model: str
    name: str
    relation: str
    source: str
    note: str | None


class ChildDetail(TypedDict):
    model: str
    name: str
    relation: str


class SourceDetail(TypedDict):
    url: str
    title: str
    kind: str
    published: str | None


class ModelDetail(TypedDict):
    """Everything about one model."""

    id: str
    name: str
    origin: str
    family: str | None
    family_name: str | None
    org: str
    org_name: str | None
    source: str
    note: str | None
    aliases: list[str]
    facts: dict[str, FactDetail]
    released_precision: str | None
    accept: dict[str, str]
    computed: dict[str, Any]
    datasets: list[DatasetUse]
    parents: list[ParentDetail]
    children: list[ChildDetail]
    sources: dict[str, SourceDetail]
    #: Published evaluation results, added by `catalog.query.evals.add_evaluations` (as `show` prints them).
    evaluations: NotRequired[list[dict[str, Any]]]

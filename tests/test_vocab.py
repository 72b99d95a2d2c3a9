"""Every vocabulary is written once, in catalog/vocab.py (and evalvocab.py); what repeats it derives from it."""

from __future__ import annotations

import typing
from typing import Any

import click
import pytest

from catalog import evalvocab, vocab
from catalog.query import coverage
from catalog.records.data import DatasetRecord, Fact, ModelRecord, OrganizationRecord, ParentLink, SourceRecord
from catalog.records.evalrecords import EvalRecord
from cli import evals as evals_cli
from cli import usercmd


def _literal_values(annotation: Any) -> tuple[Any, ...]:
    """The values of a Literal annotation, through Optional and dict keys."""
    if typing.get_origin(annotation) is typing.Literal:
        return typing.get_args(annotation)
    values = [v for arg in typing.get_args(annotation) for v in _literal_values(arg)]
    return tuple(values)


@pytest.mark.parametrize(("record", "field", "vocabulary"), [
    (Fact, "status", vocab.STATUSES),
    (Fact, "confidence", vocab.CONFIDENCES),
    (SourceRecord, "kind", vocab.SOURCE_KINDS),
    (OrganizationRecord, "kind", vocab.ORG_KINDS),
    (ParentLink, "relation", vocab.RELATIONS),
    (ModelRecord, "released_precision", vocab.PRECISIONS),
    (ModelRecord, "knowledge_cutoff_precision", vocab.PRECISIONS),
    (ModelRecord, "accept", vocab.ACCEPTED_CHECKS),
    (DatasetRecord, "kind", vocab.DATASET_KINDS),
    (EvalRecord, "evaluated_by", evalvocab.EVALUATED_BY),
])
def test_records_accept_exactly_the_vocabulary(record: Any, field: str, vocabulary: tuple[str, ...]) -> None:
    assert _literal_values(record.model_fields[field].annotation) == vocabulary


def _choices(command: click.Command, option: str) -> tuple[str, ...]:
    param = next(p for p in command.params if p.name == option)
    assert isinstance(param.type, click.Choice)
    return tuple(param.type.choices)


@pytest.mark.parametrize(("command", "option", "vocabulary"), [
    (usercmd.add, "arch", vocab.ARCHITECTURES),
    (usercmd.add, "source_kind", vocab.SOURCE_KINDS),
    (evals_cli.evals, "evaluated_by", evalvocab.EVALUATED_BY),
])
def test_cli_choices_are_the_vocabulary(command: click.Command, option: str, vocabulary: tuple[str, ...]) -> None:
    assert _choices(command, option) == vocabulary


def test_coverage_states_are_the_statuses_and_missing() -> None:
    assert set(coverage.STATES) == {*vocab.STATUSES, *vocab.COMPUTED_STATUSES, "missing"}
    assert len(coverage.STATES) == len(set(coverage.STATES))
    assert coverage.STATES == ("reported", "nominal", "estimated", "derived", "inherited", "user", "unpublished",
                               "missing")  # the order of the columns `llmzoo coverage` prints

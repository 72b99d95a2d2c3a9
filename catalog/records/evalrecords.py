"""Pydantic records of benchmarks and evaluation results (the `benchmarks:` and `evals:` sections).

Strict like every record: unknown fields are errors, a setting is required, the metric must be one
of `catalog.evalvocab.METRICS` and the score inside its range. Cross-record checks (the benchmark
and model exist, the score fits the benchmark's metric) live in `catalog.query.evals`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from catalog.evalvocab import METRICS, TASK_KINDS, Evaluator
from catalog.vocab import check_slug


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _metric(value: Any) -> Any:
    if value is not None and value not in METRICS:
        raise ValueError(f"{value!r} is not a known metric; use one of: {', '.join(METRICS)}")
    return value


class StandardSetting(_Strict):
    """The setting a benchmark is usually reported in (MMLU: 5-shot, no chain of thought)."""

    shots: int = Field(ge=0)
    cot: bool = False


class BenchmarkRecord(_Strict):
    """One benchmark (or one task of a suite: `part_of: big-bench`)."""

    id: str
    name: str
    task_kind: str
    metric: str
    chance: float | None = Field(default=None, ge=0, le=100)
    standard: StandardSetting | None = None
    part_of: str | None = None
    source: str
    aliases: list[str] = []
    note: str | None = None

    _slugs = field_validator("id", "source")(check_slug)
    _metric = field_validator("metric")(_metric)

    @field_validator("part_of")
    @classmethod
    def _part_of(cls, value: str | None) -> str | None:
        return None if value is None else check_slug(value)

    @field_validator("task_kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        if value not in TASK_KINDS:
            raise ValueError(f"{value!r} is not a task kind; use one of: {', '.join(TASK_KINDS)}")
        return value


class EvalSetting(_Strict):
    """How a result was obtained: shots, chain of thought, prompt format, decoding.

    `shots` is required; write `shots: null` only when the source does not state it.
    """

    shots: int | None = Field(ge=0)
    cot: bool = False
    prompt: str | None = None
    decoding: str | None = None


class EvalRecord(_Strict):
    """One published score of one model on one benchmark in one setting, with who ran it and where it stands."""

    model: str
    benchmark: str
    subset: str | None = None
    setting: EvalSetting
    metric: str | None = None
    score: float
    evaluated_by: Evaluator
    evaluator: str | None = None
    source: str
    locator: str
    note: str | None = None

    _slugs = field_validator("model", "benchmark", "source")(check_slug)
    _metric = field_validator("metric")(_metric)

    @field_validator("score", mode="before")
    @classmethod
    def _score(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{value!r} is not a number; write the score as the source prints it, "
                             "in percent (35.1 for 35.1%)")
        return value

    @model_validator(mode="after")
    def _evaluator(self) -> EvalRecord:
        if self.evaluated_by == "third-party" and not self.evaluator:
            raise ValueError("a third-party result needs `evaluator`: who ran it (e.g. \"Meta, Llama 2 paper\")")
        if self.metric is not None:
            low, high = METRICS[self.metric]
            if not low <= self.score <= high:
                raise ValueError(f"score {self.score:g} is outside the range of {self.metric} "
                                 f"({low:g}..{high:g}, in percent); write the score as the source prints it "
                                 "(35.1 for 35.1%)")
        return self

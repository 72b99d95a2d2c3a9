"""The vocabulary of evaluation results: metrics with their ranges, task kinds, evaluators.

Plain Python (no pydantic), so `llmzoo evals` and `llmzoo list --columns mmlu` stay cheap.
"""

from __future__ import annotations

from typing import Literal, get_args

# Every metric is a percentage as papers print it (35.1 for 35.1%): its (lowest, highest) value.
METRICS: dict[str, tuple[float, float]] = {
    "accuracy": (0.0, 100.0),
    "normalized-accuracy": (0.0, 100.0),
    "exact-match": (0.0, 100.0),
    "f1": (0.0, 100.0),
    "pass@1": (0.0, 100.0),
    "pass@10": (0.0, 100.0),
    "pass@80": (0.0, 100.0),
    "pass@100": (0.0, 100.0),
    "mc1": (0.0, 100.0),
    "mc2": (0.0, 100.0),
    "true-informative": (0.0, 100.0),
    "multiple-choice-grade": (0.0, 100.0),
}
TASK_KINDS = ("knowledge", "reasoning", "math", "code", "commonsense", "reading-comprehension",
              "question-answering", "language-modeling", "truthfulness", "transliteration", "multi-task")
Evaluator = Literal["developer", "third-party"]
EVALUATED_BY: tuple[Evaluator, ...] = get_args(Evaluator)

# Columns of an evaluation row, in the order every format writes them (and `evals import` reads).
EVAL_COLUMNS = ("model", "benchmark", "subset", "shots", "cot", "prompt", "decoding", "metric", "score",
                "evaluated_by", "evaluator", "source", "source_url", "locator", "note", "origin")

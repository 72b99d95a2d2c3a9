"""The computed columns of a model (never stored): tokens per parameter, compute, the Chinchilla
position and the hardware estimate, over a plain mapping of fact values. One rule for reads
(`catalog.queries.add_computed`) and for the checks of every write (`catalog.validation`)."""

from __future__ import annotations

import math
import sys
from typing import Any

from catalog.errors import CatalogError
from catalog.hardware import hardware_compute
from catalog.scaling import chinchilla_position

#: The fact values the computed columns read.
INPUTS = ("params", "active_params", "moe", "train_tokens", "train_compute", "hardware", "accelerator_hours",
          "hardware_count", "training_days", "mfu")


def computed_problems(values: dict[str, Any]) -> list[str]:
    """What of the computed columns of these fact values does not fit a floating-point number."""
    return fill_computed(dict(values))


def fill_computed(row: dict[str, Any]) -> list[str]:
    """Fill the computed columns of `row` (see `catalog.queries.add_computed`); returns what did not fit."""
    problems: list[str] = []
    params = row.get("active_params") if row.get("moe") and row.get("active_params") else row.get("params")
    tokens = row.get("train_tokens")
    row["tokens_per_param"] = _fitting(tokens / params if params and tokens else None, problems,
                                       f"tokens_per_param: train_tokens / params = {tokens!r} / {params!r}")
    if row.get("train_compute"):
        row["compute"], row["compute_status"] = row["train_compute"], "source"
    elif params and tokens:
        row["compute"] = _fitting(6 * params * tokens, problems, f"compute: 6·N·D = 6 × {params!r} × {tokens!r}")
        row["compute_status"] = "6ND" if row["compute"] is not None else None
    else:
        row["compute"], row["compute_status"] = None, None
    row["chinchilla_optimal_params"] = row["chinchilla_ratio"] = None
    if params and tokens and row["compute"] is not None and row["tokens_per_param"] is not None:
        try:
            position = chinchilla_position(params, tokens, row["compute"])
        except CatalogError:
            problems.append(f"chinchilla_ratio: the Chinchilla-optimal allocation of {row['compute']!r} FLOP "
                            "does not fit a floating-point number")
        else:
            row["chinchilla_optimal_params"] = position["optimal_params"]
            row["chinchilla_ratio"] = position["overtraining_factor"]
    estimate = hardware_compute(row.get("hardware"), row.get("accelerator_hours"), row.get("hardware_count"),
                                row.get("training_days"), row.get("mfu"))
    if estimate and _fitting(estimate[0], problems, "compute_hardware: accelerator-hours x peak FLOP/s") is None:
        estimate = None
    row["compute_hardware"], row["compute_hardware_method"] = estimate if estimate else (None, None)
    return problems


def _fitting(value: float | None, problems: list[str], what: str) -> float | None:
    """`value` if it is a finite number, else None with `what` added to `problems`."""
    if value is None or math.isfinite(value):
        return value
    problems.append(f"{what} is beyond the largest floating-point number ({sys.float_info.max:.3g})")
    return None

"""The computed columns of a model (never stored): tokens per parameter, compute, the Chinchilla
position and the hardware estimate, over a plain mapping of fact values. One rule for reads
(`catalog.query.models.add_computed`) and for the checks of every write (`catalog.rules.validation`);
`fill_computed_frame` is the same rule over a whole DataFrame (the charts and `models_frame`), and
tests/test_computed.py feeds the same rows through both.

"MoE models count their active parameters" is written here once, as `counted_params`, with its
column forms for pandas (`counted_params_frame`) and SQL (`counted_params_sql`).
"""

from __future__ import annotations

import math
import sys
from typing import TYPE_CHECKING, Any

from catalog.errors import CatalogError
from catalog.rules.hardware import hardware_compute
from catalog.scaling import chinchilla_position
from catalog.vocab import COMPUTED_INPUTS

if TYPE_CHECKING:
    import pandas as pd

#: The fact values the computed columns read.
INPUTS = COMPUTED_INPUTS
#: The computed columns `fill_computed_frame` works out column-wise; the others it computes per row.
VECTORISED = ("tokens_per_param", "compute", "compute_status")


def counted_params(moe: Any, params: Any, active_params: Any) -> Any:
    """The parameters a model counts for: an MoE model's active parameters where they are known,
    otherwise all its parameters."""
    return active_params if moe and active_params else params


def uses_active_frame(moe: pd.Series, active_params: pd.Series) -> pd.Series:
    """Per row of a frame, whether `counted_params` takes the active parameters."""
    return moe.eq(True) & active_params.notna() & active_params.ne(0) & active_params.ne(False)


def counted_params_frame(moe: pd.Series, params: pd.Series, active_params: pd.Series) -> pd.Series:
    """`counted_params` over columns of a frame."""
    return active_params.where(uses_active_frame(moe, active_params), params)


def uses_active_sql(moe: Any, active_params: Any) -> Any:
    """`counted_params`'s test as an SQL condition over the columns (or expressions) given."""
    from sqlalchemy import and_

    return and_(moe.is_(True), active_params.is_not(None), active_params != 0)


def counted_params_sql(moe: Any, params: Any, active_params: Any) -> Any:
    """`counted_params` as an SQL expression over the columns (or expressions) given."""
    from sqlalchemy import case

    return case((uses_active_sql(moe, active_params), active_params), else_=params)


def computed_problems(values: dict[str, Any]) -> list[str]:
    """What of the computed columns of these fact values does not fit a floating-point number."""
    return fill_computed(dict(values))


def fill_computed(row: dict[str, Any]) -> list[str]:
    """Fill the computed columns of `row` (see `catalog.query.models.add_computed`); returns what did not fit."""
    problems: list[str] = []
    params = counted_params(row.get("moe"), row.get("params"), row.get("active_params"))
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


def fill_computed_frame(frame: pd.DataFrame, columns: list[str]) -> None:
    """`fill_computed` on every row of `frame` (which holds INPUTS and `id`), adding the computed
    `columns`: VECTORISED column-wise, the others (and rows beyond float range) per row through
    `catalog.query.models.add_computed`, so with its warnings."""
    import numpy as np
    import pandas as pd

    from catalog.query.models import add_computed

    def truthy(column: str) -> pd.Series:
        values = frame[column]
        return values.notna() & (values != 0) & (values != False)  # noqa: E712 (element-wise)

    params = counted_params_frame(frame["moe"], frame["params"], frame["active_params"])
    known = params.notna() & (params != 0) & truthy("train_tokens")
    reported = truthy("train_compute")
    none = pd.Series(None, index=frame.index, dtype=object)
    ratio, flop = frame["train_tokens"] / params, 6 * params * frame["train_tokens"]
    finite = np.isfinite(pd.to_numeric(ratio, errors="coerce").astype(float)) \
        & np.isfinite(pd.to_numeric(flop, errors="coerce").astype(float))
    unfit = known & ~finite  # beyond float range: empty, as add_computed leaves it (with its warning)
    known &= ~unfit
    frame["tokens_per_param"] = ratio.where(known)
    frame["compute"] = frame["train_compute"].where(reported, flop.where(known))
    frame["compute_status"] = as_built(none.where(~reported, "source").where(reported | ~known, "6ND"))
    slow = [c for c in columns if c not in VECTORISED]
    if slow or unfit.any():
        rows = frame[["id", *INPUTS]]
        values = [add_computed({k: (None if pd.isna(v) else v) for k, v in row.items()})
                  for row in rows.to_dict("records")]
        for column in slow:
            frame[column] = pd.Series([v[column] for v in values], index=frame.index)
        for column in VECTORISED:  # a row beyond float range: what fits of it, as the row's rule says
            per_row = pd.Series([v[column] for v in values], index=frame.index, dtype=frame[column].dtype)
            frame[column] = frame[column].mask(unfit, per_row)


def as_built(values: pd.Series) -> pd.Series:
    """A column with the dtype pandas infers for the same values given as records (text: `str`)."""
    import pandas as pd

    return pd.Series(values.astype(object).where(values.notna(), None).tolist(), index=values.index)

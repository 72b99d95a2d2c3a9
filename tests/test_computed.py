"""The computed columns are one rule: per row (`add_computed`, reads and writes) and over a frame
(`fill_computed_frame`, charts and `models_frame`) give the same values; "MoE models count their
active parameters" gives the same answer in Python, pandas and SQL."""

from __future__ import annotations

import math
import warnings
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Boolean, Column, Float, Integer, MetaData, Table, create_engine, insert, select

from catalog.errors import CatalogWarning
from catalog.query.models import COMPUTED, add_computed
from catalog.rules.computed import (
    INPUTS,
    counted_params,
    counted_params_frame,
    counted_params_sql,
    fill_computed_frame,
)

COUNTS = st.one_of(st.none(), st.sampled_from([1.0, 125e6, 7e9, 1.75e11, 1.4e12, 1e300]),
                   st.floats(min_value=1.0, max_value=1e15, allow_nan=False))
ROWS = st.fixed_dictionaries({
    "params": COUNTS, "active_params": COUNTS, "moe": st.sampled_from([None, True, False]),
    "train_tokens": COUNTS, "train_compute": st.one_of(st.none(), st.sampled_from([3.14e23, 1e300])),
    "hardware": st.sampled_from([None, "TPU v4", "A100-80GB", "an abacus"]),
    "accelerator_hours": st.one_of(st.none(), st.sampled_from([1e6, 2.5e7])),
    "hardware_count": st.sampled_from([None, 1024]), "training_days": st.sampled_from([None, 30.0]),
    "mfu": st.sampled_from([None, 0.4]),
})


def _same(a: Any, b: Any) -> bool:
    def missing(x: Any) -> bool:
        return x is None or (isinstance(x, float) and math.isnan(x))

    if missing(a) or missing(b):
        return missing(a) and missing(b)
    return a == b or (isinstance(a, float) and math.isclose(a, b, rel_tol=1e-12))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ROWS, min_size=1, max_size=12))
def test_the_frame_and_the_row_compute_the_same_columns(rows: list[dict[str, Any]]) -> None:
    records = [{"id": f"m{i}", **row} for i, row in enumerate(rows)]
    frame = pd.DataFrame.from_records([tuple(r[c] for c in ["id", *INPUTS]) for r in records],
                                      columns=["id", *INPUTS])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CatalogWarning)
        fill_computed_frame(frame, list(COMPUTED))
        expected = [add_computed(dict(r)) for r in records]
    for i, want in enumerate(expected):
        for column in COMPUTED:
            got = frame[column].iloc[i]
            assert _same(got, want[column]), (records[i], column, got, want[column])


CASES = [(moe, params, active) for moe in (None, True, False) for params in (None, 7e9)
         for active in (None, 1.3e9)]


@pytest.mark.parametrize(("moe", "params", "active"), CASES)
def test_moe_models_count_their_active_parameters_in_python_pandas_and_sql(moe: bool | None, params: float | None,
                                                                          active: float | None) -> None:
    expected = active if moe and active else params
    assert counted_params(moe, params, active) == expected
    frame = pd.DataFrame({"moe": [moe], "params": [params], "active": [active]}, dtype=object)
    assert _same(counted_params_frame(frame["moe"], frame["params"], frame["active"]).iloc[0], expected)
    table = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("moe", Boolean),
                  Column("params", Float), Column("active", Float))
    engine = create_engine("sqlite://")
    table.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(table), [{"id": 1, "moe": moe, "params": params, "active": active}])
        got = conn.execute(select(counted_params_sql(table.c.moe, table.c.params, table.c.active))).scalar_one()
    engine.dispose()
    assert got == expected

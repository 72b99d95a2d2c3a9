"""One model, one shape: `get_model`'s typed detail and the row `export` writes say the same."""

from __future__ import annotations

import json
import typing

from click.testing import CliRunner

from catalog.query.detail import FactDetail, ModelDetail
from catalog.query.models import COMPUTED, get_model
from catalog.vocab import DATE_FACTS, LIST_FACTS, MODEL_FACTS, format_date, parse_date
from cli.main import cli


def test_get_model_returns_exactly_the_keys_of_model_detail(engine, db: str) -> None:
    ids = [json.loads(line)["id"] for line in CliRunner().invoke(
        cli, ["--db", db, "export", "-o", "-", "--format", "jsonl"]).output.splitlines()]
    fact_keys = set(typing.get_type_hints(FactDetail))
    for model_id in ids:
        detail = get_model(engine, model_id)
        assert set(detail) == set(typing.get_type_hints(ModelDetail)) - {"evaluations"}
        for fact in detail["facts"].values():
            assert fact_keys - {"inherited_from"} <= set(fact) <= fact_keys


def _shown(name: str, row: dict[str, typing.Any]) -> typing.Any:
    """An export cell as the detail shows it (dates at their precision, lists as lists)."""
    value = row[name]
    if name in DATE_FACTS and value is not None:
        return format_date(parse_date(value)[0], row[f"{name}_precision"])
    if name in LIST_FACTS and value is not None:
        return value.split(",")
    return value


def test_export_rows_agree_with_the_model_detail(engine, db: str) -> None:
    result = CliRunner().invoke(cli, ["--db", db, "export", "-o", "-", "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert rows
    for row in rows:
        detail = get_model(engine, row["id"])
        for key in ("id", "name", "family", "org", "origin", "source", "note"):
            assert row[key] == detail[key], (row["id"], key)
        assert (row["aliases"].split(";") if row["aliases"] else []) == detail["aliases"], row["id"]
        for name in MODEL_FACTS:
            fact = detail["facts"].get(name)
            if fact is None:
                assert (row[name], row[f"{name}_status"]) == (None, None), (row["id"], name)
                continue
            assert _shown(name, row) == fact["value"], (row["id"], name)
            assert row[f"{name}_status"] == fact["status"], (row["id"], name)
            assert row[f"{name}_source"] == detail["sources"][fact["source"]]["url"], (row["id"], name)
            for part in ("method", "confidence", "note"):
                assert row[f"{name}_{part}"] == fact[part], (row["id"], name, part)
            if f"{name}_inherited_from" in row:
                assert row[f"{name}_inherited_from"] == fact.get("inherited_from"), (row["id"], name)
        for name in COMPUTED:
            assert row[name] == detail["computed"][name], (row["id"], name)
        assert [p["model"] for p in row["parents"] or []] == [p["model"] for p in detail["parents"]]
        assert sorted(d["dataset"] for d in row["datasets"] or []) == sorted(d["dataset"] for d in detail["datasets"])


def test_derived_rows_word_the_computed_values_once() -> None:
    from catalog.query.display import derived_rows

    computed = {"compute": 5.76e23, "compute_status": "6ND", "tokens_per_param": 20.0,
                "chinchilla_optimal_params": 6.9e10, "chinchilla_ratio": 1.02, "compute_hardware": None}
    assert [tuple(r) for r in derived_rows(computed)] == [
        ("training compute (FLOP)", "=5.76e23", "derived (6ND)", "6 x params x training tokens"),
        ("tokens per parameter", "20", "derived", ""),
    ]
    assert [r.label for r in derived_rows(computed, chinchilla=True)][2:] == [
        "Chinchilla-optimal size", "tokens per parameter vs Chinchilla"]
    assert derived_rows({"compute": 3.14e23, "compute_status": "source"}) == []

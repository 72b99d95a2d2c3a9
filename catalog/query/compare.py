"""Several models side by side: one row per fact, one value (with its status) per model."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from catalog.errors import CatalogError
from catalog.query.models import Filters, find_models, get_model_conn, resolve_model
from catalog.store.db import reading
from catalog.vocab import MODEL_FACTS

if TYPE_CHECKING:
    from catalog.query.detail import ModelDetail

# Computed values shown after the facts (never stored; catalog.query.models.add_computed computes them).
COMPARED_COMPUTED = ("compute", "tokens_per_param", "chinchilla_optimal_params", "chinchilla_ratio",
                     "compute_hardware")
IDENTITY = ("name", "org", "family")


def compare_models(engine: Engine, names: Sequence[str], only_different: bool = False) -> dict[str, Any]:
    """Models side by side: {"models": [ids], "rows": [{"fact", "kind", "values": {id: {value, status}}}]}.

    Rows are the identity (name, organization, family), every fact at least one of the models has,
    then the computed values (status "derived", or "source" for a compute a source reports).
    `only_different` keeps the rows whose values are not all the same.
    """
    if len(names) < 2:
        raise CatalogError("compare: give at least two models (llmzoo compare llama-65b chinchilla-70b)")
    with reading(engine) as conn:
        ids = list(dict.fromkeys(resolve_model(conn, name) for name in names))
        details = [get_model_conn(conn, model_id) for model_id in ids]
    if len(ids) < 2:
        raise CatalogError(f"compare: {', '.join(map(repr, names))} all name the same model, {ids[0]}; "
                           "give at least two different models")
    rows: list[dict[str, Any]] = [{"fact": key, "kind": "identity",
                                   "values": {d["id"]: {"value": _identity(d, key), "status": None} for d in details}}
                                  for key in IDENTITY]
    for fact in MODEL_FACTS:
        if any(fact in d["facts"] for d in details):
            rows.append({"fact": fact, "kind": "fact", "values": {
                d["id"]: {"value": d["facts"][fact]["value"], "status": d["facts"][fact]["status"]}
                if fact in d["facts"] else {"value": None, "status": None} for d in details}})
    for name in COMPARED_COMPUTED:
        values = {d["id"]: {"value": d["computed"].get(name), "status": _computed_status(d["computed"], name)}
                  for d in details}
        if any(v["value"] is not None for v in values.values()):
            rows.append({"fact": name, "kind": "computed", "values": values})
    rows += _evaluation_rows(engine, ids)
    if only_different:
        rows = [r for r in rows if len({repr(v["value"]) for v in r["values"].values()}) > 1]
    return {"models": ids, "rows": rows}


def _identity(detail: ModelDetail, key: str) -> Any:
    """The model's name, or its organization's or family's name (the id where the name is missing)."""
    if key == "org":
        return detail["org_name"] or detail["org"]
    if key == "family":
        return detail["family_name"] or detail["family"]
    return detail["name"]


def _evaluation_rows(engine: Engine, ids: list[str]) -> list[dict[str, Any]]:
    """One row per benchmark that any of the models has a standard result for (the rule of
    `llmzoo list --columns BENCHMARK`: the developer's own result in the benchmark's standard setting)."""
    from catalog.query.evals import list_benchmarks, standard_scores

    benchmarks = [b["id"] for b in list_benchmarks(engine)]
    scores = standard_scores(engine, benchmarks, ids)
    return [{"fact": bench, "kind": "evaluation",
             "values": {i: {"value": scores.get((i, bench)), "status": None} for i in ids}}
            for bench in benchmarks if any((i, bench) in scores for i in ids)]


def _computed_status(computed: dict[str, Any], name: str) -> str | None:
    if computed.get(name) is None:
        return None
    if name == "compute":
        return "reported" if computed.get("compute_status") == "source" else "derived"
    return "estimated" if name == "compute_hardware" else "derived"


#: The columns of `scaling_positions`: each model against the Chinchilla-optimal allocation of its compute.
SCALING_COLUMNS = ("id", "params", "train_tokens", "compute", "compute_status", "tokens_per_param",
                   "chinchilla_optimal_params", "chinchilla_ratio")


def scaling_positions(engine: Engine, names: Sequence[str] = (),
                      filters: Filters | None = None) -> list[dict[str, Any]]:
    """The SCALING_COLUMNS of the models named (in the order given, each resolved as `show` does) or,
    without names, of the models matching `filters` in release order; MoE models count their active
    parameters (catalog.rules.computed)."""
    filters = filters or Filters()
    if names:
        with reading(engine) as conn:
            filters.ids = [resolve_model(conn, name) for name in names]
    rows = find_models(engine, filters, sort="released", columns=SCALING_COLUMNS)
    order = {model_id: i for i, model_id in enumerate(filters.ids)}
    rows.sort(key=lambda r: order.get(r["id"], 0))
    return rows


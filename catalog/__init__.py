"""llmzoo's library: a sourced catalogue of large language models, for notebooks and scripts.

    import catalog

    engine = catalog.open_catalog()                      # the default catalogue, loaded on first use
    for row in catalog.find_models(engine, catalog.Filters(arch=["prefix-decoder"]), sort="-params"):
        print(row["id"], row["params"])
    detail = catalog.get_model(engine, "LLaMA-2 70B")    # every fact with its source and status
    frame = catalog.models_frame(engine)                 # a pandas DataFrame, computed columns included
    catalog.save_chart(catalog.chart_compute(frame), "compute.html")
    catalog.scaling.chinchilla_optimal(5.76e23)

The names of `__all__` are imported on first use (module `__getattr__`), so `import catalog` costs
nothing and `llmzoo list` does not pay for pandas or altair. Each lives in the module named here.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: Every public name, and the module that defines it.
_HOMES: dict[str, str] = {
    # the database
    "open_catalog": "catalog.store.db", "make_engine": "catalog.store.db",
    # queries
    "Filters": "catalog.query.models", "find_models": "catalog.query.models", "get_model": "catalog.query.models",
    "models_frame": "catalog.query.models", "resolve_model": "catalog.query.models",
    "catalog_stats": "catalog.query.models",
    "compare_models": "catalog.query.compare", "export_models": "catalog.io.export",
    "model_lineage": "catalog.query.lineage", "lineage_frames": "catalog.query.lineage",
    "model_mixture": "catalog.query.datamix", "mixtures": "catalog.query.datamix",
    "list_datasets": "catalog.query.datasets", "dataset_detail": "catalog.query.datasets",
    "find_evals": "catalog.query.evals",
    "ModelDetail": "catalog.query.detail",
    # charts
    "chart_timeline": "catalog.charts.draw", "chart_compute": "catalog.charts.draw",
    "chart_growth": "catalog.charts.draw",
    "chart_architectures": "catalog.charts.draw", "chart_capability": "catalog.charts.capability",
    "chart_data_mix": "catalog.charts.data_mix", "chart_tree": "catalog.charts.tree",
    "chart_tree_from_db": "catalog.charts.tree", "chart_lineage": "catalog.charts.lineage",
    "chart_lineage_from_db": "catalog.charts.lineage", "chart_from_db": "catalog.charts.selection",
    "save_chart": "catalog.charts.files",
    # scaling laws (the module, and its most used functions)
    "chinchilla_optimal": "catalog.scaling", "chinchilla_position": "catalog.scaling",
    "optimal_allocation": "catalog.scaling", "predict_loss": "catalog.scaling",
    # loading curated data
    "load_directory": "catalog.records.loading",
    # errors
    "CatalogError": "catalog.errors", "CatalogWarning": "catalog.errors", "DataError": "catalog.errors",
    "UnknownModel": "catalog.errors", "DatabaseError": "catalog.errors",
}
#: Submodules offered as attributes (`catalog.scaling.kaplan_loss(...)`).
_MODULES = ("scaling",)

__all__ = [  # the names of _HOMES and _MODULES (a test checks it)
    "CatalogError", "CatalogWarning", "DataError", "DatabaseError", "Filters", "ModelDetail", "UnknownModel",
    "catalog_stats", "chart_architectures", "chart_capability", "chart_compute", "chart_data_mix", "chart_from_db",
    "chart_growth", "chart_lineage", "chart_lineage_from_db", "chart_timeline", "chart_tree", "chart_tree_from_db",
    "chinchilla_optimal", "chinchilla_position", "compare_models", "dataset_detail", "export_models", "find_evals",
    "find_models", "get_model", "lineage_frames", "list_datasets", "load_directory", "make_engine", "mixtures",
    "model_lineage", "model_mixture", "models_frame", "open_catalog", "optimal_allocation", "predict_loss",
    "resolve_model", "save_chart", "scaling",
]


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        value = getattr(importlib.import_module(_HOMES[name]), name)
    elif name in _MODULES:
        value = importlib.import_module(f"catalog.{name}")
    else:
        raise AttributeError(f"module 'catalog' has no attribute {name!r}")
    globals()[name] = value  # once looked up, an ordinary attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


if TYPE_CHECKING:  # what the type checker and editors see; nothing is imported at run time
    from catalog import scaling
    from catalog.charts.capability import chart_capability
    from catalog.charts.data_mix import chart_data_mix
    from catalog.charts.draw import chart_architectures, chart_compute, chart_growth, chart_timeline
    from catalog.charts.files import save_chart
    from catalog.charts.lineage import chart_lineage, chart_lineage_from_db
    from catalog.charts.selection import chart_from_db
    from catalog.charts.tree import chart_tree, chart_tree_from_db
    from catalog.errors import CatalogError, CatalogWarning, DatabaseError, DataError, UnknownModel
    from catalog.io.export import export_models
    from catalog.query.compare import compare_models
    from catalog.query.datamix import mixtures, model_mixture
    from catalog.query.datasets import dataset_detail, list_datasets
    from catalog.query.detail import ModelDetail
    from catalog.query.evals import find_evals
    from catalog.query.lineage import lineage_frames, model_lineage
    from catalog.query.models import Filters, catalog_stats, find_models, get_model, models_frame, resolve_model
    from catalog.records.loading import load_directory
    from catalog.scaling import chinchilla_optimal, chinchilla_position, optimal_allocation, predict_loss
    from catalog.store.db import make_engine, open_catalog

"""`import catalog` gives the public API by name, imported on first use."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import catalog
from tests.conftest import REPO


def test_all_is_every_home_and_module() -> None:
    assert catalog.__all__ == sorted([*catalog._HOMES, *catalog._MODULES])
    assert set(catalog.__all__) <= set(dir(catalog))


@pytest.mark.parametrize("name", sorted(catalog._HOMES))
def test_each_public_name_is_its_modules_own(name: str) -> None:
    assert getattr(catalog, name) is getattr(importlib.import_module(catalog._HOMES[name]), name)


def test_scaling_is_the_module() -> None:
    assert catalog.scaling is importlib.import_module("catalog.scaling")
    assert catalog.scaling.chinchilla_optimal is catalog.chinchilla_optimal


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="module 'catalog' has no attribute 'find_model'"):
        catalog.find_model  # noqa: B018


def _loaded_after(code: str) -> set[str]:
    probe = f"import sys\n{code}\nprint(' '.join(sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True)
    return {m.split(".")[0] if not m.startswith("catalog") else m for m in done.stdout.split()}


def test_import_catalog_imports_nothing_heavy() -> None:
    loaded = _loaded_after("import catalog")
    assert not {"pandas", "altair", "alembic", "sqlalchemy", "pydantic", "yaml", "numpy"} & loaded
    assert {m for m in loaded if m.startswith("catalog")} == {"catalog"}


def test_a_query_function_does_not_import_the_charts() -> None:
    loaded = _loaded_after("import catalog\ncatalog.find_models\ncatalog.get_model\ncatalog.Filters")
    assert not {"pandas", "altair", "alembic", "numpy"} & loaded

"""The shape of the code: no module reaches into another module's private names."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def private_uses(path: Path, root: Path = ROOT) -> list[str]:
    """`from catalog.x import _y` and `x._y` (x a catalog module imported here) naming another
    module's private name, as 'file:line: name'."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    here = _module_name(path, root)
    found: list[str] = []
    modules: dict[str, str] = {}  # local name -> catalog module it is bound to
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "catalog":
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                if alias.name.startswith("_") and node.module != here and not alias.name.startswith("__"):
                    found.append(f"{path.relative_to(root)}:{node.lineno}: {full}")
                modules[alias.asname or alias.name] = full
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "catalog":
                    modules[alias.asname or alias.name.split(".")[0]] = alias.asname and alias.name or "catalog"
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules
                and node.attr.startswith("_") and not node.attr.startswith("__")
                and modules[node.value.id] != here):
            found.append(f"{path.relative_to(root)}:{node.lineno}: {modules[node.value.id]}.{node.attr}")
    return found


ALLOWED: set[str] = set()  # no exceptions: every shared helper is public in its own module

SOURCES = sorted([*(ROOT / "catalog").rglob("*.py"), *(ROOT / "cli").rglob("*.py")])


def test_no_module_imports_another_modules_private_names() -> None:
    found = [use for path in SOURCES for use in private_uses(path)]
    assert [use for use in found if use.split(":")[0] + ":" + use.split(":", 2)[2] not in ALLOWED] == []


@pytest.mark.parametrize(("source", "expected"), [
    ("from catalog.charts import _finish\n", ["catalog/probe.py:1: catalog.charts._finish"]),
    ("from catalog import charts\ncharts._log(1)\n", ["catalog/probe.py:2: catalog.charts._log"]),
    ("import catalog.charts as c\nc._x\n", ["catalog/probe.py:2: catalog.charts._x"]),
    ("from catalog.charts import finish\nfrom catalog.probe import _mine\n", []),
    ("from catalog import charts\ncharts.__name__, charts.log\n", []),
    ("class A:\n    def f(self):\n        return self._x\n", []),
])
def test_private_uses_finds_what_it_should(tmp_path: Path, source: str, expected: list[str]) -> None:
    probe = tmp_path / "catalog" / "probe.py"
    probe.parent.mkdir()
    probe.write_text(source, encoding="utf-8")
    assert private_uses(probe, tmp_path) == expected

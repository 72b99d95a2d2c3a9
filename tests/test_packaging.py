"""A non-editable install works from any directory: data/ and migrations/ ship inside the wheel."""

from __future__ import annotations

import os
import site
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(REPO)],
                   check=True, capture_output=True)
    return next(out.glob("llmzoo-*.whl"))


def test_wheel_contains_data_and_migrations(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "catalog/data/README.md" in names
    assert "catalog/data/organizations.yaml" in names
    assert any(n.startswith("catalog/data/models/") and n.endswith(".yaml") for n in names)
    assert "catalog/migrations/env.py" in names
    assert any(n.startswith("catalog/migrations/versions/0001") for n in names)
    assert not any(n.startswith("tests/") for n in names)


def _borrow_dependencies(python: Path) -> None:
    """Let the new venv import the dependencies of the environment running the tests (offline, no index).

    The running environment may be a virtualenv (whose packages a venv with system site-packages
    would not see) or the system; either way its site directories are appended after the new venv's
    own, by a .pth file, so the installed wheel (not an editable checkout) is what `import catalog` finds.
    """
    dirs = [*site.getsitepackages(), site.getusersitepackages()]
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    Path(purelib, "_llmzoo_test_dependencies.pth").write_text("".join(f"{d}\n" for d in dirs if Path(d).is_dir()))


def test_installed_wheel_lists_models_from_elsewhere(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    _borrow_dependencies(python)
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)],
                   check=True, capture_output=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("LLMZOO_DATA", "LLMZOO_DB", "PYTHONPATH")}
    env["HOME"] = str(tmp_path / "home")
    env["XDG_DATA_HOME"] = str(tmp_path / "home" / "share")
    result = subprocess.run([str(env_dir / "bin" / "llmzoo"), "list", "--arch", "encoder-decoder", "--format",
                             "csv", "--columns", "id"], cwd=elsewhere, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    ids = result.stdout.split()
    assert ids[0] == "id" and "t5-11b" in ids and "gpt-3-175b" not in ids
    origin = subprocess.run([str(python), "-c", "import catalog; print(catalog.__file__)"], cwd=elsewhere,
                            env=env, capture_output=True, text=True, check=True).stdout
    assert str(env_dir) in origin

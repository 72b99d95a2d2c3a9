"""Where the curated data lives and its fingerprint: no YAML, no pydantic (checked on every start)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from catalog.errors import DataError


def data_dir() -> Path:
    """The curated data: $LLMZOO_DATA if set, else catalog/data in a wheel, ../data in a checkout."""
    override = os.environ.get("LLMZOO_DATA")
    if override:
        path = Path(override).expanduser()
        if not path.is_dir():
            raise DataError([f"LLMZOO_DATA={override}: not a folder; unset it or point it at a data folder"])
        return path
    here = Path(__file__).resolve().parents[1]  # catalog/, the package root
    for candidate in (here / "data", here.parent / "data"):
        if (candidate / "organizations.yaml").is_file():
            return candidate
    raise DataError([f"the curated data folder is missing (looked in {here / 'data'} and "
                     f"{here.parent / 'data'}); reinstall llmzoo"])


def data_files(root: Path) -> list[Path]:
    """Every YAML file below root, in a stable order."""
    return sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def fingerprint(files: list[Path]) -> str:
    """A hash of the names and bytes of the data files: changes when the data changes."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]

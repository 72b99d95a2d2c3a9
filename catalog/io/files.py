"""The one routine that writes output files: atomic (a temporary file beside the target, moved into
place), with the permissions any other tool would give a new file (0666 less the umask)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from catalog.errors import CatalogError


def umask() -> int:
    """The process umask (read without changing it for longer than the call)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_target(path: Path, what: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success give it the umask's mode and move it into
    place, on any failure remove it, so `path` is either the whole new file or untouched."""
    parent = path.parent if str(path.parent) else Path(".")
    try:
        handle, name = tempfile.mkstemp(dir=parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise CatalogError(f"cannot write {what or path}: {exc.strerror or exc}") from None
    os.close(handle)
    temp = Path(name)
    try:
        yield temp
        if temp.exists():
            os.chmod(temp, 0o666 & ~umask())
        os.replace(temp, path)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise CatalogError(f"cannot write {what or path}: {exc.strerror or exc}") from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def write_atomic(path: Path, content: bytes) -> None:
    """Write `content` to `path` atomically."""
    with atomic_target(path) as temp:
        temp.write_bytes(content)

"""Every output file is written by one routine: whole or not at all, with the umask's permissions."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from catalog.errors import CatalogError
from catalog.files import atomic_target
from cli.main import cli


@pytest.fixture
def umask_027():
    old = os.umask(0o027)
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("args, name", [
    (["export", "-o", "{out}"], "models.csv"),
    (["export", "-o", "{out}"], "models.jsonl"),
    (["db", "backup", "{out}"], "backup.db"),
    (["chart", "architectures", "-o", "{out}"], "arch.json"),
])
def test_outputs_get_the_umask_mode(tmp_path: Path, umask_027: None, args: list[str], name: str) -> None:
    out = tmp_path / name
    result = CliRunner().invoke(cli, [a.format(out=out) for a in args])
    assert result.exit_code == 0, result.output
    assert mode(out) == 0o640
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(f".{name}")] == []


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "keep.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_target(target) as temp:
        temp.write_text("half")
        raise RuntimeError("stopped")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "home") == ["keep.txt"]


def test_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=r"cannot write .*nowhere/x\.csv: No such file or directory"), \
            atomic_target(tmp_path / "nowhere" / "x.csv"):
        pass

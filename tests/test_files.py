"""Every output file is written by one routine: whole or not at all, with the umask's permissions."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from catalog.errors import CatalogError
from catalog.io.files import atomic_target
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


#: Every kind of output file the CLI writes, each through catalog.io.files (the site is a folder: test_site).
OUTPUTS = [
    (["export", "-o", "{out}"], "models.csv"),
    (["export", "-o", "{out}"], "models.jsonl"),
    (["export", "-o", "{out}"], "models.json"),
    (["db", "backup", "{out}"], "backup.db"),
    (["chart", "architectures", "-o", "{out}"], "arch.json"),
    (["chart", "timeline", "-o", "{out}"], "timeline.svg"),
    (["chart", "lineage", "-o", "{out}"], "lineage.json"),
]


@pytest.mark.parametrize("mask, expected", [(0o022, 0o644), (0o077, 0o600)])
@pytest.mark.parametrize("args, name", OUTPUTS)
def test_every_output_gets_the_mode_of_the_umask(tmp_path: Path, args: list[str], name: str, mask: int,
                                                 expected: int) -> None:
    out = tmp_path / name
    old = os.umask(mask)
    try:
        result = CliRunner().invoke(cli, [a.format(out=out) for a in args])
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    assert mode(out) == expected
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(f".{name}")] == []


#: Outputs larger than LIMIT on the fixture catalogue: their write fails part way (SQLite needs 32 KiB
#: for the shared-memory file of the catalogue it reads, so the limit is above that).
LIMIT = 40_000
TOO_LARGE = [
    (["export", "-o", "{out}"], "models.jsonl"),
    (["db", "backup", "--force", "{out}"], "backup.db"),
    (["chart", "timeline", "-o", "{out}"], "timeline.png"),
    (["chart", "timeline", "-o", "{out}"], "timeline.html"),
]


def _limit_file_size() -> None:
    import resource
    import signal

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG) instead of killing
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))


@pytest.mark.skipif(os.name != "posix", reason="RLIMIT_FSIZE is POSIX")
@pytest.mark.parametrize("args, name", TOO_LARGE)
def test_a_write_failing_part_way_leaves_the_old_file_and_no_partial_one(tmp_path: Path, args: list[str],
                                                                         name: str) -> None:
    import subprocess
    import sys

    db = tmp_path / "catalog.store.db"
    assert CliRunner().invoke(cli, ["--db", str(db), "stats"]).exit_code == 0  # loaded before the limit
    out = tmp_path / name
    out.write_text("the old file\n")
    result = subprocess.run([sys.executable, "-m", "cli.main", "--db", str(db), *[a.format(out=out) for a in args]],
                            capture_output=True, text=True, preexec_fn=_limit_file_size, cwd=Path(__file__).parents[1])
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith(f"Error: cannot write {out}: "), result.stderr
    assert "Traceback" not in result.stderr
    assert out.read_text() == "the old file\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []

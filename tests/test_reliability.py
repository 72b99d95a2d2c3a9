"""Atomic writes under SIGKILL, concurrent writers, and the export/import round trip (property test)."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.query.models import export_columns
from cli.main import cli
from tests.conftest import REPO
from tests.test_userdata import snapshot


def _big_csv(path: Path, count: int, prefix: str = "gen") -> None:
    columns = export_columns()
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for i in range(count):
            writer.writerow({"id": f"{prefix}-{i}", "name": f"Gen {prefix} {i}", "org": "meta",
                             "source": "touvron2023llama", "origin": "user", "params": 1e6 * (i + 1),
                             "params_status": "reported", "params_source": "https://arxiv.org/abs/2302.13971",
                             "arch": "causal-decoder", "arch_status": "reported",
                             "arch_source": "https://arxiv.org/abs/2302.13971"})


def _is_writing(db: str) -> bool:
    """The import is inside its write transaction: the WAL grows (SQLite) or an INSERT runs (PostgreSQL)."""
    if "://" not in db:
        wal = Path(db + "-wal")
        return wal.exists() and wal.stat().st_size > 1_000_000
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    engine = create_engine(db)
    try:
        with engine.connect() as conn:
            return bool(conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = :d AND pid <> pg_backend_pid() "
                "AND xact_start IS NOT NULL AND backend_xid IS NOT NULL"), {"d": make_url(db).database}).scalar())
    finally:
        engine.dispose()


def _env(db: str) -> dict[str, str]:
    return {**os.environ, "LLMZOO_DB": db, "PYTHONPATH": str(REPO)}


def test_sigkill_during_import_leaves_database_as_before(run, db, tmp_path):
    assert run("stats").exit_code == 0
    before = snapshot(db)
    big = tmp_path / "big.csv"
    _big_csv(big, 60000)
    proc = subprocess.Popen([sys.executable, "-m", "cli.main", "import", str(big)], env=_env(db),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None and not _is_writing(db):
        time.sleep(0.02)
    assert proc.poll() is None, "the import finished before it could be killed; make the file bigger"
    assert _is_writing(db), "the import never started writing"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert snapshot(db) == before
    result = run("list", "--origin", "user")
    assert result.exit_code == 0
    assert result.stderr == "No models match these filters.\n"


def test_two_writers_at_once_both_succeed(run, db, tmp_path):
    assert run("stats").exit_code == 0
    files = []
    for name in ("a", "b"):
        path = tmp_path / f"{name}.csv"
        _big_csv(path, 3000, prefix=name)
        files.append(path)
    procs = [subprocess.Popen([sys.executable, "-m", "cli.main", "import", str(f)], env=_env(db),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO) for f in files]
    outs = [p.communicate(timeout=300) for p in procs]
    for proc, (_out, err) in zip(procs, outs, strict=True):
        assert proc.returncode == 0, err
        assert "locked" not in err and "Traceback" not in err
    counts = run("list", "--origin", "user", "--format", "csv", "--columns", "id").stdout.count("\n") - 1
    assert counts == 6000


def test_first_use_by_two_processes_at_once(tmp_path):
    db = str(tmp_path / "fresh.db")
    procs = [subprocess.Popen([sys.executable, "-m", "cli.main", "stats", "--format", "json"], env=_env(db),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO) for _ in range(3)]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert json.loads(out)["models"] == 7


NAMES = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30).filter(
    lambda s: s.strip() == s and any(c.isalnum() for c in s))
FACTS = st.fixed_dictionaries({}, optional={
    "params": st.floats(min_value=1e6, max_value=2e12),
    "train_tokens": st.floats(min_value=1e9, max_value=2e13),
    "context_length": st.integers(min_value=128, max_value=2_000_000),
    "layers": st.integers(min_value=1, max_value=200),
    "arch": st.sampled_from(["causal-decoder", "prefix-decoder", "encoder-decoder", "encoder-only"]),
    "open_weights": st.booleans(),
    "released": st.sampled_from(["2021", "2022-07", "2023-02-24", "2024-11-30"]),
    "license": NAMES,
})
NOTES = st.one_of(st.none(), NAMES)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(models=st.lists(st.tuples(FACTS, NOTES, st.sampled_from(["reported", "estimated"])), min_size=1, max_size=5))
def test_round_trip_over_generated_catalogues(tmp_path_factory, monkeypatch, models):
    import yaml

    tmp = tmp_path_factory.mktemp("rt")
    records = []
    for i, (facts, note, status) in enumerate(models):
        record = {"id": f"gen-{i}", "name": f"Generated {i}", "org": "meta", "source": "touvron2023llama",
                  "note": note, **facts}
        if "params" in facts and status == "estimated":
            record["params"] = {"value": facts["params"], "status": "estimated", "method": "6ND",
                                "confidence": "likely", "note": note}
        records.append({k: v for k, v in record.items() if v is not None})
    source = tmp / "models.yaml"
    source.write_text(yaml.safe_dump({"models": records}, sort_keys=False, allow_unicode=True))
    runner = CliRunner()
    monkeypatch.setenv("LLMZOO_DB", str(tmp / "a.db"))
    added = runner.invoke(cli, ["add", str(source)])
    if added.exit_code != 0:  # plausibility checks may reject a generated model: that is a message, not a crash
        assert added.stderr.startswith("Error: ") and "Traceback" not in added.output
        return
    first = tmp / "first.jsonl"
    assert runner.invoke(cli, ["export", "--origin", "user", "-o", str(first)]).exit_code == 0
    monkeypatch.setenv("LLMZOO_DB", str(tmp / "b.db"))
    assert runner.invoke(cli, ["import", str(first)]).exit_code == 0
    second = tmp / "second.jsonl"
    assert runner.invoke(cli, ["export", "--origin", "user", "-o", str(second)]).exit_code == 0
    assert second.read_text() == first.read_text()


def _run_with_terminal_stderr(args: list[str], db: str) -> tuple[int, str, str]:
    """Run the CLI with stderr on a pseudo-terminal (stdout a pipe): exit status, stdout, what the terminal showed."""
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "cli.main", *args], env=_env(db), cwd=REPO,
                            stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    shown = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed its end
            break
        if not chunk:
            break
        shown += chunk
    out = proc.stdout.read().decode()
    proc.wait(timeout=300)
    os.close(master)
    return proc.returncode, out, shown.decode()


def test_import_shows_progress_on_a_terminal(run, db, tmp_path):
    assert run("stats").exit_code == 0
    big = tmp_path / "big.csv"
    _big_csv(big, 5000)
    status, out, shown = _run_with_terminal_stderr(["import", str(big)], db)
    assert status == 0, shown
    assert out.startswith(f"{big}: added 5000 models, updated 0")
    assert shown.startswith("\r") and shown.endswith(" rows/s)\x1b[K\r\n")  # the tty turns \n into \r\n
    final = shown.rsplit("\r", 2)[-2]
    assert final.startswith("Imported big.csv: 5,000 rows in 0:")
    assert "Traceback" not in shown


def test_import_progress_is_cleared_before_an_error(run, db, tmp_path):
    ready = snapshot(db) if run("stats").exit_code == 0 else None
    bad = tmp_path / "bad.csv"
    _big_csv(bad, 10)
    bad.write_text(bad.read_text().replace("gen-9,", "gen-0,"))
    status, _out, shown = _run_with_terminal_stderr(["import", str(bad)], db)
    assert status == 1
    assert "\rError: " in shown and "model 'gen-0' appears twice in the file" in shown
    assert "Imported" not in shown
    assert snapshot(db) == ready


def test_import_shows_no_progress_on_a_pipe(run, db, tmp_path):
    assert run("stats").exit_code == 0
    big = tmp_path / "big.csv"
    _big_csv(big, 3000)
    proc = subprocess.run([sys.executable, "-m", "cli.main", "import", str(big)], env=_env(db), cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0
    assert proc.stderr == ""
    assert proc.stdout.startswith(f"{big}: added 3000 models")


def test_progress_line_shows_share_rows_rate_and_time_left(tmp_path):
    import io

    from cli import usercmd

    clock = iter([100.0, 100.1, 110.0, 130.0])
    path = tmp_path / "m.csv"
    path.write_bytes(b"x" * 1000)
    stream = io.StringIO()
    progress = usercmd._ImportProgress(path, stream, clock=lambda: next(clock))  # starts at 100.0
    progress(10, 2000)  # 0.1 s later: too soon to redraw
    assert stream.getvalue() == ""
    progress(250, 5000)  # 10 s in, a quarter read: 30 s left
    assert stream.getvalue() == "\rImporting m.csv:  25%  5,000 rows  500 rows/s  ETA 0:00:30\x1b[K"
    progress.done(failed=False)  # 30 s in
    assert stream.getvalue().endswith("\rImported m.csv: 5,000 rows in 0:00:30 (167 rows/s)\x1b[K\n")

"""Time whole `llmzoo` commands, each against its floor measured in the same run.

Every figure is the median of several runs of a fresh process (wall clock), with its CPU time and
the peak memory of the process tree (sampled from /proc every 20 ms). Floors: `python -c "import
click, sqlalchemy.orm"` for start-up (the cost of the chosen stack), the very SQL the command
sent (captured by benchmarks/sqltrace.py) replayed in the `sqlite3` shell for queries, and
`sqlite3 -csv` of the same columns for the export.

Usage:
  python benchmarks/run.py                        # start-up, then every benchmark on 1M models
  python benchmarks/run.py --sizes 10k,100k --runs 5
  python benchmarks/run.py --only startup,queries --json results.json
  python benchmarks/run.py --only import --sizes 100k --pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres
The work folder (default /tmp/llmzoo-bench) keeps generated files and databases between runs;
catalogues are built by the timed `llmzoo import` (or by an untimed one when --only skips it).
Bytecode is cached there (PYTHONPYCACHEPREFIX), as it is in an installed wheel.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shlex
import shutil
import sqlite3
import statistics
import subprocess
import sys
import sysconfig
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

KINDS = ("startup", "import", "queries", "export", "charts", "site")
CHARTS = ("compute", "timeline", "growth", "architectures", "lineage")
FILTERED = ["list", "--arch", "causal-decoder", "--min-params", "1B", "--max-params", "10B",
            "--since", "2023-01", "--until", "2023-06", "--limit", "10"]


@dataclass
class Sample:
    """One run of one command."""

    wall: float
    cpu: float
    peak_mb: float


@dataclass
class Result:
    """One row of the results table."""

    name: str
    command: str
    wall: float
    cpu: float
    peak_mb: float
    runs: int
    floor: str = ""
    floor_command: str = ""
    floor_wall: float | None = None
    target: str = ""
    met: bool | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        """Figure over floor."""
        return self.wall / self.floor_wall if self.floor_wall else None


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MB (Linux /proc)."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total / 1024


def run_once(argv: list[str], env: dict[str, str], stdout: Path | None = None) -> Sample:
    """Run a command to completion (its output to `stdout`, a file, if given); raise if it fails."""
    peak = [0.0]
    out = stdout.open("wb") if stdout else subprocess.DEVNULL
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.PIPE)
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], tree_rss_mb(proc.pid))
            done.wait(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    err = proc.stderr.read() if proc.stderr else b""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    done.set()
    watcher.join()
    if stdout:
        out.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{shlex.join(argv)} failed ({proc.returncode}): {err.decode(errors='replace')[-2000:]}")
    peak_mb = max(peak[0], usage.ru_maxrss / 1024)
    return Sample(wall, usage.ru_utime + usage.ru_stime, peak_mb)


def measure(argv: list[str], env: dict[str, str], runs: int, warmup: bool = True,
            stdout: Path | None = None, before: Any = None) -> list[Sample]:
    """`runs` timed runs after one untimed warm-up (page cache, bytecode cache)."""
    if warmup:
        if before:
            before()
        run_once(argv, env, stdout)
    samples = []
    for _ in range(runs):
        if before:
            before()
        samples.append(run_once(argv, env, stdout))
    return samples


def median(samples: list[Sample], attr: str) -> float:
    """Median of one attribute (peak memory: the largest)."""
    values = [getattr(s, attr) for s in samples]
    return max(values) if attr == "peak_mb" else statistics.median(values)


class Bench:
    """The state of one benchmark run: where things are, how to run llmzoo, what was measured."""

    def __init__(self, work: Path, runs: int, import_runs: int, long_runs: int) -> None:
        self.work, self.runs, self.import_runs, self.long_runs = work, runs, import_runs, long_runs
        self.results: list[Result] = []
        self.env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "LLMZOO_DB")}
        self.env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
        self.env["PYTHONPATH"] = str(REPO) + os.pathsep + self.env.get("PYTHONPATH", "")
        script = Path(sysconfig.get_path("scripts")) / "llmzoo"
        self.llmzoo = [sys.executable, str(script)] if script.is_file() else [sys.executable, "-m", "cli.main"]
        self.shown = "llmzoo"

    def env_for(self, db: Path) -> dict[str, str]:
        """The environment of a command on one catalogue."""
        return {**self.env, "LLMZOO_DB": str(db)}

    def command(self, db: Path, args: list[str]) -> str:
        """How to reproduce a command by hand."""
        return f"LLMZOO_DB={db} {self.shown} {shlex.join(args)}"

    def add(self, result: Result) -> None:
        """Keep a result and print it as it comes."""
        self.results.append(result)
        ratio = f" ({result.ratio:.2f}x floor {result.floor_wall:.3f} s)" if result.ratio else ""
        print(f"{result.name}: {result.wall:.3f} s, cpu {result.cpu:.3f} s, peak {result.peak_mb:.0f} MB{ratio}"
              f"{' ' + result.note if result.note else ''}", flush=True)

    # --- catalogues ------------------------------------------------------------------------------

    def curated(self) -> Path:
        """A fresh curated catalogue (first use done, WAL checkpointed)."""
        db = self.work / "curated.db"
        for path in self.work.glob("curated.db*"):
            path.unlink()
        run_once(self.llmzoo + ["stats"], self.env_for(db))
        checkpoint(db)
        return db

    def csv(self, size: int) -> Path:
        """The synthetic export of `size` models (generated once)."""
        path = self.work / f"models-{label(size)}.csv"
        if not path.exists():
            print(f"generating {path} ...", flush=True)
            subprocess.run([sys.executable, str(HERE / "generate.py"), str(size), "-o", str(path)],
                           env=self.env, check=True)
        return path

    # --- benchmarks ------------------------------------------------------------------------------

    def startup(self, curated: Path) -> float:
        """`list` and `show` on the curated catalogue against importing the stack."""
        floor_argv = [sys.executable, "-c", "import click, sqlalchemy.orm"]
        floor = measure(floor_argv, self.env, self.runs)
        floor_wall = median(floor, "wall")
        self.add(Result("floor: python -c 'import click, sqlalchemy.orm'", shlex.join(["python", *floor_argv[1:]]),
                        floor_wall, median(floor, "cpu"), median(floor, "peak_mb"), self.runs))
        startup = None
        for args in (["list", "--arch", "causal-decoder", "--limit", "10"], ["show", "llama-65b"], ["--help"]):
            samples = measure(self.llmzoo + args, self.env_for(curated), self.runs)
            wall = median(samples, "wall")
            startup = startup or wall
            self.add(Result(f"start-up: {' '.join(args)} (curated)", self.command(curated, args), wall,
                            median(samples, "cpu"), median(samples, "peak_mb"), self.runs,
                            floor="import click, sqlalchemy.orm", floor_wall=floor_wall,
                            target="<= 1.25x floor", met=wall <= 1.25 * floor_wall))
        return startup or 0.0

    def import_(self, curated: Path, size: int) -> Path:
        """`llmzoo import` of the synthetic CSV into a copy of the curated catalogue."""
        csv_path, db = self.csv(size), self.work / f"catalogue-{label(size)}.db"

        def fresh() -> None:
            for path in self.work.glob(f"catalogue-{label(size)}.db*"):
                path.unlink()
            shutil.copy(curated, db)

        args = ["import", str(csv_path)]
        samples = measure(self.llmzoo + args, self.env_for(db), self.import_runs, warmup=False, before=fresh)
        checkpoint(db)
        dump, replayed = self.work / f"dump-{label(size)}.sql", self.work / f"replayed-{label(size)}.db"
        with dump.open("wb") as out:
            subprocess.run(["sqlite3", str(db), ".dump"], stdout=out, check=True)

        def blank() -> None:
            for path in self.work.glob(f"replayed-{label(size)}.db*"):
                path.unlink()

        floor = measure(["sh", "-c", f'sqlite3 "{replayed}" < "{dump}"'], self.env, self.import_runs,
                        warmup=False, before=blank)
        wall, peak = median(samples, "wall"), median(samples, "peak_mb")
        floor_wall = median(floor, "wall")
        target = "<= 2x floor, peak < 1 GB" + (", < 60 s" if size >= 1_000_000 else "")
        met = wall <= 2 * floor_wall and peak < 1024 and (size < 1_000_000 or wall < 60)
        self.add(Result(f"import {label(size)} models (CSV, {csv_path.stat().st_size / 1e9:.2f} GB)",
                        self.command(db, args), wall, median(samples, "cpu"), peak, self.import_runs,
                        floor="sqlite3 new.db < dump.sql of the result",
                        floor_command=f"sqlite3 {replayed} < {dump}", floor_wall=floor_wall, target=target, met=met))
        return db

    def import_pg(self, curated: Path, size: int, url: str) -> None:
        """`llmzoo import` of the synthetic CSV into a fresh PostgreSQL catalogue, against replaying
        `pg_dump` of the result (`psql -f`) into another fresh database."""
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        base = make_url(url)
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        target_db, floor_db = f"llmzoo_bench_{label(size).lower()}", f"llmzoo_bench_{label(size).lower()}_replay"
        target_url = base.set(database=target_db).render_as_string(hide_password=False)
        libpq = base.set(drivername="postgresql", database=target_db).render_as_string(hide_password=False)
        libpq_floor = base.set(drivername="postgresql", database=floor_db).render_as_string(hide_password=False)

        def recreate(name: str) -> None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{name}"'))

        def fresh() -> None:
            recreate(target_db)
            run_once(self.llmzoo + ["--db", target_url, "stats"], self.env)

        csv_path = self.csv(size)
        args = ["--db", target_url, "import", str(csv_path)]
        samples = measure(self.llmzoo + args, self.env, self.import_runs, warmup=False, before=fresh)
        dump = self.work / f"pgdump-{label(size)}.sql"
        with dump.open("wb") as out:
            subprocess.run(["pg_dump", "--no-owner", libpq], stdout=out, check=True)
        floor = measure(["psql", "-q", "-o", "/dev/null", "-f", str(dump), libpq_floor], self.env,
                        self.import_runs, warmup=False, before=lambda: recreate(floor_db))
        admin.dispose()
        wall, peak, floor_wall = median(samples, "wall"), median(samples, "peak_mb"), median(floor, "wall")
        target = "<= 2x floor" + (", < 90 s" if size >= 1_000_000 else "")
        self.add(Result(f"import {label(size)} models into PostgreSQL (CSV, {csv_path.stat().st_size / 1e9:.2f} GB)",
                        f"{self.shown} {shlex.join(args)}", wall, median(samples, "cpu"), peak, self.import_runs,
                        floor="psql -f pg_dump of the result", floor_command=f"psql -f {dump} {libpq_floor}",
                        floor_wall=floor_wall, target=target,
                        met=wall <= 2 * floor_wall and (size < 1_000_000 or wall < 90)))

    def queries(self, db: Path, size: int, startup: float) -> None:
        """Filtered `list`, search by alias, `show` by alias and by id, each against its own SQL in sqlite3."""
        model_id, alias = pick_model(db)
        cases = [("list: arch + params + dates", FILTERED),
                 ("list: --search ALIAS", ["list", "--search", alias, "--limit", "10"]),
                 ("show ALIAS", ["show", alias]),
                 ("show ID", ["show", model_id])]
        for name, args in cases:
            slug = "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")
            sql = self.work / f"trace-{label(size)}-{slug}.sql"
            subprocess.run([sys.executable, str(HERE / "sqltrace.py"), str(sql), "--", *args],
                           env=self.env_for(db), check=True, stdout=subprocess.DEVNULL)
            floor = measure(["sqlite3", str(db), f".read {sql}"], self.env, self.runs)
            samples = measure(self.llmzoo + args, self.env_for(db), self.runs)
            wall = median(samples, "wall")
            beyond = wall - startup
            self.add(Result(f"{name} ({label(size)})", self.command(db, args), wall, median(samples, "cpu"),
                            median(samples, "peak_mb"), self.runs, floor="same SQL in sqlite3",
                            floor_command=f"sqlite3 {db} '.read {sql}'", floor_wall=median(floor, "wall"),
                            target="< start-up + 0.1 s", met=beyond < 0.1,
                            note=f"{beyond:+.3f} s beyond start-up", extra={"beyond_startup": beyond}))

    def export(self, db: Path, size: int) -> None:
        """`llmzoo export` to CSV against `sqlite3 -csv` of the same columns."""
        out, floor_out = self.work / f"export-{label(size)}.csv", self.work / f"export-{label(size)}-sqlite3.csv"
        sql = self.work / "export-floor.sql"
        sql.write_text(export_sql(), encoding="utf-8")
        args = ["export", "-o", str(out)]
        samples = measure(self.llmzoo + args, self.env_for(db), self.long_runs, warmup=False)
        floor = measure(["sqlite3", "-csv", "-header", str(db), f".read {sql}"], self.env, self.long_runs,
                        warmup=False, stdout=floor_out)
        wall, floor_wall, peak = median(samples, "wall"), median(floor, "wall"), median(samples, "peak_mb")
        self.add(Result(f"export {label(size)} models to CSV ({out.stat().st_size / 1e9:.2f} GB)",
                        self.command(db, args), wall, median(samples, "cpu"), peak, self.long_runs,
                        floor="sqlite3 -csv, same columns", floor_command=f"sqlite3 -csv -header {db} '.read {sql}'",
                        floor_wall=floor_wall, target="<= 2x floor, peak < 500 MB",
                        met=wall <= 2 * floor_wall and peak < 500,
                        note=f"floor file {floor_out.stat().st_size / 1e9:.2f} GB"))

    def charts(self, db: Path, size: int) -> None:
        """Every `llmzoo chart` kind to HTML (the issue names compute and timeline; the rest alike)."""
        try:
            run_once(self.llmzoo + ["chart", "--help"], self.env)
        except RuntimeError:
            for kind in CHARTS:
                self.results.append(Result(f"chart {kind} ({label(size)})", "", 0, 0, 0, 0, note="pending: no chart"))
            return
        for kind in CHARTS:
            out = self.work / f"chart-{kind}-{label(size)}.html"
            args = ["chart", kind, "-o", str(out)]
            samples = measure(self.llmzoo + args, self.env_for(db), self.long_runs, warmup=False)
            wall, mb = median(samples, "wall"), out.stat().st_size / 1e6
            self.add(Result(f"chart {kind} ({label(size)})", self.command(db, args), wall, median(samples, "cpu"),
                            median(samples, "peak_mb"), self.long_runs, target="< 15 s, HTML < 5 MB",
                            met=wall < 15 and mb < 5, note=f"HTML {mb:.2f} MB", extra={"html_mb": mb}))
            if kind == "lineage":
                self.filtered_lineage(db, size, wall)

    def filtered_lineage(self, db: Path, size: int, unfiltered: float) -> None:
        """`chart lineage --since 2024 --arch causal-decoder`: no filtered case slower than the unfiltered one."""
        out = self.work / f"chart-lineage-filtered-{label(size)}.html"
        args = ["chart", "lineage", "--since", "2024", "--arch", "causal-decoder", "-o", str(out)]
        samples = measure(self.llmzoo + args, self.env_for(db), self.long_runs, warmup=False)
        wall = median(samples, "wall")
        self.add(Result(f"chart lineage --since 2024 --arch causal-decoder ({label(size)})", self.command(db, args),
                        wall, median(samples, "cpu"), median(samples, "peak_mb"), self.long_runs,
                        floor="chart lineage, unfiltered, same run", floor_wall=unfiltered,
                        target="not slower than unfiltered, < 15 s", met=wall <= unfiltered * 1.05 and wall < 15,
                        note=f"HTML {out.stat().st_size / 1e6:.2f} MB"))

    def site(self, db: Path, size: int) -> None:
        """`site build` (auto: packed above 20,000 models) against one plain loop writing the same bytes, its
        size on disk, and the index in headless Chromium (the measurements of benchmarks/site.py)."""
        spec = importlib.util.spec_from_file_location("site_bench", HERE / "site.py")
        assert spec is not None and spec.loader is not None
        bench_site = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(bench_site)
        out = self.work / f"site-{label(size)}"
        built = bench_site.build(self, db, out, self.long_runs, None)
        floor = bench_site.write_floor(out, self.work, self.long_runs)
        met = built["wall"] < 60 and built["disk_mb"] < 400
        self.add(Result(f"site build ({label(size)}) — {built['disk_mb']:.0f} MB on disk, {built['files']:,} files",
                        built["command"], built["wall"], built["cpu"], built["peak_mb"], self.long_runs,
                        floor="the same bytes written by one Python loop", floor_wall=floor,
                        target="< 60 s, < 400 MB on disk", met=met, note=f"{built['apparent_mb']:.0f} MB apparent",
                        extra={"disk_mb": built["disk_mb"], "files": built["files"]}))
        try:
            views = bench_site.browser_figures(out)
        except SystemExit as exc:  # no Chromium: say so in the table
            self.results.append(Result(f"site index filter ({label(size)})", "", 0, 0, 0, 0, note=f"not run: {exc}"))
            return
        self.add(Result(f"site index in headless Chromium ({label(size)}): filter by architecture", "",
                        views["filter_s"], 0, 0, bench_site.FILTER_RUNS, target="searchable in the browser",
                        met=True, note=(f"open index.html to first rows {views['load_s']:.2f} s; search 'llama' "
                                        f"{views['search_s'] * 1000:.0f} ms with its 80 ms debounce; open a model "
                                        f"{views['open_s'] * 1000:.0f} ms"), extra=views))


def export_sql() -> str:
    """One SELECT giving the columns of `llmzoo export` (the floor of the export)."""
    from catalog.query.models import export_columns
    from catalog.records.data import DATE_FACTS, MODEL_FACTS

    cols = {"id": "m.id", "name": "m.name", "family": "m.family_id", "org": "m.org_id", "origin": "m.origin",
            "source": "m.source_id", "source_url": "s.url", "note": "m.note",
            "aliases": "(SELECT group_concat(alias, ';') FROM (SELECT alias FROM aliases a WHERE a.model_id = m.id "
                       "AND NOT a.is_name ORDER BY alias))",
            # as the export writes them: empty, not 'null' or '[]', for a model without any
            "accept": "nullif(m.accept, 'null')",
            "parents": "(SELECT CASE WHEN count(*) THEN json_group_array(json_object('model', l.parent_id, "
                       "'relation', l.relation, 'source', ls.url, 'note', l.note)) END FROM lineage l "
                       "JOIN sources ls ON ls.id = l.source_id WHERE l.child_id = m.id)",
            "datasets": "(SELECT CASE WHEN count(*) THEN json_group_array(json_object('dataset', d.dataset_id, "
                        "'share', d.share, 'epochs', d.epochs, 'tokens', d.tokens, 'source', ds.url, 'note', "
                        "d.note)) END FROM model_datasets d JOIN sources ds ON ds.id = d.source_id "
                        "WHERE d.model_id = m.id)",
            "refs": "CASE WHEN m.origin = 'user' THEN (SELECT json_object('sources', json_array(json_object('id', "
                    "s.id, 'url', s.url, 'title', s.title, 'kind', s.kind, 'published', s.published)))) END",
            "compute": "coalesce(m.train_compute, 6 * m.params * m.train_tokens)",
            "compute_status": "CASE WHEN m.train_compute IS NOT NULL THEN 'source' "
                              "WHEN m.params * m.train_tokens IS NOT NULL THEN '6ND' END",
            "tokens_per_param": "m.train_tokens / m.params",
            # approximations of the same kind of arithmetic as catalog.scaling / catalog.rules.hardware
            "chinchilla_optimal_params": "pow(coalesce(m.train_compute, 6 * m.params * m.train_tokens) / 125.4, 0.5)",
            "chinchilla_ratio": "m.train_tokens / m.params / 20.9",
            "compute_hardware": "CASE WHEN m.hardware IS NOT NULL THEN m.accelerator_hours * 3600 * 312e12 "
                                "* coalesce(m.mfu, 0.4) END",
            "compute_hardware_method": "CASE WHEN m.accelerator_hours IS NOT NULL THEN 'hours' END"}
    joins = ["FROM models m", "JOIN organizations o ON o.id = m.org_id", "JOIN sources s ON s.id = m.source_id"]
    for i, name in enumerate(MODEL_FACTS):
        f = f"f{i}"
        joins.append(f"LEFT JOIN model_facts {f} ON {f}.model_id = m.id AND {f}.field = '{name}'")
        cols[name] = f"m.{name}"
        if name in DATE_FACTS:
            cols[f"{name}_precision"] = f"m.{name}_precision"
        cols[f"{name}_status"] = (f"CASE WHEN {f}.status IS NOT NULL THEN {f}.status "
                                  f"WHEN m.{name} IS NOT NULL THEN 'reported' END")
        cols[f"{name}_source"] = (f"CASE WHEN {f}.status IS NOT NULL THEN "
                                  f"(SELECT url FROM sources WHERE id = {f}.source_id) "
                                  f"WHEN m.{name} IS NOT NULL THEN s.url END")
        for part in ("method", "confidence", "note"):
            cols[f"{name}_{part}"] = f"{f}.{part}"
    select = ",\n  ".join(f"{cols.get(c, 'NULL')} AS {c}" for c in export_columns())
    order = "ORDER BY m.released IS NULL, m.released, m.id"
    return f"SELECT\n  {select}\n" + "\n".join(joins) + f"\n{order};\n"


def pick_model(db: Path) -> tuple[str, str]:
    """A user model in the middle of the catalogue and one of its aliases (case changed)."""
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT a.model_id, a.alias FROM aliases a JOIN models m ON m.id = a.model_id "
                           "WHERE NOT a.is_name AND m.origin = 'user' ORDER BY a.key LIMIT 1 OFFSET "
                           "(SELECT count(*) / 2 FROM aliases WHERE NOT is_name)").fetchone()
        if row is None:
            row = conn.execute("SELECT model_id, alias FROM aliases WHERE NOT is_name ORDER BY key LIMIT 1").fetchone()
    return row[0], row[1].upper()


def checkpoint(db: Path) -> None:
    """Fold the WAL into the database file, so every benchmark starts from the same state."""
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def label(size: int) -> str:
    """1000000 -> '1M'."""
    for unit, scale in (("M", 1_000_000), ("k", 1000)):
        if size >= scale and size % scale == 0:
            return f"{size // scale}{unit}"
    return str(size)


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
               if line.startswith("MemTotal"))
    sqlite_cli = subprocess.run(["sqlite3", "--version"], capture_output=True, text=True).stdout.split()[0]
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(mem / 2**20, 1),
            "python": platform.python_version(), "sqlite_python": sqlite3.sqlite_version, "sqlite_cli": sqlite_cli,
            "os": platform.platform(), "load_average": os.getloadavg()}


def table(results: list[Result]) -> str:
    """The results as a markdown table."""
    lines = ["| benchmark | median | CPU | peak memory | floor | floor median | ratio | target | met |",
             "| --- | ---: | ---: | ---: | --- | ---: | ---: | --- | --- |"]
    for r in results:
        met = "" if r.met is None else ("yes" if r.met else "**no**")
        lines.append(f"| {r.name}{' — ' + r.note if r.note else ''} | {r.wall:.3f} s | {r.cpu:.3f} s | "
                     f"{r.peak_mb:.0f} MB | {r.floor} | {'' if r.floor_wall is None else f'{r.floor_wall:.3f} s'} | "
                     f"{'' if r.ratio is None else f'{r.ratio:.2f}x'} | {r.target} | {met} |")
    return "\n".join(lines)


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1M", help="catalogue sizes: 10k,100k,1M")
    parser.add_argument("--only", default=",".join(KINDS), help=f"benchmarks to run among {', '.join(KINDS)}")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per command (median reported)")
    parser.add_argument("--import-runs", type=int, default=3, help="timed runs of each import")
    parser.add_argument("--long-runs", type=int, default=3, help="timed runs of each export and chart")
    parser.add_argument("--work", type=Path, default=Path("/tmp/llmzoo-bench"))
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    parser.add_argument("--pg", help="also import into PostgreSQL: a server URL whose user may create databases "
                                     "(postgresql+psycopg://postgres@127.0.0.1:5432/postgres)")
    args = parser.parse_args()
    only = set(args.only.split(","))
    args.work.mkdir(parents=True, exist_ok=True)
    bench = Bench(args.work, args.runs, args.import_runs, args.long_runs)
    info = machine()
    print(json.dumps(info), flush=True)
    curated = bench.curated()
    startup = bench.startup(curated) if "startup" in only else 0.0
    for size in [int(float(s.replace("k", "e3").replace("M", "e6"))) for s in args.sizes.split(",") if s]:
        db = args.work / f"catalogue-{label(size)}.db"
        if "import" in only or not db.exists():
            db = bench.import_(curated, size)
        if "import" in only and args.pg:
            bench.import_pg(curated, size, args.pg)
        if "queries" in only:
            bench.queries(db, size, startup)
        if "export" in only:
            bench.export(db, size)
        if "charts" in only:
            bench.charts(db, size)
        if "site" in only and size <= 100_000:  # the target is a 100k site; a 1M one would take most of an hour
            bench.site(db, size)
    info["load_average_after"] = os.getloadavg()
    print("\n" + table(bench.results))
    print(f"\nload average before {info['load_average']}, after {info['load_average_after']}")
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "results": [asdict(r) | {"ratio": r.ratio}
                                                                       for r in bench.results]}, indent=2))


if __name__ == "__main__":
    main()

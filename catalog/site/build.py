"""`build_site`: write the whole site into a folder, replacing an earlier build only when it is done.

What the pages are is described in catalog/site/__init__.py; their data comes from
catalog.site.data and their HTML from the templates of catalog.site.render.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from catalog.errors import CatalogError
from catalog.io.files import umask
from catalog.query.lineage import LineageGraph
from catalog.query.models import Filters, conditions, get_dataset
from catalog.site import render
from catalog.site.data import dataset_sources, index_data, index_rows, iter_model_details
from catalog.site.pack import PackWriter, pack_name, packed_page
from catalog.site.render import page_name, script_json
from catalog.store.db import reading
from catalog.store.schema import Dataset

ASSETS = Path(__file__).parent / "assets"
MARKER = ".llmzoo-site"
CHART_TITLES = {"timeline": "Timeline", "compute": "Compute-optimality", "growth": "Growth",
                "architectures": "Architectures"}
#: How model pages are written: one file per model, packed (catalog.site.pack), or packed above PACK_ABOVE models.
PAGE_MODES = ("auto", "files", "packed")
PACK_ABOVE = 20_000
#: Model pages are written by forked processes, one per core up to MAX_WORKERS, from this many models.
PARALLEL_ABOVE = 5_000
MAX_WORKERS = 4


@dataclass
class SiteSummary:
    """What a build wrote."""

    folder: Path
    models: int = 0
    datasets: int = 0
    charts: list[str] = field(default_factory=list)
    skipped_charts: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    pages: str = "files"
    page_files: int = 0


# --- Building ----------------------------------------------------------------------------------


def build_site(engine: Engine, folder: str | os.PathLike[str], filters: Filters | None = None,
               progress: Callable[[str], None] | None = None, pages: str = "auto") -> SiteSummary:
    """Write the site for the models matching `filters` into `folder` (replacing an earlier build).

    `pages`: "files" writes one file per model (models/<id>.html), "packed" a few hundred packs
    (models/p-<hex>.html#<id>, catalog.site.pack), "auto" packs above PACK_ABOVE models.

    The site is built in a temporary folder beside the target and moved into place at the end, so
    an interrupted build leaves the previous site intact. A folder that exists, is not empty and
    is not an llmzoo site is refused, so a typo cannot fill a home folder with pages.
    """
    started = time.perf_counter()
    target = Path(folder)
    say = progress or (lambda _message: None)
    filters = filters or Filters()
    if pages not in PAGE_MODES:
        raise CatalogError(f"pages must be one of {', '.join(PAGE_MODES)}, not {pages!r}")
    conditions(filters)  # a bad filter fails before anything is written
    _check_target(target)
    where = Path(os.path.abspath(target))  # `-o .` has no name of its own to build beside
    where.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=where.parent, prefix=f".{where.name or 'site'}.", suffix=".tmp"))
    try:
        summary = _build_into(engine, work, filters, say, pages)
        (work / MARKER).write_text("This folder was written by `llmzoo site build`; it is replaced on rebuild.\n")
        if _holds_cwd(where):
            _replace_contents(work, where)
        else:
            _replace(work, where)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    summary.folder = target
    summary.seconds = time.perf_counter() - started
    return summary


def _check_target(target: Path) -> None:
    if target.exists() and not target.is_dir():
        raise CatalogError(f"cannot build the site in {target}: it is a file; give a folder name")
    if target.is_dir() and any(target.iterdir()) and not (target / MARKER).exists():
        raise CatalogError(f"{target} is not empty and holds no earlier llmzoo site; "
                           "give a new or empty folder (the build replaces the folder's content)")


def _replace(work: Path, target: Path) -> None:
    os.chmod(work, 0o777 & ~umask())
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        os.replace(target, old)
        os.replace(work, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(work, target)


def _holds_cwd(target: Path) -> bool:
    """Whether the target is the working folder or holds it (renaming it would strand the shell there)."""
    cwd = Path(os.path.abspath(os.getcwd()))
    return cwd == target or target in cwd.parents or target.parent == target


def _replace_contents(work: Path, target: Path) -> None:
    """Swap the content of `target` for that of `work`, keeping the folder itself (`-o .`)."""
    target.mkdir(parents=True, exist_ok=True)
    old = Path(tempfile.mkdtemp(dir=target, prefix=".old-", suffix=".tmp"))
    for item in list(target.iterdir()):
        if item != old:
            os.replace(item, old / item.name)
    for item in list(work.iterdir()):
        os.replace(item, target / item.name)
    shutil.rmtree(old, ignore_errors=True)
    shutil.rmtree(work, ignore_errors=True)


def _build_into(engine: Engine, out: Path, filters: Filters, say: Callable[[str], None], mode: str) -> SiteSummary:
    summary = SiteSummary(out)
    for sub in ("assets", "models", "datasets"):
        (out / sub).mkdir()
    say("selecting models")
    rows = index_rows(engine, filters)
    packed = mode == "packed" or (mode == "auto" and len(rows) > PACK_ABOVE)
    summary.pages = "packed" if packed else "files"
    pages = {row["id"]: (packed_page if packed else page_name)(row["id"]) for row in rows}
    summary.models = len(rows)
    frame = _models_frame(engine, filters)
    compute_spec = _compute_background(frame)
    graph = LineageGraph.load(engine)
    ids = [row["id"] for row in rows]
    job = ModelPages(engine, out / "models", pages, graph, compute_spec is not None, packed)
    workers = page_workers(len(ids))

    def charts_and_index() -> None:
        say("writing the charts")
        write_assets(out, packed)
        (out / "assets" / "compute.js").write_text(
            "window.LLMZOO_COMPUTE = " + script_json(compute_spec) + ";\n", encoding="utf-8")
        write_charts_page(out, frame, summary)
        write_tree_page(out, engine, filters, pages)
        write_index(out, rows, filters, packed)

    writing = f"writing {len(ids)} model pages" + (" into packs" if packed else "")
    if workers > 1:  # the forks write the model pages while this process writes the rest
        say(f"{writing} in {workers} processes")
        forks = job.start(ids, workers)
        try:
            charts_and_index()
        except BaseException:
            forks.stop()
            raise
        summary.page_files, used_datasets = forks.wait()
    else:
        charts_and_index()
        say(writing)
        summary.page_files, used_datasets = job.write(ids)
    say("writing the dataset pages")
    summary.datasets = write_datasets(out, engine, pages, None if filters == Filters() else used_datasets)
    return summary


def page_workers(models: int) -> int:
    """How many processes write the model pages: one per core (at most MAX_WORKERS) for PARALLEL_ABOVE
    models or more, where processes fork (Linux); else one, this one."""
    if models < PARALLEL_ABOVE or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(MAX_WORKERS, cores))


@dataclass
class ModelPages:
    """The model pages of a build: one file each (`packed` False) or packs (catalog.site.pack) in `folder`."""

    engine: Engine
    folder: Path
    pages: dict[str, str]
    graph: LineageGraph
    have_chart: bool
    packed: bool

    def write(self, ids: Sequence[str]) -> tuple[int, set[str]]:
        """Write the pages of `ids` (in packed builds, whole packs); returns (files written, datasets used)."""
        used: set[str] = set()
        files = 0
        writer = PackWriter(self.folder) if self.packed else None
        for detail in iter_model_details(self.engine, ids):
            used.update(d["dataset"] for d in detail["datasets"])
            if writer is not None:
                writer.add(detail["id"], detail["name"],
                           render.model_section(detail, self.pages, self.graph, self.have_chart))
            else:
                page = render.model_page(detail, self.pages, self.graph, self.have_chart)
                (self.folder / self.pages[detail["id"]]).write_text(page, encoding="utf-8")
                files += 1
        return (writer.finish() if writer is not None else files), used

    def start(self, ids: Sequence[str], workers: int) -> Forks:
        """`write` shared among `workers` forked processes, each with its own packs (or pages) and its own
        database connections, running until `Forks.wait`; the pages are the same whatever the number."""
        parts: list[list[str]] = [[] for _ in range(workers)]
        for i, model_id in enumerate(ids):
            parts[int(pack_name(model_id)[2:4], 16) % workers if self.packed else i % workers].append(model_id)
        context = multiprocessing.get_context("fork")
        gc.freeze()  # what exists now is never collected, so the collector does not copy it into each fork
        forks = Forks()
        try:
            for part in parts:
                receive, send = context.Pipe(duplex=False)
                process = context.Process(target=self._write_part, args=(part, send), daemon=True)
                process.start()
                send.close()
                forks.running.append((process, receive))
        except BaseException:
            forks.stop()
            raise
        return forks

    def _write_part(self, ids: list[str], send: Any) -> None:
        """In a forked process: `write` with connections of its own, the outcome (or the error) sent back."""
        self.engine.dispose(close=False)  # the parent's pooled connections stay the parent's
        try:
            send.send(("ok", self.write(ids)))
        except BaseException as exc:  # noqa: B036 -- whatever happened is the parent's to raise
            send.send(("error", exc))
        finally:
            send.close()


@dataclass
class Forks:
    """The processes of `ModelPages.start`, each with the pipe it answers on."""

    running: list[tuple[Any, Any]] = field(default_factory=list)

    def wait(self) -> tuple[int, set[str]]:
        """Wait for every process; (files written, datasets used) of all, or the first error raised."""
        answers = []
        try:
            for process, receive in self.running:
                try:
                    answers.append(receive.recv())
                except EOFError:
                    process.join()
                    answers.append(("error", CatalogError(f"a process writing model pages stopped "
                                                          f"(exit status {process.exitcode})")))
        finally:
            self.stop()
        for status, value in answers:
            if status == "error":
                raise value
        return sum(v[0] for _, v in answers), set().union(*(v[1] for _, v in answers))

    def stop(self) -> None:
        """End the processes still running and let the collector see this process's objects again."""
        for process, receive in self.running:
            if process.is_alive():
                process.terminate()
            process.join()
            receive.close()
        gc.unfreeze()


def write_assets(out: Path, packed: bool = False) -> None:
    """Copy the site's CSS and scripts (pack.js for packed model pages only) and write the Vega bundle
    into out/assets."""
    for item in sorted(ASSETS.iterdir()):
        if item.suffix in (".css", ".js") and (packed or item.name != "pack.js"):
            shutil.copyfile(item, out / "assets" / item.name)
    (out / "assets" / "vega.js").write_text(vega_bundle(), encoding="utf-8")


_BUNDLE: list[str] = []


def vega_bundle() -> str:
    """Vega, Vega-Lite and vega-embed as one classic script (made once per process from the one
    cached vl-convert bundle of catalog.charts.files).

    vl-convert's bundle is an ES module without imports or exports; wrapped in a strict function
    it runs as a plain <script src>, which browsers allow from file:// (modules they do not).
    """
    if not _BUNDLE:
        from catalog.charts.files import javascript_bundle

        _BUNDLE.append("(function () {\n\"use strict\";\n" + javascript_bundle() + "\n})();\n")
    return _BUNDLE[0]


def _models_frame(engine: Engine, filters: Filters) -> Any:
    from catalog.charts.draw import CHART_COLUMNS
    from catalog.query.models import models_frame

    return models_frame(engine, filters, columns=list(CHART_COLUMNS))


def write_index(out: Path, rows: Sequence[dict[str, Any]], filters: Filters, packed: bool = False) -> None:
    """index.html: the table, its controls, and the data as one JSON blob (`packed`: the model pages are packs)."""
    (out / "index.html").write_text(render.index_page(index_data(rows, packed), filters != Filters()),
                                    encoding="utf-8")


def _compute_background(frame: Any) -> dict[str, Any] | None:
    """The compute chart of the whole selection, for model pages to ring their model on (None if empty)."""
    from catalog.charts.draw import chart_compute

    if frame.empty:
        return None
    try:
        chart = chart_compute(frame, title="Parameters vs training tokens", width=560, height=400, max_labels=12)
    except CatalogError:
        return None
    return chart.to_dict()


def write_datasets(out: Path, engine: Engine, pages: dict[str, str], only: set[str] | None) -> int:
    """datasets.html and one page per dataset (all, or those in `only`); returns how many."""
    with reading(engine) as conn:
        ids = [i for i in conn.execute(select(Dataset.id).order_by(Dataset.id)).scalars()
               if only is None or i in only]
    datasets = []
    for dataset_id in ids:
        d = get_dataset(engine, dataset_id)
        page = render.dataset_page(d, pages, dataset_sources(engine, d))
        (out / "datasets" / page_name(dataset_id)).write_text(page, encoding="utf-8")
        datasets.append(d)
    (out / "datasets.html").write_text(render.datasets_page(datasets), encoding="utf-8")
    return len(datasets)


def write_charts_page(out: Path, frame: Any, summary: SiteSummary) -> None:
    """charts.html: every chart of catalog.charts as an interactive Vega-Lite view."""
    from catalog.charts import draw as charts

    drawn: list[tuple[str, str, dict[str, Any] | None, str]] = []
    for name, title in CHART_TITLES.items():
        make = getattr(charts, f"chart_{name}")
        try:
            if frame.empty:
                raise CatalogError("no models are selected")
            spec = make(frame).to_dict()
        except CatalogError as exc:
            summary.skipped_charts[name] = str(exc)
            drawn.append((name, title, None, str(exc)))
            continue
        summary.charts.append(name)
        drawn.append((name, title, spec, ""))
    (out / "charts.html").write_text(render.charts_page(drawn), encoding="utf-8")


def write_tree_page(out: Path, engine: Engine, filters: Filters, pages: dict[str, str]) -> None:
    """tree.html: the evolutionary tree, dots linking to the model pages."""
    from catalog.charts.tree import chart_tree_from_db

    try:
        spec = chart_tree_from_db(engine, filters, urls={i: "models/" + p for i, p in pages.items()}).to_dict()
    except CatalogError as exc:
        page = render.tree_page(None, str(exc))
    else:
        page = render.tree_page(spec)
    (out / "tree.html").write_text(page, encoding="utf-8")

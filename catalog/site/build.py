"""`build_site`: write the whole site into a folder, replacing an earlier build only when it is done.

What the pages are is described in catalog/site/__init__.py; their data comes from
catalog.site.data and their HTML from the templates of catalog.site.render.
"""

from __future__ import annotations

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
from catalog.site.render import page_name, script_json
from catalog.store.db import reading
from catalog.store.schema import Dataset

ASSETS = Path(__file__).parent / "assets"
MARKER = ".llmzoo-site"
CHART_TITLES = {"timeline": "Timeline", "compute": "Compute-optimality", "growth": "Growth",
                "architectures": "Architectures"}


@dataclass
class SiteSummary:
    """What a build wrote."""

    folder: Path
    models: int = 0
    datasets: int = 0
    charts: list[str] = field(default_factory=list)
    skipped_charts: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


# --- Building ----------------------------------------------------------------------------------


def build_site(engine: Engine, folder: str | os.PathLike[str], filters: Filters | None = None,
               progress: Callable[[str], None] | None = None) -> SiteSummary:
    """Write the site for the models matching `filters` into `folder` (replacing an earlier build).

    The site is built in a temporary folder beside the target and moved into place at the end, so
    an interrupted build leaves the previous site intact. A folder that exists, is not empty and
    is not an llmzoo site is refused, so a typo cannot fill a home folder with pages.
    """
    started = time.perf_counter()
    target = Path(folder)
    say = progress or (lambda _message: None)
    filters = filters or Filters()
    conditions(filters)  # a bad filter fails before anything is written
    _check_target(target)
    where = Path(os.path.abspath(target))  # `-o .` has no name of its own to build beside
    where.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=where.parent, prefix=f".{where.name or 'site'}.", suffix=".tmp"))
    try:
        summary = _build_into(engine, work, filters, say)
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


def _build_into(engine: Engine, out: Path, filters: Filters, say: Callable[[str], None]) -> SiteSummary:
    summary = SiteSummary(out)
    for sub in ("assets", "models", "datasets"):
        (out / sub).mkdir()
    say("selecting models")
    rows = index_rows(engine, filters)
    pages = {row["id"]: page_name(row["id"]) for row in rows}
    summary.models = len(rows)
    say("writing the charts")
    write_assets(out)
    frame = _models_frame(engine, filters)
    compute_spec = _compute_background(frame)
    (out / "assets" / "compute.js").write_text(
        "window.LLMZOO_COMPUTE = " + script_json(compute_spec) + ";\n", encoding="utf-8")
    write_charts_page(out, frame, summary)
    graph = LineageGraph.load(engine)
    write_tree_page(out, engine, filters, pages)
    say(f"writing {len(rows)} model pages")
    write_index(out, rows, filters)
    used_datasets: set[str] = set()
    for detail in iter_model_details(engine, [row["id"] for row in rows]):
        used_datasets.update(d["dataset"] for d in detail["datasets"])
        page = render.model_page(detail, pages, graph, compute_spec is not None)
        (out / "models" / pages[detail["id"]]).write_text(page, encoding="utf-8")
    say("writing the dataset pages")
    summary.datasets = write_datasets(out, engine, pages, None if filters == Filters() else used_datasets)
    return summary


def write_assets(out: Path) -> None:
    """Copy the site's CSS and scripts and write the Vega bundle into out/assets."""
    for item in sorted(ASSETS.iterdir()):
        if item.suffix in (".css", ".js"):
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


def write_index(out: Path, rows: Sequence[dict[str, Any]], filters: Filters) -> None:
    """index.html: the table, its controls, and the data as one JSON blob."""
    (out / "index.html").write_text(render.index_page(index_data(rows), filters != Filters()), encoding="utf-8")


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

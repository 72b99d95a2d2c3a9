"""`build_site`: write the whole site into a folder, replacing an earlier build only when it is done.

The pages are described in catalog/site/__init__.py.
"""

from __future__ import annotations

import functools
import html
import json
import math
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from catalog.db import reading
from catalog.display import LABELS, human
from catalog.errors import CatalogError
from catalog.io.files import umask
from catalog.lineage import LineageGraph, TreeNode
from catalog.queries import (
    COMPUTED,
    Filters,
    add_computed,
    conditions,
    fact_statuses,
    find_models,
    get_dataset,
)
from catalog.records import DATE_FACTS, MODEL_FACTS, format_date
from catalog.schema import Alias, Dataset, Family, Lineage, Model, ModelDataset, ModelFact, Organization, Source
from catalog.store import LIST_FACTS

ASSETS = Path(__file__).parent / "assets"
MARKER = ".llmzoo-site"
BATCH = 500
#: Nodes drawn in one ancestry or descendant tree on a model page; the rest are counted.
MAX_TREE_NODES = 200
#: Trees up to this many nodes are shown unfolded; larger ones start folded.
OPEN_TREE_NODES = 30

LEGEND = ("~ estimated, = derived, ^ inherited from the parent model, c. nominal (size from the name), "
          "n/d not disclosed, * set by a user without a source")
INDEX_COLUMNS = ("id", "name", "family", "org", "org_name", "origin", "released", "arch", "moe", "params",
                 "active_params", "train_tokens", "train_compute", "context_window", "open_weights",
                 "compute", "compute_status", "tokens_per_param")
STATUS_FIELDS = ("released", "arch", "params", "train_tokens", "train_compute", "context_window", "open_weights")


@dataclass
class SiteSummary:
    """What a build wrote."""

    folder: Path
    models: int = 0
    datasets: int = 0
    charts: list[str] = field(default_factory=list)
    skipped_charts: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


# --- Escaping and formatting -------------------------------------------------------------------


def esc(value: Any) -> str:
    """Any value as HTML text (quotes escaped too, so it is safe inside attributes)."""
    return html.escape("" if value is None else str(value), quote=True)


def script_json(value: Any) -> str:
    """JSON safe inside a <script> element: `<`, `>` and `&` written as \\u escapes."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_json_default)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _json_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def safe_url(url: str | None) -> str | None:
    """The URL if it is http(s), else None (never a javascript: or data: link)."""
    return url if url and re.match(r"^https?://", url, re.IGNORECASE) else None


_PAGE_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


_PAGE_ID_LENGTH = 120  # longer ids (an older catalogue may hold any) get a cut name: file names stop at 255 bytes


def page_name(record_id: str) -> str:
    """File name of a model's or dataset's page: the id (a slug) plus .html; an odd id gets a hash, a long one
    its first characters and a hash."""
    odd = not _PAGE_NAME.match(record_id) or record_id in (".", "..")
    if not odd and len(record_id) <= _PAGE_ID_LENGTH:
        return record_id + ".html"
    import hashlib

    digest = hashlib.sha1(record_id.encode()).hexdigest()[:16]
    return f"x-{digest}.html" if odd else f"{record_id[:_PAGE_ID_LENGTH - 17]}-{digest}.html"


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
        page = model_page(detail, pages, graph, compute_spec is not None)
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
    from catalog.queries import models_frame

    return models_frame(engine, filters, columns=list(CHART_COLUMNS))


# --- The index ---------------------------------------------------------------------------------


def index_rows(engine: Engine, filters: Filters) -> list[dict[str, Any]]:
    """The selected models with what the index table shows, newest first."""
    rows = find_models(engine, filters, sort="-released", columns=INDEX_COLUMNS)
    statuses = fact_statuses(engine, [r["id"] for r in rows], STATUS_FIELDS)
    with reading(engine) as conn:
        families = dict(conn.execute(select(Family.id, Family.name)).all())
        aliases: dict[str, list[str]] = {}
        for model_id, alias in conn.execute(select(Alias.model_id, Alias.alias).where(Alias.is_name.is_(False))):
            aliases.setdefault(model_id, []).append(alias)
    for row in rows:
        row["family_name"] = families.get(row["family"])
        row["aliases"] = aliases.get(row["id"], [])
        row["statuses"] = {f: statuses[(row["id"], f)] for f in STATUS_FIELDS if (row["id"], f) in statuses}
    return rows


def _cell(name: str, row: dict[str, Any]) -> list[Any] | None:
    """[sort value, text] of a number column, or None when there is nothing to show."""
    value = row.get(name)
    status = "derived" if name == "compute" and row.get("compute_status") == "6ND" else row["statuses"].get(name)
    text = human(name, value, status)
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        value = int(value)  # 7000000000, not 7000000000.0: a smaller blob
    return [value, text] if text else None


#: Columns of the index blob. `page` is null when it is models/<id>.html (the browser fills it in).
INDEX_FIELDS = ("id", "name", "aliases", "org", "family", "released", "arch", "params", "train_tokens", "compute",
                "tokens_per_param", "context_window", "open_weights", "user", "page")


def index_data(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The index table as one JSON-ready blob: a row is a list in the order of `fields`."""
    out = []
    for row in rows:
        page = page_name(row["id"])
        out.append([row["id"], row["name"], " ".join(row["aliases"]), row["org_name"] or row["org"],
                    row["family_name"] or "", row["released"] or "", row["arch"] or "", _cell("params", row),
                    _cell("train_tokens", row), _cell("compute", row), _cell("tokens_per_param", row),
                    _cell("context_window", row), row["open_weights"], row.get("origin") == "user",
                    None if page == row["id"] + ".html" else "models/" + page])
    return {"fields": list(INDEX_FIELDS), "rows": out}


def write_index(out: Path, rows: Sequence[dict[str, Any]], filters: Filters) -> None:
    """index.html: the table, its controls, and the data as one JSON blob."""
    selection = "" if filters == Filters() else \
        '<p class="note">This site was built for a selection of the catalogue (filters given to ' \
        "<code>llmzoo site build</code>).</p>"
    body = f"""<h1>Large language models</h1>
<p class="lede">{len(rows)} models, every fact sourced. Click a column to sort; type to search names,
ids, aliases, organizations and families.</p>{selection}
<form class="controls" id="controls" onsubmit="return false">
  <label>Search <input type="search" id="search" placeholder="llama, 70B, Meta..." autocomplete="off"></label>
  <label>Architecture <select id="f-arch"><option value="">all</option></select></label>
  <label>Organization <select id="f-org"><option value="">all</option></select></label>
  <label>Year <select id="f-year"><option value="">all</option></select></label>
  <label>Open weights <select id="f-open"><option value="">all</option><option value="yes">open</option>
    <option value="no">closed</option><option value="unknown">unknown</option></select></label>
  <button type="button" id="reset">Reset</button>
</form>
<p class="status" id="count" aria-live="polite"></p>
<div class="table-wrap"><table id="models" class="models">
<thead><tr></tr></thead><tbody></tbody></table></div>
<nav class="pager" id="pager"><button type="button" id="prev">&larr; previous</button>
<span id="page-info"></span><button type="button" id="next">next &rarr;</button>
<label>rows per page <select id="page-size"><option>50</option><option selected>100</option>
<option>500</option></select></label></nav>
<p class="legend">{esc(LEGEND)} (each model's page gives the sources).</p>
<noscript><p>The table needs JavaScript; every model also has its own page under models/.</p></noscript>
<script type="application/json" id="catalog-data">{script_json(index_data(rows))}</script>"""
    (out / "index.html").write_text(layout("Models", body, "", scripts=["index.js"]), encoding="utf-8")


# --- Page layout -------------------------------------------------------------------------------


def layout(title: str, body: str, root: str, scripts: Sequence[str] = ()) -> str:
    """A whole page: head, navigation, body, footer; `root` is the relative path to the site root."""
    tags = "".join(f'<script src="{root}assets/{esc(s)}"></script>\n' for s in scripts)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)} · llmzoo</title>
<link rel="stylesheet" href="{root}assets/site.css">
</head>
<body>
<header class="top"><a class="brand" href="{root}index.html">llmzoo</a>
<nav><a href="{root}index.html">Models</a> <a href="{root}charts.html">Charts</a>
<a href="{root}tree.html">Evolutionary tree</a> <a href="{root}datasets.html">Datasets</a></nav></header>
<main>
{body}
</main>
<footer>Built by <code>llmzoo site build</code>. Every value links to its source; ~ estimated, = derived, ^ inherited,
* set by a user without a source,
c. nominal, n/d not disclosed by its developer.</footer>
{tags}</body>
</html>
"""


def _source_link(sources: dict[str, dict[str, Any]], source_id: str | None) -> str:
    if not source_id:
        return ""
    source = sources.get(source_id)
    if source is None:
        return esc(source_id)
    return _link_html(source_id, source.get("url"), source.get("title"))


@functools.lru_cache(maxsize=4096)
def _link_html(source_id: str, url: str | None, title: str | None) -> str:
    """A source as a link (cached: a few sources are cited on thousands of pages)."""
    safe = safe_url(url)
    label = esc(title or source_id)
    return f'<a class="source" href="{esc(safe)}" title="{esc(source_id)}">{label}</a>' if safe else label


def _model_link(model_id: str, name: str | None, pages: dict[str, str], prefix: str = "") -> str:
    label = f"{esc(name or model_id)} <span class=\"id\">{esc(model_id)}</span>"
    return f'<a href="{prefix}{esc(pages[model_id])}">{label}</a>' if model_id in pages else label


# --- Model pages -------------------------------------------------------------------------------


def iter_model_details(engine: Engine, ids: Sequence[str], batch: int = BATCH) -> Iterator[dict[str, Any]]:
    """`get_model` for many models, in the order of `ids`, a few queries per batch instead of per model.

    Yields dicts of exactly the shape `catalog.queries.get_model` returns (a test checks it).
    """
    with reading(engine) as conn:
        orgs = {o.id: o for o in conn.execute(select(Organization))}
        families = {f.id: f for f in conn.execute(select(Family))}
        sources: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ids), batch):
            part = list(ids[start:start + batch])
            models = {m.id: m for m in conn.execute(select(Model).where(Model.id.in_(part)))}
            related = _related(conn, part)
            cited = {s for m in models.values() for s in _cited(m, related, m.id)} - set(sources)
            for chunk in _chunks(sorted(cited)):
                for s in conn.execute(select(Source).where(Source.id.in_(chunk))):
                    sources[s.id] = {"url": s.url, "title": s.title, "kind": s.kind, "published": s.published}
            for model_id in part:
                model = models.get(model_id)
                if model is not None:
                    yield _detail(model, orgs, families, related, sources)


def _chunks(items: Sequence[str], size: int = BATCH) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start:start + size])


def _related(conn: Any, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Provenance, aliases, datasets, parents and children of a batch of models, by model id."""
    out: dict[str, dict[str, Any]] = {i: {"special": {}, "aliases": [], "datasets": [], "parents": [],
                                          "children": []} for i in ids}
    for r in conn.execute(select(ModelFact.model_id, ModelFact.field, ModelFact.source_id, ModelFact.status,
                                 ModelFact.method, ModelFact.confidence, ModelFact.note)
                          .where(ModelFact.model_id.in_(ids))):
        out[r.model_id]["special"][r.field] = {"source": r.source_id, "status": r.status, "method": r.method,
                                               "confidence": r.confidence, "note": r.note}
    from catalog.inheritance import computed_provenance

    for (model_id, name), prov in computed_provenance(conn, ids).items():
        out[model_id]["special"][name] = {k: prov[k] for k in ("source", "status", "method", "confidence", "note")}
        if prov["inherited_from"]:
            out[model_id]["special"][name]["inherited_from"] = prov["inherited_from"]
    for model_id, alias in conn.execute(select(Alias.model_id, Alias.alias).where(
            Alias.model_id.in_(ids), Alias.is_name.is_(False)).order_by(Alias.alias)):
        out[model_id]["aliases"].append(alias)
    for r in conn.execute(
            select(ModelDataset.model_id, ModelDataset.dataset_id.label("dataset"), Dataset.name, ModelDataset.share,
                   ModelDataset.epochs, ModelDataset.tokens, ModelDataset.source_id.label("source"),
                   ModelDataset.note)
            .join(Dataset, Dataset.id == ModelDataset.dataset_id).where(ModelDataset.model_id.in_(ids))
            .order_by(ModelDataset.share.desc().nulls_last(), ModelDataset.dataset_id)):
        row = dict(r._mapping)
        out[row.pop("model_id")]["datasets"].append(row)
    for r in conn.execute(
            select(Lineage.child_id, Lineage.parent_id.label("model"), Model.name, Lineage.relation,
                   Lineage.source_id.label("source"), Lineage.note)
            .join(Model, Model.id == Lineage.parent_id).where(Lineage.child_id.in_(ids))
            .order_by(Lineage.parent_id)):
        row = dict(r._mapping)
        out[row.pop("child_id")]["parents"].append(row)
    for r in conn.execute(
            select(Lineage.parent_id, Lineage.child_id.label("model"), Model.name, Lineage.relation)
            .join(Model, Model.id == Lineage.child_id).where(Lineage.parent_id.in_(ids))
            .order_by(Lineage.child_id)):
        row = dict(r._mapping)
        out[row.pop("parent_id")]["children"].append(row)
    return out


def _cited(model: Any, related: dict[str, dict[str, Any]], model_id: str) -> set[str]:
    rel = related[model_id]
    return ({model.source_id} | {p["source"] for p in rel["special"].values()}
            | {d["source"] for d in rel["datasets"]} | {p["source"] for p in rel["parents"]})


def _detail(model: Any, orgs: dict[str, Any], families: dict[str, Any], related: dict[str, dict[str, Any]],
            sources: dict[str, dict[str, Any]]) -> dict[str, Any]:
    rel = related[model.id]
    facts = {}
    for name in MODEL_FACTS:
        value = getattr(model, name)
        prov = rel["special"].get(name)
        if value is None and prov is None:
            continue
        if name in LIST_FACTS and value:
            value = value.split(",")
        prov = prov or {"source": model.source_id, "status": "reported", "method": None,
                        "confidence": None, "note": None}
        facts[name] = {"value": value, **prov}
    for date_fact in DATE_FACTS:
        if date_fact in facts and getattr(model, date_fact) is not None:
            facts[date_fact]["value"] = format_date(getattr(model, date_fact),
                                                    getattr(model, f"{date_fact}_precision"))
    cited = _cited(model, related, model.id) | {f["source"] for f in facts.values()}
    computed = add_computed({k: (v["value"] if isinstance(v, dict) else None) for k, v in facts.items()}
                            | {"moe": facts.get("moe", {}).get("value")}, model.id)
    org = orgs.get(model.org_id)
    family = families.get(model.family_id) if model.family_id else None
    return {
        "id": model.id, "name": model.name, "origin": model.origin,
        "family": family.id if family else None, "family_name": family.name if family else None,
        "org": org.id if org else model.org_id, "org_name": org.name if org else None,
        "source": model.source_id, "note": model.note, "aliases": list(rel["aliases"]),
        "facts": facts, "released_precision": model.released_precision, "accept": model.accept or {},
        "computed": {k: computed[k] for k in COMPUTED},
        "datasets": rel["datasets"], "parents": rel["parents"], "children": rel["children"],
        "sources": {s: sources[s] for s in sorted(cited) if s in sources},
    }


def _share(value: float | None) -> str:
    return "" if value is None else f"{value:.1%}"


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.3g}"


def _status_text(fact: dict[str, Any]) -> str:
    extra = [x for x in (fact.get("method"), fact.get("confidence")) if x]
    status = fact["status"] + (f" from {fact['inherited_from']}" if fact.get("inherited_from") else "")
    return status + (f" ({', '.join(extra)})" if extra else "")


def _facts_table(d: dict[str, Any]) -> str:
    rows = []
    for name, fact in d["facts"].items():
        label = LABELS.get(name, name.replace("_", " "))
        rows.append(f'<tr class="st-{esc(fact["status"])}"><th scope="row">{esc(label)}'
                    f'</th>{_value_cell(human(name, fact["value"], fact["status"]))}'
                    f'<td>{esc(_status_text(fact))}</td><td>{_source_link(d["sources"], fact["source"])}</td>'
                    f'<td>{esc(fact.get("note"))}</td></tr>')
    rows += [f'<tr class="st-{status.split()[0]}"><th scope="row">{esc(label)}</th><td class="value">{esc(value)}'
             f"</td><td>{esc(status)}</td><td></td><td>{esc(note)}</td></tr>"
             for label, value, status, note in derived_rows(d)]
    return ('<table class="facts"><thead><tr><th>fact</th><th>value</th><th>status</th><th>source</th>'
            '<th>note</th></tr></thead><tbody>' + "\n".join(rows) + "</tbody></table>")


def _value_cell(text: str) -> str:
    """A fact's value; long text (a licence, a data description) is set like prose, not bold."""
    return f'<td class="value{" long" if len(text) > 40 else ""}">{esc(text)}</td>'


def derived_rows(d: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(label, value, status, note) of the values computed from a model's facts, as `llmzoo show` lists them."""
    comp = d["computed"]
    rows = []
    if comp.get("compute") and comp.get("compute_status") == "6ND":
        rows.append(("training compute (FLOP)", "=" + human("compute", comp["compute"]), "derived (6ND)",
                     "6 × parameters × training tokens"))
    if comp.get("compute_hardware"):
        rows.append(("training compute (FLOP)", "~" + human("compute", comp["compute_hardware"]),
                     "estimated (hardware)", comp.get("compute_hardware_method") or ""))
    if comp.get("tokens_per_param"):
        rows.append(("tokens per parameter", human("tokens_per_param", comp["tokens_per_param"]), "derived",
                     "training tokens ÷ parameters"))
    if comp.get("chinchilla_optimal_params"):
        rows.append(("Chinchilla-optimal size", "=" + human("params", comp["chinchilla_optimal_params"]),
                     "derived", "parameters that would use its training compute best (Hoffmann et al. 2022)"))
    if comp.get("chinchilla_ratio"):
        rows.append(("tokens per parameter vs Chinchilla", human("chinchilla_ratio", comp["chinchilla_ratio"]) + "×",
                     "derived", "above 1: over-trained for its size; below 1: under-trained"))
    return rows


def _datasets_table(d: dict[str, Any]) -> str:
    if not d["datasets"]:
        return '<p class="empty">No training data recorded.</p>'
    rows = []
    for x in d["datasets"]:
        share, epochs = _share(x["share"]), _number(x["epochs"])
        rows.append(f'<tr><td><a href="../datasets/{esc(page_name(x["dataset"]))}">{esc(x["name"])}</a></td>'
                    f'<td class="num">{esc(share)}</td><td class="num">{esc(epochs)}</td>'
                    f'<td class="num">{esc(human("tokens", x["tokens"]))}</td>'
                    f'<td>{_source_link(d["sources"], x["source"])}</td><td>{esc(x["note"])}</td></tr>')
    return ('<table class="datasets"><thead><tr><th>dataset</th><th>share</th><th>epochs</th><th>tokens</th>'
            '<th>source</th><th>note</th></tr></thead><tbody>' + "\n".join(rows) + "</tbody></table>")


def _lineage_lists(d: dict[str, Any], pages: dict[str, str]) -> str:
    parts = []
    if d["parents"]:
        items = [f'<li>{_model_link(p["model"], p["name"], pages)}: <span class="relation">{esc(p["relation"])}'
                 f'</span>{(" — " + esc(p["note"])) if p.get("note") else ""} '
                 f'<span class="cite">({_source_link(d["sources"], p["source"])})</span></li>' for p in d["parents"]]
        parts.append('<h3>Derived from</h3><ul class="parents">' + "".join(items) + "</ul>")
    if d["children"]:
        items = [f'<li>{_model_link(c["model"], c["name"], pages)}: <span class="relation">{esc(c["relation"])}'
                 "</span></li>" for c in d["children"]]
        parts.append('<h3>Derivatives</h3><ul class="children">' + "".join(items) + "</ul>")
    return "".join(parts) or '<p class="empty">No parents or derivatives recorded.</p>'


def tree_html(node: TreeNode, pages: dict[str, str], limit: int = MAX_TREE_NODES) -> str:
    """A lineage tree as nested lists; past `limit` nodes the rest are counted, not drawn."""
    budget = [limit]

    def item(n: TreeNode) -> str:
        budget[0] -= 1
        date = f' <span class="date">{esc(n.released)}</span>' if n.released else ""
        relation = f'<span class="relation">{esc(n.relation)}</span> ' if n.relation else ""
        mark = ' <span class="more">(shown above)</span>' if n.repeated else ""
        return f"<li>{relation}{_model_link(n.id, n.name, pages)}{date}{mark}{branch(n.children)}</li>"

    def branch(children: list[TreeNode]) -> str:
        if not children:
            return ""
        shown = []
        for i, child in enumerate(children):
            if budget[0] <= 0:
                rest = sum(1 + c.size() for c in children[i:])
                shown.append(f'<li class="more">… and {rest} more</li>')
                break
            shown.append(item(child))
        return "<ul>" + "".join(shown) + "</ul>"

    return '<ul class="tree">' + item(node) + "</ul>"


def _trees(d: dict[str, Any], graph: LineageGraph, pages: dict[str, str]) -> str:
    """Whole ancestry and descendant trees, where they go deeper than the parents and children lists."""
    parts = []
    for title, tree in (("Ancestry", graph.ancestry(d["id"])), ("Descendants", graph.descendants(d["id"]))):
        if any(child.children or child.repeated for child in tree.children):
            size = tree.size()
            opened = " open" if size <= OPEN_TREE_NODES else ""
            parts.append(f'<details class="lineage"{opened}><summary>{title} ({size} models)</summary>'
                         f"{tree_html(tree, pages)}</details>")
    return '<div class="trees">' + "".join(parts) + "</div>" if parts else ""


def _compute_point(d: dict[str, Any]) -> dict[str, Any] | None:
    """Where the model sits on the compute chart (MoE models by active parameters, as the chart)."""
    value = {k: f["value"] for k, f in d["facts"].items()}
    params = value.get("active_params") if value.get("moe") and value.get("active_params") else value.get("params")
    tokens = value.get("train_tokens")
    if not params or not tokens:
        return None
    return {"x_params": params, "y_tokens": tokens, "name": d["name"]}


def _compute_section(d: dict[str, Any], have_chart: bool) -> str:
    point = _compute_point(d)
    if not have_chart:
        return ""
    if point is None:
        return ('<h2>On the compute chart</h2><p class="empty">Not on the chart: its parameter count or its '
                "training token count is not known.</p>")
    return ('<h2>On the compute chart</h2><p>Parameters against training tokens, with the compute-optimal '
            f'frontiers; this model is ringed in red.</p><div class="chart" id="compute-chart"></div>'
            f'<script type="application/json" id="compute-point">{script_json(point)}</script>')


def model_page(d: dict[str, Any], pages: dict[str, str], graph: LineageGraph, have_chart: bool) -> str:
    """The page of one model (a `get_model` dict)."""
    meta = [f'<span class="id">{esc(d["id"])}</span>', esc(d["org_name"] or d["org"])]
    if d["family_name"]:
        meta.append(f"family {esc(d['family_name'])}")
    if d["origin"] == "user":
        meta.append('<span class="badge">user-added</span>')
    parts = [f"<h1>{esc(d['name'])}</h1>", f'<p class="meta">{" · ".join(meta)}</p>']
    if d["aliases"]:
        parts.append(f'<p class="aliases">Also known as: {esc(", ".join(d["aliases"]))}</p>')
    if d["note"]:
        parts.append(f'<p class="note">{esc(d["note"])}</p>')
    parts += ["<h2>Facts</h2>", _facts_table(d), f'<p class="legend">{esc(LEGEND)}.</p>', _accepted(d),
              "<h2>Training data</h2>", _datasets_table(d),
              "<h2>Lineage</h2>", _lineage_lists(d, pages), _trees(d, graph, pages),
              _compute_section(d, have_chart), "<h2>Sources</h2>", _sources_list(d["sources"])]
    scripts = ["vega.js", "compute.js", "model.js"] if have_chart and _compute_point(d) else []
    return layout(d["name"], "\n".join(p for p in parts if p), "../", scripts)


def _accepted(d: dict[str, Any]) -> str:
    """The plausibility checks the curators know this model fails, with their reasons."""
    if not d.get("accept"):
        return ""
    items = "".join(f"<li><code>{esc(check)}</code>: {esc(reason)}</li>"
                    for check, reason in sorted(d["accept"].items()))
    return f'<p class="note">Unusual but checked:</p><ul class="accepted">{items}</ul>'


def _sources_list(sources: dict[str, dict[str, Any]]) -> str:
    items = []
    for sid, s in sorted(sources.items()):
        url = safe_url(s.get("url"))
        title = esc(s.get("title") or sid)
        link = f'<a class="source" href="{esc(url)}">{title}</a>' if url else title
        published = f", {esc(s['published'])}" if s.get("published") else ""
        items.append(f'<li>{link} <span class="id">{esc(sid)}</span> ({esc(s.get("kind"))}{published})</li>')
    return '<ul class="sources">' + "".join(items) + "</ul>"


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


# --- Datasets ----------------------------------------------------------------------------------


def write_datasets(out: Path, engine: Engine, pages: dict[str, str], only: set[str] | None) -> int:
    """datasets.html and one page per dataset (all, or those in `only`); returns how many."""
    with reading(engine) as conn:
        ids = [i for i in conn.execute(select(Dataset.id).order_by(Dataset.id)).scalars()
               if only is None or i in only]
    rows = []
    for dataset_id in ids:
        d = get_dataset(engine, dataset_id)
        page = dataset_page(d, pages, _dataset_sources(engine, d))
        (out / "datasets" / page_name(dataset_id)).write_text(page, encoding="utf-8")
        tokens = d["facts"].get("tokens")
        rows.append(f'<tr><td><a href="datasets/{esc(page_name(dataset_id))}">{esc(d["name"])}</a></td>'
                    f'<td>{esc(d["kind"])}</td><td>{esc(", ".join(d["languages"]))}</td>'
                    f'<td class="num">{esc(human("tokens", tokens["value"], tokens["status"]) if tokens else "")}'
                    f'</td><td class="num">{len(d["models"])}</td></tr>')
    table = ('<table class="datasets"><thead><tr><th>dataset</th><th>kind</th><th>languages</th><th>tokens</th>'
             '<th>models</th></tr></thead><tbody>' + "\n".join(rows) + "</tbody></table>") if rows else \
        '<p class="empty">No datasets recorded.</p>'
    body = f"<h1>Datasets</h1><p class=\"lede\">{len(rows)} pre-training and fine-tuning corpora.</p>{table}"
    (out / "datasets.html").write_text(layout("Datasets", body, ""), encoding="utf-8")
    return len(rows)


def dataset_page(d: dict[str, Any], pages: dict[str, str], sources: dict[str, dict[str, Any]]) -> str:
    """The page of one dataset (a `get_dataset` dict, `sources` by id): its facts and the models trained on it."""
    with_sources = sources
    meta = [f'<span class="id">{esc(d["id"])}</span>', esc(d["kind"])]
    if d["languages"]:
        meta.append("languages: " + esc(", ".join(d["languages"])))
    parts = [f"<h1>{esc(d['name'])}</h1>", f'<p class="meta">{" · ".join(meta)}</p>',
             f"<p>Source: {_source_link(with_sources, d['source'])}</p>"]
    if d["note"]:
        parts.append(f'<p class="note">{esc(d["note"])}</p>')
    if d["facts"]:
        rows = [f'<tr class="st-{esc(f["status"])}"><th scope="row">{esc(name)}</th>'
                f'<td class="value">{esc(human(name, f["value"], f["status"]))}</td><td>{esc(_status_text(f))}</td>'
                f'<td>{_source_link(with_sources, f["source"])}</td><td>{esc(f.get("note"))}</td></tr>'
                for name, f in d["facts"].items()]
        parts.append('<h2>Size</h2><table class="facts"><thead><tr><th>fact</th><th>value</th><th>status</th>'
                     '<th>source</th><th>note</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table>")
    parts.append("<h2>Models trained on it</h2>")
    if d["models"]:
        rows = [f'<tr><td>{_model_link(m["model"], m["name"], pages, "../models/")}</td>'
                f'<td class="num">{esc(_share(m["share"]))}</td><td class="num">{esc(_number(m["epochs"]))}</td></tr>'
                for m in d["models"]]
        parts.append('<table class="trained"><thead><tr><th>model</th><th>share</th><th>epochs</th></tr></thead>'
                     "<tbody>" + "".join(rows) + "</tbody></table>")
    else:
        parts.append('<p class="empty">No model in the catalogue records training on it.</p>')
    return layout(d["name"], "\n".join(parts), "../")


def _dataset_sources(engine: Engine, d: dict[str, Any]) -> dict[str, dict[str, Any]]:
    cited = sorted({d["source"]} | {f["source"] for f in d["facts"].values()})
    with reading(engine) as conn:
        return {s.id: {"url": s.url, "title": s.title, "kind": s.kind, "published": s.published}
                for s in conn.execute(select(Source).where(Source.id.in_(cited)))}


# --- Charts and the tree -----------------------------------------------------------------------

CHART_TITLES = {"timeline": "Timeline", "compute": "Compute-optimality", "growth": "Growth",
                "architectures": "Architectures"}


def write_charts_page(out: Path, frame: Any, summary: SiteSummary) -> None:
    """charts.html: every chart of catalog.charts as an interactive Vega-Lite view."""
    from catalog.charts import draw as charts

    sections = []
    for name, title in CHART_TITLES.items():
        make = getattr(charts, f"chart_{name}")
        try:
            if frame.empty:
                raise CatalogError("no models are selected")
            spec = make(frame).to_dict()
        except CatalogError as exc:
            summary.skipped_charts[name] = str(exc)
            sections.append(f'<section><h2>{esc(title)}</h2><p class="empty">Not drawn: {esc(exc)}</p></section>')
            continue
        summary.charts.append(name)
        sections.append(f'<section id="{name}"><h2>{esc(title)}</h2><div class="chart" id="chart-{name}"></div>'
                        f'<script type="application/json" class="vega-spec" data-target="chart-{name}">'
                        f"{script_json(spec)}</script></section>")
    toc = " · ".join(f'<a href="#{n}">{esc(t)}</a>' for n, t in CHART_TITLES.items())
    body = (f'<h1>Charts</h1><p class="lede">Hover a mark for the model\'s facts. {toc}</p>' + "\n".join(sections))
    (out / "charts.html").write_text(layout("Charts", body, "", scripts=["vega.js", "charts.js"]), encoding="utf-8")


def write_tree_page(out: Path, engine: Engine, filters: Filters, pages: dict[str, str]) -> None:
    """tree.html: the evolutionary tree, dots linking to the model pages."""
    from catalog.charts.tree import chart_tree_from_db

    try:
        spec = chart_tree_from_db(engine, filters, urls={i: "models/" + p for i, p in pages.items()}).to_dict()
    except CatalogError as exc:
        chart = f'<p class="empty">Not drawn: {esc(exc)}</p>'
    else:
        chart = ('<div class="chart" id="chart-tree"></div><script type="application/json" class="vega-spec" '
                 f'data-target="chart-tree">{script_json(spec)}</script>')
    body = ('<h1>Evolutionary tree</h1><p class="lede">One node per family at its first release, time running up '
            "the page, one branch per architecture; lines join a family to the families derived from it "
            "(fine-tunes, instruction tunes, distillations, merges...). Click a node for the family's first "
            "model.</p>" + chart)
    (out / "tree.html").write_text(layout("Evolutionary tree", body, "", scripts=["vega.js", "charts.js"]),
                                   encoding="utf-8")

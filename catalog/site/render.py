"""The site's pages as HTML: Jinja2 templates (catalog/site/templates/) with autoescape on.

Every value a template writes is HTML-escaped unless it is marked safe, so no catalogue text can
become markup, whatever a page forgets. The one value marked safe is JSON for a <script> element
(`script_json`), which escapes `<`, `>` and `&` itself. The functions here choose what a page
shows (words, numbers, trees cut to size); the templates say how it is set.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from catalog.query.detail import FactDetail, ModelDetail, SourceDetail
from catalog.query.display import LABELS, human
from catalog.query.lineage import LineageGraph, TreeNode

TEMPLATES = Path(__file__).parent / "templates"
#: Nodes drawn in one ancestry or descendant tree on a model page; the rest are counted.
MAX_TREE_NODES = 200
#: Trees up to this many nodes are shown unfolded; larger ones start folded.
OPEN_TREE_NODES = 30

LEGEND = ("~ estimated, = derived, ^ inherited from the parent model, c. nominal (size from the name), "
          "n/d not disclosed, * set by a user without a source")


# --- Values written into pages -----------------------------------------------------------------


def script_json(value: Any) -> Markup:
    """JSON safe inside a <script> element: `<`, `>` and `&` written as \\u escapes (so it is marked safe)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_json_default)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
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
    digest = hashlib.sha1(record_id.encode()).hexdigest()[:16]
    return f"x-{digest}.html" if odd else f"{record_id[:_PAGE_ID_LENGTH - 17]}-{digest}.html"


def share_text(value: float | None) -> str:
    """A share of a data mixture as a percentage."""
    return "" if value is None else f"{value:.1%}"


def number_text(value: float | None) -> str:
    """A number to three significant figures (epochs)."""
    return "" if value is None else f"{value:.3g}"


def status_text(fact: FactDetail | dict[str, Any]) -> str:
    """A fact's status with where it was inherited from, its method and confidence."""
    extra = [x for x in (fact.get("method"), fact.get("confidence")) if x]
    status = fact["status"] + (f" from {fact['inherited_from']}" if fact.get("inherited_from") else "")
    return status + (f" ({', '.join(extra)})" if extra else "")


def fact_label(name: str) -> str:
    """A fact's name as the pages and `llmzoo show` word it."""
    return LABELS.get(name, name.replace("_", " "))


@functools.cache
def environment() -> jinja2.Environment:
    """The templates, autoescaped; None is written as nothing, an unknown name is an error."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, finalize=lambda v: "" if v is None else v,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, auto_reload=False)
    env.globals.update(human=human, page_name=page_name, legend=LEGEND, source_link=source_link, model_link=model_link,
                       tree_html=shown_tree_html, source_items=source_items)
    env.filters.update(script_json=script_json, share=share_text, number=number_text, status_text=status_text)
    env.tests["web_url"] = lambda url: safe_url(url) is not None
    return env


def source_link(sources: Mapping[str, SourceDetail], source_id: str | None) -> Markup | str:
    """A cited source as the pages show it (`source_anchor`); its bare id when the source is not among
    `sources`, nothing without an id."""
    if not source_id:
        return ""
    source = sources.get(source_id)
    return source_id if source is None else source_anchor(source_id, source["url"], source["title"])


# --- Fragments shared by the pages -------------------------------------------------------------
#
# Written in Python rather than as template macros: a model page has dozens of them, and a macro call
# costs Jinja's context machinery each time. Every value from the catalogue goes through `_text`
# (markupsafe's escape, what autoescape applies), so the fragments are as safe as a template.


def _text(value: Any) -> str:
    """A value as a template writes it with autoescape on: None as nothing, the rest HTML-escaped."""
    return "" if value is None else escape(value)


@functools.lru_cache(maxsize=4096)
def source_anchor(source_id: str, url: str | None, title: str | None) -> Markup:
    """A cited source: its title linking to its URL (http and https only), else its title or id
    (cached: a few sources are cited on thousands of pages)."""
    shown = _text(title or source_id)
    if safe_url(url) is None:
        return Markup(shown)
    return Markup(f'<a class="source" href="{_text(url)}" title="{_text(source_id)}">{shown}</a>')


def model_link(model_id: str, name: str | None, pages: Mapping[str, str], prefix: str = "") -> Markup:
    """A model's name and id, linking to its page when it is in `pages` (models outside the site are named)."""
    text = f'{_text(name or model_id)} <span class="id">{_text(model_id)}</span>'
    page = pages.get(model_id)
    return Markup(text if page is None else f'<a href="{_text(prefix)}{_text(page)}">{text}</a>')


@functools.lru_cache(maxsize=4096)
def _source_item(source_id: str, url: str | None, title: str | None, kind: str, published: str | None) -> str:
    shown = _text(title or source_id)
    head = f'<a class="source" href="{_text(url)}">{shown}</a>' if safe_url(url) is not None else shown
    when = f", {_text(published)}" if published else ""
    return f'<li>{head} <span class="id">{_text(source_id)}</span> ({_text(kind)}{when})</li>'


def source_items(sources: Mapping[str, SourceDetail]) -> Markup:
    """The <li> of every source of a page, by id."""
    return Markup("".join(_source_item(i, s["url"], s["title"], s["kind"], s["published"])
                          for i, s in sorted(sources.items(), key=lambda item: item[0])))


def _tree_item(shown: ShownTree, pages: Mapping[str, str], out: list[str]) -> None:
    node = shown.node
    out.append("<li>")
    if node.relation:
        out.append(f'<span class="relation">{_text(node.relation)}</span> ')
    out.append(model_link(node.id, node.name, pages))
    if node.released:
        out.append(f' <span class="date">{_text(node.released)}</span>')
    if node.repeated:
        out.append(' <span class="more">(shown above)</span>')
    if shown.children or shown.more:
        out.append("<ul>")
        for child in shown.children:
            _tree_item(child, pages, out)
        if shown.more:
            out.append(f'<li class="more">… and {shown.more} more</li>')
        out.append("</ul>")
    out.append("</li>")


def shown_tree_html(shown: ShownTree, pages: Mapping[str, str]) -> Markup:
    """A cut tree (`cut_tree`) as nested lists, each model linking to its page when it has one."""
    out = ['<ul class="tree">']
    _tree_item(shown, pages, out)
    out.append("</ul>")
    return Markup("".join(out))


def render(template: str, title: str, root: str, scripts: Sequence[str] = (), **values: Any) -> str:
    """A whole page from one template of catalog/site/templates (`root`: the relative path to the site root)."""
    return environment().get_template(template).render(title=title, root=root, scripts=scripts, **values)


# --- Model pages -------------------------------------------------------------------------------


def derived_rows(d: ModelDetail) -> list[tuple[str, str, str, str]]:
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


def fact_rows(d: ModelDetail) -> Markup:
    """The <tr> lines of a model's facts table: its facts (human form, status, source, note), then the values
    derived from them (`derived_rows`)."""
    sources = d["sources"]
    lines = []
    for name, fact in d["facts"].items():
        value = human(name, fact["value"], fact["status"])
        lines.append(f'{_fact_head(name, fact["status"])}{" long" if len(value) > 40 else ""}">{_text(value)}</td>'
                     f'<td>{_vocabulary_text(status_text(fact))}</td>'
                     f'<td>{_text(source_link(sources, fact["source"]))}</td><td>{_text(fact["note"])}</td></tr>\n')
    for label, value, status, note in derived_rows(d):
        lines.append(f'<tr class="st-{_text(status.split()[0])}"><th scope="row">{_text(label)}</th>'
                     f'<td class="value">{_text(value)}</td><td>{_text(status)}</td><td></td>'
                     f'<td>{_text(note)}</td></tr>\n')
    return Markup("".join(lines))


@functools.lru_cache(maxsize=4096)
def _fact_head(name: str, status: str) -> str:
    """A fact row up to its value cell's class (the same for every fact of this name and status)."""
    return f'<tr class="st-{_text(status)}"><th scope="row">{_text(fact_label(name))}</th><td class="value'


@functools.lru_cache(maxsize=4096)
def _vocabulary_text(text: str) -> str:
    """`_text` of a text that recurs on many pages (a status with its method), cached."""
    return _text(text)


def dataset_rows(d: ModelDetail) -> Markup:
    """The <tr> lines of a model's training data table: each dataset with its share, epochs, tokens and source."""
    sources = d["sources"]
    return Markup("".join(
        f'<tr><td><a href="../datasets/{_text(page_name(use["dataset"]))}">{_text(use["name"])}</a></td>'
        f'<td class="num">{_text(share_text(use["share"]))}</td>'
        f'<td class="num">{_text(number_text(use["epochs"]))}</td>'
        f'<td class="num">{_text(human("tokens", use["tokens"]))}</td>'
        f'<td>{_text(source_link(sources, use["source"]))}</td>'
        f'<td>{_text(use["note"])}</td></tr>\n' for use in d["datasets"]))


@dataclass
class ShownTree:
    """A lineage tree as a page draws it: the nodes within the budget, and how many below are only counted."""

    node: TreeNode
    children: list[ShownTree] = field(default_factory=list)
    more: int = 0


def cut_tree(node: TreeNode, limit: int = MAX_TREE_NODES) -> ShownTree:
    """The first `limit` nodes of a tree, depth first; past them each list ends with a count of the rest."""
    budget = [limit]

    def item(n: TreeNode) -> ShownTree:
        budget[0] -= 1
        shown = ShownTree(n)
        for i, child in enumerate(n.children):
            if budget[0] <= 0:
                shown.more = sum(1 + c.size() for c in n.children[i:])
                break
            shown.children.append(item(child))
        return shown

    return item(node)


def tree_html(node: TreeNode, pages: dict[str, str], limit: int = MAX_TREE_NODES) -> str:
    """A lineage tree as nested lists; past `limit` nodes the rest are counted, not drawn."""
    return str(shown_tree_html(cut_tree(node, limit), pages))


def _trees(d: ModelDetail, graph: LineageGraph) -> list[tuple[str, int, bool, ShownTree]]:
    """Whole ancestry and descendant trees, where they go deeper than the parents and children lists."""
    out = []
    for title, tree in (("Ancestry", graph.ancestry(d["id"])), ("Descendants", graph.descendants(d["id"]))):
        if any(child.children or child.repeated for child in tree.children):
            size = tree.size()
            out.append((title, size, size <= OPEN_TREE_NODES, cut_tree(tree)))
    return out


def compute_point(d: ModelDetail) -> dict[str, Any] | None:
    """Where the model sits on the compute chart (MoE models by active parameters, as the chart)."""
    value = {k: f["value"] for k, f in d["facts"].items()}
    params = value.get("active_params") if value.get("moe") and value.get("active_params") else value.get("params")
    tokens = value.get("train_tokens")
    if not params or not tokens:
        return None
    return {"x_params": params, "y_tokens": tokens, "name": d["name"]}


def _model_values(d: ModelDetail, pages: dict[str, str], graph: LineageGraph, have_chart: bool) -> dict[str, Any]:
    point = compute_point(d) if have_chart else None
    return {"title": d["name"], "root": "../", "scripts": ["vega.js", "compute.js", "model.js"] if point else [],
            "d": d, "pages": pages, "facts": fact_rows(d), "datasets": dataset_rows(d), "trees": _trees(d, graph),
            "have_chart": have_chart,
            "point": point}


def model_page(d: ModelDetail, pages: dict[str, str], graph: LineageGraph, have_chart: bool) -> str:
    """The page of one model (a `get_model` detail); `have_chart`: the site has the compute chart."""
    return environment().get_template("model.html").render(**_model_values(d, pages, graph, have_chart))


def model_section(d: ModelDetail, pages: dict[str, str], graph: LineageGraph,
                  have_chart: bool) -> tuple[str, list[str], str]:
    """A model's page without the layout: (title, scripts of assets/ it needs, the content of its <main>),
    exactly what `model_page` writes there (the same template's block), for a packed build."""
    values = _model_values(d, pages, graph, have_chart)
    template = environment().get_template("model.html")
    main = "".join(template.blocks["main"](template.new_context(values)))
    return values["title"], values["scripts"], main


def pack_page(models: Sequence[tuple[str, str, str]], data: str) -> str:
    """A pack of model pages (catalog/site/pack.py): the (anchor, name, id) of its models, listed, and their
    compressed sections as base64 `data`, which assets/pack.js inflates."""
    if data.strip("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="):
        raise ValueError("pack data must be base64")
    return render("pack.html", "Model pages", "../", ["pack.js"], models=models, data=Markup(data))


# --- The other pages ---------------------------------------------------------------------------


def index_page(data: dict[str, Any], selection: bool) -> str:
    """index.html: the table's controls and its data (`index_data`); `selection`: built with filters."""
    return render("index.html", "Models", "", ["index.js"], data=data, selection=selection)


def dataset_page(d: dict[str, Any], pages: dict[str, str], sources: Mapping[str, SourceDetail]) -> str:
    """The page of one dataset (a `get_dataset` dict, `sources` by id): its facts and the models trained on it."""
    return render("dataset.html", d["name"], "../", d=d, pages=pages, sources=sources)


def datasets_page(datasets: Sequence[dict[str, Any]]) -> str:
    """datasets.html: every dataset of the site (`get_dataset` dicts) with its size and how many models used it."""
    return render("datasets.html", "Datasets", "", rows=[(d, page_name(d["id"])) for d in datasets])


def charts_page(charts: Sequence[tuple[str, str, dict[str, Any] | None, str]]) -> str:
    """charts.html from (name, title, Vega-Lite spec or None, why it was not drawn) of every chart."""
    return render("charts.html", "Charts", "", ["vega.js", "charts.js"], charts=charts)


def tree_page(spec: dict[str, Any] | None, why: str = "") -> str:
    """tree.html: the evolutionary tree's spec, or why it is not drawn."""
    return render("tree.html", "Evolutionary tree", "", ["vega.js", "charts.js"], spec=spec, why=why)

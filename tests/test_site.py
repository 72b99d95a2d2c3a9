"""`llmzoo site build`: the files it writes, their content, escaping, and self-containment.

The browser checks (search, sort, links, charts drawing, console) are in test_site_browser.py.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from catalog.query.models import Filters, get_model
from catalog.site import index_data, index_rows, iter_model_details, page_name, script_json

FIXTURE_IDS = ["alpaca-7b", "glm-130b", "gpt-3-175b", "gpt-4", "llama-65b", "llama-7b", "t5-11b"]
EVIL = "<img src=x onerror=alert(1)>"


class Links(HTMLParser):
    """Every src/href of a page, the text of its <script> elements, and its elements by tag."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.tags: list[str] = []
        self._script: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href") and value is not None:
                self.refs.append((tag, value))
        if tag == "script":
            self._script = dict(attrs)

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self.scripts.append((self._script, data))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = None


def parse(path: Path) -> Links:
    links = Links()
    links.feed(path.read_text(encoding="utf-8"))
    return links


@pytest.fixture
def site(run, tmp_path) -> Path:
    out = tmp_path / "site"
    result = run("site", "build", "-o", str(out))
    assert result.exit_code == 0, result.output
    return out


def blob(site: Path) -> dict:
    (data,) = [text for attrs, text in parse(site / "index.html").scripts if attrs.get("id") == "catalog-data"]
    return json.loads(data)


def test_build_writes_every_page(run, tmp_path):
    out = tmp_path / "site"
    result = run("site", "build", "-o", str(out))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert re.fullmatch(r"  selecting models\.\.\.\n  writing the charts\.\.\.\n  writing 7 model pages\.\.\.\n"
                        r"  writing the dataset pages\.\.\.\nWrote 7 model pages, 1 dataset pages, 4 charts and "
                        rf"the tree to {re.escape(str(out))} in \d+\.\ds; open {re.escape(str(out / 'index.html'))}\n",
                        result.stderr)
    assert sorted(p.name for p in (out / "models").iterdir()) == [f"{i}.html" for i in FIXTURE_IDS]
    assert sorted(p.name for p in (out / "datasets").iterdir()) == ["c4.html"]
    assert sorted(p.name for p in (out / "assets").iterdir()) == \
        ["charts.js", "compute.js", "index.js", "model.js", "site.css", "vega.js"]
    assert {p.name for p in out.iterdir()} == {"index.html", "charts.html", "tree.html", "datasets.html",
                                               "assets", "models", "datasets", ".llmzoo-site"}


def test_quiet_build_prints_nothing(run, tmp_path):
    result = run("site", "build", "-o", str(tmp_path / "site"), "--quiet")
    assert (result.exit_code, result.output) == (0, "")


def test_every_reference_stays_inside_the_site(site):
    """No CDN, no network: scripts, styles and internal links are files of the site."""
    pages = sorted(site.rglob("*.html"))
    assert len(pages) == 4 + 7 + 1
    external = set()
    for page in pages:
        for tag, ref in parse(page).refs:
            parts = urlsplit(ref)
            if parts.scheme or parts.netloc:
                assert tag == "a", f"{page.name}: <{tag}> loads {ref}"
                assert parts.scheme == "https", ref
                external.add(ref)
                continue
            target = (page.parent / parts.path).resolve() if parts.path else page
            assert target.is_file(), f"{page.relative_to(site)} links to missing {ref}"
            assert site.resolve() in target.parents
    # the only external links are sources, the ones the fixture catalogue cites
    assert external and all(re.match(r"https://(arxiv\.org|openai\.com|crfm\.stanford\.edu|cdn\.openai)", u)
                            or "." in urlsplit(u).netloc for u in external)
    for script in (site / "assets").glob("*.js"):
        text = script.read_text(encoding="utf-8")
        assert "cdn.jsdelivr.net" not in text and "unpkg.com" not in text, script.name


def test_vega_bundle_is_a_classic_script(site):
    text = (site / "assets" / "vega.js").read_text(encoding="utf-8")
    assert text.startswith('(function () {\n"use strict";\n')
    assert "window.vegaEmbed=" in text.replace(" ", "")
    assert not re.search(r"^\s*(import|export)\s", text, re.MULTILINE)


def test_index_blob(site):
    data = blob(site)
    fields = data["fields"]
    assert fields == ["id", "name", "aliases", "org", "family", "released", "arch", "params", "train_tokens",
                      "compute", "tokens_per_param", "context_window", "open_weights", "user", "page"]
    rows = {r[0]: dict(zip(fields, r, strict=True)) for r in data["rows"]}
    assert [r[0] for r in data["rows"]] == ["gpt-4", "alpaca-7b", "llama-65b", "llama-7b", "glm-130b",
                                            "gpt-3-175b", "t5-11b"]  # newest first
    assert rows["alpaca-7b"]["params"] == [6700000000, "=6.7B"]  # derived
    assert rows["gpt-4"]["params"] == [None, "n/d"]  # unpublished
    assert rows["gpt-4"]["train_tokens"] is None  # unknown
    assert rows["gpt-3-175b"]["compute"] == [3.14e23, "3.14e23"]  # reported
    assert rows["llama-7b"]["compute"] == [pytest.approx(6 * 6.7e9 * 1e12), "=4.02e22"]  # 6ND
    assert rows["llama-7b"]["train_tokens"] == [1000000000000, "1T"]
    assert rows["llama-7b"]["tokens_per_param"] == [pytest.approx(149.25, 0.01), "149"]
    assert rows["t5-11b"]["released"] == "2019-10"
    assert rows["gpt-3-175b"]["open_weights"] is False and rows["alpaca-7b"]["open_weights"] is None
    assert rows["gpt-3-175b"]["aliases"] == "GPT-3 davinci"
    assert (rows["llama-7b"]["org"], rows["llama-7b"]["family"]) == ("Meta AI", "LLaMA")
    assert {r["page"] for r in rows.values()} == {None}  # ids are page names
    assert {r["user"] for r in rows.values()} == {False}


def test_model_page(site):
    page = site / "models" / "gpt-3-175b.html"
    text = page.read_text(encoding="utf-8")
    assert "<h1>GPT-3 175B</h1>" in text
    assert '<p class="aliases">Also known as: GPT-3, davinci</p>' in text
    row = re.search(r'<tr class="st-reported"><th scope="row">training compute \(FLOP\)</th>(.*?)</tr>', text)
    assert row and row.group(1) == ('<td class="value">3.14e23</td><td>reported</td><td><a class="source" '
                                    'href="https://arxiv.org/abs/2005.14165" title="brown2020gpt3">Language Models '
                                    'are Few-Shot Learners</a></td><td>Table D.1</td>')
    assert '<div class="chart" id="compute-chart"></div>' in text
    scripts = [ref for tag, ref in parse(page).refs if tag == "script"]
    assert scripts == ["../assets/vega.js", "../assets/compute.js", "../assets/model.js"]


def test_model_page_statuses_and_lineage(site):
    alpaca = (site / "models" / "alpaca-7b.html").read_text(encoding="utf-8")
    assert '<tr class="st-derived"><th scope="row">parameters</th><td class="value">=6.7B</td>' \
           "<td>derived (same as its parent LLaMA 7B)</td>" in alpaca
    assert '<h3>Derived from</h3><ul class="parents"><li><a href="llama-7b.html">LLaMA 7B <span class="id">' \
           'llama-7b</span></a>: <span class="relation">instruction-tune</span> — 52K self-instruct ' \
           "demonstrations" in alpaca
    assert "Not on the chart: its parameter count or its training token count is not known." in alpaca
    gpt4 = (site / "models" / "gpt-4.html").read_text(encoding="utf-8")
    assert '<tr class="st-unpublished"><th scope="row">parameters</th><td class="value">n/d</td>' in gpt4
    assert "the report discloses no model size" in gpt4
    llama = (site / "models" / "llama-7b.html").read_text(encoding="utf-8")
    assert '<h3>Derivatives</h3><ul class="children"><li><a href="alpaca-7b.html">Alpaca 7B' in llama
    assert '<td><a href="../datasets/c4.html">' in llama and '<td class="num">15.0%</td>' in llama
    assert "tokens per parameter</th><td class=\"value\">149</td>" in llama


def test_dataset_pages(site):
    page = (site / "datasets" / "c4.html").read_text(encoding="utf-8")
    assert re.findall(r'<a href="(\.\./models/[^"]+)"', page) == ["../models/llama-7b.html", "../models/t5-11b.html"]
    assert '<td class="num">15.0%</td><td class="num">1.06</td>' in page
    listing = (site / "datasets.html").read_text(encoding="utf-8")
    assert '<a href="datasets/c4.html">' in listing


def test_charts_and_tree_specs_are_embedded(site):
    specs = {attrs["data-target"]: json.loads(text) for attrs, text in parse(site / "charts.html").scripts
             if attrs.get("class") == "vega-spec"}
    assert sorted(specs) == ["chart-architectures", "chart-compute", "chart-growth", "chart-timeline"]
    assert all(s["$schema"].startswith("https://vega.github.io/schema/vega-lite/") for s in specs.values())
    (tree,) = [json.loads(text) for attrs, text in parse(site / "tree.html").scripts
               if attrs.get("class") == "vega-spec"]
    points = tree["datasets"][tree["layer"][5]["data"]["name"]]  # the family nodes (tests/test_charts_tree.py)
    assert {p["name"]: p["url"] for p in points}["Alpaca"] == "models/alpaca-7b.html"
    assert {p["name"]: p["url"] for p in points}["LLaMA"] == "models/llama-65b.html"  # first (same day as 7B; ids tie)
    compute = (site / "assets" / "compute.js").read_text(encoding="utf-8")
    assert compute.startswith("window.LLMZOO_COMPUTE = {")


def test_filtered_build(run, tmp_path):
    out = tmp_path / "meta"
    result = run("site", "build", "-o", str(out), "--org", "meta")
    assert result.exit_code == 0
    assert sorted(p.name for p in (out / "models").iterdir()) == ["llama-65b.html", "llama-7b.html"]
    assert [r[0] for r in blob(out)["rows"]] == ["llama-65b", "llama-7b"]
    llama = (out / "models" / "llama-7b.html").read_text(encoding="utf-8")
    # Alpaca is not in this site: named, not linked
    assert '<li>Alpaca 7B <span class="id">alpaca-7b</span>: <span class="relation">' in llama
    assert sorted(p.name for p in (out / "datasets").iterdir()) == ["c4.html"]


def test_build_of_nothing_still_makes_a_site(run, tmp_path):
    out = tmp_path / "empty"
    result = run("site", "build", "-o", str(out), "--since", "2030")
    assert result.exit_code == 0
    assert "Wrote 0 model pages, 0 dataset pages, 0 charts" in result.stderr
    assert "chart timeline not drawn: no models are selected" in result.stderr
    assert blob(out)["rows"] == []
    assert "Not drawn: no model matches these filters" in (out / "tree.html").read_text()


def test_rebuild_replaces_the_old_site(run, tmp_path):
    out = tmp_path / "site"
    assert run("site", "build", "-o", str(out)).exit_code == 0
    assert run("site", "build", "-o", str(out), "--org", "openai").exit_code == 0
    assert sorted(p.name for p in (out / "models").iterdir()) == ["gpt-3-175b.html", "gpt-4.html"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary folder left


def test_refuses_a_folder_that_is_not_a_site(run, tmp_path):
    out = tmp_path / "documents"
    out.mkdir()
    (out / "thesis.tex").write_text("precious")
    result = run("site", "build", "-o", str(out))
    assert result.exit_code == 1
    assert result.stderr == (f"Error: {out} is not empty and holds no earlier llmzoo site; give a new or empty "
                             "folder (the build replaces the folder's content)\n")
    assert [p.name for p in out.iterdir()] == ["thesis.tex"]


def test_refuses_a_file(run, tmp_path):
    out = tmp_path / "site.html"
    out.write_text("")
    result = run("site", "build", "-o", str(out))
    assert result.exit_code == 1
    assert "it is a file" in result.stderr


def test_bad_filter_is_reported_before_writing(run, tmp_path):
    result = run("site", "build", "-o", str(tmp_path / "site"), "--min-params", "lots")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: --min-params: 'lots' is not a number")
    assert not (tmp_path / "site").exists()


# --- escaping ----------------------------------------------------------------------------------


@pytest.fixture
def evil_site(data_copy, run, tmp_path) -> Path:
    models = data_copy / "models" / "fixture.yaml"
    text = models.read_text()
    text = text.replace("name: LLaMA 7B\n", f"name: {json.dumps(EVIL)}\n")
    text = text.replace("name: GPT-4\n", 'name: "</script><script>alert(2)</script><!--"\n')
    models.write_text(text)
    out = tmp_path / "site"
    assert run("site", "build", "-o", str(out)).exit_code == 0
    return out


def test_injected_names_are_escaped_everywhere(evil_site):
    for page in sorted(evil_site.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        assert "<img" not in text, page.name
        assert "alert(2)</script>" not in text and "<!--" not in text, page.name
        assert not [t for t in parse(page).tags if t == "img"]
    llama = (evil_site / "models" / "llama-7b.html").read_text(encoding="utf-8")
    assert "<h1>&lt;img src=x onerror=alert(1)&gt;</h1>" in llama
    assert "<title>&lt;img src=x onerror=alert(1)&gt; · llmzoo</title>" in llama
    names = {r[0]: r[1] for r in blob(evil_site)["rows"]}
    assert names["llama-7b"] == EVIL and names["gpt-4"] == "</script><script>alert(2)</script><!--"


def test_script_json_cannot_close_its_element():
    text = script_json({"name": "</script><!-- & -->", "line": "\u2028"})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == {"name": "</script><!-- & -->", "line": "\u2028"}


# --- the library pieces ------------------------------------------------------------------------


def test_bulk_details_equal_get_model(engine):
    """The site reads models in batches; what it gets must be exactly `get_model`."""
    details = list(iter_model_details(engine, FIXTURE_IDS, batch=3))
    assert [d["id"] for d in details] == FIXTURE_IDS
    for detail in details:
        assert detail == get_model(engine, detail["id"])


def test_index_rows_follow_filters(engine):
    assert [r["id"] for r in index_rows(engine, Filters(arch=["causal-decoder"], since="2023"))] == \
        ["alpaca-7b", "llama-65b", "llama-7b"]
    assert index_data([])["rows"] == []


@pytest.mark.parametrize(("record_id", "expected"), [
    ("llama-7b", "llama-7b.html"), ("qwen2.5-72b", "qwen2.5-72b.html"), ("a_b", "a_b.html"),
])
def test_page_names_are_ids(record_id, expected):
    assert page_name(record_id) == expected


@pytest.mark.parametrize("record_id", ["..", "../x", "A B", "x/y", "<x>"])
def test_odd_ids_get_safe_page_names(record_id):
    name = page_name(record_id)
    assert re.fullmatch(r"x-[0-9a-f]{16}\.html", name)


def test_model_pages_draw_whole_lineage_trees(data_copy, run, tmp_path):
    from test_lineage import EXTRA

    (data_copy / "models" / "lineage.yaml").write_text(EXTRA)
    out = tmp_path / "site"
    assert run("site", "build", "-o", str(out)).exit_code == 0
    llama = (out / "models" / "llama-7b.html").read_text(encoding="utf-8")
    tree = re.search(r'<details class="lineage" open><summary>Descendants \(5 models\)</summary>(.*?)</details>',
                     llama)
    assert tree, llama
    assert re.findall(r'<a href="([^"]+)">', tree.group(1)) == [
        "llama-7b.html", "alpaca-7b.html", "va-merge.html", "va-merge-chat.html", "vicuna-7b.html", "va-merge.html"]
    assert tree.group(1).count('<span class="more">(shown above)</span>') == 1
    # a model with only direct parents and children gets the lists, no tree
    alpaca = (out / "models" / "alpaca-7b.html").read_text(encoding="utf-8")
    assert "Descendants (" in alpaca and "Ancestry (" not in alpaca


def test_big_trees_are_cut_and_counted():
    from catalog.query.lineage import TreeNode
    from catalog.site import tree_html

    root = TreeNode("base", "Base", None, children=[TreeNode(f"m{i}", f"M{i}", None, "fine-tune") for i in range(10)])
    text = tree_html(root, {}, limit=4)
    assert text.count("<li>") == 4 and '<li class="more">… and 7 more</li>' in text


# --- a user model whose every text is an injection attempt -------------------------------------

HOSTILE_NAME = "Evil <script>alert('name')</script> \"LM\" & 'x'"
HOSTILE = {
    "organizations": [{"id": "evil-lab", "name": "Evil \"Lab\" <script>alert('org')</script>", "kind": "academia"}],
    "families": [{"id": "evil-fam", "name": "Fam <script>alert(\"fam\")</script> & 'co'", "org": "evil-lab"}],
    "sources": [{"id": "evil-src", "url": "https://example.org/a?x=1&y=\"2\"'><script>alert('url')</script>",
                 "title": "Title <script>alert('src')</script> \"q\"", "kind": "paper"}],
    "models": [{
        "id": "evil-lm", "name": HOSTILE_NAME, "org": "evil-lab", "family": "evil-fam", "source": "evil-src",
        "aliases": ["<script>alert('alias')</script>", "o\"q'"],
        "note": "note <script>alert('note')</script> \"quoted\" 'single' & amp",
        "released": "2023-05-01", "arch": "causal-decoder", "params": "7B",
        "train_tokens": {"value": "1T", "note": "</script><script>alert('fact')</script><!--"},
        "license": {"value": "lic <b onmouseover=alert(1)>bold</b> \"x\""},
        "parents": [{"model": "llama-7b", "relation": "fine-tune", "note": "<script>alert('parent')</script>"}],
        "datasets": [{"dataset": "c4", "share": 0.5, "note": "<img src=x onerror=alert('dataset')>"}],
    }],
}


class Elements(HTMLParser):
    """Every element of a page with its attributes, and the text inside each <h1>, <title> and <li>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.texts: dict[str, list[str]] = {"h1": [], "title": [], "li": [], "p": []}
        self._open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        if tag in self.texts:
            self.texts[tag].append("")
            self._open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1] == tag:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for tag in self._open:
            self.texts[tag][-1] += data


def strings(value: object) -> set[str]:
    """Every string inside a JSON value."""
    if isinstance(value, str):
        return {value}
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    return set().union(*(strings(v) for v in items))


@pytest.fixture
def hostile_site(run, tmp_path) -> Path:
    import yaml

    path = tmp_path / "hostile.yaml"
    path.write_text(yaml.safe_dump(HOSTILE, sort_keys=False, allow_unicode=True))
    result = run("add", str(path))
    assert result.exit_code == 0, result.output
    out = tmp_path / "site"
    assert run("site", "build", "-o", str(out)).exit_code == 0
    return out


def test_a_hostile_user_model_is_text_on_every_page_kind(hostile_site):
    """Names, notes, aliases, organization, family, source title and URL full of markup and quotes:
    no page gains an element, an event attribute or a script, and each text reads back exactly."""
    pages = sorted(hostile_site.rglob("*.html"))
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "<script>alert" not in text and "<img" not in text and "<b " not in text, page.name
        parsed = Elements()
        parsed.feed(text)
        for tag, attrs in parsed.elements:
            assert tag not in ("img", "b"), page.name
            events = {a: v for a, v in attrs.items() if a.startswith("on")}
            assert events in ({}, {"onsubmit": "return false"}), (page.name, tag, attrs)  # the search form's own
            if tag == "script":  # only the site's own files and JSON data
                assert attrs.get("src", "").startswith(("assets/", "../assets/")) or \
                    attrs.get("type") == "application/json", (page.name, attrs)
            if "script" in (attrs.get("href") or ""):  # the source's URL, whole inside its attribute
                assert (tag, attrs["href"]) == ("a", HOSTILE["sources"][0]["url"]), (page.name, attrs)
    model = Elements()
    model.feed((hostile_site / "models" / "evil-lm.html").read_text(encoding="utf-8"))
    assert model.texts["h1"] == [HOSTILE_NAME]
    assert model.texts["title"] == [f"{HOSTILE_NAME} · llmzoo"]
    assert "Also known as: <script>alert('alias')</script>, o\"q'" in model.texts["p"]
    assert HOSTILE["models"][0]["note"] in model.texts["p"]
    meta = next(p for p in model.texts["p"] if p.startswith("evil-lm · "))
    assert meta == "evil-lm · Evil \"Lab\" <script>alert('org')</script> · family Fam <script>alert(\"fam\")" \
                   "</script> & 'co' · user-added"
    sources = [a for tag, a in model.elements if tag == "a" and a.get("class") == "source"]
    assert HOSTILE["sources"][0]["url"] in {a["href"] for a in sources}  # the attribute holds the whole URL
    parent = Elements()  # the parent lists it among its derivatives
    parent.feed((hostile_site / "models" / "llama-7b.html").read_text(encoding="utf-8"))
    assert f"{HOSTILE_NAME} evil-lm: fine-tune" in parent.texts["li"]
    dataset = (hostile_site / "datasets" / "c4.html").read_text(encoding="utf-8")
    assert 'href="../models/evil-lm.html">Evil &lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt; &#34;LM&#34; ' \
           '&amp; &#39;x&#39; <span class="id">evil-lm</span></a>' in dataset
    rows = {r[0]: r for r in blob(hostile_site)["rows"]}  # the index: JSON inside <script>, read back exactly
    assert rows["evil-lm"][1:5] == [HOSTILE_NAME, "<script>alert('alias')</script> o\"q'",
                                    HOSTILE["organizations"][0]["name"], HOSTILE["families"][0]["name"]]
    charts = [json.loads(text) for attrs, text in parse(hostile_site / "charts.html").scripts
              if attrs.get("class") == "vega-spec"]
    assert HOSTILE_NAME in strings(charts)  # the charts' data names it too
    tree = [json.loads(text) for attrs, text in parse(hostile_site / "tree.html").scripts
            if attrs.get("class") == "vega-spec"]
    assert HOSTILE["families"][0]["name"] in strings(tree)
    compute = (hostile_site / "assets" / "compute.js").read_text(encoding="utf-8")
    assert "<" not in compute.removeprefix("window.LLMZOO_COMPUTE = ")

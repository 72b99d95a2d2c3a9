"""`llmzoo site build --pages packed`: model pages in a few hundred packs (catalog/site/pack.py).

The files a packed build writes and what they hold are checked on the fixture catalogue; the pages
opened from disk in headless Chromium (a model's section by its link from the index, lineage
links, the index filter) on a small synthetic catalogue made by benchmarks/generate.py and
imported by `llmzoo import`, as the benchmarks make theirs. The browser is the one of
test_site_browser.py (DevTools over a pipe, network off).
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from catalog.errors import CatalogError
from catalog.site import page_name
from catalog.site.pack import PACKS, anchor, pack_name, packed_page

REPO = Path(__file__).resolve().parent.parent
FIXTURE_IDS = ["alpaca-7b", "glm-130b", "gpt-3-175b", "gpt-4", "llama-65b", "llama-7b", "t5-11b"]
SYNTHETIC = 300
PACK_DATA = re.compile(r'<script type="application/octet-stream" id="pack-data">([A-Za-z0-9+/=]*)</script>')
HREF = re.compile(r'href="([^"]*)"')


def files(folder: Path) -> dict[str, bytes]:
    """Every file of a site by its path inside it."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def sections(pack: Path) -> dict[str, list]:
    """The sections a pack file carries, by anchor: [title, scripts, <main> content]."""
    (data,) = PACK_DATA.findall(pack.read_text(encoding="utf-8"))
    return json.loads(zlib.decompress(base64.b64decode(data)))


def main_of(page: str) -> str:
    """The content of a one-file page's <main> element."""
    return page[page.index("<main>\n") + len("<main>\n"):page.index("</main>")]


def blob(site: Path) -> dict:
    text = (site / "index.html").read_text(encoding="utf-8")
    return json.loads(re.search(r'<script type="application/json" id="catalog-data">(.*?)</script>', text).group(1))


# --- the files, on the fixture catalogue -------------------------------------------------------


@pytest.fixture
def both(run, tmp_path) -> tuple[Path, Path]:
    """The fixture catalogue built with one file per model and packed."""
    one, packed = tmp_path / "files", tmp_path / "packed"
    assert run("site", "build", "-o", str(one), "-q", "--pages", "files").exit_code == 0
    result = run("site", "build", "-o", str(packed), "--pages", "packed")
    assert result.exit_code == 0, result.output
    assert f"Wrote 7 model pages (in {len({pack_name(i) for i in FIXTURE_IDS})} packs), 1 dataset pages" \
        in result.stderr
    return one, packed


def test_packed_build_writes_one_pack_per_hash(both):
    _, packed = both
    assert sorted(p.name for p in (packed / "models").iterdir()) == sorted({pack_name(i) for i in FIXTURE_IDS})
    assert all(re.fullmatch(r"p-[0-9a-f]{2}\.html", pack_name(i)) for i in FIXTURE_IDS)
    held = {a: pack.name for pack in (packed / "models").iterdir() for a in sections(pack)}
    assert held == {i: pack_name(i) for i in FIXTURE_IDS}
    assert sorted(p.name for p in (packed / "assets").iterdir()) == \
        ["charts.js", "compute.js", "index.js", "model.js", "pack.js", "site.css", "vega.js"]


def test_pack_names_are_stable_and_spread():
    assert pack_name("llama-7b") == "p-0a.html"  # the first byte of its SHA-1, whatever else is built
    names = {pack_name(f"model-{i}") for i in range(20_000)}
    assert len(names) == PACKS
    assert packed_page("llama-7b") == f"{pack_name('llama-7b')}#llama-7b"
    assert anchor("Odd Id") == page_name("Odd Id")[:-len(".html")]


def test_sections_are_the_one_file_pages(both):
    """A section is the <main> of the page a one-file build writes, title and scripts alike, with links to
    model pages pointing into the packs."""
    one, packed = both
    for model_id in FIXTURE_IDS:
        title, scripts, main = sections(packed / "models" / pack_name(model_id))[model_id]
        page = (one / "models" / page_name(model_id)).read_text(encoding="utf-8")
        expected = main_of(page)
        for other in FIXTURE_IDS:
            expected = expected.replace(f'href="{page_name(other)}"', f'href="{packed_page(other)}"')
        assert main == expected
        assert f"<title>{title} · llmzoo</title>" in page
        assert [f'<script src="../assets/{s}"></script>' for s in scripts] == \
            re.findall(r'<script src="\.\./assets/[^"]+"></script>', page)
    assert sections(packed / "models" / pack_name("alpaca-7b"))["alpaca-7b"][1] == []  # no tokens: no chart


def test_every_link_to_a_model_names_its_pack(both):
    _, packed = both
    rows = blob(packed)
    assert rows["fields"][-1] == "pack"
    assert {r[0]: (r[-2], r[-1]) for r in rows["rows"]} == {i: (None, pack_name(i)[2:4]) for i in FIXTURE_IDS}
    alpaca = sections(packed / "models" / pack_name("alpaca-7b"))["alpaca-7b"][2]
    assert f'<a href="{packed_page("llama-7b")}">LLaMA 7B <span class="id">llama-7b</span></a>' in alpaca
    c4 = (packed / "datasets" / "c4.html").read_text(encoding="utf-8")
    assert [h for h in HREF.findall(c4) if "/models/" in h] == \
        [f"../models/{packed_page('llama-7b')}", f"../models/{packed_page('t5-11b')}"]
    tree = (packed / "tree.html").read_text(encoding="utf-8")
    assert f'"models/{packed_page("alpaca-7b")}"' in tree


def test_files_mode_is_the_default_below_the_threshold(run, both, tmp_path):
    one, _ = both
    auto = tmp_path / "auto"
    assert run("site", "build", "-o", str(auto), "-q").exit_code == 0
    assert files(auto) == files(one)
    assert sorted(p.name for p in (one / "models").iterdir()) == [f"{i}.html" for i in FIXTURE_IDS]
    assert "pack" not in blob(one)["fields"]


def test_auto_packs_above_the_threshold(engine, tmp_path, monkeypatch):
    from catalog.site import build_site

    monkeypatch.setattr("catalog.site.build.PACK_ABOVE", 6)
    summary = build_site(engine, tmp_path / "site")
    assert (summary.pages, summary.page_files) == ("packed", len({pack_name(i) for i in FIXTURE_IDS}))
    monkeypatch.setattr("catalog.site.build.PACK_ABOVE", 7)
    summary = build_site(engine, tmp_path / "site")
    assert (summary.pages, summary.page_files) == ("files", 7)


def test_a_bad_pages_value_is_a_usage_error(run, tmp_path):
    result = run("site", "build", "-o", str(tmp_path / "site"), "--pages", "zip")
    assert result.exit_code == 2
    assert "Error: Invalid value for '--pages': 'zip' is not one of 'auto', 'files', 'packed'." in result.stderr
    assert not (tmp_path / "site").exists()


def test_the_library_refuses_a_bad_pages_value(engine, tmp_path):
    from catalog.site import build_site

    with pytest.raises(CatalogError, match=r"^pages must be one of auto, files, packed, not 'zip'$"):
        build_site(engine, tmp_path / "site", pages="zip")
    assert not (tmp_path / "site").exists()


# --- in the browser, on a small synthetic catalogue --------------------------------------------


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The curated catalogue plus SYNTHETIC generated models, built packed."""
    from catalog.site import build_site
    from catalog.store.db import open_catalog

    root = tmp_path_factory.mktemp("synthetic")
    env = {**os.environ, "LLMZOO_DATA": str(REPO / "data"), "LLMZOO_DB": str(root / "catalog.store.db"),
           "HOME": str(root), "PYTHONPATH": str(REPO)}
    csv = root / "models.csv"
    subprocess.run([sys.executable, str(REPO / "benchmarks" / "generate.py"), str(SYNTHETIC), "-o", str(csv)],
                   env=env, check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "cli.main", "import", str(csv)], env=env, check=True, capture_output=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LLMZOO_DATA", str(REPO / "data"))
        engine = open_catalog(root / "catalog.store.db")
        try:
            build_site(engine, root / "site", pages="packed")
        finally:
            engine.dispose()
    yield root / "site"


def _synthetic_child(site: Path) -> tuple[str, str, str]:
    """(id, name, parent id) of a generated model derived from a generated model."""
    data = blob(site)
    fields = {name: i for i, name in enumerate(data["fields"])}
    ids = {r[fields["id"]] for r in data["rows"]}
    for row in data["rows"]:
        model_id = row[fields["id"]]
        if not re.search(r"-m\d{7}$", model_id):
            continue
        main = sections(site / "models" / pack_name(model_id))[anchor(model_id)][2]
        parents = re.findall(r'<ul class="parents"><li><a href="p-[0-9a-f]{2}\.html#([^"]+)"', main)
        if parents and parents[0] in ids and re.search(r"-m\d{7}$", parents[0]):
            return model_id, row[fields["name"]], parents[0]
    raise AssertionError("no generated model derived from another")


@pytest.mark.slow
def test_every_model_link_of_a_packed_site_resolves(synthetic):
    held = {pack.name: set(sections(pack)) for pack in (synthetic / "models").iterdir()}
    assert len(held) <= PACKS
    assert sum(len(a) for a in held.values()) == len(blob(synthetic)["rows"]) > SYNTHETIC
    for pack in (synthetic / "models").iterdir():
        for _, _, main in sections(pack).values():
            for href in HREF.findall(main):
                if not href.startswith(("http:", "https:", "../")):
                    name, _, fragment = href.partition("#")
                    assert fragment in held[name], href


@pytest.mark.slow
def test_a_model_link_from_the_index_shows_its_section(browser, synthetic):
    model_id, name, parent = _synthetic_child(synthetic)
    browser.open((synthetic / "index.html").as_uri())
    browser.wait_until("document.querySelectorAll('#models tbody tr').length == 100")
    browser.type("#search", model_id)
    browser.wait_until("document.querySelectorAll('#models tbody tr').length == 1")
    browser.events.clear()
    browser.click(f"#models tbody tr[data-id='{model_id}'] a")
    browser.wait_for_event("Page.loadEventFired")
    assert browser.js("location.pathname").endswith(f"/models/{pack_name(model_id)}")
    assert browser.js("location.hash") == f"#{model_id}"
    browser.wait_until("!document.getElementById('pack-model').hidden")
    assert browser.js("document.querySelector('h1').textContent") == name
    assert browser.js("document.title") == f"{name} · llmzoo"
    assert browser.js("document.getElementById('pack-list').hidden") is True
    # the chart of a model with parameters and tokens: model.js drew it after the section came in
    if browser.js("!!document.getElementById('compute-point')"):
        browser.wait_until("document.querySelectorAll('#compute-chart path[stroke=\"#d62728\"]').length == 1")
    # its parent, by the lineage link (another pack, or the same one by its fragment)
    parent_name = browser.js("document.querySelector('ul.parents li > a').firstChild.textContent").strip()
    browser.events.clear()
    browser.click("ul.parents li > a")
    browser.wait_until(f"location.hash == '#{parent}' && document.readyState == 'complete' && "
                       f"(document.querySelector('h1') || {{}}).textContent == {json.dumps(parent_name)}")
    assert browser.js("location.pathname").endswith(f"/models/{pack_name(parent)}")
    assert browser.problems() == []


@pytest.mark.slow
def test_a_pack_without_a_fragment_lists_its_models(browser, synthetic):
    pack = next(iter(sorted((synthetic / "models").iterdir())))
    held = sections(pack)
    browser.open(pack.as_uri())
    assert browser.js("document.querySelectorAll('#pack-list ul.pack a').length") == len(held)
    assert browser.js("document.getElementById('pack-model').hidden") is True
    first = browser.js("document.querySelector('#pack-list ul.pack a').getAttribute('href')")
    browser.click("#pack-list ul.pack a")
    browser.wait_until("!document.getElementById('pack-model').hidden")
    assert browser.js("location.hash") == first
    assert browser.js("document.querySelector('h1').textContent") == held[first[1:]][0]
    browser.js("location.hash = '#no-such-model'")
    browser.wait_until("!document.getElementById('pack-list').hidden")
    assert browser.js("document.getElementById('pack-note').textContent").startswith(
        "No model page #no-such-model in this file.")
    assert browser.problems() == []


@pytest.mark.slow
def test_the_index_filter_works_on_a_packed_site(browser, synthetic):
    data = blob(synthetic)
    fields = {name: i for i, name in enumerate(data["fields"])}
    expected = sum(1 for r in data["rows"] if r[fields["arch"]] == "encoder-only")
    browser.open((synthetic / "index.html").as_uri())
    browser.wait_until("document.querySelectorAll('#models tbody tr').length == 100")
    browser.js("(() => { const s = document.getElementById('f-arch'); s.value = 'encoder-only';"
               "s.dispatchEvent(new Event('change')); })()")
    assert browser.js("document.getElementById('count').textContent") == \
        f"Showing 1–{min(expected, 100)} of {expected} matching models ({len(data['rows'])} in all)"
    assert set(browser.js("[...document.querySelectorAll('#models tbody tr')].map(r => r.cells[3].textContent)")) \
        == {"encoder-only"}
    links = browser.js("[...document.querySelectorAll('#models tbody tr a')].map(a => a.getAttribute('href'))")
    ids = browser.js("[...document.querySelectorAll('#models tbody tr')].map(r => r.dataset.id)")
    assert links == [f"models/{packed_page(i)}" for i in ids]
    assert [urlsplit(link).path for link in links] == [f"models/{pack_name(i)}" for i in ids]
    assert browser.problems() == []


@pytest.mark.parametrize("pages", ["files", "packed"])
def test_forked_page_writers_write_the_same_site(engine, tmp_path, monkeypatch, pages):
    """The model pages written by several processes (as for big catalogues) are those one process writes."""
    from catalog.site import build_site

    one = build_site(engine, tmp_path / "one", pages=pages)
    monkeypatch.setattr("catalog.site.build.page_workers", lambda models: 3)
    several = build_site(engine, tmp_path / "several", pages=pages)
    assert (several.page_files, several.datasets) == (one.page_files, one.datasets)
    assert files(tmp_path / "several") == files(tmp_path / "one")

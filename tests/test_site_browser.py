"""The built site in headless Chromium, with the network off: search, sort, links, charts, console.

Chromium is driven over the DevTools protocol through a pipe (`--remote-debugging-pipe`), so
no websocket library and no open port are needed. When `unshare -n` works (root on Linux) the
browser runs in a network namespace of its own with no interface but loopback; in any case the
test records every request the pages make and fails on any that is not a local file.
Skipped, with the reason, when no Chromium is installed.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.slow

FIXTURE_DATA = Path(__file__).parent / "fixtures" / "data"
EVIL = "<img src=x onerror=alert(1)>"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: Seconds to wait for a page or a condition before failing (never a fixed sleep).
TIMEOUT = 30.0


def find_browser() -> str | None:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def _no_network_prefix() -> list[str]:
    """`unshare -n` when this process may create a network namespace, else nothing."""
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-n", "true"], capture_output=True).returncode == 0:
        return [unshare, "-n"]
    return []


class Browser:
    """A headless Chromium page driven over the DevTools protocol (messages end with a NUL byte)."""

    def __init__(self, binary: str) -> None:
        self.profile = tempfile.mkdtemp(prefix="llmzoo-chromium-")
        to_browser_read, self._write = os.pipe()
        self._read, from_browser_write = os.pipe()

        def plumb() -> None:  # in the child: the protocol pipes must be fds 3 (in) and 4 (out)
            inbound, outbound = os.dup(to_browser_read), os.dup(from_browser_write)
            os.dup2(inbound, 3)
            os.dup2(outbound, 4)

        command = [*_no_network_prefix(), binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                   "--no-first-run", "--disable-background-networking", "--disable-component-update",
                   "--disable-sync", "--disable-extensions", "--disable-dev-shm-usage", "--mute-audio",
                   "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
                   f"--user-data-dir={self.profile}", "--remote-debugging-pipe", "about:blank"]
        self.process = subprocess.Popen(command, pass_fds=(3, 4), preexec_fn=plumb, start_new_session=True,
                                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        os.close(to_browser_read)
        os.close(from_browser_write)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        targets = self.call("Target.getTargets")["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self.session = self.call("Target.attachToTarget", targetId=page["targetId"], flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable", session=True)
        self.call("Network.emulateNetworkConditions", session=True, offline=True, latency=0,
                  downloadThroughput=-1, uploadThroughput=-1)
        self.call("Emulation.setDeviceMetricsOverride", session=True, width=1280, height=900,
                  deviceScaleFactor=1, mobile=False)

    def close(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        os.close(self._write)
        os.close(self._read)
        shutil.rmtree(self.profile, ignore_errors=True)

    # --- protocol ---

    def call(self, method: str, session: bool = False, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._receive()
            if reply.get("id") == message["id"]:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]

    def _receive(self, timeout: float = TIMEOUT) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._read], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise TimeoutError("Chromium did not answer")
            chunk = os.read(self._read, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium exited")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message = json.loads(raw)
        if "method" in message:
            self.events.append(message)
        return message

    def _pump(self, timeout: float) -> None:
        """Read events for up to `timeout` seconds (returns early when nothing is pending)."""
        ready, _, _ = select.select([self._read], [], [], timeout)
        if ready or b"\0" in self._buffer:
            self._receive()

    # --- page actions ---

    def open(self, url: str) -> None:
        self.events.clear()
        self.call("Page.navigate", session=True, url=url)
        self.wait_for_event("Page.loadEventFired")
        # a late load event of the previous page must not count: wait for this very page
        self.wait_until(f"location.href === {json.dumps(url)} && document.readyState === 'complete'")

    def wait_for_event(self, method: str) -> dict[str, Any]:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            for event in self.events:
                if event["method"] == method:
                    return event
            self._pump(0.2)
        raise TimeoutError(f"no {method} event")

    def js(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", session=True, expression=expression, returnByValue=True,
                           awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_until(self, expression: str) -> Any:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            value = self.js(expression)
            if value:
                return value
            self._pump(0.05)
        raise TimeoutError(f"never true: {expression}")

    def click(self, selector: str) -> None:
        box = self.js(f"(() => {{ const e = document.querySelector({json.dumps(selector)}); e.scrollIntoView();"
                      "const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()")
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", session=True, type=kind, x=box[0], y=box[1], button="left",
                      clickCount=1)

    def type(self, selector: str, text: str) -> None:
        self.js(f"document.querySelector({json.dumps(selector)}).focus()")
        for char in text:
            self.call("Input.dispatchKeyEvent", session=True, type="keyDown", text=char, key=char)
            self.call("Input.dispatchKeyEvent", session=True, type="keyUp", key=char)

    def screenshot(self, path: Path) -> None:
        data = self.call("Page.captureScreenshot", session=True, format="png", captureBeyondViewport=True)["data"]
        path.write_bytes(base64.b64decode(data))

    def problems(self, levels: tuple[str, ...] = ("error", "assert")) -> list[str]:
        """Console errors, uncaught exceptions, dialogs and requests that left the disk."""
        self._pump(0.1)
        out = []
        for event in self.events:
            method, params = event["method"], event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params["type"] in levels:
                out.append(f"console.{params['type']}: " + " ".join(str(a.get("value", a.get("description")))
                                                                   for a in params["args"]))
            elif method == "Runtime.exceptionThrown":
                out.append(f"exception: {params['exceptionDetails']}")
            elif method == "Log.entryAdded" and params["entry"]["level"] in levels:
                out.append(f"log: {params['entry']['text']} {params['entry'].get('url', '')}")
            elif method == "Page.javascriptDialogOpening":
                out.append(f"dialog: {params['message']}")
            elif method == "Network.requestWillBeSent":
                url = params["request"]["url"]
                if not url.startswith(("file:", "data:", "blob:", "about:")):
                    out.append(f"network request: {url}")
        return out


# --- fixtures ----------------------------------------------------------------------------------


def _build(data: Path, out: Path) -> Path:
    from catalog.site import build_site
    from catalog.store.db import open_catalog

    with pytest.MonkeyPatch.context() as env:
        env.setenv("LLMZOO_DATA", str(data))
        engine = open_catalog(out.parent / "catalog.store.db")
        try:
            build_site(engine, out)
        finally:
            engine.dispose()
    return out


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture catalogue built once for every test of this module."""
    return _build(FIXTURE_DATA, tmp_path_factory.mktemp("site") / "site")


@pytest.fixture(scope="module")
def evil_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A catalogue whose LLaMA 7B is renamed to an HTML injection attempt."""
    root = tmp_path_factory.mktemp("evil")
    data = root / "data"
    shutil.copytree(FIXTURE_DATA, data)
    models = data / "models" / "fixture.yaml"
    text = models.read_text()
    assert "name: LLaMA 7B\n" in text
    models.write_text(text.replace("name: LLaMA 7B\n", f"name: {json.dumps(EVIL)}\n"))
    return _build(data, root / "site")


def rows(browser: Browser) -> list[str]:
    return browser.js("[...document.querySelectorAll('#models tbody tr')].map(r => r.dataset.id)")


def column(browser: Browser, index: int) -> list[str]:
    return browser.js(f"[...document.querySelectorAll('#models tbody tr')].map(r => r.cells[{index}].textContent)")


SHOTS = os.environ.get("LLMZOO_SCREENSHOTS")


def shoot(browser: Browser, name: str) -> None:
    """Save a screenshot when LLMZOO_SCREENSHOTS names a folder (for looking at the pages)."""
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        browser.screenshot(Path(SHOTS) / f"{name}.png")


# --- tests -------------------------------------------------------------------------------------

ALL = ["gpt-4", "alpaca-7b", "llama-65b", "llama-7b", "glm-130b", "gpt-3-175b", "t5-11b"]


def test_index_lists_every_model_newest_first(browser, site):
    browser.open((site / "index.html").as_uri())
    browser.wait_until("document.querySelectorAll('#models tbody tr').length > 0")
    assert rows(browser) == ALL
    assert column(browser, 4) == ["n/d", "=6.7B", "65.2B", "6.7B", "130B", "175B", "11B"]
    assert browser.js("document.getElementById('count').textContent") == "Showing 1–7 of 7 models"
    shoot(browser, "index")
    assert browser.problems() == []


def test_typing_in_the_search_box_filters_rows(browser, site):
    browser.open((site / "index.html").as_uri())
    browser.wait_until("document.querySelectorAll('#models tbody tr').length == 7")
    browser.type("#search", "llama")
    browser.wait_until("document.querySelectorAll('#models tbody tr').length == 2")
    assert rows(browser) == ["llama-65b", "llama-7b"]
    assert browser.js("document.getElementById('count').textContent") == \
        "Showing 1–2 of 2 matching models (7 in all)"
    browser.type("#search", " 7b")
    browser.wait_until("document.querySelectorAll('#models tbody tr').length == 1")
    assert rows(browser) == ["llama-7b"]
    assert browser.problems() == []


def test_search_finds_aliases(browser, site):
    browser.open((site / "index.html").as_uri())
    browser.type("#search", "davinci")
    browser.wait_until("document.querySelectorAll('#models tbody tr').length == 1")
    assert rows(browser) == ["gpt-3-175b"]


@pytest.mark.parametrize(("select", "value", "expected"), [
    ("f-arch", "encoder-decoder", ["t5-11b"]),
    ("f-org", "Meta AI", ["llama-65b", "llama-7b"]),
    ("f-year", "2020", ["gpt-3-175b"]),
    ("f-open", "no", ["gpt-4", "gpt-3-175b"]),
    ("f-open", "unknown", ["alpaca-7b"]),
])
def test_filters_select_rows(browser, site, select, value, expected):
    browser.open((site / "index.html").as_uri())
    browser.wait_until("document.querySelectorAll('#models tbody tr').length == 7")
    browser.js(f"(() => {{ const s = document.getElementById('{select}'); s.value = {json.dumps(value)};"
               "s.dispatchEvent(new Event('change')); })()")
    assert rows(browser) == expected


def test_sorting_a_column_reorders_rows(browser, site):
    browser.open((site / "index.html").as_uri())
    browser.wait_until("document.querySelectorAll('#models tbody tr').length == 7")
    browser.click("th[data-key=params] button")  # numbers sort largest first, unknown last
    browser.wait_until("document.querySelector('th[data-key=params]').getAttribute('aria-sort') == 'descending'")
    assert rows(browser) == ["gpt-3-175b", "glm-130b", "llama-65b", "t5-11b", "alpaca-7b", "llama-7b", "gpt-4"]
    browser.click("th[data-key=params] button")
    browser.wait_until("document.querySelector('th[data-key=params]').getAttribute('aria-sort') == 'ascending'")
    assert rows(browser) == ["alpaca-7b", "llama-7b", "t5-11b", "llama-65b", "glm-130b", "gpt-3-175b", "gpt-4"]
    browser.click("th[data-key=name] button")
    browser.wait_until("document.querySelector('th[data-key=name]').getAttribute('aria-sort') == 'ascending'")
    assert column(browser, 0) == ["Alpaca 7B", "GLM-130B", "GPT-3 175B", "GPT-4", "LLaMA 65B", "LLaMA 7B",
                                  "T5-11B"]
    assert browser.problems() == []


def test_following_a_model_link_opens_its_page_with_sources(browser, site):
    browser.open((site / "index.html").as_uri())
    browser.wait_until("document.querySelectorAll('#models tbody tr').length == 7")
    browser.events.clear()
    browser.click("#models tbody tr[data-id=llama-7b] a")
    browser.wait_for_event("Page.loadEventFired")
    assert browser.js("location.pathname").endswith("/models/llama-7b.html")
    assert browser.js("document.querySelector('h1').textContent") == "LLaMA 7B"
    sources = browser.js("[...document.querySelectorAll('table.facts a.source')].map(a => a.href)")
    assert sources and set(sources) == {"https://arxiv.org/abs/2302.13971"}
    assert browser.js("[...document.querySelectorAll('ul.children a')].map(a => a.getAttribute('href'))") == \
        ["alpaca-7b.html"]
    datasets = browser.js("[...document.querySelectorAll('table.datasets td:first-child a')].map(a => a.href)")
    assert [urlsplit(u).path.rsplit("/", 2)[-2:] for u in datasets] == [["datasets", "c4.html"]]
    # the model on the compute chart: the catalogue's points plus this model's red ring
    browser.wait_until("document.querySelectorAll('#compute-chart svg g.mark-symbol.role-mark > path').length > 1")
    assert browser.js("document.querySelectorAll('#compute-chart path[stroke=\"#d62728\"]').length") == 1
    shoot(browser, "model")
    assert browser.problems() == []


def test_back_from_a_model_page_keeps_the_search(browser, site):
    browser.open((site / "index.html").as_uri())
    browser.type("#search", "gpt")
    browser.wait_until("document.querySelectorAll('#models tbody tr').length == 2")
    browser.events.clear()
    browser.click("#models tbody tr[data-id=gpt-4] a")
    browser.wait_for_event("Page.loadEventFired")
    browser.events.clear()
    browser.js("history.back()")
    browser.wait_until("location.pathname.endsWith('/index.html') && document.readyState == 'complete'")
    browser.wait_until("document.querySelectorAll('#models tbody tr').length == 2")
    assert browser.js("document.getElementById('search').value") == "gpt"


def test_parent_link_and_dataset_page(browser, site):
    browser.open((site / "models" / "alpaca-7b.html").as_uri())
    assert browser.js("[...document.querySelectorAll('ul.parents li > a:first-child')].map(a => a.textContent)") == \
        ["LLaMA 7B llama-7b"]
    browser.open((site / "datasets" / "c4.html").as_uri())
    links = browser.js("[...document.querySelectorAll('table.trained a')].map(a => a.getAttribute('href'))")
    assert links == ["../models/llama-7b.html", "../models/t5-11b.html"]
    assert browser.problems() == []


@pytest.mark.parametrize("chart", ["timeline", "compute", "growth", "architectures"])
def test_charts_draw_marks(browser, site, chart):
    browser.open((site / "charts.html").as_uri())
    browser.wait_until(f"document.querySelectorAll('#chart-{chart} svg .role-mark > *').length > 0")
    assert browser.problems() == []


def test_charts_page(browser, site):
    browser.open((site / "charts.html").as_uri())
    browser.wait_until("document.querySelectorAll('.chart svg.marks').length == 4")
    shoot(browser, "charts")
    assert browser.problems() == []


def test_tree_draws_models_and_edges_and_links_to_pages(browser, site):
    browser.open((site / "tree.html").as_uri())
    # one node per family (6 in the fixture), one link (LLaMA -> Alpaca), every node labelled
    browser.wait_until("document.querySelectorAll('#chart-tree svg .layer_5_marks path').length == 6")
    assert browser.js("document.querySelectorAll('#chart-tree svg .layer_4_marks line').length") == 1
    labels = browser.js("Array.from(document.querySelectorAll('#chart-tree svg .layer_8_marks text'))"
                        ".map(t => t.textContent).sort().join('|')")
    assert labels == "Alpaca|GLM|GPT-3|GPT-4|LLaMA|T5"
    shoot(browser, "tree")
    browser.events.clear()
    # a dot is a link to its model's page
    browser.click("#chart-tree svg .layer_5_marks path[aria-label*='family: Alpaca']")
    browser.wait_for_event("Page.loadEventFired")
    assert browser.js("location.pathname").endswith("/models/alpaca-7b.html")
    assert browser.problems() == []


def test_injected_name_is_text_not_markup(browser, evil_site):
    browser.open((evil_site / "index.html").as_uri())
    browser.wait_until("document.querySelectorAll('#models tbody tr').length == 7")
    assert browser.js("document.querySelectorAll('img').length") == 0
    assert browser.js("document.querySelector('#models tbody tr[data-id=llama-7b] a').textContent") == EVIL
    browser.open((evil_site / "models" / "llama-7b.html").as_uri())
    assert browser.js("document.querySelector('h1').textContent") == EVIL
    assert browser.js("document.title") == f"{EVIL} · llmzoo"
    browser.open((evil_site / "models" / "alpaca-7b.html").as_uri())
    assert browser.js("document.querySelector('ul.parents a').textContent") == f"{EVIL} llama-7b"
    for page in ("tree.html", "charts.html", "datasets/c4.html"):
        browser.open((evil_site / page).as_uri())
        browser.wait_until("document.readyState == 'complete'")
        assert browser.js("document.querySelectorAll('img').length") == 0, page
    assert browser.problems() == []

"""End to end: the HTML charts opened in headless Chromium with networking off draw their marks.

Skipped only where no Chromium or Chrome can be found (set LLMZOO_BROWSER to point at one).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


def find_browser() -> str | None:
    """LLMZOO_BROWSER, or the first Chromium or Chrome on PATH or in /usr/bin."""
    if os.environ.get("LLMZOO_BROWSER"):
        return os.environ["LLMZOO_BROWSER"]
    for name in CANDIDATES:
        found = shutil.which(name) or (f"/usr/bin/{name}" if os.access(f"/usr/bin/{name}", os.X_OK) else None)
        if found:
            return found
    return None


BROWSER = find_browser()
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(BROWSER is None, reason="no Chromium or Chrome found: install one "
                       "(apt-get install -y chromium) or set LLMZOO_BROWSER to its path"),
]


@pytest.fixture(scope="session")
def bundle_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache folder for the whole session: vl-convert builds its JavaScript bundle once."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def shared_cache(bundle_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(bundle_cache))


def offline_prefix() -> list[str]:
    """`unshare --net` (a network namespace with no interface) where this machine allows it."""
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "--net", "true"], capture_output=True).returncode == 0:
        return [unshare, "--net"]
    return []  # the flags below still send every request nowhere


def browse(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """Run the browser headless on a local page with networking off; fail on a non-zero exit."""
    assert BROWSER is not None
    command = [*offline_prefix(), BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", f"--user-data-dir={profile}", "--host-resolver-rules=MAP * ~NOTFOUND",
               "--proxy-server=127.0.0.1:9", "--virtual-time-budget=10000", *args, page.as_uri()]
    result = subprocess.run(command, capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-2000:]
    return result


@pytest.fixture
def html_chart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Write a chart of the fixture catalogue as HTML through the CLI; return its path."""
    monkeypatch.setenv("LLMZOO_DB", str(tmp_path / "catalog.store.db"))

    def write(name: str) -> Path:
        path = tmp_path / f"{name}.html"
        result = CliRunner().invoke(cli, ["chart", name, "-o", str(path)], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return path

    return write


# (chart, a label or text the rendered page must show, the least number of point marks)
CASES = [("timeline", "GPT-3 175B", 7), ("compute", "LLaMA 65B", 4), ("growth", "Training compute (FLOP)", 8)]


@pytest.mark.parametrize(("name", "text", "marks"), CASES)
def test_html_renders_marks_offline(html_chart, tmp_path: Path, name: str, text: str, marks: int) -> None:
    page = html_chart(name)
    dom = browse(page, tmp_path / "profile-dom", "--dump-dom").stdout.decode()
    assert "vega-embed" in dom
    assert "Error" not in re.sub(r"<script.*?</script>", "", dom, flags=re.S)  # vega-embed prints errors
    groups = re.findall(r'<g class="mark-symbol role-mark[^"]*"[^>]*>(.*?)</g>', dom, flags=re.S)
    assert sum(group.count("<path") for group in groups) >= marks
    assert f">{text}<" in dom


@pytest.mark.parametrize("name", ["timeline", "compute"])
def test_html_screenshot_is_not_blank(html_chart, tmp_path: Path, name: str) -> None:
    from PIL import Image

    page = html_chart(name)
    shot = tmp_path / "shot.png"
    browse(page, tmp_path / "profile-shot", f"--screenshot={shot}", "--window-size=1200,1000")
    image = Image.open(shot).convert("RGB")
    colors = image.getcolors(maxcolors=1 << 24)  # [(count, (r, g, b)), ...]
    total = image.width * image.height
    inked = sum(count for count, rgb in colors if sum(rgb) < 720) / total
    assert inked > 0.005, f"only {inked:.2%} of the screenshot is drawn"
    blue = (0x00, 0x72, 0xB2)  # the causal-decoder color of the points
    assert sum(count for count, rgb in colors if all(abs(a - b) <= 40 for a, b in zip(rgb, blue, strict=True))) > 20
    assert len(colors) > 50

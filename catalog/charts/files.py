"""Write an altair chart to a file: .html, .png, .svg, .pdf or .json, chosen by the extension.

HTML is one self-contained page: the Vega, Vega-Lite and vega-embed JavaScript is inlined (the
bundle vl-convert builds, as altair's `save(..., inline=True)` does), so it renders offline and
loads nothing from a CDN. Building that bundle takes vl-convert several seconds, so it is kept in
the user cache folder (XDG_CACHE_HOME or ~/.cache, then llmzoo/), one file per vl-convert and
Vega-Lite version. PNG, SVG and PDF are rendered by vl-convert; JSON is the Vega-Lite spec.

Every write is atomic: the file is rendered in memory, written to a temporary file beside the
target, then moved over it with os.replace; a failure leaves the target as it was.
"""

from __future__ import annotations

import html
import io
import json
import os
import re
from pathlib import Path
from typing import Any

from catalog.errors import CatalogError
from catalog.io.files import write_atomic

#: Accepted extensions and the format each one means.
FORMATS = {".html": "html", ".png": "png", ".svg": "svg", ".pdf": "pdf", ".json": "json"}
#: A <script> that loads code from elsewhere: never allowed in our HTML.
_EXTERNAL_SCRIPT = re.compile(r"<script[^>]*\ssrc\s*=", re.IGNORECASE)
#: vega-embed options of the HTML page: SVG keeps it crisp when zoomed and the marks in the DOM.
EMBED_OPTIONS = {"mode": "vega-lite", "renderer": "svg"}

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
  body {{ margin: 16px; background: white; font-family: "Liberation Sans", Arial, Helvetica, sans-serif; }}
  #vis.vega-embed {{ display: flex; width: 100%; }}
  #vis.vega-embed details, #vis.vega-embed details summary {{ position: relative; }}
</style>
<script type="text/javascript">
// Vega, Vega-Lite {vl_version} and vega-embed, bundled by vl-convert {vlc_version}
{bundle}
</script>
</head>
<body>
<div id="vis"></div>
<script type="text/javascript">
  const spec = {spec};
  vegaEmbed("#vis", spec, {options}).catch(console.error);
</script>
</body>
</html>
"""


def chart_format(path: str | os.PathLike[str]) -> str:
    """The format named by a file's extension; CatalogError naming the accepted ones otherwise."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        shown = f"extension {suffix!r}" if suffix else "no extension"
        raise CatalogError(f"{path}: {shown} is not a chart format; use one of: {', '.join(FORMATS)}")
    return FORMATS[suffix]


def render_chart(chart: Any, fmt: str, scale: float = 2.0) -> bytes:
    """The chart as the bytes of a file of format `fmt` (html, png, svg, pdf or json).

    `scale` multiplies the pixel size of PNG output (2 gives crisp slides and print).
    """
    if fmt not in FORMATS.values():
        raise CatalogError(f"{fmt!r} is not a chart format; use one of: {', '.join(FORMATS.values())}")
    if fmt == "html":
        return chart_page(chart.to_dict()).encode("utf-8")
    if fmt == "json":
        return (json.dumps(chart.to_dict(), indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    buffer = io.BytesIO() if fmt in ("png", "pdf") else io.StringIO()
    if fmt == "png":
        chart.save(buffer, format="png", scale_factor=scale)
    else:
        chart.save(buffer, format=fmt)
    value = buffer.getvalue()
    return value if isinstance(value, bytes) else value.encode("utf-8")


def chart_page(spec: dict[str, Any]) -> str:
    """A self-contained HTML page drawing a Vega-Lite spec, with every script inlined."""
    title = spec.get("title")
    text = title.get("text") if isinstance(title, dict) else title
    vl_version = _vegalite_version()
    page = PAGE.format(title=html.escape(" ".join(text) if isinstance(text, list) else str(text or "llmzoo chart")),
                       vl_version=vl_version or "latest", vlc_version=_vl_convert_version(),
                       bundle=javascript_bundle(), spec=_script_json(spec), options=_script_json(EMBED_OPTIONS))
    if _EXTERNAL_SCRIPT.search(page):
        raise CatalogError(f"the HTML page would load a script from elsewhere; check vl-convert-python "
                           f"(version {_vl_convert_version()})")
    return page


def _script_json(value: Any) -> str:
    """JSON safe inside a <script> element: no '</script>' or '<!--' can end it early."""
    return json.dumps(value, ensure_ascii=False).replace("</", "<\\/").replace("<!--", "<\\!--")


def _vl_convert_version() -> str:
    from importlib.metadata import version

    return version("vl-convert-python")


def _vegalite_version() -> str | None:
    """The Vega-Lite version altair writes specs for, as vl-convert names it (v6.4.1 -> '6.4')."""
    import altair as alt
    import vl_convert as vlc

    major_minor = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    return major_minor if major_minor in vlc.get_vegalite_versions() else None


def javascript_bundle() -> str:
    """vl-convert's JavaScript bundle (vega-embed, Vega-Lite, Vega), cached in `cache_dir()`: the one
    cache of it, for chart pages and the site alike (building it takes vl-convert seconds)."""
    import vl_convert as vlc

    vl_version = _vegalite_version()
    cache = cache_dir() / f"vega-bundle-{_vl_convert_version()}-vl{vl_version or 'latest'}.js"
    try:
        cached = cache.read_text(encoding="utf-8")
        if len(cached) > 100_000:
            return cached
    except OSError:
        pass
    bundle = vlc.javascript_bundle(vl_version=vl_version)  # type: ignore[call-arg]  # snippet is optional
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(cache, bundle.encode("utf-8"))
    except (OSError, CatalogError):
        pass  # no cache folder: build the bundle again next time
    return bundle


def cache_dir() -> Path:
    """llmzoo's folder in the user cache directory ($XDG_CACHE_HOME/llmzoo or ~/.cache/llmzoo; the
    platform's cache folder on Windows and macOS)."""
    import sys

    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "llmzoo"


def save_chart(chart: Any, path: str | os.PathLike[str], scale: float = 2.0) -> Path:
    """Render `chart` in the format of `path`'s extension and write it atomically; return the path."""
    target = Path(path)
    fmt = chart_format(target)
    check_writable(target)
    write_atomic(target, render_chart(chart, fmt, scale))
    return target


def check_writable(path: Path) -> None:
    """Refuse, before any rendering, a target that is a folder or whose folder is missing."""
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise CatalogError(f"cannot write {path}: it is a folder; give a file name such as {path / 'chart.png'}")
    if parent.exists() and not parent.is_dir():
        raise CatalogError(f"cannot write {path}: {parent} is a file, not a folder")
    if not parent.is_dir():
        raise CatalogError(f"cannot write {path}: the folder {parent} does not exist")



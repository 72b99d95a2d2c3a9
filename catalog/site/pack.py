"""Packed model pages: a few hundred files instead of one per model, for big catalogues.

One file per model costs a file system block (4 KB) and an inode at least, so 100k model pages
take about 1 GB on disk. A packed build writes them into at most `PACKS` files,
models/p-<hex>.html, a model going to the pack named by the first two hex digits of the SHA-1 of
its id (stable from build to build, whatever else the catalogue holds). A pack is a small page
(the layout, the list of its models) carrying its models' sections -- the title, the scripts and
the <main> content model.html writes, the very block a one-file build writes -- as zlib-compressed
JSON in base64; assets/pack.js inflates the one the URL fragment names. A model's page is then
models/p-<hex>.html#<anchor>, the anchor being the name of its one-file page without .html.
"""

from __future__ import annotations

import base64
import hashlib
import json
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from catalog.site import render
from catalog.site.render import page_name

#: Packs of a packed build (the first two hex digits of an id's SHA-1).
PACKS = 256
#: zlib level of the packs: 6 makes them a quarter smaller (the packs of 100k models: about 70 MB against
#: 93) for twice the compression time.
LEVEL = 3


def pack_name(model_id: str) -> str:
    """The pack holding a model's page: p-<hex>.html."""
    return f"p-{hashlib.sha1(model_id.encode()).hexdigest()[:2]}.html"


def anchor(model_id: str) -> str:
    """The URL fragment naming a model in its pack: the name of its one-file page without .html (a slug)."""
    return page_name(model_id)[:-len(".html")]


def packed_page(model_id: str) -> str:
    """A model's page in a packed build, relative to models/: p-<hex>.html#<anchor>."""
    return f"{pack_name(model_id)}#{anchor(model_id)}"


@dataclass
class _Pack:
    models: list[tuple[str, str, str]] = field(default_factory=list)
    chunks: list[bytes] = field(default_factory=list)
    compressor: zlib._Compress = field(default_factory=lambda: zlib.compressobj(LEVEL))


class PackWriter:
    """Model sections in, pack files out: each section is compressed as it comes (constant memory
    per model; what is kept is the compressed bytes), the files are written by `finish`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._packs: dict[str, _Pack] = {}

    def add(self, model_id: str, name: str, section: tuple[str, list[str], str]) -> None:
        """Add one model's section ((title, scripts, main) from render.model_section)."""
        pack = self._packs.setdefault(pack_name(model_id), _Pack())
        key = anchor(model_id)
        entry = ("," if pack.models else "{") + json.dumps(key) + ":" + json.dumps(list(section), ensure_ascii=False)
        pack.models.append((key, name, model_id))
        pack.chunks.append(pack.compressor.compress(entry.encode("utf-8")))

    def finish(self) -> int:
        """Write every pack file (models/p-<hex>.html); returns how many."""
        for name, pack in sorted(self._packs.items()):
            pack.chunks.append(pack.compressor.compress(b"}") + pack.compressor.flush())
            data = base64.b64encode(b"".join(pack.chunks)).decode("ascii")
            pack.chunks.clear()
            (self.folder / name).write_text(render.pack_page(pack.models, data), encoding="utf-8")
        return len(self._packs)

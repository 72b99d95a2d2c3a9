"""Rendering shared by every command: table, csv, json, jsonl, markdown."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Sequence
from typing import Any

from catalog.display import human  # noqa: F401  (re-exported for the commands)

FORMATS = ("table", "csv", "json", "markdown")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and math.isnan(value):
        return ""
    return str(value)


def render_table(rows: Sequence[dict[str, Any]], columns: Sequence[str],
                 headers: Sequence[str] | None = None) -> str:
    """Aligned plain-text table; numbers are right-aligned."""
    headers = list(headers or columns)
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    numeric = [all(_looks_numeric(r[i]) for r in cells) and bool(cells) for i in range(len(columns))]

    def line(values: Sequence[str]) -> str:
        parts = [v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric, strict=True)]
        return "  ".join(parts).rstrip()

    out = [line(headers), line(["-" * w for w in widths])]
    out.extend(line(r) for r in cells)
    return "\n".join(out)


def _looks_numeric(text: str) -> bool:
    if text in ("", "n/d"):
        return True
    stripped = text.lstrip("~=^").rstrip("KMBTP%x")
    try:
        float(stripped)
    except ValueError:
        return False
    return True


def render_markdown(rows: Sequence[dict[str, Any]], columns: Sequence[str],
                    headers: Sequence[str] | None = None) -> str:
    """GitHub-flavoured markdown table with pipes escaped."""
    headers = list(headers or columns)

    def esc(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    out = ["| " + " | ".join(esc(h) for h in headers) + " |",
           "|" + "|".join(" --- " for _ in headers) + "|"]
    out.extend("| " + " | ".join(esc(_cell(r.get(c))) for c in columns) + " |" for r in rows)
    return "\n".join(out)


def write_csv(rows: Iterable[dict[str, Any]], columns: Sequence[str], stream: io.TextIOBase) -> int:
    """Stream rows as CSV with a header; returns the row count. Raw values, empty for None."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow(["" if row.get(c) is None else _raw(row.get(c)) for c in columns])
        count += 1
    return count


def _raw(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return int(value)
    return value


def to_json(value: Any) -> str:
    """Pretty JSON with dates as ISO strings."""
    return json.dumps(value, indent=2, ensure_ascii=False, default=_json_default)


def _json_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def render(rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: str,
           headers: Sequence[str] | None = None) -> str:
    """One entry point for list-like output in any of FORMATS."""
    if fmt == "json":
        return to_json([{c: r.get(c) for c in columns} for r in rows])
    if fmt == "csv":
        buf = io.StringIO()
        write_csv(rows, columns, buf)
        return buf.getvalue().rstrip("\n")
    if fmt == "markdown":
        return render_markdown(rows, columns, headers)
    return render_table(rows, columns, headers)


LEGEND = ("~ estimated, = derived, ^ inherited from the parent, c. nominal (size from the name), n/d not disclosed "
          "(see `llmzoo show MODEL` for sources)")

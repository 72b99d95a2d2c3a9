"""Rendering shared by every command: table, csv, tsv, json, jsonl, markdown."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from catalog.query.display import (
    human,  # noqa: F401  (re-exported for the commands)
    printable,
)

FORMATS = ("table", "csv", "tsv", "json", "jsonl", "markdown")
EXACT_FORMATS = ("csv", "tsv", "json", "jsonl")  # data for programs: every value exactly as stored
NO_HEADERS = "llmzoo.no_headers"  # click context meta: --no-headers was given


def no_headers() -> bool:
    """True when the running command was given --no-headers (tables, CSV and TSV then start with a row)."""
    import click

    ctx = click.get_current_context(silent=True)
    return bool(ctx and ctx.meta.get(NO_HEADERS))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and math.isnan(value):
        return ""
    return printable(str(value))


# --------------------------------------------------------------------------- terminal safety
# Names, notes and sources come from files anyone can write, and error messages quote them. While
# `llmzoo` runs, its stdout and stderr are `_TerminalSafe` streams (installed by `terminal_safe()`
# around the whole command, in cli.main): whatever a command prints, however it prints it, reaches
# the terminal with its control characters written visibly (`\x1b`, `\u202e`; catalog.query.display
# .printable). Only results in EXACT_FORMATS opt out, through `echo_result` or `exact_stdout()`.


class _TerminalSafe:
    """A text stream writing through another, with control characters shown visibly, unless `exact`."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.exact = False

    def write(self, text: str) -> int:
        return self.stream.write(text if self.exact or not isinstance(text, str) else printable(text))

    def writelines(self, lines: Iterable[str]) -> None:
        if self.exact:
            self.stream.writelines(lines)
        else:
            for line in lines:
                self.write(line)

    def __getattr__(self, name: str) -> Any:
        if name == "buffer":  # writing bytes would go around the escaping (click does when it distrusts a stream)
            raise AttributeError(name)
        return getattr(self.stream, name)


@contextlib.contextmanager
def terminal_safe() -> Iterator[None]:
    """Make sys.stdout and sys.stderr terminal-safe for the duration (a no-op when they already are)."""
    saved = sys.stdout, sys.stderr
    if sys.stdout is not None and not isinstance(sys.stdout, _TerminalSafe):
        sys.stdout = _TerminalSafe(sys.stdout)
    if sys.stderr is not None and not isinstance(sys.stderr, _TerminalSafe):
        sys.stderr = _TerminalSafe(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


@contextlib.contextmanager
def exact_stdout() -> Iterator[None]:
    """Within it, stdout carries text exactly (csv, json, jsonl results: data, not a display)."""
    stream = sys.stdout
    if not isinstance(stream, _TerminalSafe) or stream.exact:
        yield
        return
    stream.exact = True
    try:
        yield
    finally:
        stream.exact = False


def raw_stream(stream: Any) -> Any:
    """The stream under a terminal-safe one: for llmzoo's own control sequences (the progress line)."""
    return stream.stream if isinstance(stream, _TerminalSafe) else stream


def echo_result(text: str, fmt: str) -> None:
    """Print a command's result: exactly in EXACT_FORMATS, with control characters shown visibly otherwise."""
    import click

    if text == "" and no_headers():  # no rows and no header: print nothing, not an empty line
        return
    if fmt in EXACT_FORMATS:
        with exact_stdout():
            click.echo(text, color=True)  # color=True: click strips no escape sequence from data either
    else:
        click.echo(printable(text))  # before click.echo, which would drop (not show) some sequences when piped


def terminal_width() -> int | None:
    """The width tables must fit: `--width N`, else $COLUMNS, else the terminal's; None when piped.

    Piped output (not a terminal, no COLUMNS, no --width) keeps every value whole.
    """
    import os
    import shutil

    import click

    ctx = click.get_current_context(silent=True)
    chosen = ((ctx.find_root().obj or {}).get("width") if ctx else None)
    if chosen:
        return int(chosen)
    env = os.environ.get("COLUMNS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        if sys.stdout.isatty():
            return shutil.get_terminal_size().columns
    except (AttributeError, ValueError, OSError):
        pass
    return None


def _fit(widths: list[int], limit: int, order: list[list[int]], floor: int, longest: list[int]) -> list[int]:
    """Narrow the widest columns, a character at a time, until the row fits `limit` (or none can shrink):
    first numbers down to their longest value (a cut header), then text, then anything down to `floor`."""
    widths = list(widths)
    excess = sum(widths) + 2 * (len(widths) - 1) - limit
    for step, group in enumerate(order):
        while excess > 0:
            candidates = [i for i in group if widths[i] > max(floor, longest[i] if step == 0 else 0)]
            if not candidates:
                break
            widest = max(candidates, key=lambda i: widths[i])
            widths[widest] -= 1
            excess -= 1
    return widths


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[:max(width - 1, 0)] + "\u2026"


def render_table(rows: Sequence[dict[str, Any]], columns: Sequence[str],
                 headers: Sequence[str] | None = None, width: int | None = None, wrap: bool = False) -> str:
    """Aligned plain-text table; numbers are right-aligned.

    Given a `width`, the widest text columns narrow until each line fits: `wrap` wraps long text
    inside its cell (show, compare), otherwise a cut cell ends with an ellipsis (list).
    """
    import textwrap

    headers = list(headers or columns)
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    natural = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    numeric = [all(_looks_numeric(r[i]) for r in cells) and bool(cells) for i in range(len(columns))]
    widths = natural
    if width and sum(natural) + 2 * (len(natural) - 1) > width:
        text_columns = [i for i in range(len(columns)) if not numeric[i]]
        longest = [max([1] + [len(r[i]) for r in cells]) for i in range(len(columns))]
        widths = _fit(natural, width, [[i for i in range(len(columns)) if numeric[i]], text_columns,
                                       list(range(len(columns)))], 8 if wrap else 6, longest)

    def line(values: Sequence[str]) -> str:
        parts = [v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric, strict=True)]
        return "  ".join(parts).rstrip()

    out = [] if no_headers() else [line([_clip(h, w) for h, w in zip(headers, widths, strict=True)]),
                                   line(["-" * w for w in widths])]
    for r in cells:
        if widths == natural:
            out.append(line(r))
        elif not wrap:
            out.append(line([_clip(v, w) for v, w in zip(r, widths, strict=True)]))
        else:
            pieces = [textwrap.wrap(v, w, break_on_hyphens=False) or [""] if len(v) > w else [v]
                      for v, w in zip(r, widths, strict=True)]
            for k in range(max(map(len, pieces))):
                out.append(line([p[k] if k < len(p) else "" for p in pieces]))
    return "\n".join(out)


def fit_text(text: str, width: int | None) -> str:
    """Wrap every line longer than `width` (indented like its first line, plus two); None leaves it whole."""
    import textwrap

    text = printable(text)
    if not width:
        return text
    out = []
    for line in text.split("\n"):
        if len(line) <= width:
            out.append(line)
            continue
        indent = " " * (len(line) - len(line.lstrip(" ")))
        out.extend(textwrap.wrap(line, width, initial_indent="", subsequent_indent=indent + "  ",
                                 break_on_hyphens=False, drop_whitespace=True) or [line[:width]])
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


def write_csv(rows: Iterable[dict[str, Any]], columns: Sequence[str], stream: io.TextIOBase,
              delimiter: str = ",") -> int:
    """Stream rows as CSV (TSV with a tab `delimiter`) with a header unless --no-headers; returns the
    row count. Raw values, empty for None."""
    writer = csv.writer(stream, lineterminator="\n", delimiter=delimiter)
    if not no_headers():
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


def to_json_line(value: Any) -> str:
    """One compact JSON line (JSON Lines), dates as ISO strings."""
    return json.dumps(value, ensure_ascii=False, default=_json_default)


def _json_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def render(rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: str,
           headers: Sequence[str] | None = None) -> str:
    """One entry point for list-like output in any of FORMATS."""
    if fmt == "json":
        return to_json([{c: r.get(c) for c in columns} for r in rows])
    if fmt == "jsonl":
        return "\n".join(to_json_line({c: r.get(c) for c in columns}) for r in rows)
    if fmt in ("csv", "tsv"):
        buf = io.StringIO()
        write_csv(rows, columns, buf, "\t" if fmt == "tsv" else ",")
        return buf.getvalue().rstrip("\n")
    if fmt == "markdown":
        return render_markdown(rows, columns, headers)
    return render_table(rows, columns, headers, width=terminal_width())


USER_LEGEND = "; * set with `llmzoo edit` without a source"


def legend(statuses: Any) -> str:
    """The marks legend, with the mark of the user's own values where `statuses` holds one."""
    return LEGEND + (USER_LEGEND if "user" in set(statuses) else "")


LEGEND = ("~ estimated, = derived, ^ inherited from the parent, c. nominal (size from the name), n/d not disclosed "
          "(see `llmzoo show MODEL` for sources)")

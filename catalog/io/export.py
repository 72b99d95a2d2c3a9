"""Export models to CSV, JSON or JSONL with provenance columns, streamed and written atomically."""

from __future__ import annotations

import contextlib
import gc
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine

from catalog.errors import CatalogError
from catalog.io.files import atomic_target
from catalog.query.models import COMPUTED, Filters, conditions, export_columns, iter_export_batches, order_by
from catalog.vocab import LIST_FACTS, MODEL_FACTS

EXPORT_FORMATS = ("csv", "json", "jsonl")


def format_for(output: str, fmt: str | None) -> str:
    """The format named, or the one the file extension says."""
    if fmt:
        return fmt
    if output == "-":
        return "csv"
    suffix = Path(output).suffix.lower().lstrip(".")
    if suffix in EXPORT_FORMATS:
        return suffix
    raise CatalogError(f"cannot tell the format of {output!r} from its extension; "
                       "use .csv, .json or .jsonl, or --format")


_JSON = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps(value, ensure_ascii=False), without its set-up


# A spreadsheet runs a cell that starts with one of these as a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def excel_safe(text: str) -> str:
    """A text cell a spreadsheet shows as text: one starting like a formula gets a leading `'` (which
    Excel and LibreOffice read as "text follows" and do not show). A plain number (-1.5) is left as
    it is, and so is other text; a cell already starting with quotes before a formula character gets
    one more, so that `excel_unsafe` gives every cell back exactly."""
    rest = text.lstrip("'")
    if not rest or rest[0] not in FORMULA_STARTS or (len(rest) == len(text) and _NUMBER.fullmatch(text)):
        return text
    return "'" + text


def excel_unsafe(text: str) -> str:
    """`excel_safe` undone: the `'` it adds removed (what `llmzoo import` does to every CSV cell)."""
    return text[1:] if text[:1] == "'" and excel_safe(text[1:]) == text else text


def _csv(batches: Iterator[list[list[Any]]], columns: list[str], stream: IO[str], excel: bool = False) -> int:
    import csv

    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(columns)
    lines = _CsvLines(columns, excel)
    count = 0
    for rows in batches:
        stream.writelines(map(lines.line, rows))
        count += len(rows)
    return count


class _CsvLines:
    """The lines `csv.writer(stream, lineterminator="\\n").writerow(row)` writes, built with str.join.

    Text cells go as they are (None as ""), numbers, booleans and JSON as `_csv_cell` writes them.
    The cells that often need quoting (JSON, comma-separated lists) are quoted here as the csv module
    quotes them; any other cell with a comma, quote or line break sends the row to the csv module.
    """

    def __init__(self, columns: list[str], excel: bool = False) -> None:
        import csv
        import io

        self.width = len(columns)
        self.typed = _typed_columns(columns)
        # --excel-safe: the text columns (numbers, booleans and JSON never start like a formula)
        self.text = [at for at in range(self.width) if at not in set(self.typed)] if excel else []
        self.quoted = [at for at, name in enumerate(columns)
                       if name in ("parents", "datasets", "accept", "refs", *LIST_FACTS)]
        self.buffer = io.StringIO()
        # "\r\n" makes the csv module quote a cell holding a bare carriage return too (with "\n" it
        # does not, and a reader would split the row there); the line's own "\r\n" becomes "\n".
        self.writer = csv.writer(self.buffer, lineterminator="\r\n")

    def line(self, row: list[Any]) -> str:
        """The CSV line of one export row (its typed cells converted in place), newline included."""
        for at in self.typed:
            value = row[at]
            if value is not None and (cell := _CELLS.get(value.__class__, _csv_cell)) is not None:
                row[at] = cell(value)
        for at in self.text:
            value = row[at]
            if value and value[0] in _QUOTE_FIRST:
                row[at] = excel_safe(value)
        cells, commas, quotes = row[:], 0, 0
        for at in self.quoted:
            value = cells[at]
            if value and ('"' in value or "," in value or "\n" in value):
                cells[at] = text = '"' + value.replace('"', '""') + '"'
                commas += text.count(",")
                quotes += text.count('"')
        try:
            text = ",".join(map(_BLANK, cells, cells))
        except TypeError:  # a cell that is not text: the csv module knows what to do with it
            text = None
        if text is None or text.count(",") != self.width - 1 + commas or text.count('"') != quotes \
                or "\n" in text or "\r" in text:
            return self._written(row)
        return text + "\n"

    def _written(self, row: list[Any]) -> str:
        self.buffer.seek(0)
        self.buffer.truncate()
        self.writer.writerow(row)
        return self.buffer.getvalue()[:-2] + "\n"


_QUOTE_FIRST = frozenset((*FORMULA_STARTS, "'"))  # first characters `excel_safe` may change
_BLANK = {None: ""}.get  # _BLANK(cell, cell): "" for None, else the cell


def _typed_columns(columns: list[str]) -> list[int]:
    """Positions of the columns whose values may be other than text: numbers, booleans, lists, dicts."""
    from sqlalchemy import Date, String

    from catalog.store.schema import Model

    table = Model.__table__.c
    return [at for at, name in enumerate(columns)
            if name in ("parents", "datasets", "accept", *COMPUTED)
            or (name in MODEL_FACTS and not isinstance(table[name].type, (String, Date)))]


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return _JSON(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _float_cell(value)
    return value


def _float_cell(value: float) -> str:
    return repr(value) if not value.is_integer() or abs(value) >= 1e16 else str(int(value))


# `_csv_cell` by type, for the types an export holds (None: kept as it is; int: str, as the csv module
# writes it); other types go to `_csv_cell`.
_CELLS: dict[type, Any] = {str: None, int: str, float: _float_cell, bool: _csv_cell, list: _JSON, dict: _JSON}


def _json_lines(batches: Iterator[list[list[Any]]], columns: list[str], stream: IO[str], array: bool) -> int:
    count = 0
    if array:
        stream.write("[")
    for rows in batches:
        for row in rows:
            text = _JSON(dict(zip(columns, row, strict=True)))
            if array:
                stream.write(("," if count else "") + "\n  " + text)
            else:
                stream.write(text + "\n")
            count += 1
    if array:
        stream.write("\n]\n" if count else "]\n")
    return count


def export_models(engine: Engine, output: str, fmt: str | None = None, filters: Filters | None = None,
                  sort: str | None = None, excel: bool = False) -> int:
    """Write every matching model to output ('-' for stdout); the file appears whole or not at all.

    `excel` (CSV only): text cells that a spreadsheet would run as formulas start with `'` (see
    `excel_safe`); `llmzoo import` removes that quote again.
    """
    fmt = format_for(output, fmt)
    if excel and fmt != "csv":
        raise CatalogError(f"--excel-safe is for CSV; {fmt.upper()} keeps every value exactly (and spreadsheets "
                           "do not run it)")
    from catalog.query.datasets import with_dataset_ids

    filters = with_dataset_ids(engine, filters or Filters())
    if filters.org:
        from catalog.query.names import check_organizations
        from catalog.store.db import reading

        with reading(engine) as conn:
            check_organizations(conn, filters.org)
    order_by(sort), conditions(filters)  # a bad --sort or filter fails before a byte is written
    columns = export_columns()
    rows = iter_export_batches(engine, filters, sort)
    if output == "-":
        return _dump(rows, columns, fmt, sys.stdout, excel)
    target = Path(output)
    if target.is_dir():
        raise CatalogError(f"{output} is a folder; give a file name such as {output.rstrip('/')}/models.{fmt}")
    with atomic_target(target, output) as tmp, open(tmp, "w", encoding="utf-8", newline="") as stream:
        count = _dump(rows, columns, fmt, stream, excel)
    return count


def _dump(rows: Iterator[list[list[Any]]], columns: list[str], fmt: str, stream: IO[str], excel: bool = False) -> int:
    with _collector_paused():
        if fmt == "csv":
            return _csv(rows, columns, stream, excel)
        return _json_lines(rows, columns, stream, array=(fmt == "json"))


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while rows stream (reference counting frees them as they are written).

    Each row allocates lists and tuples, so the collector would otherwise run every few rows to find
    no cycles: 7-10% of the export's time.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()

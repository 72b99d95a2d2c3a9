"""data/ files -> records; every problem reported as `file:line: location: message`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from catalog.errors import DataError, shorten
from catalog.records.data import (
    SECTIONS,
    BenchmarkRecord,
    DataFile,
    DatasetRecord,
    EvalRecord,
    FamilyRecord,
    ModelRecord,
    OrganizationRecord,
    SourceRecord,
    TrainingDataRecord,
)
from catalog.records.datapath import data_dir, data_files, fingerprint  # noqa: F401  (re-exported)

try:  # the C parser is ~10x faster; fall back to pure Python where libyaml is missing
    _BaseLoader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _BaseLoader = yaml.SafeLoader


@dataclass
class Bundle:
    """All records of one load, merged across files, with where each came from."""

    sources: dict[str, SourceRecord] = field(default_factory=dict)
    organizations: dict[str, OrganizationRecord] = field(default_factory=dict)
    families: dict[str, FamilyRecord] = field(default_factory=dict)
    models: dict[str, ModelRecord] = field(default_factory=dict)
    datasets: dict[str, DatasetRecord] = field(default_factory=dict)
    training_data: list[TrainingDataRecord] = field(default_factory=list)
    benchmarks: dict[str, BenchmarkRecord] = field(default_factory=dict)
    evals: list[EvalRecord] = field(default_factory=list)
    eval_where: list[str] = field(default_factory=list)
    where: dict[tuple[str, str], str] = field(default_factory=dict)

    def locate(self, section: str, key: str) -> str:
        """`file:line: section[id]` for messages."""
        return self.where.get((section, key), f"{section}[{key}]")


class _LineLoader(_BaseLoader):
    """Remembers the line of every mapping so messages can point at it."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self.lines: dict[int, int] = {}
        self.duplicates: list[tuple[int, str]] = []

    def construct_line_map(self, node: yaml.MappingNode) -> Iterator[dict[Any, Any]]:
        data: dict[Any, Any] = {}
        self.lines[id(data)] = node.start_mark.line + 1
        yield data
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key is not None and key in seen:
                self.duplicates.append((key_node.start_mark.line + 1, str(key)))
            seen.add(key)
        data.update(self.construct_mapping(node))


    def construct_lenient_timestamp(self, node: yaml.ScalarNode) -> Any:
        """An impossible unquoted date (2023-02-30) stays its text, so the date check reports it."""
        try:
            return self.construct_yaml_timestamp(node)
        except (ValueError, OverflowError):
            return self.construct_scalar(node)


_LineLoader.add_constructor("tag:yaml.org,2002:map", _LineLoader.construct_line_map)
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _LineLoader.construct_lenient_timestamp)

MAX_YAML_BYTES = 50_000_000  # far above any real data file (data/ is ~1 MB)
MAX_YAML_VALUES = 2_000_000  # values after expanding aliases: bounds a "billion laughs" file
MAX_YAML_DEPTH = 50  # lists and mappings inside each other


def _check_node(node: yaml.Node, label: str) -> None:
    """Refuse a document nested too deeply or expanding (through aliases) to too many values.

    Aliases share nodes, so sizes are counted once per node and summed per reference: nine levels
    of ten aliases are a billion values, found without building them.
    """
    size: dict[int, int] = {}
    stack: list[tuple[yaml.Node, int, bool]] = [(node, 1, False)]
    on_path: set[int] = set()
    while stack:
        current, depth, done = stack.pop()
        if id(current) in size and not done:
            continue
        children = _children(current)
        if done:
            on_path.discard(id(current))
            size[id(current)] = 1 + sum(size.get(id(c), 0) for c in children)
            if size[id(current)] > MAX_YAML_VALUES:
                raise DataError([f"{label}: the file expands to more than {MAX_YAML_VALUES:,} values (through "
                                 "YAML aliases); write the values out, or split the file"])
            continue
        if depth > MAX_YAML_DEPTH:
            line = current.start_mark.line + 1
            raise DataError([f"{label}:{line}: values nested more than {MAX_YAML_DEPTH} levels deep; a data file "
                             "holds records of plain values and short lists"])
        if id(current) in on_path:
            raise DataError([f"{label}:{current.start_mark.line + 1}: a YAML alias refers to the value that holds "
                             "it; write the value out"])
        on_path.add(id(current))
        stack.append((current, depth, True))
        stack.extend((child, depth + 1, False) for child in children if id(child) not in size)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def read_yaml(path: Path, label: str) -> tuple[Any, dict[int, int]]:
    """Parse one YAML file; syntax errors become DataError with the line and column."""
    try:
        if path.stat().st_size > MAX_YAML_BYTES:
            raise DataError([f"{label}: {path.stat().st_size:,} bytes is more than a data file holds (at most "
                             f"{MAX_YAML_BYTES:,}); split it into several files"])
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError([f"{label}: cannot read: {shorten(str(exc))}"]) from None
    loader = _LineLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            _check_node(node, label)
        data = loader.construct_document(node) if node is not None else None
    except RecursionError:
        raise DataError([f"{label}: values nested too deeply to read; a data file holds records of plain values "
                         "and short lists"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{label}:{mark.line + 1}:{mark.column + 1}" if mark else label
        problem = getattr(exc, "problem", None) or str(exc)
        raise DataError([f"{where}: invalid YAML: {problem}; fix the syntax there"]) from None
    finally:
        loader.dispose()
    if loader.duplicates:
        raise DataError([f"{label}:{line}: key {key!r} appears twice in the same mapping (YAML would silently "
                         "keep only the last); keep one" for line, key in loader.duplicates])
    return data, loader.lines


def format_loc(loc: tuple[Any, ...], raw: Any) -> str:
    """('models', 3, 'params', 'value') -> 'models[3] (llama-7b).params'."""
    out = ""
    node = raw
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            if isinstance(node, dict) and isinstance(node.get("id"), str):
                out += f" ({shorten(node['id'])})"
            elif isinstance(node, dict) and isinstance(node.get("model"), str) and "dataset" in node:
                out += f" ({shorten(node['model'])}/{shorten(node['dataset'])})"
            elif isinstance(node, dict) and isinstance(node.get("model"), str) and "benchmark" in node:
                out += f" ({shorten(node['model'])}/{shorten(node['benchmark'])})"
        else:
            out += ("." if out else "") + str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return out


def _line_of(loc: tuple[Any, ...], raw: Any, lines: dict[int, int]) -> int | None:
    node, line = raw, lines.get(id(raw))
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            break
        line = lines.get(id(node), line)
    return line


def _message(error: ErrorDetails) -> str:
    msg = str(error["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if error["type"] == "extra_forbidden":
        return "unknown field; see data/README.md for the fields allowed here"
    if error["type"] == "missing":
        return "required field is missing"
    return msg


def parse_file(raw: Any, label: str, lines: dict[int, int] | None = None) -> tuple[DataFile | None, list[str]]:
    """Validate the parsed YAML of one file; return the records or every problem found."""
    lines = lines or {}
    if raw is None:
        return DataFile(), []
    if not isinstance(raw, dict):
        return None, [f"{label}: the top level must be a mapping with sections "
                      f"{', '.join(SECTIONS)}"]
    try:
        return DataFile.model_validate(raw), []
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = tuple(error["loc"])
            line = _line_of(loc, raw, lines)
            where = f"{label}:{line}" if line else label
            problems.append(f"{where}: {format_loc(loc, raw)}: {_message(error)}")
        return None, problems


def merge(bundle: Bundle, parsed: DataFile, label: str, lines: dict[int, int], raw: dict[str, Any],
          problems: list[str]) -> None:
    """Add one file's records to the bundle, reporting ids defined twice."""
    for section in SECTIONS:
        if section == "training_data":
            bundle.training_data.extend(parsed.training_data)
            continue
        if section == "evals":
            raw_evals = raw.get("evals") or []
            for index, record in enumerate(parsed.evals):
                line = lines.get(id(raw_evals[index])) if index < len(raw_evals) else None
                bundle.evals.append(record)
                bundle.eval_where.append((f"{label}:{line}" if line else label)
                                         + f": evals[{index}] ({record.model}/{record.benchmark})")
            continue
        target: dict[str, Any] = getattr(bundle, section)
        raw_items = raw.get(section) or []
        for index, record in enumerate(getattr(parsed, section)):
            line = lines.get(id(raw_items[index])) if index < len(raw_items) else None
            here = (f"{label}:{line}" if line else label) + f": {record.id}"
            if record.id in target:
                problems.append(f"{here}: id {record.id!r} ({section}[{index}]) is "
                                f"already defined at {bundle.locate(section, record.id)}; "
                                "ids must be unique across all files")
                continue
            target[record.id] = record
            bundle.where[(section, record.id)] = here


def load_directory(root: Path | None = None) -> Bundle:
    """Read every data file below root (default: the packaged data); raise DataError listing all problems."""
    root = root or data_dir()
    files = data_files(root)
    if not files:
        raise DataError([f"{root}: no .yaml files found"])
    bundle = Bundle()
    problems: list[str] = []
    for path in files:
        label = _label(path, root)
        try:
            raw, lines = read_yaml(path, label)
        except DataError as exc:
            problems.extend(exc.problems)
            continue
        parsed, errors = parse_file(raw, label, lines)
        problems.extend(errors)
        if parsed is not None:
            merge(bundle, parsed, label, lines, raw or {}, problems)
    problems.extend(_user_statuses(bundle))
    if problems:
        raise DataError(problems)
    return bundle


def _user_statuses(bundle: Bundle) -> list[str]:
    """Status `user` marks a value set with `llmzoo edit` without a source: a data folder cites its sources."""
    return [f"{bundle.locate(section, record.id)}: {name}.status: 'user' is for values set with `llmzoo edit` "
            "without a source; in a data folder cite the source and write reported (or estimated, with a method)"
            for section in ("models", "datasets") for record in getattr(bundle, section).values()
            for name, fact in record.facts().items() if fact.status == "user"]


def _label(path: Path, root: Path) -> str:
    try:
        return str(Path(root.name) / path.relative_to(root))
    except ValueError:
        return str(path)


def load_file(path: Path) -> Bundle:
    """Read one user YAML file (same format as data/) into a bundle; DataError on any problem."""
    label = str(path)
    if not path.is_file():
        raise DataError([f"{label}: no such file"])
    raw, lines = read_yaml(path, label)
    parsed, problems = parse_file(raw, label, lines)
    bundle = Bundle()
    if parsed is not None:
        merge(bundle, parsed, label, lines, raw or {}, problems)
    if problems:
        raise DataError(problems)
    return bundle

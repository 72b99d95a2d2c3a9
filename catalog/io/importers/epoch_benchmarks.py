"""Epoch AI's Benchmarking Hub CSV files -> third-party evaluation results of catalogued models.

Epoch AI publishes its benchmark data (https://epoch.ai/benchmarks, CC BY 4.0) as a ZIP of CSV files,
one per benchmark (`benchmark_data.zip`). llmzoo never downloads it: download and unzip it yourself,
then import one file at a time (`llmzoo evals import --from epoch mmlu_external.csv`).

The layout, as read in copies of Epoch's files kept in public repositories (no column was guessed):
General-Purpose-AI-Policy-Lab/benchmark-forecasting, benchmark_data/mmlu_external.csv,
gsm8k_external.csv, hella_swag_external.csv, bbh_external.csv, wino_grande_external.csv,
arc_ai2_external.csv and gpqa_diamond.csv; louis0487/LLM-Benchmark-Lifecycle, benchmark_data/
(the same files a release later, with lambada_external.csv, trivia_qa_external.csv and
math_level_5.csv); the older single runs file with `task` and `model` columns as read by public
code (e.g. `pd.read_csv("data/benchmarks_runs.csv")[["task", "model", "Best score (across
scorers)"]]`):

- `*_external.csv`: results Epoch collected from papers and leaderboards. Columns `Model version`
  (Epoch's model id; sometimes empty), a score column named per benchmark (`EM` for MMLU, GSM8K
  and TriviaQA, `Overall accuracy` for HellaSwag, `Average` for BBH, `Accuracy` for WinoGrande,
  `Challenge score` and `Easy score` for ARC, `Score` for LAMBADA), `Release date`,
  `Organization`, `Country`, `Training compute (FLOP)`, `Training compute notes`, `Name` (the
  model as the source names it), `Shots` (`5`, `25-shot`, `few` or empty), `Notes`, `Source`,
  `Source link`, `id` (Epoch's record id).
- Epoch's own runs (`gpqa_diamond.csv`, `math_level_5.csv`): `Model version`, `Best score (across
  scorers)` (newer files: `mean_score` first, then `Best score (across scorers)`; the mean is taken
  when both are there), `Release date`, `Organization`, ..., `stderr`, `Log viewer`, `Logs`,
  `Started at`, `id`.
- The older runs file (`benchmarks_runs.csv`): one row per run, `task` naming the benchmark
  ("GPQA diamond", "MATH level 5"), `model`, `Best score (across scorers)`, `id`.

Scores are fractions (0.77 for 77%); llmzoo stores percent, so each is multiplied by 100. The
benchmark comes from the file name (or, in the runs file, from `task`); one that has no id in the
benchmark vocabulary is reported and its rows skipped. A model is matched by `Model version` or
`Name` through the catalogue's names and aliases, with the Epoch model importer's rule made strict
(`_keys`: as written; then without a parenthesis that only gives a setting or release, "GPT-4
(8-shot)"; then without a size in parentheses that the model's parameter count agrees with; never
without one that names a variant, "GLaM (dense)"); a row whose two names point at two different
models, or at none, is reported and skipped.

Every imported score is a `third-party` result with evaluator "Epoch AI", citing one source for the
file (the URL given with --source-url, else Epoch's download); its locator is the file name and
Epoch's record id, and its note keeps what Epoch says of it (the paper or leaderboard Epoch took it
from, Epoch's notes, a shots cell that is not a number). Re-importing the same file adds nothing.
A cell that is not a score (a word, a value outside 0..1) stops the import with every such cell
listed by file:line, and nothing is written.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Engine, select

from catalog.errors import DataError, shorten
from catalog.io.importers.epoch import Skip, read_csv, slug  # Skip: a row (or one score of a row) left out, and why
from catalog.records.data import SourceRecord
from catalog.records.evalrecords import EvalRecord
from catalog.records.loading import Bundle, format_loc
from catalog.store.db import reading
from catalog.store.evalschema import Benchmark
from catalog.store.schema import Alias, Model
from catalog.vocab import alias_key

EPOCH_DOWNLOAD = "https://epoch.ai/data/benchmark_data.zip"
EVALUATOR = "Epoch AI"
NAME_COLUMNS = ("Model version", "model")  # `model` in the older runs file
# Epoch's file (stem) or task name -> [(score column, benchmark id, subset)]; stems and tasks are
# compared lowercased with spaces, dashes and underscores alike.
KNOWN: dict[str, list[tuple[str | None, str, str | None]]] = {
    "mmlu_external": [("EM", "mmlu", None)],
    "gsm8k_external": [("EM", "gsm8k", None)],
    "hella_swag_external": [("Overall accuracy", "hellaswag", None)],
    "bbh_external": [("Average", "bbh", None)],
    "wino_grande_external": [("Accuracy", "winogrande", None)],
    "arc_ai2_external": [("Challenge score", "arc-challenge", None), ("Easy score", "arc-easy", None)],
    "lambada_external": [("Score", "lambada", None)],
    "trivia_qa_external": [("EM", "triviaqa", None)],
    "gpqa_diamond": [(None, "gpqa", "diamond")],
    "math_level_5": [(None, "math", "level 5")],
}
# Epoch's own runs, in order of preference: newer files carry both, and the mean over runs is the
# figure that does not pick the luckiest scorer.
RUN_SCORES = ("mean_score", "Best score (across scorers)")

# Reasons a row is left out, in the order the report lists them.
UNKNOWN_BENCHMARK = "benchmark not in the vocabulary"
NO_MODEL = "model not in the catalogue"
NAMES_DISAGREE = "Model version and Name are different models"
NO_SCORE = "no score"
SKIP_REASONS = (UNKNOWN_BENCHMARK, NO_MODEL, NAMES_DISAGREE, NO_SCORE)


@dataclass
class BenchmarkImport:
    """What an import of one Epoch file read, matched, skipped and added."""

    path: Path
    rows: int = 0
    benchmarks: list[str] = field(default_factory=list)
    matched: dict[str, int] = field(default_factory=dict)  # model id -> results
    skipped: dict[str, list[Skip]] = field(default_factory=lambda: {r: [] for r in SKIP_REASONS})
    source: str = ""
    added: int = 0
    unchanged: int = 0
    dry_run: bool = False


def _norm(text: str) -> str:
    return re.sub(r"[\s_-]+", "_", text.strip().lower())


def _read(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Header and (line, cells) of a CSV file; DataError if it is not a readable CSV."""
    data = f"a CSV file of Epoch AI's benchmark data ({EPOCH_DOWNLOAD}, unzipped)"
    header, values = read_csv(path, unreadable=data, binary=data,
                              empty="a CSV file of Epoch AI's benchmark data with a header row (Model version, ...)")
    rows: list[tuple[int, dict[str, str]]] = []
    for start, cells in values:
        if len(cells) != len(header):
            raise DataError([f"{path}:{start}: {len(cells)} fields where the header has {len(header)}; "
                             "check the quoting of that row"])
        rows.append((start, {k: v.strip() for k, v in zip(header, cells, strict=True)}))
    return header, rows


def _targets(path: Path, header: list[str], vocabulary: dict[str, str]) \
        -> tuple[str | None, list[tuple[str, str, str | None]] | None]:
    """(task column, [(score column, benchmark, subset)]) of the file; None targets: benchmark unknown."""
    name_column = next((c for c in NAME_COLUMNS if c in header), None)
    if name_column is None:
        raise DataError([f"{path}:1: missing column `Model version`; expected the header of a CSV file of Epoch "
                         f"AI's benchmark data ({EPOCH_DOWNLOAD}, unzipped)"])
    run_score = next((c for c in RUN_SCORES if c in header), None)
    if "task" in header:
        if run_score is None:
            raise DataError([f"{path}:1: missing column `Best score (across scorers)`; expected Epoch AI's runs "
                             "file (task, model, Best score (across scorers), ...)"])
        return "task", [(run_score, "", None)]
    stem = _norm(path.stem)
    known = KNOWN.get(stem)
    if known is None:  # a file named after a benchmark ("mmlu.csv"): Epoch's runs, or its collected results
        bench = vocabulary.get(stem.removesuffix("_external")) or vocabulary.get(stem)
        columns = [c for c, b, sub in (t for ts in KNOWN.values() for t in ts) if b == bench and c and sub is None]
        found = next((c for c in columns if c in header), None)
        known = [(found, bench, None)] if bench else None
    known = [t for t in known or [] if t[1] in vocabulary.values()]
    if not known:
        return None, None
    out = []
    for column, bench, subset in known:
        column = column if column in header else (run_score if column is None else None)
        if column is None:
            wanted = " or ".join(f"`{c}`" for c in ([c for c, _, _ in known if c] or RUN_SCORES))
            raise DataError([f"{path}:1: missing score column {wanted}; expected the header of Epoch AI's "
                             f"{path.name}"])
        out.append((column, bench, subset))
    return None, out


def _task_target(task: str, vocabulary: dict[str, str]) -> tuple[str, str | None] | None:
    key = _norm(task)
    for stem, targets in KNOWN.items():
        if key == stem and targets[0][0] is None and targets[0][1] in vocabulary.values():
            return targets[0][1], targets[0][2]
    bench = vocabulary.get(key)
    return (bench, None) if bench else None


def _score(text: str, where: str, column: str, problems: list[str]) -> float | None:
    """A fraction cell as percent; None for an empty cell; a problem for anything else unreadable."""
    if text in ("", "N/A", "NA", "-"):
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if math.isnan(value) or not 0 <= value <= 1:
        problems.append(f"{where}: {column}: {shorten(text)!r} is not a score; Epoch writes scores as fractions "
                        "from 0 to 1 (0.77 for 77%): fix the cell or delete the row")
        return None
    return round(value * 100, 10)


def _shots(text: str) -> tuple[int | None, str | None]:
    """Shots from Epoch's cell: `5`, `25-shot` -> 5, 25; `few`, anything else -> unknown, kept for the note."""
    if not text:
        return None, None
    found = re.fullmatch(r"(\d+)(?:\s*-?\s*shots?)?", text.strip().lower())
    return (int(found.group(1)), None) if found else (None, text)


# A parenthesis that only says how or when a model was run or released ("GPT-4 (8-shot)", "Claude 3
# Opus (20240229)", "Gemini 1.5 Pro (0409 preview)", "Vicuna-13B (v1.1)") can be dropped to find the
# model; one that names a variant ("GLaM (dense)", "PaLM-2 (Bison)", "GLaM (MoE)") never is.
_SETTING = re.compile(r"\s*(?:\d+|zero|one|few|k)[- ]shots?|\s*v?\d[\d.-]*(?:\s+preview)?|\s*(?:preview|experimental|"
                      r"initial release|base|ours|latest)\s*", re.IGNORECASE)
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([MBT])\s*", re.IGNORECASE)
_PAREN = re.compile(r"\(([^()]*)\)")
_UNIT = {"m": 1e6, "b": 1e9, "t": 1e12}


def _keys(name: str) -> list[tuple[str, float | None]]:
    """Lookup keys of an Epoch or source name, each with the size a match must have (None: any).

    As written; then without the parentheses that hold a setting or release detail; then also
    without a size in parentheses ("davinci (175B)"), which the matched model's parameter count
    must then agree with (within 10%), so "Gopher (1.4B)" never becomes Gopher 280B. This is the
    Epoch model importer's rule (`catalog.io.importers.epoch.name_keys`), made strict for scores.
    """
    out: list[tuple[str, float | None]] = [(alias_key(name), None)]
    kept = _PAREN.sub(lambda m: " " if _SETTING.fullmatch(m.group(1)) else m.group(0), name)
    out.append((alias_key(kept), None))
    sizes = [m for m in _PAREN.finditer(kept) if _SIZE.fullmatch(m.group(1))]
    if len(sizes) == 1:
        size = _SIZE.fullmatch(sizes[0].group(1))
        assert size is not None
        out.append((alias_key(kept.replace(sizes[0].group(0), " ")),
                    float(size.group(1)) * _UNIT[size.group(2).lower()]))
    return [(k, size) for k, size in dict.fromkeys(out) if k]


@dataclass
class _Catalogue:
    """The catalogue's name keys with their models and parameter counts, and the benchmark vocabulary."""

    owner: dict[str, str]
    params: dict[str, float | None]
    vocabulary: dict[str, str]

    @classmethod
    def load(cls, engine: Engine) -> _Catalogue:
        with reading(engine) as conn:
            owner = {key: model_id for key, model_id in conn.execute(select(Alias.key, Alias.model_id))}
            params: dict[str, float | None] = dict(conn.execute(select(Model.id, Model.params)).all())
            vocabulary: dict[str, str] = {}
            for bid, aliases in conn.execute(select(Benchmark.id, Benchmark.aliases)):
                vocabulary.setdefault(_norm(bid), bid)
                for alias in (aliases or "").split(","):
                    if alias.strip():
                        vocabulary.setdefault(_norm(alias), bid)
        return cls(owner, params, vocabulary)

    def find(self, name: str) -> str | None:
        """The catalogued model a name means, by `_keys`; None if none fits."""
        for key, size in _keys(name):
            model_id = self.owner.get(key)
            if model_id is None:
                continue
            if size is None:
                return model_id
            params = self.params.get(model_id)
            if params and abs(params - size) <= 0.1 * params:
                return model_id
        return None


def _model(cells: dict[str, str], name_column: str, catalogue: _Catalogue) -> tuple[str | None, str]:
    """(model id, "") for a match; (None, why) for none or for two names naming two models."""
    names = [n for n in (cells.get(name_column, ""), cells.get("Name", "")) if n]
    found = {}
    for name in names:
        model_id = catalogue.find(name)
        if model_id is not None:
            found[name] = model_id
    ids = set(found.values())
    if len(ids) > 1:
        return None, "; ".join(f"{n!r} is {m}" for n, m in found.items())
    return (ids.pop(), "") if ids else (None, "")


def _note(cells: dict[str, str], file_name: str, column: str, shots_text: str | None) -> str:
    parts = [f"Epoch AI Benchmarking Hub, {file_name}"]
    if cells.get("Source") or cells.get("Source link"):
        parts.append("Epoch took it from " + " ".join(x for x in (cells.get("Source"),
                                                                    f"<{cells['Source link']}>"
                                                                    if cells.get("Source link") else None) if x))
    elif column in RUN_SCORES:  # a score of Epoch's own runs
        parts.append(f"run by Epoch AI, {column}" + (f" (log: {cells['Log viewer']})" if cells.get("Log viewer")
                                                      else ""))
    if shots_text:
        parts.append(f"shots as Epoch writes them: {shots_text!r}")
    if cells.get("Notes"):
        parts.append(f"Epoch's notes: {cells['Notes']}")
    if cells.get("Name") and cells.get("Model version") and \
            alias_key(cells["Name"]) != alias_key(cells["Model version"]):
        parts.append(f"named {cells['Name']!r} by the source, {cells['Model version']!r} by Epoch")
    return "; ".join(parts)


def _source(path: Path, source_url: str | None) -> SourceRecord:
    """The source every result of the file cites; DataError for a --source-url that is no http(s) URL."""
    url = source_url or EPOCH_DOWNLOAD
    source_id = "epoch-benchmarks-" + (slug(path.stem) or "data")
    try:
        return SourceRecord(id=source_id[:200], url=url, title=f"Epoch AI, Benchmarking Hub data: {path.name}",
                            kind="third-party")
    except ValidationError as exc:
        raise DataError([f"--source-url: {exc.errors()[0]['msg'].removeprefix('Value error, ')}"],
                        path=str(path)) from None


def import_epoch_benchmarks(engine: Engine, path: Path, source_url: str | None = None,
                            dry_run: bool = False) -> BenchmarkImport:
    """Import the scores of catalogued models from one Epoch AI benchmark CSV; all or nothing."""
    from catalog.query.evals import store_results

    result = BenchmarkImport(path=path, dry_run=dry_run)
    header, rows = _read(path)
    catalogue = _Catalogue.load(engine)
    vocabulary = catalogue.vocabulary
    task_column, targets = _targets(path, header, vocabulary)
    name_column = next(c for c in NAME_COLUMNS if c in header)
    problems: list[str] = []
    source = _source(path, source_url)
    bundle = Bundle()
    bundle.sources[source.id] = source
    result.source = source.id
    for line, cells in rows:
        result.rows += 1
        label = " / ".join(dict.fromkeys(n for n in (cells.get(name_column), cells.get("Name")) if n)) or "no name"
        for column, bench, subset in _row_targets(cells, task_column, targets, vocabulary, result, line, label):
            _add(bundle, result, problems, path, line, label, cells, name_column, catalogue, column, bench, subset)
    result.benchmarks = sorted({b for _, b, _ in targets if b} if task_column is None and targets
                               else {e.benchmark for e in bundle.evals})
    counts = store_results(engine, bundle, problems, str(path), dry_run)
    result.added, result.unchanged = counts["added"], counts["unchanged"]
    return result


def _row_targets(cells: dict[str, str], task_column: str | None, targets: list[tuple[str, str, str | None]] | None,
                 vocabulary: dict[str, str], result: BenchmarkImport, line: int,
                 label: str) -> Iterable[tuple[str, str, str | None]]:
    if task_column is None:
        if targets is None:
            result.skipped[UNKNOWN_BENCHMARK].append(Skip(line, label, f"file {result.path.name}"))
            return []
        return targets
    task = cells.get(task_column, "")
    target = _task_target(task, vocabulary)
    if target is None:
        result.skipped[UNKNOWN_BENCHMARK].append(Skip(line, label, f"task {task!r}" if task else "no task"))
        return []
    assert targets is not None
    return [(targets[0][0], target[0], target[1])]


def _add(bundle: Bundle, result: BenchmarkImport, problems: list[str], path: Path, line: int, label: str,
         cells: dict[str, str], name_column: str, catalogue: _Catalogue, column: str, bench: str,
         subset: str | None) -> None:
    """One score of one row: checked, matched, and added to the bundle (or reported as skipped)."""
    where = f"{path}:{line}"
    score = _score(cells.get(column, ""), where, column, problems)
    if score is None:
        if cells.get(column, "") in ("", "N/A", "NA", "-"):
            result.skipped[NO_SCORE].append(Skip(line, label, f"{column} is empty"))
        return
    model_id, why = _model(cells, name_column, catalogue)
    if why:
        result.skipped[NAMES_DISAGREE].append(Skip(line, label, why))
        return
    if model_id is None:
        result.skipped[NO_MODEL].append(Skip(line, label))
        return
    shots, shots_text = _shots(cells.get("Shots", ""))
    locator = f"{path.name}, " + (f"record {cells['id']}" if cells.get("id") else f"line {line}")
    if len(KNOWN.get(_norm(path.stem), [])) > 1:
        locator += f", {column}"
    data: dict[str, Any] = {
        "model": model_id, "benchmark": bench, "subset": subset, "setting": {"shots": shots}, "score": score,
        "evaluated_by": "third-party", "evaluator": EVALUATOR, "source": result.source,
        "locator": locator, "note": _note(cells, path.name, column, shots_text)}
    try:
        record = EvalRecord.model_validate(data)
    except ValidationError as exc:
        problems.extend(f"{where}: {format_loc(tuple(e['loc']), data)}: {e['msg'].removeprefix('Value error, ')}"
                        for e in exc.errors())
        return
    bundle.evals.append(record)
    bundle.eval_where.append(f"{where} ({label}: {model_id}/{bench})")
    result.matched[model_id] = result.matched.get(model_id, 0) + 1

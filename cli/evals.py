"""`llmzoo evals`: published evaluation results, side by side, with setting, evaluator and source."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from catalog.evalvocab import EVALUATED_BY
from cli.options import filter_options, filters_from, open_engine, output_options
from cli.output import echo_result, no_headers, render

TABLE_COLUMNS = ("model", "benchmark", "subset", "setting", "metric", "score", "evaluated_by", "source",
                 "locator")


@click.group("evals", invoke_without_command=True)
@filter_options
@click.option("--benchmark", "benchmarks", multiple=True, metavar="ID",
              help="Only this benchmark (repeatable; see `llmzoo evals benchmarks`).")
@click.option("--model", "models", multiple=True, metavar="MODEL", help="Only this model (repeatable).")
@click.option("--by", "evaluated_by", type=click.Choice(EVALUATED_BY),
              help="Only results run by the model's developer / by someone else.")
@output_options()
@click.pass_context
def evals(ctx: click.Context, /, benchmarks: tuple[str, ...], models: tuple[str, ...], evaluated_by: str | None,
          fmt: str, **kwargs: Any) -> None:
    """List published evaluation results: one row per score, several per model and benchmark.

    Takes the filters of `llmzoo list`. CSV and JSON rows carry model, benchmark, setting, metric,
    score (in percent, as the source prints it), who evaluated it and the source with its table or
    figure; `llmzoo evals import` reads them back.

    \b
    Examples:
      llmzoo evals --benchmark mmlu
      llmzoo evals --benchmark mmlu --org meta --format csv
      llmzoo evals --model gopher-280b --by third-party
    """
    if ctx.invoked_subcommand is not None:
        return
    from catalog.query.evals import find_evals, write_evals

    rows = find_evals(open_engine(ctx), filters_from(kwargs), benchmarks, evaluated_by, models)
    if fmt in ("csv", "tsv", "json", "jsonl"):
        if rows or fmt != "jsonl":
            echo_result(write_evals(rows, fmt, headers=not no_headers()), fmt)
        return
    if not rows:
        click.echo("No results match these filters.", err=True)
        return
    from catalog.query.evals import printable

    for row in rows:
        row["evaluated_by"] = row["evaluated_by"] if row["evaluated_by"] == "developer" else \
            f"third-party: {row['evaluator']}"
        row["score"] = f"{row['score']:g}"
    echo_result(render([{c: printable(r.get(c)) for c in TABLE_COLUMNS} for r in rows], TABLE_COLUMNS, fmt), fmt)


@evals.command("benchmarks")
@output_options()
@click.pass_context
def benchmarks_cmd(ctx: click.Context, fmt: str) -> None:
    """List the benchmark vocabulary: task kind, metric, chance level, standard setting, results.

    \b
    Example:
      llmzoo evals benchmarks
    """
    from catalog.query.evals import list_benchmarks

    rows = list_benchmarks(open_engine(ctx))
    columns = ["id", "name", "task_kind", "metric", "chance", "standard", "part_of", "results", "source"]
    echo_result(render(rows, columns, fmt), fmt)


@evals.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--from", "source_format", type=click.Choice(["export", "epoch"]), default="export",
              show_default=True, help="export: a file `llmzoo evals` wrote; epoch: one CSV file of Epoch AI's "
              "Benchmarking Hub data (benchmark_data.zip, unzipped).")
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "jsonl"]),
              help="Input format of an export (default: from the file extension).")
@click.option("--source-url", metavar="URL", help="--from epoch: where the file was downloaded (cited by every "
              "result; default Epoch's benchmark_data.zip).")
@click.option("--dry-run", is_flag=True, help="Check everything, write nothing.")
@click.pass_context
def import_cmd(ctx: click.Context, path: Path, source_format: str, fmt: str | None, source_url: str | None,
               dry_run: bool) -> None:
    """Add results from a file `llmzoo evals --format csv|json|jsonl` wrote, or from Epoch AI's CSV.

    Every row is checked first; one bad row stops the import with every problem listed and the
    database unchanged. Rows already stored identically are skipped, so an import can be repeated.
    With --from epoch, the scores of catalogued models become third-party results by "Epoch AI";
    rows of other models or benchmarks are skipped and counted by reason.

    \b
    Examples:
      llmzoo evals --benchmark mmlu --format csv > mmlu.csv && llmzoo --db other.db evals import mmlu.csv
      llmzoo evals import --from epoch benchmark_data/mmlu_external.csv
    """
    if source_format == "epoch":
        if fmt:
            raise click.UsageError("--format is for --from export; an Epoch file is always CSV")
        from catalog.io.importers.epoch_benchmarks import import_epoch_benchmarks

        click.echo("\n".join(epoch_report(import_epoch_benchmarks(open_engine(ctx), path, source_url, dry_run))))
        return
    if source_url:
        raise click.UsageError("--source-url is for --from epoch; an export names each result's source")
    from catalog.query.evals import import_evals

    counts = import_evals(open_engine(ctx), path, fmt, dry_run)
    verb = "would add" if dry_run else "added"
    click.echo(f"{verb} {counts['added']} results, unchanged {counts['unchanged']}")


SHOWN = 10  # detail lines per skip reason; the counts are always complete


def epoch_report(result: Any) -> list[str]:
    """What an Epoch benchmark import read, matched, skipped and added."""
    def plural(n: int, noun: str) -> str:
        return f"{n} {noun}{'' if n == 1 else 's'}"

    benches = f"benchmark {', '.join(result.benchmarks)}" if result.benchmarks else "no known benchmark"
    lines = [("Dry run: " if result.dry_run else "") + f"{result.path}: read {plural(result.rows, 'row')}, {benches}"]
    if result.matched:
        results = sum(result.matched.values())
        lines.append(f"  matched {plural(results, 'score')} of {plural(len(result.matched), 'catalogued model')}: "
                     + ", ".join(sorted(result.matched)))
    skipped = sum(len(items) for items in result.skipped.values())
    if skipped:
        lines.append(f"  skipped {skipped}:")
    for reason, items in result.skipped.items():
        if not items:
            continue
        lines.append(f"    {reason}: {len(items)}")
        lines += [f"      line {i.line} ({printable(i.name)})" + (f": {printable(i.detail)}" if i.detail else "")
                  for i in items[:SHOWN]]
        if len(items) > SHOWN:
            lines.append(f"      ... and {len(items) - SHOWN} more")
    verb = "would add" if result.dry_run else "added"
    lines.append(f"  {verb} {plural(result.added, 'result')}, unchanged {result.unchanged}"
                 + (f" (third-party, evaluator Epoch AI, source {result.source})" if result.added else ""))
    return lines


def printable(value: Any) -> Any:
    """Text for a terminal (control characters shown as `?`)."""
    from catalog.query.evals import printable as show

    return show(value)

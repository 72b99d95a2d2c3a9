"""`llmzoo evals`: published evaluation results, side by side, with setting, evaluator and source."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from cli.options import filter_options, filters_from, open_engine
from cli.output import echo_result, render

TABLE_COLUMNS = ("model", "benchmark", "subset", "setting", "metric", "score", "evaluated_by", "source",
                 "locator")


@click.group("evals", invoke_without_command=True)
@filter_options
@click.option("--benchmark", "benchmarks", multiple=True, metavar="ID",
              help="Only this benchmark (repeatable; see `llmzoo evals benchmarks`).")
@click.option("--model", "models", multiple=True, metavar="MODEL", help="Only this model (repeatable).")
@click.option("--by", "evaluated_by", type=click.Choice(["developer", "third-party"]),
              help="Only results run by the model's developer / by someone else.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json", "jsonl", "markdown"]),
              default="table", show_default=True)
@click.pass_context
def evals(ctx: click.Context, benchmarks: tuple[str, ...], models: tuple[str, ...], evaluated_by: str | None,
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
    from catalog.evals import find_evals, write_evals

    rows = find_evals(open_engine(ctx), filters_from(kwargs), benchmarks, evaluated_by, models)
    if fmt in ("csv", "json", "jsonl"):
        if rows or fmt != "jsonl":
            echo_result(write_evals(rows, fmt), fmt)
        return
    if not rows:
        click.echo("No results match these filters.", err=True)
        return
    from catalog.evals import printable

    for row in rows:
        row["evaluated_by"] = row["evaluated_by"] if row["evaluated_by"] == "developer" else \
            f"third-party: {row['evaluator']}"
        row["score"] = f"{row['score']:g}"
    echo_result(render([{c: printable(r.get(c)) for c in TABLE_COLUMNS} for r in rows], TABLE_COLUMNS, fmt), fmt)


@evals.command("benchmarks")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json", "markdown"]), default="table",
              show_default=True)
@click.pass_context
def benchmarks_cmd(ctx: click.Context, fmt: str) -> None:
    """List the benchmark vocabulary: task kind, metric, chance level, standard setting, results.

    \b
    Example:
      llmzoo evals benchmarks
    """
    from catalog.evals import list_benchmarks

    rows = list_benchmarks(open_engine(ctx))
    columns = ["id", "name", "task_kind", "metric", "chance", "standard", "part_of", "results", "source"]
    echo_result(render(rows, columns, fmt), fmt)


@evals.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "jsonl"]),
              help="Input format (default: from the file extension).")
@click.option("--dry-run", is_flag=True, help="Check everything, write nothing.")
@click.pass_context
def import_cmd(ctx: click.Context, path: Path, fmt: str | None, dry_run: bool) -> None:
    """Add results from a file `llmzoo evals --format csv|json|jsonl` wrote, as your own rows.

    Every row is checked first; one bad row stops the import with every problem listed and the
    database unchanged. Rows already stored identically are skipped.

    \b
    Example:
      llmzoo evals --benchmark mmlu --format csv > mmlu.csv && llmzoo --db other.db evals import mmlu.csv
    """
    from catalog.evals import import_evals

    counts = import_evals(open_engine(ctx), path, fmt, dry_run)
    verb = "would add" if dry_run else "added"
    click.echo(f"{verb} {counts['added']} results, unchanged {counts['unchanged']}")

"""The `llmzoo` command: a thin click layer over the `catalog` library."""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from catalog.errors import CatalogError, shorten
from cli.options import complete_models, filter_options, filters_from, open_engine, output_options
from cli.output import (
    FORMATS,
    echo_result,
    exact_stdout,
    fit_text,
    human,
    legend,
    no_headers,
    printable,
    render,
    render_table,
    terminal_safe,
    terminal_width,
    to_json,
)
from cli.render import render_model, render_stats

# Subcommands that live in their own modules, imported only when they run (fast start-up).
LAZY_COMMANDS: dict[str, str] = {
    "scaling": "cli.scaling:scaling",
    "db": "cli.dbcmd:db",
    "chart": "cli.charts:chart",
    "site": "cli.site:site",
    "lineage": "cli.lineage:lineage",
    "add": "cli.usercmd:add",
    "edit": "cli.usercmd:edit",
    "history": "cli.usercmd:history",
    "revert": "cli.usercmd:revert",
    "changes": "cli.usercmd:changes",
    "remove": "cli.usercmd:remove",
    "import": "cli.usercmd:import_",
    "evals": "cli.evals:evals",
    "datasets": "cli.datasets:datasets",
    "compare": "cli.compare:compare",
    "query": "cli.query:query",
}

# The first sentence of each lazy command's docstring, so that `llmzoo --help` lists the commands
# without importing their modules (tests/test_cli_help.py keeps these in step with the docstrings).
LAZY_HELP: dict[str, str] = {
    "scaling": "Scaling laws: compute-optimal model size, training tokens and predicted loss.",
    "db": "Manage the catalogue database (upgrade, info, backup, restore).",
    "chart": "Charts of the catalogue as .html, .png, .svg, .pdf or .json files.",
    "site": "Build the catalogue as a static website (opens from disk, no server, no network).",
    "lineage": "Show what MODEL was derived from and what was derived from it, as trees.",
    "add": "Add your own models, from a YAML file (same format as data/) or from options.",
    "edit": "Change facts of a model.",
    "history": "List the changes of a model's facts (old -> new, when, by what, with their sources).",
    "changes": "List what a curated data refresh added, removed and changed (model, field, old -> new).",
    "revert": "Give a fact back the value it had before its last change (the revert is itself recorded).",
    "remove": "Remove a model you added (curated models cannot be removed).",
    "import": "Import models from a file: an llmzoo export (csv/json/jsonl), Epoch AI's CSV, or a HF config.json.",
    "evals": "List published evaluation results: one row per score, several per model and benchmark.",
    "datasets": "Training datasets: list them, or show one with its sources and the models trained on it.",
    "compare": "Compare models side by side: one column per model, one row per fact, then computed values "
               "(training compute, tokens per parameter, Chinchilla-optimal size and ratio).",
    "query": "Run one read-only SQL statement (SELECT / WITH) over the catalogue's tables.",
}


def _remember_db(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value:
        ctx.find_root().obj["db"] = value


def _accept_db_option(command: click.Command) -> None:
    """Let `--db` follow the command name too (`llmzoo list --db x.db`), not only precede it."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _accept_db_option(sub)
    elif not any(p.name == "db_here" for p in command.params):
        command.params.append(click.Option(["--db", "db_here"], metavar="PATH_OR_URL", expose_value=False,
                                           callback=_remember_db, help="Catalogue database (as llmzoo --db)."))


WARNINGS_SHOWN = 10  # distinct library warnings printed by one command; the rest are counted


@contextlib.contextmanager
def _printing_warnings() -> Iterator[None]:
    """Print the library's CatalogWarnings as `warning: ...` on stderr, each once, at most WARNINGS_SHOWN."""
    import warnings

    from catalog.errors import CatalogWarning

    seen: set[str] = set()
    with warnings.catch_warnings():
        warnings.simplefilter("always", CatalogWarning)
        shown = warnings.showwarning

        def show(message: Any, category: type[Warning], *args: Any, **kwargs: Any) -> None:
            if not issubclass(category, CatalogWarning):
                return shown(message, category, *args, **kwargs)
            if str(message) not in seen:
                seen.add(str(message))
                if len(seen) <= WARNINGS_SHOWN:
                    click.echo(f"warning: {message}", err=True)

        warnings.showwarning = show
        try:
            yield
        finally:
            if len(seen) > WARNINGS_SHOWN:
                click.echo(f"warning: ... and {len(seen) - WARNINGS_SHOWN} more", err=True)


class LlmzooGroup(click.Group):
    """A group that loads some commands lazily, turns library errors into `Error: ...`, and shows
    control characters visibly in everything it prints (cli.output.terminal_safe)."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        with terminal_safe():
            return super().main(*args, **kwargs)

    def list_commands(self, ctx: click.Context) -> list[str]:
        available = {name for name, target in LAZY_COMMANDS.items()
                     if importlib.util.find_spec(target.split(":")[0]) is not None}
        return sorted(set(super().list_commands(ctx)) | available)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list of --help: lazy commands by LAZY_HELP, so no command module is imported."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(map(len, names), default=0)
        rows = []
        for name in names:
            if name in LAZY_HELP:
                rows.append((name, click.utils.make_default_short_help(LAZY_HELP[name], limit)))
            elif (command := super().get_command(ctx, name)) is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in LAZY_COMMANDS and importlib.util.find_spec(LAZY_COMMANDS[name].split(":")[0]):
            module_name, attr = LAZY_COMMANDS[name].split(":")
            command = getattr(importlib.import_module(module_name), attr)
        else:
            command = super().get_command(ctx, name)
        if command is not None:
            _accept_db_option(command)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            with _printing_warnings():
                return super().invoke(ctx)
        except CatalogError as exc:
            click.echo(f"Error: {printable(str(exc))}", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("Interrupted; nothing was changed by the unfinished command.", err=True)
            sys.exit(130)
        except click.UsageError as exc:  # click quotes the value given: a 1 MB --arch must not be a 1 MB message
            exc.message = re.sub(r"[^\s']{81,}", lambda m: str(shorten(m.group(0))), exc.message)
            raise
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit, BrokenPipeError):
            raise
        except Exception as exc:  # a bug, not a user mistake: say so briefly
            if os.environ.get("LLMZOO_DEBUG"):
                raise
            click.echo(f"Error: internal error ({type(exc).__name__}: {exc}); this is a bug in llmzoo: "
                       "rerun with LLMZOO_DEBUG=1 for the traceback and report it", err=True)
            sys.exit(1)


@click.group(cls=LlmzooGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", "db", envvar="LLMZOO_DB", metavar="PATH_OR_URL",
              help="Catalogue database: a SQLite path or an SQLAlchemy URL "
                   "(default: llmzoo.db in the user data directory; env LLMZOO_DB).")
@click.option("--width", type=click.IntRange(min=20), metavar="N",
              help="Fit tables to N characters (default: $COLUMNS or the terminal; whole values when piped).")
@click.version_option(package_name="llmzoo")
@click.pass_context
def cli(ctx: click.Context, db: str | None, width: int | None) -> None:
    """llmzoo: a sourced catalogue and timeline of large language models.

    \b
    Example:
      llmzoo list --arch causal-decoder --since 2023 --sort -params
    """
    ctx.obj = {"db": db, "width": width}


def _list_rows(engine: Any, rows: list[dict[str, Any]], columns: list[str], fmt: str, narrow: bool = False) -> str:
    """Render model rows: human units and status marks in tables, raw values otherwise."""
    from catalog.query.models import fact_statuses

    if fmt in ("json", "jsonl"):  # each fact with its status (and the model it is inherited from)
        from catalog.query.models import with_provenance

        return render(rows, with_provenance(engine, rows, columns), fmt)
    if fmt in ("csv", "tsv"):
        return render(rows, columns, fmt)
    statuses: dict[tuple[Any, str], str] = (fact_statuses(engine, [r["id"] for r in rows if r.get("id")], columns)
                                            if "id" in columns else {})
    shown = []
    for row in rows:
        shown.append({c: human(c, row[c], statuses.get((row.get("id"), c))) for c in columns})
    from catalog.query.models import SHORT_HEADERS

    width = terminal_width() if fmt == "table" else None
    if width and narrow:  # the default columns on a narrow terminal: drop the least needed first
        columns = list(columns)
        for dropped in NARROW_DROPS:
            heads = [SHORT_HEADERS.get(c, c) for c in columns]
            if max(map(len, render_table(shown, columns, heads).split("\n"))) <= width:
                break
            columns.remove(dropped)
    text = render(shown, columns, fmt, [SHORT_HEADERS.get(c, c) for c in columns] if fmt == "table" else None)
    if not no_headers() and any(statuses.get((r.get("id"), c)) for r in rows for c in columns):
        text += "\n" + fit_text(legend(statuses.values()), width)
    return text


# Default columns `list` leaves out, in this order, until a table fits a narrow terminal.
NARROW_DROPS = ("name", "org", "arch", "open_weights", "released")


@cli.command("list")
@filter_options
@click.option("--sort", metavar="FIELD", help="Sort by a column; prefix - for descending (-params).")
@click.option("--limit", type=click.IntRange(min=0), help="Show at most this many models.")
@click.option("--columns", metavar="COL,COL", help="Columns to show (see `llmzoo columns`).")
@output_options()
@click.pass_context
def list_models(ctx: click.Context, /, sort: str | None, limit: int | None, columns: str | None,
                fmt: str, **kwargs: Any) -> None:
    """List models, filtered and sorted.

    The `context` column is context_window: the longest input the released model accepts (the
    trained sequence length is context_length); `llmzoo columns --describe` says what each column
    means. Marks: ~ estimated, = derived, ^ inherited from the parent, c. nominal, * set by you without a source.

    \b
    Examples:
      llmzoo list --arch causal-decoder
      llmzoo list --org meta --since 2023 --min-params 7B --sort -params
      llmzoo list --search llama --columns id,params,train_tokens,tokens_per_param --format csv
    """
    from catalog.query.evals import STANDARD_RULE, find_models_with_scores
    from catalog.query.models import DEFAULT_COLUMNS

    filters = filters_from(kwargs)
    cols = [c.strip() for c in columns.split(",") if c.strip()] if columns else list(DEFAULT_COLUMNS)
    engine = open_engine(ctx)
    rows, benches = find_models_with_scores(engine, filters, sort=sort, limit=limit, columns=cols)
    if not rows and fmt == "table":
        click.echo("No models match these filters.", err=True)
        return
    echo_result(_list_rows(engine, rows, cols, fmt, narrow=not columns), fmt)
    if benches and fmt in ("table", "markdown"):
        click.echo(f"{', '.join(benches)}: {STANDARD_RULE}")


@cli.command("columns")
@click.option("--describe", is_flag=True, help="Say what each column means (context sizes, pre-training, ...).")
def columns_cmd(describe: bool) -> None:
    """Print the column names that --columns and --sort accept.

    \b
    Examples:
      llmzoo columns
      llmzoo columns --describe
    """
    from catalog.query.models import COLUMNS, COMPUTED

    names = list(COLUMNS) + list(COMPUTED)
    if not describe:
        for name in names:
            click.echo(name)
        return
    from catalog.query.display import LABELS, MEANINGS

    rows = [{"column": n, "meaning": MEANINGS.get(n) or LABELS.get(n, "")} for n in names]
    click.echo(render_table(rows, ["column", "meaning"], width=terminal_width(), wrap=True))


@cli.command("show")
@click.argument("model", shell_complete=complete_models)
@output_options(["text", *FORMATS], default="text",
                help="text (default): everything; json: everything, nested; table, csv, tsv, jsonl, markdown: "
                     "one row per fact (value, status, source, method, confidence, note).")
@click.pass_context
def show(ctx: click.Context, model: str, fmt: str) -> None:
    """Show every fact of a model with its source and status, its data, parents and children.

    MODEL is an id, a name or an alias; case, spaces and punctuation do not matter.

    \b
    Examples:
      llmzoo show llama-65b
      llmzoo show "LLaMA-2 70B" --format json
    """
    from catalog.query.evals import add_evaluations
    from catalog.query.models import get_model

    engine = open_engine(ctx)
    detail = add_evaluations(engine, get_model(engine, model))
    if fmt in ("text", "json"):
        echo_result(to_json(detail) if fmt == "json" else render_model(detail), fmt)
        return
    rows = [{"fact": name, **fact} for name, fact in detail["facts"].items()]
    columns = ["fact", "value", "status", "source", "method", "confidence", "note"]
    if fmt in ("table", "markdown"):  # human units; the columns no fact fills are left out
        rows = [{**r, "value": human(str(r["fact"]), r["value"])} for r in rows]
        columns = [c for c in columns if c in ("fact", "value") or any(r.get(c) for r in rows)]
    text = render_table(rows, columns, width=terminal_width(), wrap=True) if fmt == "table" else \
        render(rows, columns, fmt)
    echo_result(text, fmt)


@cli.command("export")
@filter_options
@click.option("-o", "--output", "output", default="-", show_default=True, metavar="FILE",
              help="Output file; - for stdout.")
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "jsonl"]),
              help="Output format (default: from the file extension).")
@click.option("--sort", metavar="FIELD", help="Sort by a column; prefix - for descending.")
@click.option("--excel-safe/--no-excel-safe", "excel", default=False, show_default=True,
              help="CSV for a spreadsheet: a text cell starting with = + - @ (or tab, CR) gets a leading ' so that "
                   "it is not run as a formula; numbers stay as they are; `llmzoo import` removes the quote.")
@click.pass_context
def export(ctx: click.Context, /, output: str, fmt: str | None, sort: str | None, excel: bool, **kwargs: Any) -> None:
    """Export models with every fact's provenance (status, source URL, method, note).

    One row per model, raw units (parameters, tokens, FLOP as plain numbers). Values are written
    exactly as stored; a CSV meant to be opened in Excel or LibreOffice should be written with
    --excel-safe, as text from others' files may hold formulas (=HYPERLINK(...), +cmd|...).

    \b
    Examples:
      llmzoo export -o models.csv
      llmzoo export --origin user --excel-safe -o for-excel.csv
      llmzoo export --arch encoder-decoder -o - --format jsonl
    """
    from catalog.io.export import export_models

    filters = filters_from(kwargs)
    with exact_stdout():  # the rows go out exactly as stored, to stdout as to a file
        count = export_models(open_engine(ctx), output, fmt, filters, sort, excel)
    if output != "-":
        click.echo(f"Wrote {count} models to {output}", err=True)


@cli.command("stats")
@output_options(["text", *FORMATS], default="text",
                help="text (default) and json: everything; table, csv, tsv, jsonl, markdown: one row per count "
                     "(what, key, count).")
@click.pass_context
def stats(ctx: click.Context, fmt: str) -> None:
    """Counts of models, datasets, lineage edges and sources; models by architecture, org and year.

    \b
    Example:
      llmzoo stats --format json
    """
    from catalog.query.models import catalog_stats

    data = catalog_stats(open_engine(ctx))
    if fmt in ("text", "json"):
        echo_result(to_json(data) if fmt == "json" else render_stats(data), fmt)
        return
    rows = [{"what": what, "key": key, "count": count} for what, value in data.items()
            for key, count in (value.items() if isinstance(value, dict) else [("", value)])]
    echo_result(render(rows, ["what", "key", "count"], fmt), fmt)


@cli.command("validate")
@click.argument("path", required=False, type=click.Path(path_type=Path))
def validate(path: Path | None) -> None:
    """Check the curated data (or another data folder): schema, references, aliases, lineage, numbers.

    Exits 1 and lists every problem as FILE:LINE: where: what, with how to fix it.

    \b
    Examples:
      llmzoo validate
      llmzoo validate ./data
    """
    from catalog.errors import DataError
    from catalog.records.loading import load_directory
    from catalog.rules.validation import check_bundle

    if path is not None and not path.is_dir():
        raise DataError([f"{path}: not a folder; give the data folder to check"])
    bundle = load_directory(path)
    report = check_bundle(bundle)
    for warning in report.warnings:
        click.echo(f"warning: {printable(str(warning))}", err=True)
    if report.errors:
        raise DataError(report.errors)
    click.echo(f"OK: {len(bundle.models)} models, {len(bundle.datasets)} datasets, "
               f"{sum(len(m.parents) for m in bundle.models.values())} lineage edges, "
               f"{len(bundle.sources)} sources, {len(bundle.organizations)} organizations")


COVERAGE_MARKS = {"reported": "yes", "nominal": "c.nom", "estimated": "~est", "derived": "=der", "inherited": "^inh",
                  "user": "*usr", "unpublished": "n/d", "missing": "-"}


@cli.command("coverage")
@filter_options
@click.option("--fields", metavar="F,F", help="Fields to check (default: released, arch, params, "
                                               "train_tokens, context_length).")
@click.option("--gaps", is_flag=True, help="Only models with a missing field.")
@output_options()
@click.pass_context
def coverage_cmd(ctx: click.Context, /, fields: str | None, gaps: bool, fmt: str, **kwargs: Any) -> None:
    """Show, per model and field, what is known, estimated, undisclosed (n/d) or missing (-).

    \b
    Examples:
      llmzoo coverage --open --gaps
      llmzoo coverage --fields params,train_tokens,layers,d_model --format json
    """
    from catalog.query.coverage import ESSENTIAL, coverage

    chosen = [f.strip() for f in fields.split(",") if f.strip()] if fields else list(ESSENTIAL)
    report = coverage(open_engine(ctx), filters_from(kwargs), chosen)
    models = [m for m in report["models"] if m["missing"]] if gaps else report["models"]
    if fmt == "json":
        echo_result(to_json({**report, "models": models}), fmt)
        return
    rows = [{"id": m["id"], **{f: COVERAGE_MARKS[s] if fmt in ("table", "markdown") else s
                               for f, s in m["fields"].items()}} for m in models]
    echo_result(render(rows, ["id", *chosen], fmt), fmt)
    if fmt == "table" and not no_headers():
        known = ", ".join(f"{f} {report['count'] - report['totals'][f]['missing']}/{report['count']}"
                          for f in chosen)
        click.echo(f"{report['complete']} of {report['count']} models have every field known or marked "
                   f"unpublished; known per field: {known}")


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="llmzoo")  # click exits quietly (status 1) when a pipe reader leaves early


if __name__ == "__main__":
    main()

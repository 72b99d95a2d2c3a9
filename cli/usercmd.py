"""`llmzoo add`, `edit`, `remove` and `import`: user records that survive every refresh."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from catalog.query.display import printable
from catalog.vocab import ARCHITECTURES, RELATIONS, SOURCE_KINDS
from cli.options import complete_models, open_engine, output_options
from cli.output import raw_stream, render

CONFLICT = click.Choice(["fail", "skip", "update"])


def _report(changes: Any, what: str) -> None:
    click.echo(("Dry run: " if changes.dry_run else "") + f"{what}: {changes.summary()}")
    for label, ids in (("added", changes.added), ("updated", changes.updated), ("skipped", changes.skipped)):
        if ids:
            shown = ", ".join(ids[:20]) + (f", ... and {len(ids) - 20} more" if len(ids) > 20 else "")
            click.echo(f"  {label}: {shown}")


@click.command("add")
@click.argument("file", required=False, type=click.Path(path_type=Path))
@click.option("--id", "id_", metavar="ID", help="Id of a new model (lowercase slug, e.g. my-llama-ft-7b).")
@click.option("--name", help="Display name.")
@click.option("--org", help="Organization id (see data/organizations.yaml or `llmzoo stats`).")
@click.option("--family", help="Family id.")
@click.option("--arch", type=click.Choice(ARCHITECTURES), help="Architecture type.")
@click.option("--params", help="Total parameters (7B).")
@click.option("--active-params", help="Active parameters of an MoE model.")
@click.option("--tokens", "train_tokens", help="Training tokens (1.4T).")
@click.option("--compute", "train_compute", help="Training compute in FLOP, as reported.")
@click.option("--context", "context_length", help="Context length in tokens.")
@click.option("--released", help="Release date: YYYY-MM-DD, YYYY-MM or YYYY.")
@click.option("--open/--closed", "open_weights", default=None, help="Open or closed weights.")
@click.option("--license", help="Licence of the weights.")
@click.option("--parent", "parents", multiple=True, metavar="MODEL:RELATION",
              help=f"Derived from MODEL ({', '.join(RELATIONS)}); repeatable.")
@click.option("--source", help="Id of a catalogued source for every fact.")
@click.option("--source-url", help="URL of the paper, model card or blog the facts come from.")
@click.option("--source-title", help="Title of that source (default: its URL).")
@click.option("--source-kind", type=click.Choice(SOURCE_KINDS),
              default="third-party", show_default=True, help="What kind of document that source is.")
@click.option("--note", help="Free text.")
@click.option("--on-conflict", type=CONFLICT, default="fail", show_default=True,
              help="When a user model with the same id exists.")
@click.option("--dry-run", is_flag=True, help="Check and report, change nothing.")
@click.pass_context
def add(ctx: click.Context, /, file: Path | None, on_conflict: str, dry_run: bool, **fields: Any) -> None:
    """Add your own models, from a YAML file (same format as data/) or from options.

    \b
    Examples:
      llmzoo add my-models.yaml
      llmzoo add --id my-llama-ft-7b --name "My Llama FT 7B" --org meta --arch causal-decoder \\
          --params 7B --parent llama-2-7b:fine-tune --source-url https://example.org/report
    """
    from catalog.records.loading import load_file
    from catalog.store.userdata import add_bundle, quick_record

    if file is not None:
        if any(v not in (None, ()) for k, v in fields.items() if k != "source_kind"):
            raise click.UsageError("give either FILE or model options, not both")
        bundle = load_file(file)
    else:
        if not fields["id_"] or not fields["name"] or not fields["org"]:
            raise click.UsageError("give FILE, or at least --id, --name and --org (and --source-url)")
        fields["id"] = fields.pop("id_")
        fields["parents"] = [_parent(p) for p in fields["parents"]]
        bundle = quick_record(fields)
    changes = add_bundle(open_engine(ctx), bundle, on_conflict=on_conflict, dry_run=dry_run)
    _report(changes, str(file) if file else fields["id"])


def _parent(text: str) -> dict[str, str]:
    model, sep, relation = text.rpartition(":")
    if not sep or not model:
        raise click.BadParameter(f"{text!r}: write MODEL:RELATION, e.g. llama-2-7b:fine-tune", param_hint="--parent")
    if relation not in RELATIONS:
        raise click.BadParameter(f"{relation!r} is not a relation; use one of {', '.join(RELATIONS)}",
                                 param_hint="--parent")
    return {"model": model, "relation": relation}


@click.command("edit")
@click.argument("model", shell_complete=complete_models)
@click.option("--set", "settings", multiple=True, required=True, metavar="FIELD=VALUE",
              help="A change: params=7B, license=MIT, params.status=estimated, params.note=...; repeatable.")
@click.option("--source-url", metavar="URL", help="The paper, card or page the new values come from "
                                                  "(a user source is added for a new URL); without it the "
                                                  "values cite the user-edit source.")
@click.option("--source", "source_id", metavar="ID", help="Or the id of a catalogued source the new values come "
                                                           "from (e.g. touvron2023llama).")
@click.option("--note", metavar="TEXT", help="A note for every fact whose value this edit sets.")
@click.pass_context
def edit(ctx: click.Context, model: str, settings: tuple[str, ...], source_url: str | None, source_id: str | None,
         note: str | None) -> None:
    """Change facts of a model. Editing a curated model makes it yours: refreshes keep your version.

    A value set with --source-url (or --source ID) cites that page (status reported); without
    either the value is yours: source user-edit, status user, marked * in tables. Every fact that changes keeps its
    previous value: see `llmzoo history MODEL`, undo with `llmzoo revert MODEL FIELD`. Context
    sizes are exact integers (32768, not 32k).

    \b
    Examples:
      llmzoo edit my-llama-ft-7b --set params=6.7B --set params.note="config.json"
      llmzoo edit gpt-4 --set context_length=8192 --source-url https://arxiv.org/abs/2303.08774 --note "p. 1"
    """
    from catalog.store.userdata import edit_model

    if source_url and source_id:
        raise click.UsageError("give --source-url URL or --source ID, not both")
    model_id, adopted = edit_model(open_engine(ctx), model, list(settings), source_url=source_url, note=note,
                                   source=source_id)
    click.echo(f"Updated {model_id}" + (" (now a user copy of the curated model: data refreshes will not "
                                        "change it)" if adopted else ""))


def _fact_text(field: str, fact: dict[str, Any] | None) -> str:
    from catalog.query.display import human

    if fact is None:
        return "-"
    return f"{human(field, fact.get('value'), fact.get('status')) or fact.get('status')} ({fact.get('source')})"


def _pair_texts(field: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> tuple[str, str]:
    """Old and new as `_fact_text` writes them; where those read the same, with the parts that differ."""
    before, after = _fact_text(field, old), _fact_text(field, new)
    if before == after and old and new:
        parts = [k for k in ("status", "method", "confidence", "note") if old.get(k) != new.get(k)]
        before, after = (text + "".join(f"; {k}: {fact.get(k) or '-'}" for k in parts)
                         for text, fact in ((before, old), (after, new)))
    return before, after


@click.command("history")
@click.argument("model", shell_complete=complete_models)
@click.argument("field", required=False)
@output_options(help="table (default) and markdown: old -> new as text; csv, tsv: old and new as JSON; json, "
                     "jsonl: each change with its values and provenance.")
@click.pass_context
def history(ctx: click.Context, model: str, field: str | None, fmt: str) -> None:
    """List the changes of a model's facts (old -> new, when, by what, with their sources).

    \b
    Examples:
      llmzoo history gpt-4
      llmzoo history gpt-4 context_length
    """
    from catalog.store.userdata import fact_history
    from cli.output import render_table

    changes = fact_history(open_engine(ctx), model, field)
    if fmt not in ("table", "markdown"):
        _echo_changes(changes, ["changed_at", "changed_by", "field", "old", "new"], fmt)
        return
    if not changes:
        click.echo("No recorded changes.")
        return
    rows = [{"when": c["changed_at"], "by": c["changed_by"], "field": c["field"],
             **dict(zip(("old", "new"), _pair_texts(c["field"], c["old"], c["new"]), strict=True))}
            for c in changes]
    click.echo(render_table(rows, ["when", "by", "field", "old", "new"]) if fmt == "table" else
               render(rows, ["when", "by", "field", "old", "new"], fmt))


def _echo_changes(changes: list[dict[str, Any]], columns: list[str], fmt: str) -> None:
    """Changes as data: json and jsonl keep old and new as objects, csv and tsv write them as JSON text."""
    from cli.output import echo_result, to_json

    if fmt == "json":
        echo_result(to_json(changes), fmt)
        return
    if fmt in ("csv", "tsv"):
        import json

        changes = [{**c, "old": json.dumps(c["old"], ensure_ascii=False, default=str),
                    "new": json.dumps(c["new"], ensure_ascii=False, default=str)} for c in changes]
    echo_result(render(changes, columns, fmt), fmt)


@click.command("changes")
@click.option("--since", metavar="DATA_VERSION",
              help="Every curated refresh after this data version (see `llmzoo db info`), not only the last.")
@output_options(help="table (default), markdown; json: the whole report; jsonl, csv, tsv: one change a row (old "
                     "and new as JSON text in csv and tsv).")
@click.pass_context
def changes(ctx: click.Context, since: str | None, fmt: str) -> None:
    """List what a curated data refresh added, removed and changed (model, field, old -> new).

    A new llmzoo (or LLMZOO_DATA) with other curated data refreshes the catalogue on first use;
    without --since this lists what the last refresh changed. Your own models are never changed.

    \b
    Examples:
      llmzoo changes
      llmzoo changes --since 0.1.0+3f2a9c0d1e2b4a5c --format json
    """
    from catalog.store.datachanges import data_changes
    from cli.output import render_table, to_json

    report = data_changes(open_engine(ctx), since)
    if fmt == "json":
        click.echo(to_json(report))
        return
    if fmt in ("jsonl", "csv", "tsv"):
        _echo_changes(report["changes"], ["data", "model", "field", "old", "new"], fmt)
        return
    what = f"since data {since}" if since else f"in data {report['version']}" + (
        f" (was {report['from']})" if report["from"] else "")
    if not report["changes"]:
        click.echo(f"No curated changes {what}.")
        return
    rows = [{"data": c["data"], "model": c["model"], "field": c["field"],
             **dict(zip(("old", "new"), _pair_texts(c["field"], c["old"], c["new"]), strict=True))}
            for c in report["changes"]]
    if fmt == "markdown":
        click.echo(render(rows, ["data", "model", "field", "old", "new"], fmt))
        return
    click.echo(render_table(rows, ["data", "model", "field", "old", "new"]))
    click.echo(f"Curated changes {what}: {report['added']} model{'s' if report['added'] != 1 else ''} added, "
               f"{report['removed']} removed, {report['changed']} fact{'s' if report['changed'] != 1 else ''} "
               "changed")


@click.command("revert")
@click.argument("model", shell_complete=complete_models)
@click.argument("field")
@click.pass_context
def revert(ctx: click.Context, model: str, field: str) -> None:
    """Give a fact back the value it had before its last change (the revert is itself recorded).

    \b
    Example:
      llmzoo revert gpt-4 context_length
    """
    from catalog.store.userdata import revert_fact

    model_id, fact = revert_fact(open_engine(ctx), model, field)
    click.echo(f"Reverted {model_id} {field} to {_fact_text(field, fact)}")


@click.command("remove")
@click.argument("model", shell_complete=complete_models)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def remove(ctx: click.Context, model: str, yes: bool) -> None:
    """Remove a model you added (curated models cannot be removed).

    \b
    Example:
      llmzoo remove my-llama-ft-7b --yes
    """
    from catalog.store.userdata import remove_model

    if not yes and not click.confirm(f"Remove {model}?", default=False):
        click.echo("Nothing removed.")
        return
    click.echo(f"Removed {remove_model(open_engine(ctx), model)}")


@click.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--from", "source_format", type=click.Choice(["export", "epoch", "hf-config"]), default="export",
              show_default=True, help="What wrote the file: llmzoo export, Epoch AI's CSV, a HF config.json.")
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "jsonl"]),
              help="File format of an export (default: from the extension).")
@click.option("--model", "model_id", metavar="ID", help="With --from hf-config: the model the config belongs to.")
@click.option("--source-url", metavar="URL",
              help="With --from hf-config: the config's URL on the hub, which its facts cite.")
@click.option("--on-conflict", type=CONFLICT, default="fail", show_default=True,
              help="When a user model with the same id exists.")
@click.option("--dry-run", is_flag=True, help="Report what would change, change nothing.")
@click.pass_context
def import_(ctx: click.Context, file: Path, source_format: str, fmt: str | None, model_id: str | None,
            source_url: str | None, on_conflict: str, dry_run: bool) -> None:
    """Import models from a file: an llmzoo export (csv/json/jsonl), Epoch AI's CSV, or a HF config.json.

    An export's every column (CSV) or key (JSON) must be one `llmzoo export` writes: an unknown one
    is an error naming the closest, and nothing is imported. The ' that `export --excel-safe` puts
    before a formula-like cell is removed. Epoch's CSV and config.json are foreign formats: the
    columns and keys llmzoo has no use for are ignored.

    \b
    Examples:
      llmzoo import models.csv --dry-run
      llmzoo import models.jsonl --on-conflict update
      llmzoo import --from epoch epoch_language_models.csv
      llmzoo import --from hf-config config.json --model my-llama-ft-7b \\
          --source-url https://huggingface.co/ORG/NAME/blob/main/config.json
    """
    from catalog.io.importing import import_export

    if str(file) == "-":
        if source_format != "export":
            raise click.UsageError(f"import -: standard input is read as an llmzoo export; --from {source_format} "
                                   "reads a file: give its path")
        if fmt is None:
            raise click.UsageError("import -: give --format csv, json or jsonl; standard input has no file "
                                   "extension to tell the format by")
    engine = open_engine(ctx)
    if source_format == "export":
        with _readable(file, fmt) as path, _progress_bar(path) as step:
            changes = import_export(engine, path, fmt, on_conflict=on_conflict, dry_run=dry_run, progress=step)
        _report(changes, "standard input" if str(file) == "-" else str(file))
        return
    from cli.importers import run_importer

    run_importer(engine, source_format, file, model_id=model_id, on_conflict=on_conflict, dry_run=dry_run,
                 source_url=source_url)


@contextmanager
def _readable(file: Path, fmt: str | None) -> Iterator[Path]:
    """The file to import: `file` itself, or for `-` standard input copied to a temporary file (the
    importer reads its input twice); messages then name `-`, not the copy."""
    if str(file) != "-":
        yield file
        return
    import shutil
    import tempfile

    from catalog.errors import CatalogError, DataError

    with tempfile.TemporaryDirectory(prefix="llmzoo-stdin-") as folder:
        path = Path(folder) / f"stdin.{fmt}"
        with path.open("wb") as copy:
            shutil.copyfileobj(click.get_binary_stream("stdin"), copy)
        try:
            yield path
        except DataError as exc:
            raise DataError([p.replace(str(path), "-") for p in exc.problems], exc.path) from None
        except CatalogError as exc:
            raise CatalogError(str(exc).replace(str(path), "-")) from None


class _ImportProgress:
    """One line on stderr, redrawn at most four times a second: the share of the file read, the rows
    written, their rate and the time left; the last state stays on screen when the import ends."""

    def __init__(self, file: Path, stream: Any, clock: Callable[[], float] = time.monotonic) -> None:
        self.name, self.size, self.stream, self.clock = printable(file.name), max(file.stat().st_size, 1), stream, clock
        self.start = self.drawn = clock()
        self.read = self.rows = 0

    def __call__(self, read: int, rows: int) -> None:
        self.read, self.rows = min(read, self.size), rows
        now = self.clock()
        if now - self.drawn >= 0.25:
            self.drawn = now
            self._draw(self._line(now - self.start))

    def _line(self, elapsed: float) -> str:
        share = self.read / self.size
        if self.read >= self.size:
            left = "checking and committing"
        elif share > 0:
            left = f"ETA {_clock(elapsed * (1 - share) / share)}"
        else:
            left = "ETA --:--"
        return f"Importing {self.name}: {share:4.0%}  {self.rows:,} rows  {_rate(self.rows, elapsed)}  {left}"

    def _draw(self, line: str) -> None:
        self.stream.write(f"\r{line}\x1b[K")
        self.stream.flush()

    def done(self, failed: bool) -> None:
        """Clear the line after a failure (the error message follows); else leave the final count."""
        if failed:
            self._draw("")
            self.stream.write("\r")
        else:
            elapsed = self.clock() - self.start
            self._draw(f"Imported {self.name}: {self.rows:,} rows in {_clock(elapsed)} ({_rate(self.rows, elapsed)})")
            self.stream.write("\n")
        self.stream.flush()


def _rate(rows: int, seconds: float) -> str:
    return f"{rows / seconds:,.0f} rows/s" if seconds > 0 else "-- rows/s"


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{secs:02d}"


@contextmanager
def _progress_bar(file: Path) -> Iterator[Callable[[int, int], None] | None]:
    """Progress of an import on stderr, only when stderr is a terminal (pipes and tests see none)."""
    if not sys.stderr.isatty() or not file.is_file():
        yield None
        return
    progress = _ImportProgress(file, raw_stream(sys.stderr))  # its own \r and erase-line go out as they are
    try:
        yield progress
    except BaseException:
        progress.done(failed=True)
        raise
    progress.done(failed=False)

"""`llmzoo import --from epoch|hf-config`: run an importer of catalog.io.importers and print its report."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import click

from catalog.query.display import printable

SHOWN = 10  # detail lines per skip reason; the counts are always complete


def run_importer(engine: Any, source_format: str, file: Path, *, model_id: str | None = None,
                 on_conflict: str = "fail", dry_run: bool = False, source_url: str | None = None) -> None:
    """Import FILE with the importer of `source_format` and print what it did (or would do)."""
    if source_format == "epoch":
        from catalog.io.importers.epoch import import_epoch

        if model_id or source_url:
            raise click.UsageError("--model and --source-url are for --from hf-config; an Epoch CSV names its "
                                   "models and cites each row's link")
        report = epoch_report(import_epoch(engine, file, on_conflict=on_conflict, dry_run=dry_run))
        click.echo(printable("\n".join(report)))
    elif source_format == "hf-config":
        from catalog.io.importers.hf_config import import_hf_config

        if not model_id:
            raise click.UsageError("--from hf-config needs --model ID: the catalogued model this config.json "
                                   "belongs to (e.g. --model llama-2-7b)")
        result = import_hf_config(engine, file, model_id, source_url=source_url, on_conflict=on_conflict,
                                  dry_run=dry_run)
        click.echo(printable("\n".join(hf_report(result))))
    else:
        raise click.UsageError(f"unknown import format {source_format!r}")


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _ids(label: str, ids: list[str]) -> list[str]:
    return [f"    {label}: {', '.join(ids)}"] if ids else []


def epoch_report(result: Any) -> list[str]:
    """The summary of an Epoch import: rows, skipped by reason, matched, added."""
    from catalog.io.importers.epoch import NOT_LANGUAGE

    changes = result.changes
    add = "would add" if changes.dry_run else "added"
    lines = [("Dry run: " if changes.dry_run else "") + f"{result.path}: read {_plural(result.rows, 'row')}, "
             f"{_plural(result.language_models, 'language model')}"]
    lines += [f"  warning: {w}" for w in result.warnings]
    skipped = sum(len(items) for items in result.skipped.values())
    if skipped:
        lines.append(f"  skipped {skipped}:")
    for reason, items in result.skipped.items():
        if not items:
            continue
        if reason == NOT_LANGUAGE:
            domains = Counter(item.detail for item in items)
            lines.append(f"    {reason}: {len(items)} (Domain: "
                         + ", ".join(f"{d} {n}" for d, n in sorted(domains.items(), key=lambda x: (-x[1], x[0])))
                         + ")")
            continue
        lines.append(f"    {reason}: {len(items)}")
        lines += [f"      line {i.line} ({i.name})" + (f": {i.detail}" if i.detail else "") for i in items[:SHOWN]]
        if len(items) > SHOWN:
            lines.append(f"      ... and {len(items) - SHOWN} more")
    lines += _matched_lines(result)
    counts = [f"{add} {_plural(len(changes.added), 'model')}"]
    counts += [_plural(n, kind.removesuffix("s")) for kind, n in changes.other.items() if n]
    lines.append("  " + ", ".join(counts))
    lines += _ids(add, changes.added) + _ids("would update" if changes.dry_run else "updated", changes.updated)
    lines += _ids("skipped (already there)", changes.skipped) + _ids("unchanged", changes.unchanged)
    return lines


def _matched_lines(result: Any) -> list[str]:
    if not result.matched:
        return ["  matched 0 catalogue models"]
    parts = [f"{len(result.agreeing)} agreeing", f"{len(result.conflicting)} conflicting"]
    if result.uncompared:
        parts.append(f"{len(result.uncompared)} with no figures to compare")
    lines = [f"  matched {_plural(len(result.matched), 'catalogue model')}, not written: {', '.join(parts)}"]
    lines += _ids("agreeing", [m.model_id for m in result.agreeing])
    for match in result.conflicting:
        diffs = "; ".join(f"{d.field} catalogue {d.ours}, Epoch {d.theirs}" for d in match.conflicts)
        lines.append(f"    conflicting: {match.model_id} (line {match.line}, {match.name}): {diffs}")
    lines += _ids("no figures to compare", [m.model_id for m in result.uncompared])
    return lines


def hf_report(result: Any) -> list[str]:
    """The summary of a config.json import: facts added, unchanged, conflicting (kept or replaced)."""
    from catalog.io.importers.hf_config import show_value

    dry = result.dry_run
    outcome = ("would replace" if dry else "replaced") if result.replaced else "kept"
    head = f"{'would add' if dry else 'added'} {_plural(len(result.added), 'fact')}, {len(result.unchanged)} unchanged"
    if result.conflicts:
        head += f", {len(result.conflicts)} conflicting ({outcome})"
    lines = [("Dry run: " if dry else "") + f"{result.path} -> {result.model_id}: {head}"]
    if result.added:
        lines.append("  " + ("would add" if dry else "added") + ": "
                     + ", ".join(f"{f.field} {show_value(f.value)}" for f in result.added))
    if result.unchanged:
        lines.append("  unchanged: " + ", ".join(result.unchanged))
    lines += [f"  conflicting: {d.field}: catalogue {d.ours}, config.json {d.theirs} ({outcome})"
              for d in result.conflicts]
    if not result.changed:
        lines.append("  nothing to change")
        return lines
    lines.append(f"  source: {result.source_id} <{result.source_url}>")
    if result.adopted:
        lines.append(f"  {result.model_id} {'would become' if dry else 'is now'} a user copy of the curated model: "
                     "data refreshes will not change it")
    return lines

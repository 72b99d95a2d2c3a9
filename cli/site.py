"""`llmzoo site build`: the catalogue as a static website."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from cli.options import filter_options, filters_from, open_engine


@click.group("site")
def site() -> None:
    """Build the catalogue as a static website (opens from disk, no server, no network).

    \b
    Example:
      llmzoo site build -o site && open site/index.html
    """


@site.command("build")
@filter_options
@click.option("-o", "--output", "output", required=True, metavar="DIR", type=click.Path(path_type=Path),
              help="Folder to write the site into (created; an earlier site there is replaced).")
@click.option("--pages", type=click.Choice(["auto", "files", "packed"]), default="auto", show_default=True,
              help="Model pages: one file each, or packed into at most 256 files (models/p-XX.html#ID, "
                   "for big catalogues); auto packs above 20,000 models.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.pass_context
def build(ctx: click.Context, /, output: Path, pages: str, quiet: bool, **kwargs: Any) -> None:
    """Write index.html, one page per model and dataset, the charts and the evolutionary tree.

    Takes the same filters as `llmzoo list`; without them the whole catalogue is built.
    Everything the pages need (scripts, styles, data) is inside DIR.

    \b
    Examples:
      llmzoo site build -o site
      llmzoo site build -o open-models --open --since 2023
      llmzoo site build -o site --pages packed
    """
    from catalog.site import build_site

    filters = filters_from(kwargs)
    progress = None if quiet else (lambda message: click.echo(f"  {message}...", err=True))
    summary = build_site(open_engine(ctx), output, filters, progress=progress, pages=pages)
    if not quiet:
        skipped = "".join(f"\n  chart {name} not drawn: {why}" for name, why in summary.skipped_charts.items())
        packs = f" (in {summary.page_files} packs)" if summary.pages == "packed" else ""
        click.echo(f"Wrote {summary.models} model pages{packs}, {summary.datasets} dataset pages, "
                   f"{len(summary.charts)} charts and the tree to {output} in {summary.seconds:.1f}s; "
                   f"open {output / 'index.html'}{skipped}", err=True)

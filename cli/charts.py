"""`llmzoo chart`: the timeline, compute-frontier, growth and architecture charts, written to files.

pandas, altair and vl_convert are imported only inside the commands, so `llmzoo --help` and
every other command start without them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from cli.options import F, filter_options, filters_from, open_engine

_CHART_OPTIONS = [
    click.option("-o", "--output", required=True, metavar="FILE",
                 help="Output file; its extension picks the format: .html (one self-contained page that works "
                      "offline), .png, .svg, .pdf or .json (the Vega-Lite spec)."),
    click.option("--title", metavar="TEXT", help="Chart title (default: says what is drawn)."),
    click.option("--width", type=click.IntRange(min=100, max=20000), metavar="PX", help="Plot width in pixels."),
    click.option("--height", type=click.IntRange(min=100, max=20000), metavar="PX", help="Plot height in pixels."),
    click.option("--scale", type=click.FloatRange(min=0.5, max=8), default=2.0, show_default=True, metavar="FACTOR",
                 help="Pixel density of PNG output (2 is crisp on slides and in print)."),
]


def chart_options(func: F) -> F:
    """Decorate a chart command with the model filters and the output options."""
    func = filter_options(func)
    for option in reversed(_CHART_OPTIONS):
        func = option(func)
    return func


def _draw(ctx: click.Context, kwargs: dict[str, Any], name: str, **options: Any) -> None:
    """Select the models, build the chart `name` with `options`, write it, say where."""
    from catalog.charts.files import chart_format, check_writable, save_chart
    from catalog.charts.selection import chart_from_db

    output, scale = kwargs.pop("output"), kwargs.pop("scale")
    chart_format(output)  # a wrong extension or folder fails before the query
    check_writable(Path(output))
    engine = open_engine(ctx)
    save_chart(chart_from_db(engine, name, filters_from(kwargs), **options), output, scale)
    click.echo(f"Wrote {output}", err=True)


@click.group()
def chart() -> None:
    """Charts of the catalogue as .html, .png, .svg, .pdf or .json files.

    Every chart takes the filters of `llmzoo list`.

    \b
    Examples:
      llmzoo chart timeline -o timeline.png
      llmzoo chart compute --since 2022 -o compute.html
      llmzoo chart growth --open -o growth.svg
      llmzoo chart architectures --share -o archs.pdf
    """


@chart.command()
@chart_options
@click.option("--group-by", type=click.Choice(["org", "family"]), default="org", show_default=True,
              help="One row per organization or per model family.")
@click.pass_context
def timeline(ctx: click.Context, /, group_by: str, title: str | None, width: int | None, height: int | None,
             **kwargs: Any) -> None:
    """Every model by release date, one row per organization or family.

    Color: architecture; shape: open or closed weights; size: parameters (log scale). The
    largest model of each family is labelled where it fits; tooltips (HTML) carry the rest.

    \b
    Examples:
      llmzoo chart timeline -o timeline.png
      llmzoo chart timeline --group-by family --org meta --org mistral -o meta-mistral.svg
    """
    _draw(ctx, kwargs, "timeline", group_by=group_by, title=title, width=width, height=height)


@chart.command()
@chart_options
@click.pass_context
def compute(ctx: click.Context, /, title: str | None, width: int | None, height: int | None, **kwargs: Any) -> None:
    """Parameters vs training tokens (log-log) against the compute-optimal frontier.

    Lines: Chinchilla (about 20 tokens per parameter), Kaplan et al. 2020, and equal training
    compute C = 6·N·D from 1e18 to 1e27 FLOP. Hollow marks are estimated or derived counts;
    MoE models are placed by their active parameters. Fine-tuned and further-trained models are
    left out: their token counts cover only their own training stage.

    \b
    Examples:
      llmzoo chart compute -o compute.png
      llmzoo chart compute --open --since 2023 -o open-2023.html
    """
    _draw(ctx, kwargs, "compute", title=title, width=width, height=height)


@chart.command()
@chart_options
@click.option("--frontier", is_flag=True,
              help="Fit each trend to the largest model of each period only (ringed), not to every size variant.")
@click.option("--period", type=click.Choice(["year", "half", "quarter"]), default="year", show_default=True,
              help="The period of --frontier.")
@click.pass_context
def growth(ctx: click.Context, /, title: str | None, width: int | None, height: int | None, frontier: bool,
           period: str, **kwargs: Any) -> None:
    """Parameters and training compute over time, with least-squares trends and doubling times.

    Training compute is the reported figure where a source gives one, else 6·N·D.
    The --height applies to each of the two panels. With --frontier the trend is fitted to the
    largest model of each year (or --period), since the fit over every size variant understates
    how fast the frontier grows; every model is still drawn.

    \b
    Examples:
      llmzoo chart growth -o growth.png
      llmzoo chart growth --frontier -o frontier.png
      llmzoo chart growth --arch causal-decoder --since 2019 -o growth.pdf
    """
    _draw(ctx, kwargs, "growth", title=title, width=width, height=height, frontier=period if frontier else None)


@chart.command()
@chart_options
@click.option("--share", is_flag=True, help="Each type's share of the year's models instead of counts.")
@click.pass_context
def architectures(ctx: click.Context, /, share: bool, title: str | None, width: int | None, height: int | None,
                  **kwargs: Any) -> None:
    """Models released each year, stacked by architecture type.

    \b
    Examples:
      llmzoo chart architectures -o architectures.png
      llmzoo chart architectures --share --open -o open-architectures.svg
    """
    _draw(ctx, kwargs, "architectures", title=title, width=width, height=height, share=share)


@chart.command("data-mix")
@chart_options
@click.pass_context
def data_mix(ctx: click.Context, /, title: str | None, width: int | None, height: int | None, **kwargs: Any) -> None:
    """Each model's pre-training data by kind of source: one 100% bar per model.

    Shares come from the models' sourced training-data links (the papers' mixture tables),
    grouped into webpages, conversation, books & news, scientific, code, encyclopedia and
    other; bars are sorted by web share. Tooltips (HTML) list the datasets and sources behind
    each segment. Only models whose mixture gives shares are drawn.

    \b
    Examples:
      llmzoo chart data-mix -o mix.png
      llmzoo chart data-mix --org google --org deepmind -o google-mix.html
    """
    from catalog.charts.data_mix import chart_data_mix
    from catalog.charts.files import chart_format, check_writable, save_chart
    from catalog.query.datamix import mixtures

    output, scale = kwargs.pop("output"), kwargs.pop("scale")
    chart_format(output)
    check_writable(Path(output))
    engine = open_engine(ctx)
    save_chart(chart_data_mix(mixtures(engine, filters_from(kwargs)), title=title, width=width, height=height),
               output, scale)
    click.echo(f"Wrote {output}", err=True)


def _register_lineage() -> None:
    from cli.lineage import chart_lineage_command  # cli.lineage does not import this module

    chart.add_command(chart_lineage_command, "lineage")


_register_lineage()


@chart.command()
@chart_options
@click.option("--benchmark", "benchmarks", multiple=True, required=True, metavar="ID",
              help="Benchmark id (repeatable: several become small multiples; see `llmzoo evals benchmarks`).")
@click.option("--x", "x_axis", type=click.Choice(["compute", "params"]), default="compute", show_default=True,
              help="Training compute (FLOP) or parameters on the log x axis.")
@click.pass_context
def capability(ctx: click.Context, /, benchmarks: tuple[str, ...], x_axis: str, title: str | None, width: int | None,
               height: int | None, **kwargs: Any) -> None:
    """Benchmark score against training compute (log scale): the emergence figure, from sourced results.

    One point per model: its result in the benchmark's standard setting (the developer's own where
    published, else a third party's, drawn as a triangle), coloured by family. Hollow marks have an
    estimated x (6·N·D compute, nominal sizes); a dashed line marks chance.

    \b
    Examples:
      llmzoo chart capability --benchmark mmlu -o cap.png
      llmzoo chart capability --benchmark mmlu --benchmark gsm8k --x params -o cap.svg
    """
    from catalog.charts.capability import chart_capability
    from catalog.charts.files import chart_format, check_writable, save_chart

    output, scale = kwargs.pop("output"), kwargs.pop("scale")
    chart_format(output)
    check_writable(Path(output))
    chart = chart_capability(open_engine(ctx), benchmarks, filters_from(kwargs), x_axis, title, width, height)
    save_chart(chart, output, scale)
    click.echo(f"Wrote {output}", err=True)

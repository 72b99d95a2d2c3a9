"""`llmzoo scaling`: compute-optimal allocations and predicted losses (Kaplan 2020, Chinchilla 2022)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import click

from catalog import scaling as laws
from catalog.units import format_count, format_flop, parse_count
from cli.options import complete_models, filter_options, output_options
from cli.output import echo_result, human, render, to_json

# Every command prints the same quantities; the approach column only for Chinchilla rows.
COLUMNS = ("approach", "params", "tokens", "tokens_per_param", "compute_flop", "compute_pf_days",
           "loss_nats_per_token")
HEADERS = ("approach", "params", "tokens", "tokens/param", "FLOP", "PF-days", "loss")
RAW_COLUMNS = ("law",) + COLUMNS

NOTES = {
    "chinchilla": "Hoffmann et al. 2022 (arXiv:2203.15556); loss: eq. 10, nats/token on MassiveText.",
    "kaplan": "Kaplan et al. 2020 (arXiv:2001.08361); params exclude embeddings; "
              "loss: nats/token on WebText2.",
}

law_option = click.option(
    "--law", type=click.Choice(laws.LAWS), default="chinchilla", show_default=True,
    help="chinchilla: Hoffmann et al. 2022; kaplan: Kaplan et al. 2020.")
approach_option = click.option(
    "--approach", type=click.Choice(["1", "2", "3"]),
    help="Chinchilla approach (Table 2): 1 and 2 follow the paper's Tables 3 and A3, 3 is the "
         "closed form of eq. 4. Default: one row for each.")
format_option = output_options(help="json, jsonl, csv and tsv print raw numbers (params, tokens, compute_flop, ...); "
                                    "default: table.")


@click.group()
def scaling() -> None:
    """Scaling laws: compute-optimal model size, training tokens and predicted loss.

    \b
    Examples:
      llmzoo scaling optimal --compute 5.76e23
      llmzoo scaling loss --params 70B --tokens 1.4T
      llmzoo scaling tokens --params 7B --format json
    """


@scaling.command()
@click.option("--compute", required=True, metavar="NUMBER",
              help="Training compute, in FLOP unless --unit says otherwise (5.76e23, 1e21).")
@click.option("--unit", type=click.Choice(["flop", "pf-days"]), default="flop", show_default=True,
              help="Unit of --compute; one PF-day is 8.64e19 FLOP.")
@law_option
@approach_option
@format_option
def optimal(compute: str, unit: str, law: str, approach: str | None, fmt: str) -> None:
    """Compute-optimal parameters and tokens for a training budget.

    Prints the parameters N and tokens D with 6·N·D = compute, tokens per parameter and the
    law's predicted loss at that point. Chinchilla approach 3 uses the rounded constants of
    eq. 10 and gives 32B for Gopher's budget where the paper's Figure 4 shows 40B.

    \b
    Examples:
      llmzoo scaling optimal --compute 5.76e23
      llmzoo scaling optimal --compute 6667 --unit pf-days --law kaplan
    """
    flop = parse_count(compute, what="--compute")
    if unit == "pf-days":
        flop = laws.pf_days_to_flop(flop)
    _echo(_allocations(laws.optimal_allocation, flop, law, approach), law, fmt)


@scaling.command()
@click.option("--params", required=True, metavar="COUNT", help="Parameters (70B, 7e9).")
@click.option("--tokens", required=True, metavar="COUNT", help="Training tokens (1.4T, 3e11).")
@law_option
@format_option
def loss(params: str, tokens: str, law: str, fmt: str) -> None:
    """Predicted loss of a model of --params trained on --tokens.

    Chinchilla: eq. 10, E + A/N^0.34 + B/D^0.28. Kaplan: eq. 1.5 with the Table 2 fit, N
    without embeddings. Also prints the training compute 6·N·D.

    \b
    Example:
      llmzoo scaling loss --params 70B --tokens 1.4T
    """
    n = parse_count(params, what="--params")
    d = parse_count(tokens, what="--tokens")
    _echo([laws.training_run(n, d, law)], law, fmt)


@scaling.command()
@click.option("--params", required=True, metavar="COUNT", help="Parameters (7B, 7e9).")
@law_option
@approach_option
@format_option
def tokens(params: str, law: str, approach: str | None, fmt: str) -> None:
    """Compute-optimal tokens for a model size, and the compute they take.

    Chinchilla approach 1 gives about 20.9 tokens per parameter at every size.

    \b
    Example:
      llmzoo scaling tokens --params 7B
    """
    n = parse_count(params, what="--params")
    _echo(_allocations(laws.optimal_for_params, n, law, approach), law, fmt)


def _allocations(question: Callable[..., laws.Allocation], value: float, law: str,
                 approach: str | None) -> list[laws.Allocation]:
    """One allocation per requested Chinchilla approach, or the single Kaplan one."""
    if law == "kaplan":
        if approach is not None:
            raise click.UsageError("--approach applies to --law chinchilla only")
        return [question(value, law)]
    chosen = laws.APPROACHES if approach is None else (int(approach),)
    return [question(value, law, number) for number in chosen]


def _echo(results: Sequence[laws.Allocation], law: str, fmt: str) -> None:
    rows = [result.as_dict() for result in results]
    if fmt == "json":
        echo_result(to_json(rows), fmt)
        return
    if fmt in ("csv", "tsv", "jsonl"):
        echo_result(render(rows, RAW_COLUMNS, fmt), fmt)
        return
    keep = [i for i, c in enumerate(COLUMNS) if c != "approach" or any(r["approach"] for r in rows)]
    click.echo(render([_cells(row) for row in rows], [COLUMNS[i] for i in keep], fmt,
                      [HEADERS[i] for i in keep]))
    if fmt == "table":
        click.echo(NOTES[law])


def _cells(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "approach": row["approach"],
        "params": format_count(row["params"]),
        "tokens": format_count(row["tokens"]),
        "tokens_per_param": _ratio(row["tokens_per_param"]),
        "compute_flop": format_flop(row["compute_flop"]),
        "compute_pf_days": format_count(row["compute_pf_days"]),
        "loss_nats_per_token": f"{row['loss_nats_per_token']:.3f}",
    }


def _ratio(value: float) -> str:
    """20.9, 5.9, 0.41: one decimal, or two significant digits below 1."""
    return f"{value:.1f}" if value >= 1 else f"{value:.2g}"


COMPARE_HEADERS = ["model", "params", "tokens", "compute (FLOP)", "compute from", "tokens/param",
                   "Chinchilla-optimal params", "over/under-training"]


@scaling.command()
@click.argument("models", nargs=-1, shell_complete=complete_models)
@filter_options
@format_option
@click.pass_context
def compare(ctx: click.Context, /, models: tuple[str, ...], fmt: str, **kwargs: Any) -> None:
    """Place catalogued models against the Chinchilla-optimal allocation of their compute.

    Per model: training compute (as a source reports it, or 6·N·D), tokens per parameter, the
    Chinchilla-optimal size for that compute (Approach 1) and the over/under-training factor
    (tokens per parameter over the optimal tokens per parameter: > 1 over-trained). MoE models
    use their active parameters. Select MODELs by name, or with the same filters as `list`.

    \b
    Examples:
      llmzoo scaling compare gopher-280b chinchilla-70b "LLaMA 65B"
      llmzoo scaling compare --org meta --since 2023 --format json
    """
    from catalog.query.compare import SCALING_COLUMNS, scaling_positions
    from cli.options import filters_from, open_engine

    columns = list(SCALING_COLUMNS)
    rows = scaling_positions(open_engine(ctx), models, filters_from(kwargs))
    if fmt in ("json", "jsonl", "csv", "tsv"):
        keys = {"compute": "compute_flop", "train_tokens": "tokens"}
        echo_result(render([{keys.get(k, k): v for k, v in r.items()} for r in rows],
                           [keys.get(c, c) for c in columns], fmt), fmt)
        return
    shown = [{c: human(c, r[c]) for c in columns} for r in rows]
    for row, raw in zip(shown, rows, strict=True):
        row["chinchilla_ratio"] = _ratio(raw["chinchilla_ratio"]) if raw["chinchilla_ratio"] else "n/a"
        row["tokens_per_param"] = _ratio(raw["tokens_per_param"]) if raw["tokens_per_param"] else ""
        row["compute_status"] = {"source": "reported", "6ND": "6·N·D"}.get(raw["compute_status"], "")
    click.echo(render(shown, columns, fmt, headers=COMPARE_HEADERS))
    click.echo("Chinchilla-optimal: Hoffmann et al. 2022, Approach 1 (Table 3); n/a: parameters or tokens "
               "unknown. Fine-tuned models count only their own training stage.")

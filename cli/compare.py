"""`llmzoo compare MODEL MODEL ...`: models side by side."""

from __future__ import annotations

from typing import Any

import click

from cli.options import complete_models, open_engine, output_options
from cli.output import (
    echo_result,
    fit_text,
    human,
    legend,
    no_headers,
    render,
    render_table,
    terminal_width,
    to_json,
)


@click.command("compare")
@click.argument("models", nargs=-1, required=True, shell_complete=complete_models)
@click.option("--only-different", is_flag=True, help="Only the rows where the models differ.")
@output_options()
@click.pass_context
def compare(ctx: click.Context, models: tuple[str, ...], only_different: bool, fmt: str) -> None:
    """Compare models side by side: one column per model, one row per fact, then computed values
    (training compute, tokens per parameter, Chinchilla-optimal size and ratio).

    Marks as in `llmzoo list`: ~ estimated, = derived, c. nominal, n/d not disclosed.

    \b
    Examples:
      llmzoo compare llama-65b chinchilla-70b gpt-3-175b
      llmzoo compare llama-2-7b mistral-7b --only-different --format csv
    """
    from catalog.query.compare import compare_models
    from catalog.query.display import LABELS

    result = compare_models(open_engine(ctx), models, only_different)
    ids = result["models"]
    if fmt == "json":
        echo_result(to_json(result), fmt)
        return
    if fmt in ("table", "markdown"):
        rows: list[dict[str, Any]] = [{"fact": COMPUTED_LABELS.get(r["fact"]) or LABELS.get(r["fact"], r["fact"]),
                                       **{i: _shown(r, i) for i in ids}} for r in result["rows"]]
    else:
        rows = [{"fact": r["fact"], **{i: _raw(r["values"][i]["value"]) for i in ids}} for r in result["rows"]]
    if fmt == "table":
        width = terminal_width()
        text = render_table(rows, ["fact", *ids], width=width, wrap=True)
        if not no_headers():
            text += "\n" + fit_text(legend(v.get("status") for r in result["rows"] for v in r["values"].values()),
                                    width)
    else:
        text = render(rows, ["fact", *ids], fmt)
    echo_result(text, fmt)


COMPUTED_LABELS = {"org": "organization", "compute": "compute (source or 6ND)",
                   "tokens_per_param": "tokens per parameter", "chinchilla_optimal_params": "Chinchilla-optimal params",
                   "chinchilla_ratio": "Chinchilla ratio", "compute_hardware": "compute from hardware"}


def _raw(value: Any) -> Any:
    return ",".join(map(str, value)) if isinstance(value, list) else value


def _shown(row: dict[str, Any], model_id: str) -> str:
    value = row["values"][model_id]
    if row["kind"] == "identity":
        return value["value"] or ""
    status = value["status"] if value["status"] != "reported" or row["kind"] == "fact" else None
    return human(row["fact"], value["value"], status)

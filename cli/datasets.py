"""`llmzoo datasets list|show`: the training corpora and the models trained on them."""

from __future__ import annotations

from typing import Any

import click

from catalog.query.display import human_bytes
from cli.options import complete_models, open_engine, output_options
from cli.output import FORMATS, echo_result, human, no_headers, render, to_json


@click.group("datasets")
def datasets() -> None:
    """Training datasets: list them, or show one with its sources and the models trained on it.

    \b
    Examples:
      llmzoo datasets list --sort -tokens
      llmzoo datasets show the-pile
      llmzoo list --dataset c4
    """


@datasets.command("list")
@click.option("--sort", metavar="FIELD", help="Sort by id, name, kind, tokens, bytes, documents, languages or "
                                              "models; prefix - for descending (-models).")
@output_options()
@click.pass_context
def list_datasets_cmd(ctx: click.Context, sort: str | None, fmt: str) -> None:
    """List datasets: kind, size (tokens, bytes, documents), languages and the number of models.

    \b
    Examples:
      llmzoo datasets list
      llmzoo datasets list --sort -models --format csv
    """
    from catalog.query.datasets import DATASET_COLUMNS, list_datasets

    rows = list_datasets(open_engine(ctx), sort)
    if fmt in ("table", "markdown"):
        rows = [{**r, "tokens": human("tokens", r["tokens"]), "documents": human("documents", r["documents"]),
                 "bytes": human_bytes(r["bytes"])} for r in rows]
    echo_result(render(rows, DATASET_COLUMNS, fmt), fmt)


@datasets.command("show")
@click.argument("dataset")
@output_options(["text", *FORMATS], default="text",
                help="text (default) and json: everything; table, csv, tsv, jsonl, markdown: the models trained on it.")
@click.pass_context
def show_dataset(ctx: click.Context, dataset: str, fmt: str) -> None:
    """Show a dataset: every fact with its source, and the models trained on it (share, epochs, tokens).

    DATASET is an id or a name (`c4`, "The Pile", `pile`).

    \b
    Examples:
      llmzoo datasets show c4
      llmzoo datasets show the-pile --format json
    """
    from catalog.query.datasets import dataset_detail
    from cli.render import render_dataset

    detail = dataset_detail(open_engine(ctx), dataset)
    if fmt == "json":
        echo_result(to_json(detail), fmt)
    elif fmt == "text":
        click.echo(render_dataset(detail))
    else:
        columns = ["model", "name", "share", "epochs", "tokens", "source"]
        rows: list[dict[str, Any]] = detail["models"]
        if fmt in ("table", "markdown"):
            rows = _shown_links(rows)
        echo_result(render(rows, columns, fmt), fmt)


def _shown_links(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Model-dataset links in human units: share as a percentage, epochs to 3 digits, tokens as 300B."""
    return [{**r, "share": f"{r['share']:.1%}" if r["share"] is not None else "",
             "epochs": f"{r['epochs']:.3g}" if r["epochs"] is not None else "",
             "tokens": human("tokens", r["tokens"])} for r in rows]


@datasets.command("mix")
@click.argument("model", shell_complete=complete_models)
@output_options()
@click.pass_context
def mix(ctx: click.Context, model: str, fmt: str) -> None:
    """A model's pre-training data by kind of source, computed from its sourced mixture links.

    One row per category (webpages, conversation, books & news, scientific, code, encyclopedia,
    other) with its share and the datasets behind it; JSON gives one entry per category with its
    name, share and datasets. The categories are those of `llmzoo chart data-mix`.

    \b
    Examples:
      llmzoo datasets mix llama-65b
      llmzoo datasets mix gpt-3-175b --format json
    """
    from catalog.query.datamix import model_mixture

    found = model_mixture(open_engine(ctx), model)
    if fmt == "json":
        echo_result(to_json(found.as_dict()), fmt)
        return
    rows = [{"category": c.name, "share": round(c.share, 6),
             "datasets": "; ".join(f"{d.name} ({d.share:.1%})" for d in c.datasets)} for c in found.categories]
    if found.unshared:
        rows.append({"category": "without a share", "share": None,
                     "datasets": "; ".join(d.name for d in found.unshared)})
    if fmt in ("table", "markdown"):
        for row in rows:
            row["share"] = "" if row["share"] is None else f"{row['share']:.1%}"
    echo_result(render(rows, ["category", "share", "datasets"], fmt), fmt)
    if fmt == "table" and not no_headers():
        total = f"{found.total:.1%} published" + ("" if found.complete else " (partial mixture)")
        click.echo(f"{found.model_name}: shares from the training-data links, {total}")

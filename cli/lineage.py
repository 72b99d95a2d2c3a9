"""`llmzoo lineage MODEL` (ancestry and descendants as terminal trees) and `llmzoo chart lineage`."""

from __future__ import annotations

import json
from typing import Any

import click

from cli.options import complete_models, filter_options, filters_from, open_engine
from cli.output import echo_result, printable

NONE = "  (none recorded)"


def _label(node: Any) -> str:
    text = f"{node.name} [{node.id}]"
    if node.released:
        text += f" {node.released}"
    if node.relation:
        text += f"  ({node.relation})"
    if node.repeated:
        text += "  (shown above)"
    return text


def render_tree(root: Any) -> list[str]:
    """The children of `root` (a catalog.query.lineage.TreeNode) as lines drawn with box characters."""
    lines: list[str] = []

    def walk(node: Any, prefix: str) -> None:
        for i, child in enumerate(node.children):
            last = i == len(node.children) - 1
            lines.append(prefix + ("└── " if last else "├── ") + _label(child))
            inner = prefix + ("    " if last else "│   ")
            if child.truncated:
                lines.append(inner + "└── …")
            walk(child, inner)

    walk(root, "")
    return lines or [NONE]


def render_lineage(found: dict[str, Any], ancestors: bool = True, descendants: bool = True) -> str:
    """The `llmzoo lineage` text: the model, then its ancestors' tree and its descendants' tree."""
    head = f"{found['name']} [{found['id']}]" + (f" {found['released']}" if found["released"] else "")
    lines = [head]
    truncated = False
    for wanted, title, tree in ((ancestors, "Ancestors (derived from):", found["ancestry"]),
                                (descendants, "Descendants (derived from it):", found["descendants"])):
        if wanted:
            body = render_tree(tree)
            truncated = truncated or any(line.endswith("└── …") for line in body)
            lines += ["", title, *body]
    if truncated:
        lines += ["", "… more generations beyond --depth"]
    return printable("\n".join(lines))


@click.command("lineage")
@click.argument("model", shell_complete=complete_models)
@click.option("--depth", type=click.IntRange(min=1), metavar="N", help="Show at most N generations each way.")
@click.option("--ancestors", "only_ancestors", is_flag=True, help="Only the ancestry.")
@click.option("--descendants", "only_descendants", is_flag=True, help="Only the descendants.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def lineage(ctx: click.Context, model: str, depth: int | None, only_ancestors: bool, only_descendants: bool,
            fmt: str) -> None:
    """Show what MODEL was derived from and what was derived from it, as trees.

    MODEL is an id, a name or an alias. Each line is a model, its release date and the
    relation (fine-tune, instruction-tune, distillation, merge...) joining it to the line above.
    A model reached along two paths is drawn once; later it is marked "(shown above)".

    \b
    Examples:
      llmzoo lineage llama-2-70b
      llmzoo lineage "Alpaca 7B" --ancestors
      llmzoo lineage llama-7b --depth 1 --format json
    """
    from catalog.query.lineage import model_lineage

    found = model_lineage(open_engine(ctx), model, depth)
    both = only_ancestors == only_descendants
    show_up, show_down = both or only_ancestors, both or only_descendants
    if fmt == "json":
        out = {"id": found["id"], "name": found["name"], "released": found["released"]}
        if show_up:
            out["ancestors"] = [c.to_dict() for c in found["ancestry"].children]
        if show_down:
            out["descendants"] = [c.to_dict() for c in found["descendants"].children]
        echo_result(json.dumps(out, indent=2, ensure_ascii=False), fmt)
    else:
        click.echo(render_lineage(found, show_up, show_down))


@click.command("lineage")
# The output options of the other `llmzoo chart` commands (cli/charts.py), repeated here because
# cli/charts.py registers this command: importing it from here would make an import cycle.
@click.option("-o", "--output", required=True, metavar="FILE",
              help="Output file; its extension picks the format: .html (one self-contained page that works "
                   "offline), .png, .svg, .pdf or .json (the Vega-Lite spec).")
@click.option("--title", metavar="TEXT", help="Chart title (default: says what is drawn).")
@click.option("--width", type=click.IntRange(min=100, max=20000), metavar="PX", help="Plot width in pixels.")
@click.option("--height", type=click.IntRange(min=100, max=20000), metavar="PX",
              help="Plot height in pixels (default: by the number of families).")
@click.option("--scale", type=click.FloatRange(min=0.5, max=8), default=2.0, show_default=True,
              help="Pixel density of PNG output (2 is crisp on slides and in print).")
@click.option("--max-families", type=click.IntRange(min=1), metavar="N",
              help="Draw at most N families, the most connected (default: 250 in the tree, 150 lanes).")
@click.option("--layout", type=click.Choice(["tree", "lanes"]), default="tree", show_default=True,
              help="tree: one node per family, time running up, branches by architecture; "
                   "lanes: one row per family over time, every model drawn.")
@filter_options
@click.pass_context
def chart_lineage_command(ctx: click.Context, /, output: str, scale: float, title: str | None, width: int | None,
                          height: int | None, max_families: int | None, layout: str, **kwargs: Any) -> None:
    """The evolutionary tree of language models, as the surveys draw it.

    The tree (default): one node per family at its first release, time running up the page, one
    branch per architecture (encoder-only, encoder-decoder, decoder-only; models whose makers
    publish no architecture apart), lines from a family to the families derived from it, every
    node labelled. Colour: architecture (prefix decoders apart); shape: open or closed weights;
    area: the largest model; a ring: mixture-of-experts. `--family llama` draws the evolution of
    a family: LLaMA, its later generations (Llama 2, 3, ...) and every family derived from them.
    The tree is as wide as its labels need (--width applies to --layout lanes).

    \b
    Examples:
      llmzoo chart lineage -o tree.png
      llmzoo chart lineage --family llama -o llama-family.png
      llmzoo chart lineage --since 2022 --open -o open-tree.html
      llmzoo chart lineage --layout lanes -o lanes.png
    """
    from pathlib import Path

    from catalog.charts.files import chart_format, check_writable, save_chart

    chart_format(output)  # a wrong extension or folder fails before the query
    check_writable(Path(output))
    if layout == "tree":
        from catalog.charts.tree import MAX_NODES, chart_tree_from_db

        chart = chart_tree_from_db(open_engine(ctx), filters_from(kwargs), title, height,
                                   max_nodes=max_families or MAX_NODES)
    else:
        from catalog.charts.lineage import MAX_LANES, chart_lineage_from_db

        chart = chart_lineage_from_db(open_engine(ctx), filters_from(kwargs), title, width, height,
                                      max_lanes=max_families or MAX_LANES)
    save_chart(chart, output, scale)
    click.echo(f"Wrote {output}", err=True)

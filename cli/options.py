"""Options shared by every command that selects models (list, export, charts, site, scaling)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from catalog.queries import Filters
from catalog.vocab import ADAPTATIONS, ARCHITECTURES

F = Callable[..., Any]

_FILTER_OPTIONS = [
    click.option("--arch", multiple=True, type=click.Choice(ARCHITECTURES),
                 help="Architecture type (repeatable)."),
    click.option("--org", multiple=True, metavar="ORG", help="Organization id or name (repeatable)."),
    click.option("--family", multiple=True, metavar="FAMILY", help="Family id or name (repeatable)."),
    click.option("--moe/--dense", "moe", default=None, help="Only mixture-of-experts / only dense models."),
    click.option("--open/--closed", "open_weights", default=None, help="Only open-weights / only closed models."),
    click.option("--since", metavar="DATE", help="Released on or after YYYY, YYYY-MM or YYYY-MM-DD."),
    click.option("--until", metavar="DATE", help="Released on or before YYYY, YYYY-MM or YYYY-MM-DD."),
    click.option("--min-params", metavar="N", help="At least N parameters (7B, 1.5e9)."),
    click.option("--max-params", metavar="N", help="At most N parameters."),
    click.option("--min-tokens", metavar="N", help="At least N training tokens (1.4T)."),
    click.option("--max-tokens", metavar="N", help="At most N training tokens."),
    click.option("--min-context", metavar="N", help="A context window of at least N tokens (128K = 128,000)."),
    click.option("--max-context", metavar="N", help="A context window of at most N tokens."),
    click.option("--search", metavar="TEXT", help="Text in the name, id or an alias."),
    click.option("--origin", type=click.Choice(["curated", "user"]), help="Only curated or only user models."),
    click.option("--adaptation", multiple=True, type=click.Choice(ADAPTATIONS),
                 help="Adaptation stage the model went through (sft, rlhf, dpo, ...); repeatable."),
    click.option("--hardware", metavar="TEXT", help="Training accelerator contains TEXT (tpu, a100, h800)."),
    click.option("--dataset", multiple=True, metavar="ID_OR_NAME",
                 help="Trained on this dataset, alone or in its published mixture (repeatable: any of them)."),
]


def filter_options(func: F) -> F:
    """Decorate a command with every filter option."""
    for option in reversed(_FILTER_OPTIONS):
        func = option(func)
    return func


def filters_from(kwargs: dict[str, Any]) -> Filters:
    """Pop the filter options out of a command's kwargs into a Filters."""
    names = ("arch", "org", "family", "moe", "open_weights", "since", "until", "min_params", "max_params",
             "min_tokens", "max_tokens", "min_context", "max_context", "search", "origin", "adaptation", "hardware",
             "dataset")
    return Filters(**{name: kwargs.pop(name) for name in names if name in kwargs})


def db_of(ctx: click.Context) -> str | None:
    """The --db value of the root command (or None for the default)."""
    root = ctx.find_root()
    return (root.obj or {}).get("db")


def open_engine(ctx: click.Context) -> Any:
    """Open (creating or refreshing on first use) the catalogue named by --db / LLMZOO_DB."""
    from catalog.db import open_catalog

    return open_catalog(db_of(ctx))

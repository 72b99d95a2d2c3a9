"""Options shared by every command that selects models (list, export, charts, site, scaling)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from catalog.query.models import Filters
from catalog.vocab import ADAPTATIONS, ARCHITECTURES, MODALITIES

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
    click.option("--modality", multiple=True, type=click.Choice(MODALITIES),
                 help="Takes or gives this modality (repeatable: any of them)."),
    click.option("--license", "license_", metavar="TEXT", help="License contains TEXT (apache, mit, llama 2)."),
    click.option("--country", multiple=True, metavar="CC",
                 help="Developer's headquarters in this country, ISO code (US, CN, FR; repeatable)."),
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
             "dataset", "modality", "country")
    chosen = {name: kwargs.pop(name) for name in names if name in kwargs}
    if "license_" in kwargs:
        chosen["license"] = kwargs.pop("license_")
    return Filters(**chosen)


def db_of(ctx: click.Context) -> str | None:
    """The --db value of the root command (or None for the default)."""
    root = ctx.find_root()
    return (root.obj or {}).get("db")


def open_engine(ctx: click.Context) -> Any:
    """Open (creating or refreshing on first use) the catalogue named by --db / LLMZOO_DB."""
    from catalog.store.db import open_catalog

    return open_catalog(db_of(ctx))


SHORTCUTS = {"csv": "csv", "tsv": "tsv", "json": "json", "nl": "jsonl"}


def output_options(choices: Sequence[str] | None = None, default: str = "table",
                   help: str | None = None) -> Callable[[F], F]:
    """--format FMT (jsonl also as nl), the shortcuts --csv, --tsv, --json and --nl (as sqlite-utils has
    them) and --no-headers, for a command taking `fmt`. `choices` defaults to cli.output.FORMATS."""
    import functools

    from cli.output import FORMATS, NO_HEADERS

    names = list(choices or FORMATS)
    accepted = names + (["nl"] if "jsonl" in names else [])
    shortcuts = {flag: fmt for flag, fmt in SHORTCUTS.items() if fmt in names}

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def command(*args: Any, **kwargs: Any) -> Any:
            fmt = "jsonl" if kwargs["fmt"] == "nl" else kwargs["fmt"]
            given = [flag for flag in shortcuts if kwargs.pop(f"as_{flag}")]
            if len(given) > 1 or (given and fmt is not None and fmt != shortcuts[given[0]]):
                said = [f"--{g}" for g in given] + ([f"--format {fmt}"] if fmt is not None else [])
                raise click.UsageError(f"{' and '.join(said)} ask for different formats; give one")
            kwargs["fmt"] = shortcuts[given[0]] if given else fmt or default
            if kwargs.pop("no_headers"):
                if kwargs["fmt"] not in ("table", "csv", "tsv"):
                    raise click.UsageError(f"--no-headers is for table, csv and tsv, not {kwargs['fmt']}")
                click.get_current_context().meta[NO_HEADERS] = True
            return func(*args, **kwargs)

        for flag, fmt in reversed(shortcuts.items()):
            command = click.option(f"--{flag}", f"as_{flag}", is_flag=True, help=f"Same as --format {fmt}.")(command)
        command = click.option("--no-headers", is_flag=True, help="Tables, CSV and TSV without the header row.")(
            command)
        command = click.option("--format", "fmt", type=click.Choice(accepted), default=None,
                               help=help or f"Output format (default: {default}; nl is jsonl).")(command)
        return command

    return decorate


def complete_models(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[Any]:
    """Shell completion of a MODEL argument: the ids starting with what was typed, read from the
    catalogue as it is (never created, upgraded or refreshed here; no pandas); nothing on any error."""
    from click.shell_completion import CompletionItem
    from sqlalchemy import select

    from catalog.store.db import make_engine, resolve_url
    from catalog.store.schema import Model

    try:
        root = ctx.find_root()
        url = resolve_url(root.params.get("db") or (root.obj or {}).get("db"))
        if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
            return []
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                ids = conn.execute(select(Model.id).where(Model.id.startswith(incomplete, autoescape=True))
                                   .order_by(Model.id).limit(COMPLETIONS)).scalars().all()
        finally:
            engine.dispose()
    except Exception:  # noqa: BLE001  (a completion must never print a traceback into the shell)
        return []
    return [CompletionItem(model_id) for model_id in ids]


COMPLETIONS = 200  # model ids offered at most

"""`llmzoo db`: schema upgrades, information, backup and restore."""

from __future__ import annotations

from pathlib import Path

import click

from cli.options import db_of
from cli.output import echo_result, to_json


@click.group("db")
def db() -> None:
    """Manage the catalogue database (upgrade, info, backup, restore)."""


@db.command("upgrade")
@click.pass_context
def upgrade_cmd(ctx: click.Context) -> None:
    """Upgrade the database schema to this llmzoo's version (done automatically on first use).

    \b
    Example:
      llmzoo --db team.db db upgrade
    """
    from catalog.store.db import current_revision, describe, ensure_schema, make_engine, reading, verify_intact
    from catalog.store.writes import refresh_curated

    engine = make_engine(db_of(ctx))
    ensure_schema(engine)
    verify_intact(engine)
    refresh_curated(engine)
    with reading(engine) as conn:
        revision = current_revision(conn)
    click.echo(f"{describe(engine)} is at schema revision {revision}")


@db.command("info")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def info_cmd(ctx: click.Context, fmt: str) -> None:
    """Where the catalogue is, its schema revision and its data version (llmzoo version + data fingerprint,
    as `llmzoo changes --since` takes it).

    \b
    Example:
      llmzoo db info
    """
    from catalog.store.datachanges import VERSION_KEY
    from catalog.store.db import current_revision, describe, open_catalog, reading
    from catalog.store.writes import DATA_KEY, get_meta

    engine = open_catalog(db_of(ctx))
    with reading(engine) as conn:
        info = {"database": describe(engine), "dialect": engine.dialect.name,
                "schema_revision": current_revision(conn), "data_fingerprint": get_meta(conn, DATA_KEY),
                "data_version": get_meta(conn, VERSION_KEY)}
    if fmt == "json":
        echo_result(to_json(info), fmt)
    else:
        click.echo("\n".join(f"{k}: {v}" for k, v in info.items()))


@db.command("backup")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
@click.pass_context
def backup_cmd(ctx: click.Context, file: Path, force: bool) -> None:
    """Write a consistent copy of the catalogue to FILE (SQLite), while others keep using it.

    \b
    Example:
      llmzoo db backup llmzoo-2025-06-01.db
    """
    from catalog.store.backup import backup
    from catalog.store.db import open_catalog

    count = backup(open_catalog(db_of(ctx)), file, overwrite=force)
    click.echo(f"Backed up {count} models to {file}")


@db.command("restore")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def restore_cmd(ctx: click.Context, file: Path, yes: bool) -> None:
    """Replace the whole catalogue with a backup made by `llmzoo db backup` (one transaction).

    \b
    Example:
      llmzoo db restore llmzoo-2025-06-01.db --yes
    """
    from catalog.store.backup import restore
    from catalog.store.db import describe, make_engine

    engine = make_engine(db_of(ctx))  # not opened for use: a damaged catalogue can be restored too
    if not yes and not click.confirm(f"Replace everything in {describe(engine)} with {file}?", default=False):
        click.echo("Nothing restored.")
        return
    count = restore(engine, file)
    click.echo(f"Restored {count} models from {file}")

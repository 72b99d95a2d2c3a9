"""Alembic plumbing: a Config pointing at migrations/, run on an existing engine."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine


def migrations_dir() -> Path:
    """catalog/migrations in a wheel, ../migrations in a source checkout."""
    here = Path(__file__).resolve().parents[1]  # catalog/, the package root
    for candidate in (here / "migrations", here.parent / "migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise FileNotFoundError(f"migrations folder not found next to {here}")


def alembic_config(engine: Engine | None = None) -> Config:
    """An Alembic Config for our migrations; the engine travels in `attributes`."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.attributes["engine"] = engine
    return config


def run_upgrade(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database behind engine to revision."""
    command.upgrade(alembic_config(engine), revision)


def run_downgrade(engine: Engine, revision: str) -> None:
    """Downgrade the database behind engine to revision."""
    command.downgrade(alembic_config(engine), revision)


def revisions() -> list[str]:
    """All revision ids, oldest first."""
    script = ScriptDirectory.from_config(alembic_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def head() -> str:
    """The head revision id."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head() or ""

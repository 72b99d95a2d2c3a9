"""Revision 0006 (organization aliases): a populated catalogue at revision 0005, with user models and a
user organization, upgrades on first use with every user row unchanged, takes the curated aliases
(`--org facebook`), and downgrades back."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import text

from catalog.store.db import make_engine
from catalog.store.migrate import run_downgrade, run_upgrade
from catalog.store.schema import SCHEMA_REVISION
from cli.main import cli
from tests.test_migration_0002 import OLD_ROWS, user_rows


def test_revision_0005_catalogue_upgrades_and_takes_organization_aliases(tmp_path: Path):
    db = str(tmp_path / "old.db")
    engine = make_engine(db)
    run_upgrade(engine, "0002")
    with engine.begin() as conn:
        for statement in OLD_ROWS:
            conn.execute(text(statement))
    run_upgrade(engine, "0005")
    engine.dispose()
    before = user_rows(db)

    listed = CliRunner().invoke(cli, ["--db", db, "list", "--org", "facebook", "--origin", "user", "--format",
                                      "csv", "--columns", "id,org"])
    assert listed.exit_code == 0, listed.output
    assert listed.stdout == "id,org\ngpt-4,meta\n"
    assert user_rows(db) == before
    engine = make_engine(db)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == SCHEMA_REVISION
        aliases = dict(conn.execute(text("SELECT id, aliases FROM organizations WHERE id IN ('meta', 'mylab')")).all())
    assert aliases == {"meta": '["Meta", "Facebook", "Facebook AI Research", "FAIR"]', "mylab": "[]"}

    run_downgrade(engine, "0005")
    with engine.connect() as conn:
        columns = {row[1] for row in conn.execute(text("PRAGMA table_info(organizations)"))}
    assert columns == {"id", "name", "country", "kind", "origin"}
    assert user_rows(db) == before
    engine.dispose()

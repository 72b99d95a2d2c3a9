"""The evaluations revision: a populated catalogue from before it (revision 0003, with user models,
user lineage and a user copy of a curated model) upgrades on first use with nothing lost, takes user
results at once, and downgrades back to 0003 without the two new tables."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import CliRunner
from sqlalchemy import inspect, text

from catalog.store.db import make_engine
from catalog.store.migrate import run_downgrade, run_upgrade
from catalog.store.schema import SCHEMA_REVISION
from cli.main import cli
from tests.test_evals import BENCHMARKS
from tests.test_migration_0002 import OLD_ROWS, user_rows


def test_a_revision_0003_catalogue_upgrades_takes_results_and_downgrades(tmp_path: Path):
    db = str(tmp_path / "old.db")
    engine = make_engine(db)
    run_upgrade(engine, "0003")
    with engine.begin() as conn:
        for statement in OLD_ROWS:
            conn.execute(text(statement))
    engine.dispose()
    before = user_rows(db)

    runner = CliRunner()
    listed = runner.invoke(cli, ["--db", db, "list", "--origin", "user", "--format", "csv", "--columns", "id,params"])
    assert listed.exit_code == 0, listed.output
    assert listed.stdout == "id,params\ngpt-4,\nlab-ft-7b,6700000000\n"
    assert user_rows(db) == before
    engine = make_engine(db)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == SCHEMA_REVISION
        assert {"benchmarks", "evaluations"} <= set(inspect(conn).get_table_names())
    engine.dispose()

    mine = tmp_path / "mine.yaml"
    mine.write_text(yaml.safe_dump({**BENCHMARKS, "benchmarks": [{**BENCHMARKS["benchmarks"][0], "id": "my-mmlu"}],
                                    "evals": [{"model": "lab-ft-7b", "benchmark": "my-mmlu", "setting": {"shots": 5},
                                               "score": 41.0, "evaluated_by": "developer", "source": "lab-report",
                                               "locator": "Table 1"}]}, sort_keys=False))
    added = runner.invoke(cli, ["--db", db, "add", str(mine)])
    assert added.exit_code == 0, added.output
    shown = runner.invoke(cli, ["--db", db, "evals", "--model", "lab-ft-7b", "--format", "csv"])
    assert shown.stdout.splitlines()[1].startswith("lab-ft-7b,my-mmlu,,5,false,,,accuracy,41.0,developer,,lab-report,")

    engine = make_engine(db)
    run_downgrade(engine, "0003")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0003"
        assert not {"benchmarks", "evaluations"} & set(inspect(conn).get_table_names())
    after = user_rows(db)
    assert after["models"] == before["models"] and after["lineage"] == before["lineage"]
    engine.dispose()

"""Shared fixtures: an isolated home, a fixture catalogue, and a database per backend.

Every test runs with HOME, XDG_DATA_HOME and LLMZOO_DB pointing into tmp_path, and with
LLMZOO_DATA at tests/fixtures/data (a small, real catalogue) unless a test says otherwise.
The `db` fixture is a SQLite file always, and also a fresh PostgreSQL database when
LLMZOO_TEST_PG names a server (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from cli.main import cli

FIXTURE_DATA = Path(__file__).parent / "fixtures" / "data"
REPO = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("LLMZOO_TEST_PG")
# Real-world files shared beside the repository (../shared, see its data/README.md); tests that read
# them skip where it is absent. LLMZOO_TEST_SHARED points elsewhere (e.g. from a git worktree).
SHARED = Path(os.environ.get("LLMZOO_TEST_SHARED") or REPO.parent / "shared")


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary home: nothing reads or writes the developer's files."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("LLMZOO_DATA", str(FIXTURE_DATA))
    monkeypatch.delenv("LLMZOO_DB", raising=False)
    monkeypatch.delenv("LLMZOO_DEBUG", raising=False)
    monkeypatch.delenv("COLUMNS", raising=False)  # tables fit $COLUMNS when set: tests choose it themselves
    return home


def _pg_database() -> Iterator[str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"llmzoo_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(
    not PG_URL, reason="LLMZOO_TEST_PG is not set: no PostgreSQL server to test against"))]


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A database URL or path, also exported as LLMZOO_DB for the CLI."""
    if request.param == "sqlite":
        url = str(tmp_path / "catalog.store.db")
        monkeypatch.setenv("LLMZOO_DB", url)
        yield url
    else:
        for url in _pg_database():
            monkeypatch.setenv("LLMZOO_DB", url)
            yield url


@pytest.fixture
def engine(db: str):
    """An opened catalogue (schema at head, fixture data loaded)."""
    from catalog.store.db import open_catalog

    eng = open_catalog(db)
    yield eng
    eng.dispose()


@pytest.fixture
def run(db: str):
    """Invoke the CLI against the test database: run("list", "--arch", "...")."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Result:
        return runner.invoke(cli, list(args), input=input, catch_exceptions=False)

    return invoke


def table_rows(db: str) -> dict[str, list]:
    """Every row of every table, sorted: equal snapshots mean nothing changed."""
    from sqlalchemy import select

    from catalog.store.db import make_engine
    from catalog.store.schema import ComputedFact, Meta
    from catalog.store.writes import TABLES

    engine = make_engine(db)
    with engine.connect() as conn:
        out = {t.__tablename__: sorted(map(tuple, conn.execute(select(t)).all()), key=repr)
               for t in (*TABLES, ComputedFact, Meta)}
    engine.dispose()
    return out


@pytest.fixture
def data_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A writable copy of the fixture data, set as LLMZOO_DATA."""
    import shutil

    target = tmp_path / "data"
    shutil.copytree(FIXTURE_DATA, target)
    monkeypatch.setenv("LLMZOO_DATA", str(target))
    return target


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A real headless Chromium (tests/test_site_browser.py's `Browser`), one per test module."""
    from test_site_browser import Browser, find_browser

    binary = find_browser()
    if binary is None:
        pytest.skip("no Chromium found (install it with `apt-get install -y chromium`); the site's "
                    "browser checks need one")
    chrome = Browser(binary)
    try:
        yield chrome
    finally:
        chrome.close()

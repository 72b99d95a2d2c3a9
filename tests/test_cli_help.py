"""`llmzoo --help` lists every command with its own short help, without importing command modules."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest

from cli.main import LAZY_COMMANDS, LAZY_HELP, cli
from tests.conftest import REPO


def test_every_lazy_command_has_its_help_line() -> None:
    assert sorted(LAZY_HELP) == sorted(LAZY_COMMANDS)


@pytest.mark.parametrize("name", sorted(LAZY_COMMANDS))
@pytest.mark.parametrize("limit", [30, 45, 74, 200])
def test_help_line_is_the_commands_own(name: str, limit: int) -> None:
    command = cli.get_command(click.Context(cli), name)
    assert command is not None
    assert click.utils.make_default_short_help(LAZY_HELP[name], limit) == command.get_short_help_str(limit)


def test_help_imports_no_command_module() -> None:
    probe = ("import sys\nfrom cli.main import cli\n"
             "try:\n    cli(['--help'], prog_name='llmzoo')\nexcept SystemExit:\n    pass\n"
             "print('LOADED', ' '.join(sorted(m for m in sys.modules if m.split('.')[0] in\n"
             "      ('cli', 'catalog', 'pandas', 'altair', 'alembic', 'pydantic', 'yaml'))))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True)
    loaded = done.stdout.rsplit("LOADED", 1)[1].split()
    lazy_modules = {target.split(":")[0] for target in LAZY_COMMANDS.values()}
    assert not lazy_modules & set(loaded)
    assert not {"pandas", "altair", "alembic"} & set(loaded)
    for name in LAZY_COMMANDS:
        assert f"  {name} " in done.stdout.split("LOADED")[0]

"""Shell completion (click's _LLMZOO_COMPLETE): commands, options and model ids from the catalogue."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from tests.conftest import REPO


def complete(words: str, env: dict[str, str] | None = None) -> str:
    parts = words.split(" ")
    result = CliRunner().invoke(cli, [], prog_name="llmzoo", env={
        "_LLMZOO_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": str(len(parts) - 1), **(env or {})})
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("words, expected", [
    ("llmzoo sh", "plain,show\n"),
    ("llmzoo datasets s", "plain,show\n"),
    ("llmzoo list --so", "plain,--sort\n"),
    ("llmzoo show --fo", "plain,--format\n"),
])
def test_commands_and_options(words, expected):
    assert complete(words) == expected


def test_model_ids_from_the_catalogue(engine, db):
    assert complete("llmzoo show llama") == "plain,llama-65b\nplain,llama-7b\n"
    assert complete("llmzoo compare gpt-4 gpt") == "plain,gpt-3-175b\nplain,gpt-4\n"
    assert complete("llmzoo lineage alp") == "plain,alpaca-7b\n"
    assert complete("llmzoo edit t5") == "plain,t5-11b\n"
    assert complete("llmzoo show %") == "\n"  # a wildcard is a character here; nothing offered


def test_a_missing_catalogue_is_not_created(tmp_path: Path, monkeypatch):
    target = tmp_path / "none.db"
    monkeypatch.setenv("LLMZOO_DB", str(target))
    assert complete("llmzoo show ll") == "\n"
    assert complete(f"llmzoo --db {target} show ll") == "\n"
    assert not target.exists()


def test_completion_does_not_import_pandas(engine, db):
    code = ("import sys\nfrom cli.main import main\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
            "print('pandas' in sys.modules, 'altair' in sys.modules)")
    env = {**os.environ, "_LLMZOO_COMPLETE": "bash_complete", "COMP_WORDS": "llmzoo show llama", "COMP_CWORD": "2",
           "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out == "plain,llama-65b\nplain,llama-7b\nFalse False\n"

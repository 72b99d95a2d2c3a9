"""--modality, --license and --country on list and export (and every command with the filters)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml


@pytest.fixture
def more(run, tmp_path: Path):
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump({"models": [
        {"id": "seer-1", "name": "Seer 1", "org": "mistral", "source": "openai2023gpt4",
         "modality": ["text", "image"], "license": "Apache-2.0"},
        {"id": "coder-1", "name": "Coder 1", "org": "tsinghua", "source": "openai2023gpt4",
         "modality": ["code", "text"], "license": "MIT"}]}, sort_keys=False))
    assert run("add", str(path)).exit_code == 0
    return run


@pytest.mark.parametrize("args, expected", [
    (["--modality", "image"], ["seer-1"]),
    (["--modality", "code", "--modality", "image"], ["coder-1", "seer-1"]),
    (["--license", "APACHE"], ["t5-11b", "seer-1"]),
    (["--license", "mit"], ["coder-1"]),
    (["--country", "fr"], ["seer-1"]),
    (["--country", "CN", "--country", "FR"], ["glm-130b", "coder-1", "seer-1"]),
    (["--country", "cn", "--modality", "text"], ["coder-1"]),
    (["--country", "ZZ"], []),
])
def test_filters(more, args, expected):
    result = more("list", *args, "--format", "csv", "--columns", "id")
    assert result.exit_code == 0, result.output
    assert result.stdout.split("\n")[1:-1] == expected
    exported = more("export", *args, "--format", "csv")
    assert [line.split(",")[0] for line in exported.stdout.split("\n")[1:-1]] == expected


def test_unknown_modality_is_a_usage_error(run):
    result = run("list", "--modality", "smell")
    assert result.exit_code == 2
    assert result.stderr.endswith("Error: Invalid value for '--modality': 'smell' is not one of 'text', 'code', "
                                  "'image', 'audio', 'video'.\n")


def test_library_refuses_an_unknown_modality(engine):
    from catalog.errors import CatalogError
    from catalog.query.models import Filters, find_models

    with pytest.raises(CatalogError, match=r"--modality: 'smell' is not a modality; use one of: text, code, image"):
        find_models(engine, Filters(modality=["smell"]))

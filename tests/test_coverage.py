"""`llmzoo coverage`: known, estimated, derived, undisclosed and missing facts per model."""

from __future__ import annotations

import json

COVERAGE = """\
id         released  arch  params  train_tokens  context_length
---------  --------  ----  ------  ------------  --------------
t5-11b     yes       yes   yes     -             yes
alpaca-7b  yes       yes   =der    -             ^inh
gpt-4      yes       -     n/d     -             yes
4 of 7 models have every field known or marked unpublished; known per field: released 7/7, arch 6/7, \
params 7/7, train_tokens 4/7, context_length 7/7
"""


def test_coverage_gaps_table(run):
    result = run("coverage", "--gaps")
    assert result.exit_code == 0
    assert result.stdout == COVERAGE


def test_coverage_json_totals(run):
    data = json.loads(run("coverage", "--open", "--format", "json").stdout)
    assert data["count"] == 4
    assert data["totals"]["train_tokens"] == {"reported": 3, "nominal": 0, "estimated": 0, "derived": 0,
                                              "inherited": 0, "user": 0, "unpublished": 0, "missing": 1}
    assert [m["id"] for m in data["models"] if m["missing"]] == ["t5-11b"]


def test_coverage_custom_fields_and_errors(run):
    out = run("coverage", "--fields", "layers,d_model", "--format", "csv", "--search", "llama 7b").stdout
    assert out == "id,layers,d_model\nllama-7b,reported,reported\n"
    bad = run("coverage", "--fields", "params,colour")
    assert bad.exit_code == 1
    assert bad.stderr.startswith("Error: --fields: unknown field 'colour'; choose from: released, arch")


def test_coverage_counts_inherited_apart(run):
    data = json.loads(run("coverage", "--fields", "layers,context_length", "--format", "json").stdout)
    assert data["totals"]["layers"]["inherited"] == 1 and data["totals"]["layers"]["reported"] == 3
    assert [m["fields"] for m in data["models"] if m["id"] == "alpaca-7b"] == [
        {"layers": "inherited", "context_length": "inherited"}]


def test_coverage_counts_a_value_set_without_a_source_apart(run):
    assert run("edit", "gpt-4", "--set", "layers=120").exit_code == 0
    data = json.loads(run("coverage", "--fields", "layers", "--format", "json").stdout)
    assert (data["totals"]["layers"]["user"], data["totals"]["layers"]["reported"]) == (1, 3)
    table = run("coverage", "--fields", "layers", "--search", "gpt-4").stdout
    assert table.splitlines()[2] == "gpt-4  *usr"

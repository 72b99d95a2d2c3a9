"""Lineage: `llmzoo lineage MODEL` trees (exact output), the library's trees, and the evolutionary tree chart."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from catalog.charts.lineage import chart_lineage, tree_lanes
from catalog.query.lineage import LineageGraph, lineage_frames, model_lineage
from catalog.query.models import Filters
from cli.lineage import chart_lineage_command
from cli.main import LlmzooGroup

# A diamond under LLaMA 7B: Vicuna 7B fine-tunes it, a merge of Vicuna and Alpaca has a chat child.
EXTRA = """\
sources:
  - {id: vicuna-blog, url: "https://lmsys.org/blog/2023-03-30-vicuna/", title: "Vicuna", kind: official-blog}
families:
  - {id: vicuna, name: Vicuna, org: lmsys}
models:
  - id: vicuna-7b
    name: Vicuna 7B
    family: vicuna
    org: lmsys
    source: vicuna-blog
    released: 2023-03-30
    arch: causal-decoder
    params: 6.7B
    open_weights: true
    parents:
      - {model: llama-7b, relation: fine-tune}
  - id: va-merge
    name: VA Merge
    family: vicuna
    org: lmsys
    source: vicuna-blog
    released: 2023-05
    arch: causal-decoder
    parents:
      - {model: vicuna-7b, relation: merge}
      - {model: alpaca-7b, relation: merge}
  - id: va-merge-chat
    name: VA Merge Chat
    family: vicuna
    org: lmsys
    source: vicuna-blog
    released: 2023-06-01
    arch: causal-decoder
    parents:
      - {model: va-merge, relation: rlhf}
"""


@pytest.fixture
def diamond(data_copy: Path) -> Path:
    (data_copy / "models" / "lineage.yaml").write_text(EXTRA)
    return data_copy


LLAMA_7B = """\
LLaMA 7B [llama-7b] 2023-02-24

Ancestors (derived from):
  (none recorded)

Descendants (derived from it):
└── Alpaca 7B [alpaca-7b] 2023-03-13  (instruction-tune)
"""

ALPACA = """\
Alpaca 7B [alpaca-7b] 2023-03-13

Ancestors (derived from):
└── LLaMA 7B [llama-7b] 2023-02-24  (instruction-tune)

Descendants (derived from it):
  (none recorded)
"""

GPT4 = """\
GPT-4 [gpt-4] 2023-03-14

Ancestors (derived from):
  (none recorded)

Descendants (derived from it):
  (none recorded)
"""


@pytest.mark.parametrize(("name", "expected"), [
    ("llama-7b", LLAMA_7B),
    ("Alpaca 7B", ALPACA),   # a name works as well as an id
    ("llama 1 7b", LLAMA_7B),  # and an alias
    ("gpt-4", GPT4),
])
def test_lineage_of_fixture_models(run, name, expected):
    result = run("lineage", name)
    assert result.exit_code == 0
    assert result.stdout == expected


DIAMOND_DOWN = """\
LLaMA 7B [llama-7b] 2023-02-24

Descendants (derived from it):
├── Alpaca 7B [alpaca-7b] 2023-03-13  (instruction-tune)
│   └── VA Merge [va-merge] 2023-05  (merge)
│       └── VA Merge Chat [va-merge-chat] 2023-06-01  (rlhf)
└── Vicuna 7B [vicuna-7b] 2023-03-30  (fine-tune)
    └── VA Merge [va-merge] 2023-05  (merge)  (shown above)
"""

DIAMOND_UP = """\
VA Merge Chat [va-merge-chat] 2023-06-01

Ancestors (derived from):
└── VA Merge [va-merge] 2023-05  (rlhf)
    ├── Alpaca 7B [alpaca-7b] 2023-03-13  (merge)
    │   └── LLaMA 7B [llama-7b] 2023-02-24  (instruction-tune)
    └── Vicuna 7B [vicuna-7b] 2023-03-30  (merge)
        └── LLaMA 7B [llama-7b] 2023-02-24  (fine-tune)
"""

DIAMOND_DEPTH_1 = """\
VA Merge [va-merge] 2023-05

Ancestors (derived from):
├── Alpaca 7B [alpaca-7b] 2023-03-13  (merge)
│   └── …
└── Vicuna 7B [vicuna-7b] 2023-03-30  (merge)
    └── …

Descendants (derived from it):
└── VA Merge Chat [va-merge-chat] 2023-06-01  (rlhf)

… more generations beyond --depth
"""


@pytest.mark.parametrize(("args", "expected"), [
    (["llama-7b", "--descendants"], DIAMOND_DOWN),
    (["va-merge-chat", "--ancestors"], DIAMOND_UP),
    (["va-merge", "--depth", "1"], DIAMOND_DEPTH_1),
])
def test_lineage_draws_a_diamond_once(diamond, run, args, expected):
    result = run("lineage", *args)
    assert result.exit_code == 0
    assert result.stdout == expected


def test_lineage_both_flags_mean_both_trees(run):
    assert run("lineage", "llama-7b", "--ancestors", "--descendants").stdout == LLAMA_7B


def test_lineage_json(diamond, run):
    result = run("lineage", "va-merge", "--depth", "1", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert (data["id"], data["name"], data["released"]) == ("va-merge", "VA Merge", "2023-05")
    assert [(a["id"], a["relation"], a["truncated"], a["children"]) for a in data["ancestors"]] == \
        [("alpaca-7b", "merge", True, []), ("vicuna-7b", "merge", True, [])]
    assert [(d["id"], d["relation"], d["truncated"]) for d in data["descendants"]] == \
        [("va-merge-chat", "rlhf", False)]


def test_lineage_json_only_ancestors(run):
    data = json.loads(run("lineage", "alpaca-7b", "--ancestors", "--format", "json").stdout)
    assert set(data) == {"id", "name", "released", "ancestors"}
    assert [a["id"] for a in data["ancestors"]] == ["llama-7b"]


def test_lineage_unknown_model(run):
    result = run("lineage", "lama-7b")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == "Error: no model named 'lama-7b'; did you mean llama-7b, llama-65b?\n"


@pytest.mark.parametrize("depth", ["0", "-1", "two"])
def test_lineage_bad_depth_is_a_usage_error(run, depth):
    result = run("lineage", "llama-7b", "--depth", depth)
    assert result.exit_code == 2
    assert "--depth" in result.stderr


# --- the library ---------------------------------------------------------------------------------


def test_neighbourhood_and_whole_graph_give_the_same_trees(diamond, engine):
    whole = LineageGraph.load(engine)
    for model in ("llama-7b", "alpaca-7b", "va-merge", "va-merge-chat", "gpt-4"):
        near = LineageGraph.around(engine, model)
        assert near.ancestry(model) == whole.ancestry(model)
        assert near.descendants(model) == whole.descendants(model)


def test_depth_limit_marks_truncated_nodes(diamond, engine):
    tree = model_lineage(engine, "llama-7b", depth=1)["descendants"]
    assert [(c.id, c.truncated, c.children) for c in tree.children] == \
        [("alpaca-7b", True, []), ("vicuna-7b", True, [])]
    full = model_lineage(engine, "llama-7b")["descendants"]
    assert full.size() == 5  # alpaca, merge, merge chat, vicuna, merge again (repeated)


def test_depth_below_one_is_refused(engine):
    from catalog.errors import CatalogError

    with pytest.raises(CatalogError, match="--depth must be 1 or more"):
        model_lineage(engine, "llama-7b", depth=0)


# --- the evolutionary tree chart -----------------------------------------------------------------


def _layers(chart):
    spec = chart.to_dict()
    return spec, [spec["datasets"][layer["data"]["name"]] for layer in spec["layer"]]


def test_lanes_are_families_grouped_by_architecture(engine):
    nodes, _ = lineage_frames(engine)
    lanes = tree_lanes(nodes).sort_values("lane_rank")["lane"].drop_duplicates().tolist()
    # encoder-decoder, prefix-decoder, causal-decoder by first release, then unknown architecture
    assert lanes == ["T5", "GLM", "GPT-3", "LLaMA", "Alpaca", "GPT-4"]


def test_tree_chart_draws_every_model_and_edge(engine):
    nodes, edges = lineage_frames(engine)
    assert edges.to_dict("records") == [{"child": "alpaca-7b", "parent": "llama-7b",
                                         "relation": "instruction-tune"}]
    spec, (spans, links, points) = _layers(chart_lineage(nodes, edges))
    assert sorted(p["id"] for p in points) == sorted(nodes["id"])
    assert [(e["parent"], e["child"], e["parent_lane"], e["child_lane"]) for e in links] == \
        [("llama-7b", "alpaca-7b", "LLaMA", "Alpaca")]
    assert len(spans) == 6
    assert spec["layer"][2]["encoding"]["y"]["scale"]["domain"] == ["T5", "GLM", "GPT-3", "LLaMA", "Alpaca", "GPT-4"]
    assert spec["title"]["text"] == "Evolutionary tree of language models"
    assert spec["title"]["subtitle"].startswith("7 models, 1 lineage edges, 6 families;")
    assert spec["height"] == 120 and spec["width"] == 900
    assert "href" not in spec["layer"][2]["encoding"]
    weights = {p["id"]: p["weights"] for p in points}
    assert (weights["gpt-3-175b"], weights["llama-7b"], weights["alpaca-7b"]) == ("closed", "open", "unknown")


def test_tree_chart_links_and_options(engine):
    nodes, edges = lineage_frames(engine)
    chart = chart_lineage(nodes, edges, title="Family tree", width=500, height=300,
                          urls={"llama-7b": "models/llama-7b.html"})
    spec, (_, _, points) = _layers(chart)
    assert spec["layer"][2]["encoding"]["href"] == {"field": "url", "type": "nominal"}
    assert {p["id"]: p["url"] for p in points if p["url"]} == {"llama-7b": "models/llama-7b.html"}
    assert (spec["title"]["text"], spec["width"], spec["height"]) == ("Family tree", 500, 300)


def test_tree_chart_keeps_the_busiest_lanes(engine):
    nodes, edges = lineage_frames(engine)
    spec, (_, links, points) = _layers(chart_lineage(nodes, edges, max_lanes=2))
    assert sorted({p["lane"] for p in points}) == ["Alpaca", "LLaMA"]  # the two lanes with an edge
    assert len(links) == 1
    assert "2 of 6 families" in spec["title"]["subtitle"]


def test_tree_chart_thins_points_keeping_lineage_first(engine):
    nodes, edges = lineage_frames(engine)
    spec, (spans, links, points) = _layers(chart_lineage(nodes, edges, max_points=4))
    # models with lineage first, then lanes take turns from the top (T5, then GLM)
    assert sorted(p["id"] for p in points) == ["alpaca-7b", "glm-130b", "llama-7b", "t5-11b"]
    assert len(links) == 1 and len(spans) == 6  # every lane keeps its line
    assert spec["title"]["subtitle"].startswith("4 of 7 models (with lineage first, then the largest of each "
                                                "family), 1 lineage edges, 6 families;")


def test_tree_chart_of_a_selection_keeps_only_edges_inside_it(engine):
    nodes, edges = lineage_frames(engine, Filters(org=["meta"]))
    assert sorted(nodes["id"]) == ["llama-65b", "llama-7b"]
    assert edges.empty


def test_tree_chart_of_nothing_says_so(engine):
    from catalog.errors import CatalogError

    nodes, edges = lineage_frames(engine, Filters(since="2030"))
    with pytest.raises(CatalogError, match="no model matches these filters"):
        chart_lineage(nodes, edges)


# --- `llmzoo chart lineage` ----------------------------------------------------------------------


@pytest.fixture
def chart_run(db):
    """The chart command inside a group that, like `llmzoo`, turns library errors into `Error: ...`."""
    group = LlmzooGroup(commands={"tree": chart_lineage_command})  # "lineage" is `llmzoo lineage` in this class

    def invoke(*args: str):
        return CliRunner().invoke(group, ["tree", *args], catch_exceptions=False)

    return invoke


@pytest.mark.parametrize(("suffix", "magic"), [(".png", b"\x89PNG"), (".svg", b"<svg"), (".json", b"{")])
def test_chart_lineage_writes_files(chart_run, tmp_path, suffix, magic):
    target = tmp_path / f"tree{suffix}"
    result = chart_run("-o", str(target))
    assert result.exit_code == 0, result.output
    assert result.stderr == f"Wrote {target}\n"
    assert target.read_bytes().startswith(magic)


def test_chart_lineage_html_is_offline(chart_run, tmp_path):
    target = tmp_path / "tree.html"
    assert chart_run("-o", str(target), "--since", "2020").exit_code == 0
    text = target.read_text()
    assert "Evolutionary tree" in text
    assert "cdn.jsdelivr" not in text and '<script src="http' not in text


def test_chart_lineage_json_spec_follows_options(chart_run, tmp_path):
    target = tmp_path / "tree.json"
    assert chart_run("-o", str(target), "--title", "Meta", "--org", "meta", "--max-families", "1",
                     "--layout", "lanes").exit_code == 0
    spec = json.loads(target.read_text())
    assert spec["title"]["text"] == "Meta"
    assert spec["title"]["subtitle"].startswith("2 models, 0 lineage edges, 1 families")


@pytest.mark.parametrize(("args", "message"), [
    (["-o", "tree.gif"], "tree.gif: extension '.gif' is not a chart format"),
    (["-o", "tree.png", "--since", "2030"], "no model matches these filters"),
])
def test_chart_lineage_errors(chart_run, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    result = chart_run(*args)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and message in result.stderr
    assert not (tmp_path / "tree.png").exists()


# --- the tree of a large catalogue: counted and picked in SQL, the same chart --------------------


def _both_routes(engine, filters=None, **options):
    from catalog.charts.lineage import chart_lineage_from_db

    expected = chart_lineage(*lineage_frames(engine, filters), **options).to_dict()
    return chart_lineage_from_db(engine, filters, large=0, **options).to_dict(), expected


TREE_CASES = [
    ({}, {}), ({}, {"max_lanes": 5}), ({}, {"max_points": 40}), ({}, {"max_lanes": 8, "max_points": 25}),
    ({"since": "2021"}, {"max_points": 30}), ({"org": ["syn-org-0", "syn-org-3"]}, {"max_lanes": 3}),
    ({"open_weights": True, "arch": ["causal-decoder"]}, {"max_lanes": 6, "max_points": 20}),
    ({}, {"title": "Tree", "width": 400, "height": 200, "urls": {"syn-0012": "m/syn-0012.html"}}),
]


@pytest.mark.parametrize(("filters", "options"), TREE_CASES)
def test_sql_route_draws_the_same_tree(engine, filters, options):
    """Above `large` models lanes and marks are picked in SQL: the spec must be the one pandas draws."""
    from tests.test_charts import add_synthetic_models

    add_synthetic_models(engine)
    got, expected = _both_routes(engine, Filters(**filters), **options)
    assert got == expected
    if "max_points" in options or "max_lanes" in options:
        assert " of " in expected["title"]["subtitle"].split(";")[0]  # the case leaves something out


def test_sql_route_breaks_lane_and_mark_ties_like_pandas(engine):
    """Every lane cap (lanes tie on edges and models; "Synthetic Lab (other)" merges two
    organizations) and mark caps that cut through ties of size and lane turns."""
    from tests.test_charts import add_synthetic_models

    add_synthetic_models(engine)
    nodes, edges = lineage_frames(engine)
    lanes = tree_lanes(nodes)["lane"]
    assert "Synthetic Lab (other)" in set(lanes)
    assert (lanes.value_counts() == 2).sum() >= 2  # the "Tie" families: tied lanes
    for max_lanes in range(1, lanes.nunique() + 1):
        got, expected = _both_routes(engine, max_lanes=max_lanes, max_points=60)
        assert got == expected, max_lanes
    for max_points in (1, 7, 50, 199, 350):
        got, expected = _both_routes(engine, max_points=max_points)
        assert got == expected, max_points


def test_sql_route_errors_like_pandas(engine):
    from catalog.charts.lineage import chart_lineage_from_db
    from catalog.errors import CatalogError
    from tests.test_charts import add_synthetic_models

    add_synthetic_models(engine)
    with pytest.raises(CatalogError, match="^none of the 1 selected models has a release date; nothing to draw"):
        chart_lineage_from_db(engine, Filters(ids=["syn-0005"]), large=0)
    with pytest.raises(CatalogError, match="^no model matches these filters; nothing to draw"):
        chart_lineage_from_db(engine, Filters(since="2030"), large=0)


def test_cli_tree_of_a_large_selection_is_the_same_file(chart_run, tmp_path, monkeypatch):
    import catalog.charts.selection

    small, large = tmp_path / "small.json", tmp_path / "large.json"
    assert chart_run("-o", str(small), "--max-families", "3", "--layout", "lanes").exit_code == 0
    monkeypatch.setattr(catalog.charts.selection, "LARGE", 0)
    assert chart_run("-o", str(large), "--max-families", "3", "--layout", "lanes").exit_code == 0
    assert large.read_bytes() == small.read_bytes()
    assert "3 of 6 families" in json.loads(small.read_text())["title"]["subtitle"]

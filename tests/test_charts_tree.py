"""The evolutionary tree (`llmzoo chart lineage`, catalog.charts.tree): asserted on the Vega-Lite spec."""

from __future__ import annotations

import json
from typing import Any

import pytest

from catalog.charts.draw import text_width
from catalog.charts.tree import BRANCHES, LABEL_X, MARK_X, ROW_GAP, chart_tree_from_db, tree_nodes
from catalog.errors import CatalogError
from catalog.query.models import Filters


def _layers(spec: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Data rows of each layer, by the layer's role: background, grid, years, heads, links, marks, rings, halos,
    labels (the order chart_tree layers them)."""
    names = ["background", "grid", "years", "heads", "links", "marks", "rings", "halos", "labels"]
    datasets = spec["datasets"]
    return {name: datasets[layer["data"]["name"]] for name, layer in zip(names, spec["layer"], strict=True)}


def _boxes(labels: list[dict[str, Any]]) -> list[tuple[float, float, float, float, str]]:
    return [(row["label_x"], row["label_x"] + text_width(row["name"]), row["y"] - 6, row["y"] + 6, row["name"])
            for row in labels]


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]


def _synthetic(engine: Any) -> None:
    from tests.test_charts import add_synthetic_models

    add_synthetic_models(engine)


def test_every_family_is_one_labelled_node_and_no_labels_overlap(engine):
    _synthetic(engine)
    layers = _layers(chart_tree_from_db(engine).to_dict())
    marks, labels = layers["marks"], layers["labels"]
    nodes, total = tree_nodes(engine)
    assert len(marks) == len(labels) == len(nodes) == total
    assert sorted(r["name"] for r in labels) == sorted(n.name for n in nodes)
    assert {"GPT-3", "LLaMA", "Alpaca", "T5"} <= {r["name"] for r in labels}
    boxes = _boxes(labels)
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not _overlap(a, b), (a[4], b[4])
    dots = [(r["x"] - 8, r["x"] + 8, r["y"] - 8, r["y"] + 8, r["name"]) for r in marks]
    for box in boxes:
        for dot in dots:
            if dot[4] != box[4]:
                assert not _overlap(box, dot), (box[4], dot[4])


def test_time_runs_up_and_nodes_of_a_column_keep_their_distance(engine):
    _synthetic(engine)
    layers = _layers(chart_tree_from_db(engine).to_dict())
    by_name = {r["name"]: r for r in layers["marks"]}
    assert by_name["LLaMA"]["y"] < by_name["GPT-3"]["y"] < by_name["T5"]["y"]  # 2023 above 2020 above 2019
    assert by_name["LLaMA"]["released"] == "2023-02-24"
    years = {r["year"]: r["y"] for r in layers["grid"]}
    assert all(years[str(y)] > years[str(y + 1)] for y in range(min(map(int, years)), max(map(int, years))))
    column: dict[float, list[float]] = {}
    for row in layers["marks"]:
        column.setdefault(row["x"], []).append(row["y"])
    for ys in column.values():
        ys.sort()
        assert all(b - a >= ROW_GAP for a, b in zip(ys, ys[1:], strict=False))


def test_branches_by_architecture_hold_their_nodes(engine):
    layers = _layers(chart_tree_from_db(engine).to_dict())
    lanes = {r["branch"]: (r["x"], r["x2"]) for r in layers["background"]}
    branch_of = {arch: name for name, archs in BRANCHES for arch in archs}
    for row in layers["marks"]:
        left, right = lanes[branch_of.get(row["arch"], "Architecture not published")]
        assert left <= row["x"] - MARK_X and row["label_x"] + text_width(row["name"]) <= right, row["name"]
    assert {r["branch"] for r in layers["heads"]} == set(lanes)
    assert {"Encoder-decoder", "Decoder-only"} <= set(lanes)  # T5; GPT-3, LLaMA and GLM (a prefix decoder)
    glm = next(r for r in layers["marks"] if r["name"] == "GLM")
    assert glm["arch"] == "prefix-decoder"


def test_links_join_a_parent_family_to_the_derived_one(engine):
    layers = _layers(chart_tree_from_db(engine).to_dict())
    marks = {r["name"]: r for r in layers["marks"]}
    links = layers["links"]
    assert [(r["parent"], r["child"]) for r in links] == [("LLaMA", "Alpaca")]
    link = links[0]
    assert (link["x"], link["y"]) == (marks["LLaMA"]["x"], marks["LLaMA"]["y"])
    assert (link["x2"], link["y2"]) == (marks["Alpaca"]["x"], marks["Alpaca"]["y"])
    assert marks["Alpaca"]["x"] != marks["LLaMA"]["x"]  # never in its parent's column
    assert marks["LLaMA"]["label_x"] == marks["LLaMA"]["x"] + LABEL_X - MARK_X


def test_family_draws_its_evolution(engine):
    nodes, _ = tree_nodes(engine, Filters(family=["llama"]))
    assert [n.name for n in nodes] == ["LLaMA", "Alpaca"]
    assert nodes[1].parents == {"f:llama"}
    nodes, _ = tree_nodes(engine, Filters(family=["Alpaca"]))
    assert [n.name for n in nodes] == ["Alpaca"] and not nodes[0].parents


def test_family_takes_the_later_generations(engine):
    from catalog.store.db import writing
    from catalog.store.schema import Family, Model

    with writing(engine) as conn:
        conn.execute(Family.__table__.insert(), [
            {"id": "llama-2", "name": "Llama 2", "org_id": "meta", "origin": "user"},
            {"id": "llama-guard", "name": "Llama Guard", "org_id": "meta", "origin": "user"}])
        row = {"org_id": "meta", "source_id": "touvron2023llama", "origin": "user", "arch": "causal-decoder",
               "released_precision": "day", "moe": False, "open_weights": True}
        import datetime as dt

        conn.execute(Model.__table__.insert(), [
            {**row, "id": "llama-2-7b", "name": "Llama 2 7B", "family_id": "llama-2",
             "released": dt.date(2023, 7, 18), "params": 7e9},
            {**row, "id": "llama-guard-7b", "name": "Llama Guard 7B", "family_id": "llama-guard",
             "released": dt.date(2023, 12, 7), "params": 7e9}])
    names = [n.name for n in tree_nodes(engine, Filters(family=["llama"]))[0]]
    assert names == ["LLaMA", "Alpaca", "Llama 2"]  # llama-guard: not a generation, and no lineage here


def test_caps_keep_the_most_connected_and_say_so(engine):
    _synthetic(engine)
    spec = chart_tree_from_db(engine, max_nodes=5).to_dict()
    marks = _layers(spec)["marks"]
    _, total = tree_nodes(engine)
    assert len(marks) == 5
    assert spec["title"]["subtitle"][0].startswith(f"5 of {total} families (the most connected), ")


def test_moe_families_get_a_ring_and_closed_ones_a_square(engine):
    _synthetic(engine)
    layers = _layers(chart_tree_from_db(engine).to_dict())
    assert layers["rings"] and all(r["moe"] == "yes" for r in layers["rings"])
    assert {r["name"] for r in layers["rings"]} == {r["name"] for r in layers["marks"] if r["moe"] == "yes"}
    gpt4 = next(r for r in layers["marks"] if r["name"] == "GPT-4")
    assert gpt4["weights"] == "closed"


@pytest.mark.parametrize(("filters", "message"), [
    (Filters(since="2030"), "no model matches these filters; nothing to draw in the evolutionary tree"),
    (Filters(family=["lama"]), "--family lama: no such family; did you mean llama"),
])
def test_nothing_to_draw(engine, filters, message):
    with pytest.raises(CatalogError) as exc:
        chart_tree_from_db(engine, filters)
    assert str(exc.value).startswith(message)


def test_cli_draws_the_tree_by_default(run, tmp_path):
    target = tmp_path / "tree.json"
    result = run("chart", "lineage", "-o", str(target), "--family", "llama", "--title", "LLaMA family")
    assert result.exit_code == 0, result.output
    spec = json.loads(target.read_text())
    assert spec["title"]["text"] == "LLaMA family"
    assert spec["title"]["subtitle"][0].startswith("2 families, 1 lineage links; ")
    png = tmp_path / "tree.png"
    assert run("chart", "lineage", "-o", str(png)).exit_code == 0
    assert png.read_bytes().startswith(b"\x89PNG")
    lanes = tmp_path / "lanes.json"
    assert run("chart", "lineage", "-o", str(lanes), "--layout", "lanes").exit_code == 0
    assert json.loads(lanes.read_text())["title"]["subtitle"].startswith("7 models, 1 lineage edges")


def test_cli_unknown_family_is_an_error(run, tmp_path):
    result = run("chart", "lineage", "-o", str(tmp_path / "t.png"), "--family", "lama")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: --family lama: no such family; did you mean llama")
    assert not (tmp_path / "t.png").exists()


def test_a_family_links_at_most_its_most_frequent_parents(engine):
    from catalog.charts.tree import MAX_PARENTS

    _synthetic(engine)
    nodes, _ = tree_nodes(engine)
    assert max(len(n.parents) for n in nodes) <= MAX_PARENTS
    spec = chart_tree_from_db(engine).to_dict()
    cut = sum(n.parents_cut for n in nodes)
    links = len(_layers(spec)["links"])
    assert links == sum(len(n.parents) for n in nodes)
    if cut:
        assert f"{links} lineage links (at most {MAX_PARENTS} parent families each, the most frequent; {cut} more " \
               "not drawn)" in spec["title"]["subtitle"][0]
    else:
        assert f"{links} lineage links; " in spec["title"]["subtitle"][0]

"""The same records through the loader + `validate` and through `llmzoo import` give the same outcome.

Hypothesis builds small sets of model records, valid and subtly invalid (bad units, unknown
vocabulary, inconsistent statuses, dates before the parent's or in the future, sibling clashes,
lineage cycles, taken names, duplicate ids, numbers whose computed columns overflow). Each set is
written as a data/ YAML file and loaded + checked as `llmzoo validate` does, and written as the
JSON Lines `llmzoo export` writes and imported into a fresh catalogue of the same base data. Both
must accept the same records (equal records read back from the database) or report the same
problems (the same messages, once the locations, which name a YAML line or a file line, are set
apart). Also: the batched forms of `catalog.rules` agree with their scalar forms.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from catalog import rules
from catalog.errors import DataError
from catalog.records.loading import load_directory
from catalog.rules.computed import INPUTS, fill_computed
from catalog.rules.validation import check_bundle
from cli.main import cli
from tests.conftest import FIXTURE_DATA

SOURCE, SOURCE_URL = "touvron2023llama", "https://arxiv.org/abs/2302.13971"
FAMILIES = """families:
  - {id: gen-a, name: Gen A, org: meta}
  - {id: gen-b, name: Gen B, org: meta}
"""
IDS = [f"gen-{i}" for i in range(5)]

def mostly(good: list, bad: list) -> st.SearchStrategy:
    """One of `good`, now and then (one time in 25) one of `bad`."""
    return st.integers(0, 24).flatmap(lambda i: st.sampled_from(bad if i == 0 else good))


# Values that parse, some of which the checks across fields and records refuse (tiny or huge numbers,
# tokens per parameter out of range, old and future dates), then the ones a record refuses by itself.
counts = mostly([7e9, "7B", "13 B", 1.3e9, 70e9, "65B", 1e-60, "1e200"], ["7 Q", "-3B", 0])
tokens = mostly([1e12, "1T", "300B", "2T", 1e5, 1e300], ["lots"])
computes = mostly([4.2e22, 8.4e22, 1e23, "5e23", 1e24, 1e30], [-1])
dates = mostly(["2023-02", "2023-02-24", "2023", "2024-06-01", "2019", "2099-01-01"], ["2023-13-01", "2023-02-30"])
whole = mostly([8, 32, 64, "32", 4096], ["32k", 2.5, "99999999999999999999"])


@st.composite
def facts(draw: st.DrawFn, values: st.SearchStrategy) -> dict | None:
    """A fact as a data/ file writes it: a mapping of value and maybe status, method, confidence."""
    fact: dict = {"value": draw(values)}
    status = draw(mostly([None, None, None, "reported", "estimated"], ["derived", "unpublished", "nominal",
                                                                         "guessed"]))
    if status is not None:
        fact["status"] = status
        if status == "unpublished" and draw(st.booleans()):
            del fact["value"]
    if status in ("estimated", "derived", "reported") and draw(st.integers(0, 4)) != 0:
        fact["method"] = "6ND"
    if status in ("estimated", "reported") and draw(st.integers(0, 4)) != 0:
        fact["confidence"] = draw(mostly(["likely"] if status == "estimated" else [None], ["likely", "sure"]))
        if fact["confidence"] is None:
            del fact["confidence"]
    return fact


@st.composite
def models(draw: st.DrawFn) -> list[dict]:
    """A few model records naming each other, the base data and some things that do not exist."""
    out = []
    for index in range(draw(st.integers(1, 5))):
        model: dict = {"id": draw(st.sampled_from(IDS)) if draw(st.integers(0, 19)) == 0 else IDS[index],
                       "name": draw(mostly([f"Gen {index}"], ["Gen 0", "LLaMA 7B"])),
                       "org": draw(mostly(["meta"], ["nowhere"])),
                       "source": SOURCE}
        if family := draw(mostly([None, "gen-a", "gen-a", "gen-b"], ["no-family"])):
            model["family"] = family
        optional = {"params": counts, "train_tokens": tokens, "train_compute": computes, "released": dates,
                    "heads": whole, "kv_heads": whole, "context_length": whole, "context_length_extended": whole,
                    "arch": st.sampled_from(["causal-decoder", "encoder-decoder", "transformer-ish"]),
                    "moe": st.booleans(), "active_params": counts}
        for name, values in optional.items():
            if draw(st.integers(0, 4)) == 0:
                model[name] = draw(facts(values))
        parents = draw(st.lists(st.tuples(mostly([*IDS, "llama-7b", "gpt-3-175b"], ["no-model"]),
                                          mostly(["fine-tune", "continued-pretrain", "merge"], ["forked"])),
                                max_size=draw(st.integers(0, 2)), unique_by=lambda p: p[0]))
        if parents:
            model["parents"] = [{"model": m, "relation": r} for m, r in parents]
        out.append(model)
    return out


def export_row(model: dict) -> dict:
    """The record as a row of `llmzoo export --format jsonl`: facts flattened into columns."""
    row = {k: v for k, v in model.items() if k not in ("parents",) and not isinstance(v, dict)}
    for name, fact in model.items():
        if isinstance(fact, dict):
            row[name] = fact.get("value")
            row.update({f"{name}_{part}": fact[part] for part in ("status", "method", "confidence") if part in fact})
    if "parents" in model:
        row["parents"] = [{**p, "source": SOURCE_URL} for p in model["parents"]]
    return row


LOADED = re.compile(r"^data/models/gen\.yaml:\d+: (?:models\[\d+\] \((?P<a>[^)]*)\)\.|(?P<b>[\w.-]+): )(?P<rest>.*)$")
IMPORTED = re.compile(r"^\S*gen\.jsonl:\d+ \((?P<a>[^)]*)\): (?P<rest>.*)$")
TWICE = re.compile(r"^(id '.*' \(models\[\d+\]\) is already defined at .*; ids must be unique across all files"
                   r"|model '.*' appears twice in the file)$")


def normal(message: str) -> tuple[str | None, str]:
    """(model id, message without its location); a duplicate id and a cycle in one canonical form."""
    match = LOADED.match(message) or IMPORTED.match(message)
    if match is None:
        cycle = re.match(r"^lineage cycle: (.*?); (.*)$", message)
        if cycle:  # the same cycle, whichever model the walk met first
            nodes = cycle.group(1).split(" -> ")[:-1]
            first = nodes.index(min(nodes))
            nodes = nodes[first:] + nodes[:first]
            return None, f"lineage cycle: {' -> '.join([*nodes, nodes[0]])}; {cycle.group(2)}"
        return None, message
    model_id, rest = match.group("a") or match.groupdict().get("b"), match.group("rest")
    return model_id, "appears twice" if TWICE.match(rest) else rest


def comparable(record) -> dict:
    """A record as a dict, its parents in the order the database lists them (by id)."""
    out = record.model_dump()
    out["parents"] = sorted(out["parents"], key=lambda p: p["model"])
    return out


def through_validate(data: Path, records: list[dict]) -> tuple[set, dict, bool]:
    """(problems, accepted records); a file with a record pydantic refuses is not merged, so its
    duplicate ids go unreported here (the import reports them: see the test)."""
    (data / "models" / "gen.yaml").write_text(yaml.safe_dump({"models": records}, sort_keys=False), encoding="utf-8")
    try:
        bundle = load_directory(data)
    except DataError as exc:
        return {normal(p) for p in exc.problems}, {}, False
    errors = check_bundle(bundle).errors
    return {normal(p) for p in errors}, ({} if errors else {i: comparable(bundle.models[i]) for i in bundle.models
                                                           if i.startswith("gen-")}), True


def through_import(base_db: Path, work: Path, records: list[dict], url: str | None = None) -> tuple[set, dict]:
    """(problems, stored records) of `llmzoo import` into a copy of `base_db`, or into the database
    at `url` (a PostgreSQL catalogue of the same base data) as it is."""
    from catalog.store.db import make_engine, reading
    from catalog.store.userdata import record_from_db

    path, db = work / "gen.jsonl", work / "imported.db"
    path.write_text("".join(json.dumps(export_row(m)) + "\n" for m in records), encoding="utf-8")
    if url is None:
        for old in work.glob("imported.db*"):
            old.unlink()
        shutil.copy(base_db, db)
    result = CliRunner().invoke(cli, ["--db", url or str(db), "import", str(path)], catch_exceptions=False)
    if result.exit_code:
        assert result.output.startswith("Error: "), result.output
        lines = result.output.splitlines()
        problems = [line.strip() for line in lines[1:]] if re.match(r"Error: \d+ problems?:$", lines[0]) \
            else [lines[0].removeprefix("Error: ")]
        assume(not problems[-1].startswith("... and "))  # more than the 50 problems shown: not comparable
        return {normal(p) for p in problems}, {}
    engine = make_engine(url or str(db))
    with reading(engine) as conn:
        stored = {m["id"]: comparable(record_from_db(conn, m["id"])) for m in records}
    engine.dispose()
    return set(), stored


@pytest.fixture
def base(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A copy of the base data (the fixture catalogue and two empty families) for the generated
    records to join, and a fresh catalogue of the base data alone, to import them into."""
    base, data = tmp_path / "base", tmp_path / "validated" / "data"
    shutil.copytree(FIXTURE_DATA, base)
    (base / "families.yaml").write_text(FAMILIES, encoding="utf-8")
    shutil.copytree(base, data)
    monkeypatch.setenv("LLMZOO_DATA", str(base))
    db = tmp_path / "base.db"
    assert CliRunner().invoke(cli, ["--db", str(db), "stats"]).exit_code == 0
    return data, db


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                    HealthCheck.too_slow])
@given(records=models())
def test_validate_and_import_agree(base, tmp_path, records):
    data, db = base
    validated, accepted, merged = through_validate(data, records)
    imported, stored = through_import(db, tmp_path, records)
    event("accepted" if accepted else "refused")
    if not merged:  # a record refused field by field: the loader did not merge the file, nor look for duplicates
        imported -= {m for m in imported - validated if m[1] == "appears twice"}
    assert imported == validated
    assert stored == accepted


def _model(model_id: str, **values) -> dict:
    return {"id": model_id, "name": model_id.title(), "org": "meta", "source": SOURCE, **values}


FINE_TUNE = [{"model": "llama-7b", "relation": "fine-tune"}]
CASES = {
    "bad unit": ([_model("gen-0", params={"value": "7 Q"})],
                 "params: '7 Q' has an unknown unit 'Q'; write a number such as 7000000000, 7e9, 7B, 1.4T, 350M, "
                 "65 B (K, M, B, T, P are powers of 1000)"),
    "unknown vocabulary": ([_model("gen-0", arch={"value": "transformer-ish"})],
                           "arch: 'transformer-ish' is not a valid architecture; use one of: causal-decoder, "
                           "prefix-decoder, encoder-decoder, encoder-only"),
    "unknown relation": ([_model("gen-0", parents=[{"model": "llama-7b", "relation": "forked"}])],
                         "parents[0].relation: Input should be 'continued-pretrain', 'fine-tune', 'instruction-tune', "
                         "'rlhf', 'distillation', 'merge', 'upcycle' or 'quantization'"),
    "status without method": ([_model("gen-0", params={"value": 7e9, "status": "estimated"})],
                              "params: an estimated fact needs a `method` (e.g. 6ND, hardware, third-party)"),
    "too large": ([_model("gen-0", context_length={"value": "99999999999999999999"})],
                  "context_length: '99999999999999999999' is too large; a whole number here is at most "
                  "9,223,372,036,854,775,807"),
    "before its parent": ([_model("gen-0", released={"value": "2022-01"}, parents=FINE_TUNE)],
                          "released 2022-01-01 before its parent 'llama-7b' (2023-02-24); check both dates"),
    "future": ([_model("gen-0", released={"value": "2099-01"})], "released 2099-01-01 is in the future"),
    "units of tokens": ([_model("gen-0", params={"value": 7e9}, train_tokens={"value": 1e5})],
                        "1.43e-05 training tokens per parameter is outside 0.1..10000; check the units of params and "
                        "train_tokens"),
    "overflow on a fine-tune": (
        [_model("gen-0", params={"value": 1e-60}, train_tokens={"value": 1e300}, parents=FINE_TUNE)],
        "tokens_per_param: train_tokens / params = 1e+300 / 1e-60 is beyond the largest floating-point number "
        "(1.8e+308); check the figures (or their units)"),
    "siblings": ([_model("gen-0", family="gen-a", params={"value": 7e9}, train_compute={"value": 1e24}),
                  _model("gen-1", family="gen-a", params={"value": 13e9}, train_compute={"value": 5e23})],
                 "gen-0 has fewer parameters than its sibling gen-1 but more training compute (1e+24 > 5e+23 FLOP); "
                 "check both"),
    "cycle": ([_model("gen-1", parents=[{"model": "gen-0", "relation": "merge"}]),
               _model("gen-0", parents=[{"model": "gen-1", "relation": "merge"}])],
              "lineage cycle: gen-0 -> gen-1 -> gen-0; a model cannot descend from itself: remove one of these "
              "parents"),
    "name taken": ([_model("gen-0", name="LLaMA 7B")],
                   "name or alias 'llama7b' is also a name of 'llama-7b'; aliases must be unique"),
    "unknown org": ([_model("gen-0", org="nowhere")], "org 'nowhere' does not exist; use an id from "
                                                      "data/organizations.yaml"),
    "duplicate": ([_model("gen-0"), _model("gen-0")], "appears twice"),
}


@pytest.mark.parametrize("records, expected", CASES.values(), ids=list(CASES))
def test_both_routes_refuse_what_they_should(base, tmp_path, records, expected):
    """The comparison above is not vacuous: each kind of problem is found, in the same words, by both."""
    data, db = base
    expected = {(None if expected.startswith("lineage") else "gen-0", expected)}
    assert through_validate(data, records)[0] == expected
    assert through_import(db, tmp_path, records)[0] == expected


def test_postgresql_import_refuses_alike(base, db, tmp_path):
    """The same cases imported into PostgreSQL (COPY and = ANY lookups): the same messages. A refused
    import changes nothing, so one catalogue serves every case."""
    data, _ = base
    if not db.startswith("postgresql"):
        pytest.skip("the SQLite import is compared above")
    assert CliRunner().invoke(cli, ["--db", db, "stats"]).exit_code == 0
    for records, expected in CASES.values():
        expected = {(None if expected.startswith("lineage") else "gen-0", expected)}
        assert through_import(tmp_path, tmp_path, records, url=db)[0] == expected


member = st.tuples(st.sampled_from(IDS), st.sampled_from([1e9, 7e9, 13e9, 70e9]),
                   st.sampled_from([1e21, 1.04e21, 1.06e21, 5e22, 1e24]), st.booleans())


@given(st.lists(member, max_size=6))
def test_one_sort_sibling_check_agrees_with_the_pairwise_one(members):
    assert rules.any_sibling_problem(members) == bool(rules.sibling_problems(members))


numbers = st.one_of(st.none(), st.floats(min_value=1e-320, max_value=1.7e308), st.integers(1, 2**63 - 1))


@given(st.fixed_dictionaries({name: numbers for name in INPUTS if name not in ("moe", "hardware")}),
       st.booleans(), st.sampled_from([None, "A100", "H100", "TPU v4"]))
def test_computed_problems_skips_only_what_cannot_overflow(values, moe, hardware):
    values = {**values, "moe": moe, "hardware": hardware}
    assert rules.computed_problems(values) == fill_computed(dict(values))


def test_parent_dates_compare_at_the_coarser_precision():
    assert rules.released_before(dt.date(2023, 1, 1), "year", dt.date(2023, 6, 1), None) is False
    assert rules.released_before(dt.date(2023, 1, 31), "day", dt.date(2023, 2, 1), "month") is True


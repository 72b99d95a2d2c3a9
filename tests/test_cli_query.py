"""The query commands through the public CLI: exact outputs and exit codes."""

from __future__ import annotations

import csv
import io
import json

import pytest

LIST_ALL = """\
id          name        org       released    arch             params  train_tokens  context  open_weights
----------  ----------  --------  ----------  ---------------  ------  ------------  -------  ------------
t5-11b      T5-11B      google    2019-10     encoder-decoder     11B                   =512  yes
gpt-3-175b  GPT-3 175B  openai    2020-05-28  causal-decoder     175B          300B    =2048  no
glm-130b    GLM-130B    tsinghua  2022-10-05  prefix-decoder     130B          400B    =2048  yes
llama-65b   LLaMA 65B   meta      2023-02-24  causal-decoder    65.2B          1.4T    =2048  yes
llama-7b    LLaMA 7B    meta      2023-02-24  causal-decoder     6.7B            1T    =2048  yes
alpaca-7b   Alpaca 7B   stanford  2023-03-13  causal-decoder    =6.7B                  =2048
gpt-4       GPT-4       openai    2023-03-14                      n/d                  =8192  no
~ estimated, = derived, ^ inherited from the parent, c. nominal (size from the name), n/d not disclosed (see `\
llmzoo show MODEL` for sources)
"""


def ids(output: str) -> list[str]:
    return [row["id"] for row in csv.DictReader(io.StringIO(output))]


def test_list_all_table(run):
    result = run("list")
    assert result.exit_code == 0
    assert result.stdout == LIST_ALL


@pytest.mark.parametrize(("args", "expected"), [
    (["--arch", "encoder-decoder"], ["t5-11b"]),
    (["--arch", "prefix-decoder"], ["glm-130b"]),
    (["--arch", "causal-decoder"], ["gpt-3-175b", "llama-65b", "llama-7b", "alpaca-7b"]),
    (["--arch", "causal-decoder", "--arch", "prefix-decoder"],
     ["gpt-3-175b", "glm-130b", "llama-65b", "llama-7b", "alpaca-7b"]),
    (["--org", "meta"], ["llama-65b", "llama-7b"]),
    (["--org", "Meta AI"], ["llama-65b", "llama-7b"]),
    (["--family", "llama"], ["llama-65b", "llama-7b"]),
    (["--open"], ["t5-11b", "glm-130b", "llama-65b", "llama-7b"]),
    (["--closed"], ["gpt-3-175b", "gpt-4"]),
    (["--since", "2023"], ["llama-65b", "llama-7b", "alpaca-7b", "gpt-4"]),
    (["--since", "2023-03"], ["alpaca-7b", "gpt-4"]),
    (["--until", "2020"], ["t5-11b", "gpt-3-175b"]),
    (["--until", "2019-10-31"], ["t5-11b"]),
    (["--min-params", "100B"], ["gpt-3-175b", "glm-130b"]),
    (["--max-params", "7B"], ["llama-7b", "alpaca-7b"]),
    (["--min-params", "65 B", "--max-params", "1.5e11"], ["glm-130b", "llama-65b"]),
    (["--min-tokens", "1T"], ["llama-65b", "llama-7b"]),
    (["--max-tokens", "400B"], ["gpt-3-175b", "glm-130b"]),
    (["--search", "llama"], ["llama-65b", "llama-7b"]),
    (["--search", "davinci"], ["gpt-3-175b"]),
    (["--search", "LLaMA 1 7b"], ["llama-7b"]),
    (["--dense"], ["t5-11b", "gpt-3-175b", "glm-130b", "llama-65b", "llama-7b", "alpaca-7b", "gpt-4"]),
    (["--moe"], []),
    (["--sort", "-params", "--limit", "3"], ["gpt-3-175b", "glm-130b", "llama-65b"]),
    (["--sort", "params"], ["alpaca-7b", "llama-7b", "t5-11b", "llama-65b", "glm-130b", "gpt-3-175b", "gpt-4"]),
    (["--sort", "name", "--limit", "2"], ["alpaca-7b", "glm-130b"]),
])
def test_list_filters(run, args, expected):
    result = run("list", *args, "--format", "csv", "--columns", "id")
    assert result.exit_code == 0, result.output
    assert ids(result.stdout) == expected


def test_list_csv_is_raw(run):
    result = run("list", "--search", "gpt-3", "--format", "csv",
                 "--columns", "id,params,train_tokens,compute,compute_status,tokens_per_param")
    assert result.stdout == ("id,params,train_tokens,compute,compute_status,tokens_per_param\n"
                             "gpt-3-175b,175000000000,300000000000,3.14e+23,source,"
                             "1.7142857142857142\n")


def test_list_json_and_computed(run):
    result = run("list", "--family", "llama", "--format", "json", "--columns", "id,compute,compute_status")
    rows = json.loads(result.stdout)
    assert rows == [
        {"id": "llama-65b", "compute": pytest.approx(6 * 65.2e9 * 1.4e12), "compute_status": "6ND"},
        {"id": "llama-7b", "compute": pytest.approx(6 * 6.7e9 * 1e12), "compute_status": "6ND"},
    ]


def test_list_markdown(run):
    result = run("list", "--arch", "prefix-decoder", "--columns", "id,name,params", "--format", "markdown")
    assert result.stdout == "| id | name | params |\n| --- | --- | --- |\n| glm-130b | GLM-130B | 130B |\n"


def test_list_no_match_says_so(run):
    result = run("list", "--moe")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == "No models match these filters.\n"


@pytest.mark.parametrize(("args", "message"), [
    (["--min-params", "7Q"], "Error: --min-params: '7Q' has an unknown unit 'Q'; write a number such as "),
    (["--max-tokens", "-5"], "Error: --max-tokens: '-5' is not a number"),
    (["--min-params", "0"], "Error: --min-params: '0' must be a positive number"),
    (["--since", "2023-13"], "Error: --since: '2023-13' is not a real date"),
    (["--until", "last year"], "Error: --until: 'last year' is not a date; write YYYY-MM-DD, YYYY-MM or YYYY"),
    (["--sort", "bogus"], "Error: --sort: unknown field 'bogus'; choose from: id, name,"),
    (["--columns", "id,nope"], "Error: --columns: unknown column 'nope'; choose from: id, name,"),
])
def test_list_user_errors(run, args, message):
    result = run("list", *args)
    assert result.exit_code == 1
    assert result.stderr.startswith(message)
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_list_usage_error_exits_2(run):
    result = run("list", "--arch", "decoder")
    assert result.exit_code == 2
    assert "'decoder' is not one of 'causal-decoder'" in result.stderr


SHOW_ALPACA = """\
Alpaca 7B  [alpaca-7b]
organization: Stanford University   family: Alpaca

fact                 value                                                                             status \
                                source                note
-------------------  --------------------------------------------------------------------------------  -------\
------------------------------  --------------------  ----
released             2023-03-13                                                                        reporte\
d                               stanford-alpaca-blog
architecture         causal-decoder                                                                    reporte\
d                               stanford-alpaca-blog
parameters           =6.7B                                                                             derived\
 (same as its parent LLaMA 7B)  stanford-alpaca-blog
pre-training tokens  ^1T                                                                               inherit\
ed from llama-7b                touvron2023llama
context length       ^2048                                                                             inherit\
ed from llama-7b                touvron2023llama
context window       =2048                                                                             derived\
 (context_length)               touvron2023llama
layers               ^32                                                                               inherit\
ed from llama-7b                touvron2023llama
d_model              ^4096                                                                             inherit\
ed from llama-7b                touvron2023llama
heads                ^32                                                                               inherit\
ed from llama-7b                touvron2023llama
position encoding    ^rope                                                                             inherit\
ed from llama-7b                touvron2023llama
adaptation stages    sft                                                                               reporte\
d                               stanford-alpaca-blog
adaptation data      52K instruction-following demonstrations generated in the style of self-instruct  reporte\
d                               stanford-alpaca-blog

Derived from:
  llama-7b (LLaMA 7B): instruction-tune — 52K self-instruct demonstrations

Sources:
  stanford-alpaca-blog: Alpaca: A Strong, Replicable Instruction-Following Model <https://crfm.stanford.edu/20\
23/03/13/alpaca.html> (official-blog)
  touvron2023llama: LLaMA: Open and Efficient Foundation Language Models <https://arxiv.org/abs/2302.13971> (paper)
"""


def test_show_text(run):
    result = run("show", "alpaca-7b")
    assert result.exit_code == 0
    assert result.stdout == SHOW_ALPACA


@pytest.mark.parametrize("name", ["llama-7b", "LLaMA 7B", "llama7b", "LLaMA-7B", "llama 1 7b", "Llama-1-7B"])
def test_show_by_alias(run, name):
    result = run("show", name, "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["id"] == "llama-7b"


def test_show_json_has_provenance_datasets_and_children(run):
    detail = json.loads(run("show", "llama-7b", "--format", "json").stdout)
    assert detail["facts"]["train_tokens"] == {"value": 1e12, "source": "touvron2023llama", "status": "reported",
                                               "method": None, "confidence": None, "note": None}
    assert detail["datasets"][0]["dataset"] == "c4"
    assert detail["datasets"][0]["share"] == 0.15
    assert detail["children"] == [{"model": "alpaca-7b", "name": "Alpaca 7B", "relation": "instruction-tune"}]
    assert detail["sources"]["touvron2023llama"]["url"] == "https://arxiv.org/abs/2302.13971"
    assert detail["computed"]["compute_status"] == "6ND"


def test_show_unpublished_fact(run):
    detail = json.loads(run("show", "gpt-4", "--format", "json").stdout)
    assert detail["facts"]["params"]["value"] is None
    assert detail["facts"]["params"]["status"] == "unpublished"


def test_show_unknown_suggests(run):
    result = run("show", "lama 7b")
    assert result.exit_code == 1
    assert result.stderr == "Error: no model named 'lama 7b'; did you mean llama-7b, llama-65b?\n"


def test_show_unknown_without_suggestion(run):
    result = run("show", "zzzzzz")
    assert result.exit_code == 1
    assert result.stderr == ("Error: no model named 'zzzzzz'; run `llmzoo list --search TEXT` to find one\n")


def test_stats_json(run):
    result = run("stats", "--format", "json")
    data = json.loads(result.stdout)
    assert (data["models"], data["datasets"], data["lineage_edges"], data["sources"]) == (7, 1, 1, 6)
    assert data["by_architecture"] == {"causal-decoder": 4, "encoder-decoder": 1, "prefix-decoder": 1,
                                       "unknown": 1}
    assert data["by_year"] == {"2019": 1, "2020": 1, "2022": 1, "2023": 4}


def test_stats_text(run):
    out = run("stats").stdout
    assert out.startswith("models: 7\ndatasets: 1\nlineage edges: 1\n")
    assert "models by organization:\n  Meta AI: 2\n  OpenAI: 2\n" in out


def test_stats_organization_count_agrees_with_its_list(run, tmp_path):
    """Organizations without models are counted in the list's last line; two of one name stay apart."""
    mine = tmp_path / "orgs.yaml"
    mine.write_text("organizations:\n  - {id: lonely-lab, name: Lonely Lab, kind: academia}\n"
                    "  - {id: meta-twin, name: Meta AI, kind: academia}\n"
                    "models:\n  - {id: twin-lm, name: Twin LM, org: meta-twin, source: twin}\n"
                    "sources:\n  - {id: twin, url: 'https://example.org/twin', title: Twin, kind: paper}\n")
    assert run("add", str(mine)).exit_code == 0
    out = run("stats").stdout
    total = int(out.split("organizations: ")[1].split("\n")[0])
    section = out.split("models by organization:\n")[1].split("\n\n")[0].splitlines()
    assert section[:2] == ["  Meta AI (meta): 2", "  OpenAI: 2"]
    assert "  Meta AI (meta-twin): 1" in section
    without = int(section[-1].removeprefix("  (organizations without models: ").removesuffix(")"))
    assert len(section) - 1 + without == total == 50
    data = json.loads(run("stats", "--format", "json").stdout)
    assert len(data["by_organization"]) + data["organizations_without_models"] == data["organizations"] == 50

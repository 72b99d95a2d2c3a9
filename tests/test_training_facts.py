"""Issue 9 facts: hardware, adaptation stages, and the hardware-based compute estimate."""

from __future__ import annotations

import csv
import io
import json

import pytest

from catalog.rules.hardware import accelerator, hardware_compute


def test_filters_adaptation_and_hardware(run):
    def ids(*args):
        return run("list", *args, "--format", "csv", "--columns", "id").stdout.split()[1:]

    assert ids("--adaptation", "sft") == ["alpaca-7b"]
    assert ids("--adaptation", "pretrain") == ["llama-65b"]
    assert ids("--adaptation", "rlhf") == []
    assert ids("--hardware", "a100") == ["llama-65b"]
    assert ids("--hardware", "tpu") == []
    bad = run("list", "--adaptation", "magic")
    assert bad.exit_code == 2 and "'magic' is not one of 'pretrain'" in bad.stderr


def test_show_has_new_facts_and_hardware_estimate(run):
    detail = json.loads(run("show", "llama-65b", "--format", "json").stdout)
    assert detail["facts"]["hardware_count"]["value"] == 2048
    assert detail["facts"]["adaptation"]["value"] == ["pretrain"]
    assert detail["computed"]["compute_hardware"] == pytest.approx(1022362 * 3600 * 312e12 * 0.4)
    assert detail["computed"]["compute_hardware_method"] == (
        "hardware: 1.02e+06 NVIDIA A100-hours x 3.12e+14 FLOP/s peak x 0.4 (assumed utilization)")
    text = run("show", "llama-65b").stdout
    assert "training hardware" in text and "A100-80GB" in text
    assert "estimated (hardware)" in text


def test_export_carries_new_facts(run):
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(run("export", "-o", "-").stdout))}
    assert rows["alpaca-7b"]["adaptation"] == "sft"
    assert rows["alpaca-7b"]["adaptation_status"] == "reported"
    assert rows["llama-65b"]["accelerator_hours"] == "1022362"
    assert rows["llama-65b"]["accelerator_hours_note"] == "Table 15"
    assert float(rows["llama-65b"]["compute_hardware"]) == pytest.approx(1022362 * 3600 * 312e12 * 0.4)


@pytest.mark.parametrize(("text", "name"), [
    ("A100-80GB", "NVIDIA A100"), ("a100 40G", "NVIDIA A100"), ("H800", "NVIDIA H800 SXM"),
    ("TPU v4", "Google TPU v4"), ("TPUv3", "Google TPU v3"), ("tpu-v5p", "Google TPU v5p"), ("Ascend 910", None),
    ("", None), (None, None),
])
def test_accelerator_matching(text, name):
    chip = accelerator(text)
    assert (chip.name if chip else None) == name


def test_hardware_compute_uses_reported_mfu():
    flop, method = hardware_compute("TPU v4", count=6144, days=50, mfu=0.462)
    assert flop == pytest.approx(6144 * 50 * 24 * 3600 * 275e12 * 0.462)
    assert method.endswith("x 0.462 (reported MFU)")
    assert hardware_compute("Ascend 910", accelerator_hours=1e6) is None
    assert hardware_compute("A100", accelerator_hours=None) is None


def test_bad_new_fact_values(tmp_path):
    from click.testing import CliRunner

    from cli.main import cli

    root = tmp_path / "d"
    root.mkdir()
    (root / "o.yaml").write_text("organizations: [{id: lab, name: Lab, kind: industry}]\n"
                                 "sources: [{id: p, url: 'https://e.org/p', title: P, kind: paper}]\n")
    (root / "m.yaml").write_text("models:\n  - {id: a, name: A, org: lab, source: p, mfu: 46.2, "
                                 "adaptation: [rlhf, vibes], training_languages: [English]}\n")
    result = CliRunner().invoke(cli, ["validate", str(root)])
    assert result.exit_code == 1
    assert "(a).mfu: 46.2 is not a fraction between 0 and 1 (write 0.38 for 38%)" in result.stderr
    assert "(a).adaptation: 'vibes' is not a valid adaptation stage" in result.stderr
    assert "(a).training_languages: ['English'] is not a list of ISO 639 language codes" in result.stderr

"""Write a synthetic catalogue of N models as a CSV in the format `llmzoo export` writes.

The file goes through the project's own import path (`llmzoo import FILE.csv`), so every row must
pass the same checks as a hand-written record: references resolve (curated organizations,
families, sources and datasets are reused; synthetic ones are defined in each row's `refs`, as an
export of user rows does), aliases are unique, lineage is acyclic with parents released first,
tokens per parameter and training compute are plausible, and siblings' compute grows with size.

Distributions (seeded, so a file is reproducible):
  organizations  the curated ones plus one synthetic hub organization per 5,000 models, Zipf-weighted
  families       the curated ones plus one synthetic family per 200 models, Zipf-weighted
  architectures  85% causal-decoder, 7% encoder-only, 6% encoder-decoder, 2% prefix-decoder
  parameters     log-normal around 3B, clipped to 1e6..2e12; 5% mixture-of-experts
  dates          2018-01..2025-06, density growing with time; 70% day, 25% month, 5% year precision
  lineage        40% base models; 60% derived (fine-tune, instruction-tune, quantization, ...) from
                 an earlier model, curated or synthetic
  datasets       15% of base models list 1 to 3 curated datasets with shares
  sources        60% of models cite their own model card (defined in refs), the rest their family's paper
  provenance     ~10% of facts estimated (with method and confidence), ~5% unpublished

Usage:
  python benchmarks/generate.py 100000 -o /tmp/models-100k.csv
"""

from __future__ import annotations

import argparse
import bisect
import collections
import csv
import datetime as dt
import json
import math
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from catalog.query.models import COMPUTED, add_computed, export_columns  # noqa: E402
from catalog.records.loading import load_directory  # noqa: E402

START = dt.date(2018, 1, 1)
END = dt.date(2025, 6, 30)
ARCHS = (("causal-decoder", 0.85), ("encoder-only", 0.07), ("encoder-decoder", 0.06), ("prefix-decoder", 0.02))
RELATIONS = (("fine-tune", 0.45), ("instruction-tune", 0.25), ("quantization", 0.12), ("merge", 0.06),
             ("rlhf", 0.05), ("distillation", 0.04), ("continued-pretrain", 0.03))
LICENSES = ("Apache-2.0", "MIT", "Llama 2 Community License", "cc-by-nc-4.0", "openrail", "Gemma Terms of Use",
            "proprietary", "other")
VOCABS = (32000, 50257, 65024, 100352, 128256, 151936, 256000)
VARIANTS = ("Base", "Instruct", "Chat", "GGUF", "AWQ", "DPO", "SFT", "Merge", "Coder", "Math", "v2", "v0.1")
KINDS = ("industry", "academia", "nonprofit", "collaboration")
COUNTRIES = ("US", "CN", "FR", "GB", "DE", "CA", "KR", "JP", "IN", "AE")


def weighted(rng: random.Random, table: tuple[tuple[Any, float], ...]) -> Any:
    """One item of a (value, weight) table."""
    x = rng.random()
    for value, weight in table:
        x -= weight
        if x <= 0:
            return value
    return table[-1][0]


def zipf_picker(rng: random.Random, items: list[Any], exponent: float = 1.1) -> Any:
    """A function drawing items with Zipf weights (the first ones are the most frequent)."""
    cumulative, total = [], 0.0
    for rank in range(1, len(items) + 1):
        total += 1 / rank ** exponent
        cumulative.append(total)

    def pick() -> Any:
        return items[min(bisect.bisect_left(cumulative, rng.random() * total), len(items) - 1)]
    return pick


def size_label(params: float) -> str:
    """7000000000 -> '7b'."""
    for unit, scale in (("t", 1e12), ("b", 1e9), ("m", 1e6)):
        if params >= scale:
            value = params / scale
            return (f"{value:.0f}" if value >= 10 or value.is_integer() else f"{value:.1f}") + unit
    return f"{params:.0f}"


def cell(value: Any) -> str:
    """A CSV cell as `llmzoo export` writes it (see catalog/io/export.py)."""
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if not value.is_integer() or abs(value) >= 1e16 else str(int(value))
    return str(value)


class Generator:
    """Synthetic models in chronological order (parents always come before their children)."""

    def __init__(self, n: int, seed: int) -> None:
        self.n = n
        self.rng = random.Random(seed)
        bundle = load_directory()
        self.curated = bundle
        self.source_url = {s.id: s.url for s in bundle.sources.values()}
        self.user_sources: dict[str, dict[str, Any]] = {}
        self.user_orgs: dict[str, dict[str, Any]] = {}
        self.user_families: dict[str, dict[str, Any]] = {}
        self.family_info: dict[str, dict[str, Any]] = {}
        self.datasets = sorted(bundle.datasets)
        self._make_organizations()
        self._make_families()
        families = list(self.family_info)
        self.rng.shuffle(families)
        self.pick_family = zipf_picker(self.rng, families, 0.9)
        # Parents: a curated model released earlier (20%) or one of the last 5,000 synthetic models,
        # which were all released earlier since dates grow with i. Entries: (id, params, arch).
        curated = [m for m in bundle.models.values() if m.released and m.params and m.params.value]
        curated.sort(key=lambda m: m.released.value)
        self.curated_dates = [m.released.value for m in curated]
        self.curated_parents = [(m.id, m.params.value, m.arch.value if m.arch and m.arch.value else "causal-decoder")
                                for m in curated]
        self.recent: collections.deque[tuple[str, float, str]] = collections.deque(maxlen=5000)

    def _make_organizations(self) -> None:
        rng = self.rng
        orgs = sorted(self.curated.organizations)
        for i in range(max(20, self.n // 5000)):
            org_id = f"hub-org-{i:05d}"
            self.user_orgs[org_id] = {"id": org_id, "name": f"Hub Organization {i:05d}",
                                      "country": rng.choice(COUNTRIES), "kind": rng.choice(KINDS)}
            orgs.append(org_id)
        self.pick_org = zipf_picker(rng, orgs[::-1] if rng.random() < 0.5 else orgs, 1.0)

    def _make_families(self) -> None:
        rng = self.rng
        cited, archs = {}, {}
        for model in self.curated.models.values():
            cited.setdefault(model.family, model.source)
            if model.arch and model.arch.value:  # not an unpublished architecture
                archs.setdefault(model.family, model.arch.value)
        for fam in self.curated.families.values():
            if fam.id in cited:
                self._family(fam.id, fam.name, fam.org, self.source_url[cited[fam.id]], cited[fam.id])
                self.family_info[fam.id]["arch"] = archs.get(fam.id, "causal-decoder")
        for i in range(max(50, self.n // 200)):
            fam_id = f"hubfam-{i:05d}"
            org = self.pick_org()
            source_id = f"paper-{fam_id}"
            url = f"https://papers.example.org/{org}/{fam_id}"
            self.user_sources[source_id] = {"id": source_id, "url": url, "title": f"The {fam_id} report",
                                            "kind": "paper", "published": None}
            self.source_url[source_id] = url
            self.user_families[fam_id] = {"id": fam_id, "name": f"HubFam {i:05d}", "org": org,
                                          "note": "synthetic benchmark family" if rng.random() < 0.3 else None}
            self._family(fam_id, f"HubFam {i:05d}", org, url, source_id)

    def _family(self, fam_id: str, name: str, org: str, url: str, source_id: str) -> None:
        rng = self.rng
        moe = rng.random() < 0.05
        self.family_info[fam_id] = {
            "name": name, "org": org, "url": url, "source": source_id, "arch": weighted(rng, ARCHS),
            "center": math.exp(rng.gauss(math.log(3e9), 2.0)),
            "tpp": math.exp(rng.uniform(math.log(2), math.log(1500))),  # tokens per parameter
            "factor": rng.uniform(0.7, 1.4),  # reported compute / 6ND
            "moe": moe, "license": rng.choice(LICENSES), "vocab": rng.choice(VOCABS),
            "rope": rng.random() < 0.7,
        }

    def date_of(self, i: int) -> tuple[dt.date, dt.date, str]:
        """The i-th release day (non-decreasing in i; density grows towards the end), the date as
        written at its precision (first day of the month or year), and the precision."""
        span = (END - START).days
        day = START + dt.timedelta(days=int(span * ((i + 0.5) / self.n) ** (1 / 3)))
        precision = weighted(self.rng, (("day", 0.70), ("month", 0.25), ("year", 0.05)))
        if precision == "month":
            return day, day.replace(day=1), precision
        if precision == "year":
            return day, day.replace(month=1, day=1), precision
        return day, day, precision

    def parent_of(self, day: dt.date) -> tuple[str, float, str] | None:
        """A model released on or before `day`, or None."""
        if self.rng.random() < 0.2 or not self.recent:
            count = bisect.bisect_right(self.curated_dates, day)
            return self.curated_parents[self.rng.randrange(count)] if count else None
        return self.recent[self.rng.randrange(len(self.recent))]

    def model(self, i: int) -> dict[str, Any]:
        """One export row (a dict over export_columns())."""
        rng = self.rng
        day, released, precision = self.date_of(i)
        parent = self.parent_of(day) if rng.random() < 0.6 else None
        fam_id = self.pick_family()
        fam = self.family_info[fam_id]
        relation = weighted(rng, RELATIONS) if parent else None
        arch = parent[2] if parent else fam["arch"]
        if parent:
            params = parent[1]
        else:
            params = min(2e12, max(1e6, round(fam["center"] * math.exp(rng.gauss(0, 1.2)), -5) or 1e6))
        label = size_label(params)
        variant = rng.choice(VARIANTS) if parent else "Base"
        model_id = f"{fam_id}-{label}-{variant.lower().replace('.', '')}-m{i:07d}"
        org = fam["org"]
        row: dict[str, Any] = {"id": model_id, "name": f"{fam['name']} {label.upper()} {variant} #{i}",
                               "family": fam_id, "org": org, "origin": "user"}
        used_sources: set[str] = set()
        if rng.random() < 0.6:
            source_id = f"card-{model_id}"
            url = f"https://hub.example.org/{org}/{model_id}"
            self.user_sources[source_id] = {"id": source_id, "url": url, "title": f"{row['name']} model card",
                                            "kind": "model-card", "published": released.isoformat()}
            row["source"], row["source_url"] = source_id, url
        else:
            row["source"], row["source_url"] = fam["source"], fam["url"]
        used_sources.add(row["source"])
        if rng.random() < 0.3:
            row["aliases"] = ";".join(dict.fromkeys([f"{org}/{model_id}"] + (
                [f"{model_id.upper()}-hf"] if rng.random() < 0.3 else [])))
        if rng.random() < 0.1:
            row["note"] = rng.choice(("Uploaded to the hub without a paper.", "Weights gated behind a licence form.",
                                      "Card says 'trained on a mix of public data'; sizes from config.json."))
        facts = self._facts(fam, arch, params, released, parent, relation)
        for name, fact in facts.items():
            value, status, method, confidence, note = fact
            row[name] = value
            row[f"{name}_status"] = status
            row[f"{name}_source"] = row["source_url"]
            row[f"{name}_method"], row[f"{name}_confidence"], row[f"{name}_note"] = method, confidence, note
        if "released" in facts:
            row["released_precision"] = precision
        if facts.get("knowledge_cutoff", (None,))[0]:
            row["knowledge_cutoff_precision"] = "month"
        if parent:
            row["parents"] = [{"model": parent[0], "relation": relation, "source": row["source_url"],
                               "note": None}]
        elif rng.random() < 0.15:
            picks = rng.sample(self.datasets, rng.randint(1, 3))
            shares = [rng.uniform(0.05, 0.3) for _ in picks]
            row["datasets"] = [{"dataset": d, "share": round(s, 3), "epochs": rng.choice((None, 1.0, 2.0)),
                                "tokens": None, "source": row["source_url"], "note": None}
                               for d, s in zip(picks, shares, strict=True)]
        row["refs"] = self._refs(row, used_sources)
        computed = add_computed({k: row.get(k) for k in ("params", "active_params", "moe", "train_tokens",
                                                         "train_compute", "hardware", "accelerator_hours")})
        row.update({k: computed[k] for k in COMPUTED})
        if relation != "quantization":
            self.recent.append((model_id, params, arch))
        return row

    def _facts(self, fam: dict[str, Any], arch: str, params: float, released: dt.date, parent: Any,
               relation: str | None) -> dict[str, tuple[Any, ...]]:
        rng = self.rng
        facts: dict[str, tuple[Any, ...]] = {}

        def fact(name: str, value: Any) -> None:
            x = rng.random()
            if x < 0.05 and name in ("params", "train_tokens", "context_length", "layers", "vocab_size"):
                facts[name] = (None, "unpublished", None, None, None)
            elif x < 0.15 and name in ("params", "train_tokens", "train_compute", "released"):
                facts[name] = (value, "estimated", rng.choice(("hardware", "config.json", "third-party")),
                               rng.choice(("confident", "likely", "speculative")), None)
            else:
                note = "from the model card" if rng.random() < 0.05 else None
                facts[name] = (value, "reported", None, None, note)

        fact("released", (released.isoformat()))
        fact("arch", arch)
        moe = fam["moe"] and arch == "causal-decoder"
        if rng.random() < 0.6 or moe:
            fact("moe", moe)
        fact("params", params)
        active = params / 4 if moe else params
        if moe:
            fact("active_params", active)
            fact("experts", 8)
            fact("experts_active", 2)
        pretrained = parent is None or relation == "continued-pretrain"
        if pretrained and rng.random() < 0.5:
            tokens = float(round(fam["tpp"] * active, -3) or 1000.0)
            fact("train_tokens", tokens)
            if parent is None and rng.random() < 0.4:
                fact("train_compute", float(f"{6 * active * tokens * fam['factor']:.4g}"))
        elif not pretrained and rng.random() < 0.1:
            fact("train_tokens", float(round(active * rng.uniform(0.001, 0.05), -3) or 1000.0))
        ctx = 2 ** min(17, 9 + int((released.year - 2018) * 1.1) + rng.randint(0, 2))
        fact("context_length", ctx)
        if rng.random() < 0.08:
            fact("context_length_extended", ctx * 4)
            fact("context_extension", "YaRN")
        if rng.random() < 0.7:
            layers = max(2, min(128, round(4 * math.log2(max(2.0, params / 1e6)))))
            d_model = max(64, round((params / (12 * layers)) ** 0.5 / 64) * 64)
            heads = max(1, d_model // 128)
            kv = heads if rng.random() < 0.6 else max(1, heads // 8)
            fact("layers", layers)
            fact("d_model", d_model)
            fact("heads", heads)
            fact("kv_heads", kv)
            fact("attention", "mha" if kv == heads else ("mqa" if kv == 1 else "gqa"))
        fact("position_encoding", "rope" if fam["rope"] else rng.choice(("learned", "alibi", "relative")))
        if rng.random() < 0.8:
            fact("vocab_size", fam["vocab"])
        fact("modality", rng.choice(("text", "text", "text,code")))
        fact("open_weights", rng.random() < 0.9)
        if rng.random() < 0.85:
            fact("license", fam["license"])
        if rng.random() < 0.2:
            cutoff = released - dt.timedelta(days=rng.randint(60, 400))
            fact("knowledge_cutoff", cutoff.replace(day=1).isoformat())
        if rng.random() < 0.2:
            fact("training_languages", rng.choice(("en", "en,zh", "multilingual")))
        if parent is not None and rng.random() < 0.3:
            fact("adaptation", rng.choice(("sft", "sft,dpo", "sft,rlhf", "distillation")))
        elif parent is None and rng.random() < 0.1:
            fact("hardware", rng.choice(("NVIDIA A100", "NVIDIA H100", "TPU v4")))
            fact("accelerator_hours", float(rng.randrange(1000, 5_000_000, 1000)))
        return facts

    def _refs(self, row: dict[str, Any], used_sources: set[str]) -> str | None:
        refs: dict[str, list[dict[str, Any]]] = {}
        if row["family"] in self.user_families:
            refs["families"] = [self.user_families[row["family"]]]
        if row["org"] in self.user_orgs:
            refs["organizations"] = [self.user_orgs[row["org"]]]
        sources = [self.user_sources[s] for s in sorted(used_sources) if s in self.user_sources]
        if sources:
            refs["sources"] = sources
        if row["source"].startswith("card-"):
            del self.user_sources[row["source"]]  # used by this row only: keep memory flat
        return json.dumps(refs, ensure_ascii=False, sort_keys=True) if refs else None


def main() -> None:
    """Command line: N, output file, seed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", type=lambda s: int(float(s.replace("k", "e3").replace("M", "e6"))),
                        help="how many models (10k, 100k, 1M or a number)")
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    started = time.perf_counter()
    gen = Generator(args.models, args.seed)
    columns = export_columns()
    tmp = args.output.with_name(args.output.name + ".part")
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for i in range(args.models):
            row = gen.model(i)
            writer.writerow([cell(row.get(c)) for c in columns])
    tmp.replace(args.output)
    print(f"wrote {args.models} models to {args.output} in {time.perf_counter() - started:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()

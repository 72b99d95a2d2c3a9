"""Text views of one model and of the catalogue statistics."""

from __future__ import annotations

from typing import Any

from catalog.display import LABELS, human
from cli.output import render_table


def _status(fact: dict[str, Any]) -> str:
    status = fact["status"]
    extra = [x for x in (fact.get("method"), fact.get("confidence")) if x]
    return status + (f" ({', '.join(extra)})" if extra else "")


def render_model(d: dict[str, Any]) -> str:
    """The `llmzoo show` text view."""
    lines = [f"{d['name']}  [{d['id']}]" + ("  (user-added)" if d["origin"] == "user" else "")]
    lines.append(f"organization: {d['org_name'] or d['org']}" +
                 (f"   family: {d['family_name']}" if d["family"] else ""))
    if d["aliases"]:
        lines.append("aliases: " + ", ".join(d["aliases"]))
    if d["note"]:
        lines.append(f"note: {d['note']}")
    lines.append("")
    rows = []
    for name, fact in d["facts"].items():
        rows.append({"fact": LABELS.get(name, name), "value": human(name, fact["value"], fact["status"]),
                     "status": _status(fact), "source": fact["source"], "note": fact.get("note") or ""})
    comp = d["computed"]
    if comp.get("compute") and comp.get("compute_status") == "6ND":
        rows.append({"fact": "training compute (FLOP)", "value": "=" + human("compute", comp["compute"]),
                     "status": "derived (6ND)", "source": "", "note": "6 x params x training tokens"})
    if comp.get("compute_hardware"):
        rows.append({"fact": "training compute (FLOP)", "value": "~" + human("compute", comp["compute_hardware"]),
                     "status": "estimated (hardware)", "source": "", "note": comp["compute_hardware_method"]})
    if comp.get("tokens_per_param"):
        rows.append({"fact": "tokens per parameter", "value": f"{comp['tokens_per_param']:.3g}",
                     "status": "derived", "source": "", "note": ""})
    lines.append(render_table(rows, ["fact", "value", "status", "source", "note"]))
    if d["datasets"]:
        lines += ["", "Training data:"]
        data = [{"dataset": x["dataset"], "share": f"{x['share']:.1%}" if x["share"] is not None else "",
                 "epochs": f"{x['epochs']:.3g}" if x["epochs"] is not None else "",
                 "tokens": human("tokens", x["tokens"]), "source": x["source"]} for x in d["datasets"]]
        lines.append(render_table(data, ["dataset", "share", "epochs", "tokens", "source"]))
    if d["parents"]:
        lines += ["", "Derived from:"] + [f"  {p['model']} ({p['name']}): {p['relation']}"
                                          + (f" — {p['note']}" if p.get("note") else "") for p in d["parents"]]
    if d["children"]:
        lines += ["", "Derivatives:"] + [f"  {c['model']} ({c['name']}): {c['relation']}" for c in d["children"]]
    lines += ["", "Sources:"] + [f"  {sid}: {s['title']} <{s['url']}> ({s['kind']})"
                                 for sid, s in sorted(d["sources"].items())]
    return "\n".join(lines)


def render_stats(s: dict[str, Any]) -> str:
    """The `llmzoo stats` text view."""
    lines = [f"models: {s['models']}", f"datasets: {s['datasets']}", f"lineage edges: {s['lineage_edges']}",
             f"training-data links: {s['training_data_links']}", f"sources: {s['sources']}",
             f"organizations: {s['organizations']}", f"families: {s['families']}"]
    for title, key in (("by origin", "by_origin"), ("by architecture", "by_architecture"),
                       ("by organization", "by_organization"), ("by year", "by_year")):
        lines += ["", f"models {title}:"] + [f"  {k}: {v}" for k, v in s[key].items()]
        if key == "by_organization" and s.get("organizations_without_models"):
            lines.append(f"  (organizations without models: {s['organizations_without_models']})")
    return "\n".join(lines)

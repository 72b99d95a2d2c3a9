"""Text views of one model and of the catalogue statistics."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from catalog.query.display import LABELS, derived_rows, human, human_bytes
from cli.output import fit_text, render_table, terminal_width

if TYPE_CHECKING:
    from catalog.query.detail import FactDetail, ModelDetail


def _status(fact: FactDetail) -> str:
    status = fact["status"]
    if fact.get("inherited_from"):
        status += f" from {fact['inherited_from']}"
    extra = [x for x in (fact.get("method"), fact.get("confidence")) if x]
    return status + (f" ({', '.join(extra)})" if extra else "")


def render_model(d: ModelDetail) -> str:
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
    rows += [{"fact": r.label, "value": r.value, "status": r.status, "source": "", "note": r.note}
             for r in derived_rows(d["computed"])]
    width = terminal_width()
    lines.append(render_table(rows, ["fact", "value", "status", "source", "note"], width=width, wrap=True))
    if d["datasets"]:
        lines += ["", "Training data:"]
        data = [{"dataset": x["dataset"], "share": f"{x['share']:.1%}" if x["share"] is not None else "",
                 "epochs": f"{x['epochs']:.3g}" if x["epochs"] is not None else "",
                 "tokens": human("tokens", x["tokens"]), "source": x["source"]} for x in d["datasets"]]
        lines.append(render_table(data, ["dataset", "share", "epochs", "tokens", "source"], width=width, wrap=True))
    if d["parents"]:
        lines += ["", "Derived from:"] + [f"  {p['model']} ({p['name']}): {p['relation']}"
                                          + (f" — {p['note']}" if p.get("note") else "") for p in d["parents"]]
    if d["children"]:
        lines += ["", "Derivatives:"] + [f"  {c['model']} ({c['name']}): {c['relation']}" for c in d["children"]]
    if d.get("evaluations"):
        lines += ["", "Evaluation results (each as its source prints it; none averaged):"]
        rows = [{"benchmark": e["benchmark"] + (f" ({e['subset']})" if e.get("subset") else ""),
                 "setting": _setting(e["setting"]), "metric": e["metric"], "score": f"{e['score']:g}",
                 "evaluated by": e["evaluated_by"] if e["evaluated_by"] == "developer"
                 else f"third-party: {e['evaluator']}", "source": e["source"], "locator": e["locator"]}
                for e in d["evaluations"]]
        from catalog.query.evals import printable

        rows = [{k: printable(v) for k, v in r.items()} for r in rows]
        lines.append(render_table(rows, ["benchmark", "setting", "metric", "score", "evaluated by", "source",
                                         "locator"]))
    lines += ["", "Sources:"] + [f"  {sid}: {s['title']} <{s['url']}> ({s['kind']})"
                                 for sid, s in sorted(d["sources"].items())]
    return fit_text("\n".join(lines), width)


def _setting(setting: dict[str, Any]) -> str:
    from catalog.query.evals import setting_text

    return setting_text(setting)


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


def render_dataset(d: dict[str, Any]) -> str:
    """The `llmzoo datasets show` text view: facts with sources, models trained on it, sources."""
    width = terminal_width()
    lines = [f"{d['name']}  [{d['id']}]", f"kind: {d['kind']}" +
             (f"   languages: {', '.join(d['languages'])}" if d["languages"] else "")]
    if d["note"]:
        lines.append(f"note: {d['note']}")
    if d["facts"]:
        rows = [{"fact": name, "value": human_bytes(fact["value"], fact["status"]) if name == "bytes"
                 else human(name, fact["value"], fact["status"]), "status": _status(fact),
                 "source": fact["source"], "note": fact.get("note") or ""} for name, fact in d["facts"].items()]
        lines += ["", render_table(rows, ["fact", "value", "status", "source", "note"], width=width, wrap=True)]
    if d["models"]:
        rows = [{"model": m["model"], "name": m["name"],
                 "share": f"{m['share']:.1%}" if m["share"] is not None else "",
                 "epochs": f"{m['epochs']:.3g}" if m["epochs"] is not None else "",
                 "tokens": human("tokens", m["tokens"]), "source": m["source"]} for m in d["models"]]
        lines += ["", f"Models trained on it ({len(rows)}):",
                  render_table(rows, ["model", "name", "share", "epochs", "tokens", "source"], width=width, wrap=True)]
    else:
        lines += ["", "No model in the catalogue lists it in its training data."]
    lines += ["", "Sources:"] + [f"  {sid}: {s['title']} <{s['url']}> ({s['kind']})"
                                 for sid, s in sorted(d["sources"].items())]
    return fit_text("\n".join(lines), width)

"""Cross-record checks: references, unique aliases, acyclic lineage, plausibility of the numbers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from catalog.vocab import alias_key  # noqa: F401  (re-exported)

if TYPE_CHECKING:
    from catalog.loading import Bundle
    from catalog.records import ModelRecord

TOKENS_PER_PARAM = (0.1, 10000.0)
COMPUTE_TOLERANCE = 3.0


@dataclass
class Known:
    """Ids that exist outside the bundle being checked (e.g. the database, for user records)."""

    sources: set[str] = field(default_factory=set)
    organizations: set[str] = field(default_factory=set)
    families: set[str] = field(default_factory=set)
    models: set[str] = field(default_factory=set)
    datasets: set[str] = field(default_factory=set)
    benchmarks: set[str] = field(default_factory=set)
    benchmark_metrics: dict[str, tuple[str, float | None]] = field(default_factory=dict)
    alias_owner: dict[str, str] = field(default_factory=dict)
    released: dict[str, dt.date] = field(default_factory=dict)
    parents: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Report:
    """Errors make validation fail; warnings are shown."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def check_bundle(bundle: Bundle, known: Known | None = None, today: dt.date | None = None) -> Report:
    """Every cross-record check on a bundle; ids in `known` count as defined."""
    known = known or Known()
    report = Report()
    _check_references(bundle, known, report)
    _check_aliases(bundle, known, report)
    _check_cycles(bundle, known, report)
    for model in bundle.models.values():
        _check_model(bundle, model, known, report, today or dt.date.today())
    _check_siblings(bundle, report)
    _check_mixtures(bundle, report)
    _check_inherited(bundle, report)
    if bundle.benchmarks or bundle.evals:
        from catalog.evals import check_evals

        check_evals(bundle, known, report)
    return report


def _check_inherited(bundle: Bundle, report: Report) -> None:
    """A derivation that keeps the network keeps its facts: a child stating another value says why."""
    from catalog.inheritance import effective_facts
    from catalog.vocab import INHERITABLE_FACTS, KEEPING_RELATIONS

    stated = {m.id: {name: fact.model_dump() for name, fact in m.facts().items()} for m in bundle.models.values()}
    parents = {m.id: [(p.model, p.relation) for p in m.parents] for m in bundle.models.values()}
    memo: dict[str, dict[str, dict]] = {}
    for model in bundle.models.values():
        for link in model.parents:
            if link.relation not in KEEPING_RELATIONS or link.model not in stated:
                continue
            above = effective_facts(stated, parents, link.model, memo)
            for name in INHERITABLE_FACTS:
                fact, theirs = stated[model.id].get(name), above.get(name)
                if fact is None or theirs is None or fact["note"] or fact["status"] in ("nominal", "unpublished") \
                        or fact["value"] is None or theirs["value"] is None or fact["value"] == theirs["value"]:
                    continue
                report.warnings.append(
                    f"{bundle.locate('models', model.id)}: {name}: {fact['value']!r} differs from "
                    f"{theirs['value']!r} of its parent {link.model!r} ({link.relation}, which keeps the "
                    f"network); add {name}.note saying what changed, or drop {name} to inherit it")


def _ref(report: Report, where: str, what: str, ref: str | None, pool: Iterable[str], fix: str) -> None:
    if ref is not None and ref not in pool:
        report.errors.append(f"{where}: {what} {ref!r} does not exist; {fix}")


def _check_references(bundle: Bundle, known: Known, report: Report) -> None:
    sources = set(bundle.sources) | known.sources
    orgs = set(bundle.organizations) | known.organizations
    families = set(bundle.families) | known.families
    models = set(bundle.models) | known.models
    datasets = set(bundle.datasets) | known.datasets
    add_source = "add it to a `sources` section (data/sources.yaml)"
    for fam in bundle.families.values():
        _ref(report, bundle.locate("families", fam.id), "org", fam.org, orgs, "add it to organizations")
    for model in bundle.models.values():
        where = bundle.locate("models", model.id)
        _ref(report, where, "org", model.org, orgs, "use an id from data/organizations.yaml")
        _ref(report, where, "family", model.family, families, "add it to a `families` section")
        _ref(report, where, "source", model.source, sources, add_source)
        for name, fact in model.facts().items():
            _ref(report, where, f"{name}.source", fact.source, sources, add_source)
        for i, parent in enumerate(model.parents):
            _ref(report, where, f"parents[{i}].model", parent.model, models,
                 "use the id of a catalogued model (llmzoo list --search NAME)")
            _ref(report, where, f"parents[{i}].source", parent.source, sources, add_source)
            if parent.model == model.id:
                report.errors.append(f"{where}: parents[{i}]: a model cannot be its own parent")
        for i, link in enumerate(model.datasets):
            _ref(report, where, f"datasets[{i}].dataset", link.dataset, datasets, "add it to data/datasets.yaml")
            _ref(report, where, f"datasets[{i}].source", link.source, sources, add_source)
    for dataset in bundle.datasets.values():
        where = bundle.locate("datasets", dataset.id)
        _ref(report, where, "source", dataset.source, sources, add_source)
        for name, fact in dataset.facts().items():
            _ref(report, where, f"{name}.source", fact.source, sources, add_source)
    seen: set[tuple[str, str]] = set()
    for i, link in enumerate(bundle.training_data):
        where = f"training_data[{i}] ({link.model}/{link.dataset})"
        _ref(report, where, "model", link.model, models, "use the id of a catalogued model")
        _ref(report, where, "dataset", link.dataset, datasets, "add it to data/datasets.yaml")
        _ref(report, where, "source", link.source, sources, add_source)
        if (link.model, link.dataset) in seen:
            report.errors.append(f"{where}: this model-dataset link is listed twice")
        seen.add((link.model, link.dataset))
    for model in bundle.models.values():
        for link in model.datasets:
            if (model.id, link.dataset) in seen:
                report.errors.append(f"{bundle.locate('models', model.id)}: dataset {link.dataset!r} is "
                                     "linked both here and in a training_data section; keep one")
            seen.add((model.id, link.dataset))


def _check_aliases(bundle: Bundle, known: Known, report: Report) -> None:
    owner: dict[str, str] = dict(known.alias_owner)
    for model in bundle.models.values():
        names = [model.id, model.name, *model.aliases]
        for name in dict.fromkeys(alias_key(n) for n in names):
            if not name:
                continue
            other = owner.get(name)
            if other is not None and other != model.id:
                report.errors.append(f"{bundle.locate('models', model.id)}: name or alias "
                                     f"{name!r} is also a name of {other!r}; aliases must be unique")
            owner.setdefault(name, model.id)
    _check_alias_sizes(bundle, report)


def _check_alias_sizes(bundle: Bundle, report: Report) -> None:
    """An alias stating another size than its model's must not be the size of a sibling in its family:
    `pythia-13b` on Pythia-12B is a former name; on a family that also has a 13B model, two sizes would meet."""
    from catalog.names import sizes

    by_size: dict[tuple[str, frozenset[str]], str] = {}
    for model in bundle.models.values():
        if model.family and (own := sizes(model.name)):
            by_size.setdefault((model.family, frozenset(own)), model.id)
    for model in bundle.models.values():
        own = sizes(model.name)
        for alias in model.aliases:
            said = sizes(alias)
            sibling = by_size.get((model.family or "", frozenset(said))) if said and own and said != own else None
            if sibling and sibling != model.id:
                report.errors.append(f"{bundle.locate('models', model.id)}: alias {alias!r} gives the size "
                                     f"{'/'.join(sorted(said)).upper()} of {sibling!r}, another model of the "
                                     f"family {model.family!r}; remove the alias or name it so that it "
                                     "cannot be read as that model")


def _check_cycles(bundle: Bundle, known: Known, report: Report) -> None:
    graph: dict[str, list[str]] = {k: list(v) for k, v in known.parents.items()}
    for model in bundle.models.values():
        graph[model.id] = [p.model for p in model.parents]
    state: dict[str, int] = {}
    for start in sorted(graph):
        if state.get(start):
            continue
        stack = [(start, iter(graph.get(start, [])))]
        path = [start]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
                path.pop()
            elif state.get(child) == 1:
                cycle = path[path.index(child):] + [child]
                report.errors.append(f"lineage cycle: {' -> '.join(cycle)}; a model cannot descend "
                                     "from itself: remove one of these parents")
            elif not state.get(child):
                state[child] = 1
                path.append(child)
                stack.append((child, iter(graph.get(child, []))))


def _value(model: ModelRecord, name: str) -> object:
    fact = getattr(model, name)
    return None if fact is None else fact.value


def _check_model(bundle: Bundle, model: ModelRecord, known: Known, report: Report, today: dt.date) -> None:
    where = bundle.locate("models", model.id)
    err = report.errors.append
    params, active = _value(model, "params"), _value(model, "active_params")
    moe = _value(model, "moe")
    if isinstance(params, float) and isinstance(active, float) and active > params:
        err(f"{where}: active_params ({active:.3g}) exceed params ({params:.3g}); params is the total")
    if moe is False and any(_value(model, f) is not None for f in ("active_params", "experts", "experts_active")):
        err(f"{where}: active_params/experts are for mixture-of-experts models; set moe: true or drop them")
    experts, routed = _value(model, "experts"), _value(model, "experts_active")
    if isinstance(experts, int) and isinstance(routed, int) and routed > experts:
        err(f"{where}: experts_active ({routed}) exceeds experts ({experts})")
    heads, kv_heads = _value(model, "heads"), _value(model, "kv_heads")
    if isinstance(heads, int) and isinstance(kv_heads, int) and kv_heads > heads:
        err(f"{where}: kv_heads ({kv_heads}) exceeds heads ({heads})")
    ctx, ext = _value(model, "context_length"), _value(model, "context_length_extended")
    if isinstance(ctx, int) and isinstance(ext, int) and ext < ctx:
        err(f"{where}: context_length_extended ({ext}) is shorter than context_length ({ctx})")
    released = _value(model, "released")
    if isinstance(released, dt.date) and released > today:
        err(f"{where}: released {released} is in the future")
    _check_tokens_and_compute(model, where, report)
    _check_computed(model, where, report)
    _check_parent_dates(bundle, model, known, where, report)


def _check_computed(model: ModelRecord, where: str, report: Report) -> None:
    """Every computed column must fit a float: one stored 1e299 x 1e300 would break every listing."""
    from catalog.computed import INPUTS, computed_problems

    for problem in computed_problems({name: _value(model, name) for name in INPUTS}):
        report.errors.append(f"{where}: {problem}; check the figures (or their units)")


def _check_tokens_and_compute(model: ModelRecord, where: str, report: Report) -> None:
    params, tokens = _value(model, "params"), _value(model, "train_tokens")
    if model.moe is not None and model.moe.value and isinstance(_value(model, "active_params"), float):
        params = _value(model, "active_params")
    pretrained = not model.parents or any(p.relation == "continued-pretrain" for p in model.parents)
    if isinstance(params, float) and isinstance(tokens, float) and pretrained \
            and "tokens_per_param" not in model.accept:
        ratio = tokens / params
        low, high = TOKENS_PER_PARAM
        if not low <= ratio <= high:
            report.errors.append(f"{where}: {ratio:.3g} training tokens per parameter is outside "
                                 f"{low:g}..{high:g}; check the units of params and train_tokens")
    compute = _value(model, "train_compute")
    if isinstance(params, float) and isinstance(tokens, float) and isinstance(compute, float) and pretrained \
            and "compute_vs_6nd" not in model.accept:
        expected = 6 * params * tokens
        factor = max(compute / expected, expected / compute)
        if factor > COMPUTE_TOLERANCE:
            report.errors.append(f"{where}: train_compute {compute:.3g} FLOP is {factor:.1f}x away from "
                                 f"6·N·D = {expected:.3g}; check the figures (or their units)")


def _check_parent_dates(bundle: Bundle, model: ModelRecord, known: Known, where: str, report: Report) -> None:
    released = _value(model, "released")
    if not isinstance(released, dt.date):
        return
    precision = model.released_precision or "day"
    for parent in model.parents:
        other = bundle.models.get(parent.model)
        parent_date = _value(other, "released") if other else known.released.get(parent.model)
        if not isinstance(parent_date, dt.date):
            continue
        parent_precision = (other.released_precision if other else None) or "day"
        coarse = "year" if "year" in (precision, parent_precision) else \
            "month" if "month" in (precision, parent_precision) else "day"
        a, b = _truncate(released, coarse), _truncate(parent_date, coarse)
        if a < b:
            report.errors.append(f"{where}: released {released} before its parent {parent.model!r} "
                                 f"({parent_date}); check both dates")


def _truncate(date: dt.date, precision: str) -> tuple[int, ...]:
    if precision == "year":
        return (date.year,)
    if precision == "month":
        return (date.year, date.month)
    return (date.year, date.month, date.day)


def _check_siblings(bundle: Bundle, report: Report) -> None:
    by_family: dict[str, list[ModelRecord]] = {}
    for model in bundle.models.values():
        if model.family and not model.parents:
            by_family.setdefault(model.family, []).append(model)
    for members in by_family.values():
        known = [(m, _value(m, "params"), _value(m, "train_compute")) for m in members]
        known = [(m, p, c) for m, p, c in known if isinstance(p, float) and isinstance(c, float)]
        for small, p_small, c_small in known:
            if "sibling_compute" in small.accept:
                continue
            for big, p_big, c_big in known:
                if p_small < p_big and c_small > c_big * 1.05:
                    report.errors.append(
                        f"{bundle.locate('models', small.id)}: {small.id} has fewer parameters than "
                        f"its sibling {big.id} but more training compute ({c_small:.3g} > {c_big:.3g} "
                        "FLOP); check both")


def _check_mixtures(bundle: Bundle, report: Report) -> None:
    shares: dict[str, float] = {}
    for link in bundle.training_data:
        shares[link.model] = shares.get(link.model, 0.0) + (link.share or 0.0)
    for model in bundle.models.values():
        for link in model.datasets:
            shares[model.id] = shares.get(model.id, 0.0) + (link.share or 0.0)
    for model_id, total in shares.items():
        if total > 1.02:
            report.errors.append(f"training data of {model_id!r}: shares add up to {total:.3f} (> 1); "
                                 "shares are fractions of the mixture")

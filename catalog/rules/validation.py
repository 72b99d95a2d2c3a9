"""Cross-record checks: references, unique aliases, acyclic lineage, plausibility of the numbers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from catalog import rules
from catalog.rules import COMPUTE_TOLERANCE, TOKENS_PER_PARAM  # noqa: F401  (re-exported)
from catalog.vocab import alias_key  # noqa: F401  (re-exported)

if TYPE_CHECKING:
    from catalog.records.data import ModelRecord
    from catalog.records.loading import Bundle

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
        from catalog.query.evals import check_evals

        check_evals(bundle, known, report)
    return report


def _check_inherited(bundle: Bundle, report: Report) -> None:
    """A derivation that keeps the network keeps its facts: a child stating another value says why."""
    from catalog.rules.inheritance import effective_facts
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
    from catalog.query.names import sizes

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
    for cycle in rules.lineage_cycles(graph, sorted(graph)):
        report.errors.append(f"lineage cycle: {' -> '.join(cycle)}; a model cannot descend "
                             "from itself: remove one of these parents")


def _value(model: ModelRecord, name: str) -> object:
    fact = getattr(model, name)
    return None if fact is None else fact.value


def fact_values(model: ModelRecord) -> dict[str, object]:
    """A model's facts as the rules read them: name -> converted value (None when unpublished)."""
    return {name: fact.value for name, fact in model.facts().items()}


def _check_model(bundle: Bundle, model: ModelRecord, known: Known, report: Report, today: dt.date) -> None:
    where = bundle.locate("models", model.id)
    problems = rules.model_problems(fact_values(model), [p.relation for p in model.parents], model.accept, today)
    report.errors.extend(f"{where}: {problem}" for problem in problems)
    _check_parent_dates(bundle, model, known, where, report)


def _check_parent_dates(bundle: Bundle, model: ModelRecord, known: Known, where: str, report: Report) -> None:
    released = _value(model, "released")
    if not isinstance(released, dt.date):
        return
    for parent in model.parents:
        other = bundle.models.get(parent.model)
        parent_date = _value(other, "released") if other else known.released.get(parent.model)
        if not isinstance(parent_date, dt.date):
            continue
        if rules.released_before(released, model.released_precision, parent_date,
                                 other.released_precision if other else None):
            report.errors.append(f"{where}: released {released} before its parent {parent.model!r} "
                                 f"({parent_date}); check both dates")


def _check_siblings(bundle: Bundle, report: Report) -> None:
    by_family: dict[str, list[rules.Sibling]] = {}
    for model in bundle.models.values():
        params, compute = _value(model, "params"), _value(model, "train_compute")
        if model.family and not model.parents and isinstance(params, float) and isinstance(compute, float):
            by_family.setdefault(model.family, []).append(
                (model.id, params, compute, "sibling_compute" in model.accept))
    for members in by_family.values():
        for model_id, problem in rules.sibling_problems(members):
            report.errors.append(f"{bundle.locate('models', model_id)}: {problem}")


def _check_mixtures(bundle: Bundle, report: Report) -> None:
    shares: dict[str, float] = {}
    for link in bundle.training_data:
        shares[link.model] = shares.get(link.model, 0.0) + (link.share or 0.0)
    for model in bundle.models.values():
        for own in model.datasets:
            shares[model.id] = shares.get(model.id, 0.0) + (own.share or 0.0)
    for model_id, total in shares.items():
        if problem := rules.shares_problem(total):
            report.errors.append(f"training data of {model_id!r}: {problem}")

"""A model's pre-training data by kind of source, computed from its sourced mixture links.

The survey "A Survey of Large Language Models" (Zhao et al., arXiv 2303.18223, section Data
Collection) shows, per model, the share of its pre-training data by kind of source. llmzoo never
stores such percentages: it adds up the shares of a model's training-data links (each sourced to
the paper's mixture table) by the category of each dataset's `kind` (`MIX_CATEGORIES` in
catalog.vocab). A mixture whose links give no share, or only some shares, is incomplete: its
known part is shown and the rest is "not recorded".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select

from catalog.errors import CatalogError
from catalog.query.models import Filters, resolve_model, select_models
from catalog.store.db import reading
from catalog.store.schema import Dataset, Family, Model, ModelDataset, Source
from catalog.vocab import KIND_CATEGORY, MIX_CATEGORIES

#: Published shares within this distance of 100% are rounding; the bar is scaled to 100%.
ROUNDING = 0.02
NOT_RECORDED = "not recorded"


@dataclass
class MixDataset:
    """One dataset of a model's mixture, as its link states it."""

    id: str
    name: str
    kind: str
    share: float | None
    source_url: str | None
    note: str | None = None


@dataclass
class MixCategory:
    """One category of a model's mixture: its share and the datasets behind it."""

    name: str
    share: float
    datasets: list[MixDataset] = field(default_factory=list)


@dataclass
class Mixture:
    """A model's pre-training data by category. `total` is the sum of the published shares."""

    model_id: str
    model_name: str
    params: float | None
    total: float
    categories: list[MixCategory]
    unshared: list[MixDataset]
    family: str | None = None
    sizes: list[float] = field(default_factory=list)

    def key(self) -> tuple[Any, ...]:
        """What makes two mixtures the same: the datasets and their shares."""
        return (tuple(sorted((d.id, d.share) for c in self.categories for d in c.datasets)),
                tuple(sorted(d.id for d in self.unshared)))

    @property
    def complete(self) -> bool:
        """Every link has a share and they add up to 100% within rounding."""
        return not self.unshared and abs(self.total - 1.0) <= ROUNDING

    def as_dict(self) -> dict[str, Any]:
        """JSON form: one entry per category with its name and share, and its datasets."""
        def ds(d: MixDataset) -> dict[str, Any]:
            return {"id": d.id, "name": d.name, "kind": d.kind, "share": d.share, "source": d.source_url}
        return {"model": self.model_id, "name": self.model_name, "published_total": round(self.total, 6),
                "complete": self.complete,
                "categories": [{"name": c.name, "share": round(c.share, 6), "datasets": [ds(d) for d in c.datasets]}
                               for c in self.categories],
                "without_share": [ds(d) for d in self.unshared]}


def category_of(kind: str) -> str:
    """The survey category of a dataset kind (see data/README.md)."""
    return KIND_CATEGORY.get(kind, "other")


def build_mixture(model_id: str, model_name: str, params: float | None,
                  links: Iterable[MixDataset], family: str | None = None) -> Mixture:
    """Group links by category, in the fixed category order; shares are as published."""
    by_category: dict[str, MixCategory] = {}
    unshared: list[MixDataset] = []
    total = 0.0
    for link in links:
        if link.share is None:
            unshared.append(link)
            continue
        total += link.share
        name = category_of(link.kind)
        by_category.setdefault(name, MixCategory(name, 0.0)).datasets.append(link)
        by_category[name].share += link.share
    ordered = [by_category[c] for c in MIX_CATEGORIES if c in by_category]
    return Mixture(model_id, model_name, params, total, ordered, unshared, family,
                   [params] if params is not None else [])


def _links(conn: Any, model_ids: Sequence[str]) -> dict[str, list[MixDataset]]:
    out: dict[str, list[MixDataset]] = {m: [] for m in model_ids}
    for start in range(0, len(model_ids), 500):
        chunk = list(model_ids[start:start + 500])
        stmt = (select(ModelDataset.model_id, Dataset.id, Dataset.name, Dataset.kind, ModelDataset.share,
                       Source.url, ModelDataset.note)
                .join(Dataset, Dataset.id == ModelDataset.dataset_id)
                .join(Source, Source.id == ModelDataset.source_id)
                .where(ModelDataset.model_id.in_(chunk))
                .order_by(ModelDataset.model_id, ModelDataset.share.desc(), Dataset.id))
        for model_id, *rest in conn.execute(stmt):
            out[model_id].append(MixDataset(*rest))
    return out


def model_mixture(engine: Engine, name: str) -> Mixture:
    """The mixture of one model (an id, name or alias); CatalogError if it has no training-data links."""
    with reading(engine) as conn:
        model_id = resolve_model(conn, name)
        row = conn.execute(select(Model.id, Model.name, Model.params).where(Model.id == model_id)).one()
        links = _links(conn, [model_id])[model_id]
    if not links:
        raise CatalogError(f"{row.name} ({model_id}) has no training-data links in the catalogue; "
                           "`llmzoo chart data-mix` lists the models that have a published mixture")
    return build_mixture(row.id, row.name, row.params, links)


def mixtures(engine: Engine, filters: Filters | None = None, merge_sizes: bool = True) -> list[Mixture]:
    """The mixtures of the matching models that publish shares (at least one share), in release order.

    With `merge_sizes`, sizes of one family trained on the same mixture (GPT-3 125M to 175B) are one
    entry named after the family, with every size in `sizes`.
    """
    filters = filters or Filters()
    with reading(engine) as conn:
        stmt = select_models(["id", "name", "params", "family"], filters)
        stmt = stmt.where(Model.id.in_(select(ModelDataset.model_id).where(ModelDataset.share.is_not(None))))
        rows = conn.execute(stmt.order_by(Model.released, Model.id)).all()
        links = _links(conn, [r.id for r in rows])
    found = [build_mixture(r.id, r.name, r.params, links[r.id], r.family) for r in rows]
    return merge_family_sizes(found, family_names(engine)) if merge_sizes else found


def family_names(engine: Engine) -> dict[str, str]:
    """{family id: display name}."""
    with reading(engine) as conn:
        return dict(conn.execute(select(Family.id, Family.name)).all())


def merge_family_sizes(found: Sequence[Mixture], names: dict[str, str]) -> list[Mixture]:
    """One entry per family and identical mixture; a lone model keeps its own name."""
    groups: dict[tuple[Any, ...], list[Mixture]] = {}
    for mix in found:
        groups.setdefault((mix.family or mix.model_id, mix.key()), []).append(mix)
    per_family = Counter(family for (family, _), members in groups.items() if len(members) > 1)
    out = []
    for (family, _), members in groups.items():
        first = members[0]
        if len(members) == 1:
            out.append(first)
            continue
        sizes = sorted(s for m in members for s in m.sizes)
        name = names.get(first.family or "", first.model_name)
        if per_family[family] > 1:  # two merged mixtures in one family (Code Llama, Code Llama - Python)
            name = _shared_name([m.model_name for m in members]) or first.model_name
        out.append(Mixture(first.model_id, name, None, first.total, first.categories, first.unshared,
                           first.family, sizes))
    return out


def _shared_name(names: Sequence[str]) -> str:
    """The words every name starts with ('Code Llama - Python' of 'Code Llama - Python 7B', '... 13B')."""
    words = [n.split() for n in names]
    shared = []
    for column in zip(*words, strict=False):
        if len(set(column)) > 1:
            break
        shared.append(column[0])
    return " ".join(shared).rstrip(" -–:,")


def mix_rows(mixtures_: Sequence[Mixture]) -> list[dict[str, Any]]:
    """Rows for the chart: one per model and category, shares scaled so each bar sums to 100%.

    A mixture that publishes less than 100% (some links without a share, or a partial table) keeps
    its shares as they are and shows the rest as "not recorded"; one within rounding of 100% is
    scaled to exactly 100% (the tooltip keeps the published figure).
    """
    rows = []
    for mix in mixtures_:
        scale = 1.0 / mix.total if abs(mix.total - 1.0) <= ROUNDING or mix.total > 1.0 else 1.0
        web = sum(c.share for c in mix.categories if c.name == "webpages") * scale
        label = mix.model_name
        for cat in mix.categories:
            rows.append({"model": label, "model_id": mix.model_id, "category": cat.name, "share": cat.share * scale,
                         "published": cat.share, "web": web,
                         "datasets": "; ".join(f"{d.name} {d.share:.1%}" for d in cat.datasets),
                         "sources": " ".join(sorted({d.source_url or "" for d in cat.datasets}))})
        rest = 1.0 - sum(c.share for c in mix.categories) * scale
        if rest > 0.005:
            rows.append({"model": label, "model_id": mix.model_id, "category": NOT_RECORDED, "share": rest,
                         "published": None, "web": web,
                         "datasets": "; ".join(d.name for d in mix.unshared) or "not given in the source",
                         "sources": ""})
    return rows

"""ORM classes over the catalogue's tables, for notebooks and scripts that want objects.

The commands read and write plain rows through the Core tables of `catalog.store.schema` (importing and
mapping the ORM costs more than a whole `llmzoo list`); this module maps classes onto those very
`Table` objects, so both views always agree on the schema::

    from sqlalchemy import select
    from sqlalchemy.orm import Session
    from catalog.store import orm
    from catalog.store.db import open_catalog

    with Session(open_catalog()) as session:
        for model in session.scalars(select(orm.Model).where(orm.Model.arch == "prefix-decoder")):
            print(model.name, model.organization.name, [p.parent.name for p in model.parents])

A fact's value is the column (`model.params`); its provenance, where it is not "reported by the
model's source", is in `model.facts` (`catalog.query.models.get_model` resolves both into one dict).
Writes should go through `catalog.store.userdata` (validation, one transaction), not through a Session.
"""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase, relationship

from catalog.store import schema


class Base(DeclarativeBase):
    """Declarative base sharing `catalog.store.schema.metadata` (no tables of its own)."""

    metadata = schema.metadata


class Source(Base):
    __table__ = schema.Source.__table__


class Organization(Base):
    __table__ = schema.Organization.__table__


class Family(Base):
    __table__ = schema.Family.__table__
    organization = relationship(Organization, viewonly=True)


class Dataset(Base):
    __table__ = schema.Dataset.__table__
    source = relationship(Source, viewonly=True)


class ModelFact(Base):
    __table__ = schema.ModelFact.__table__
    source = relationship(Source, viewonly=True)


class Alias(Base):
    __table__ = schema.Alias.__table__


class ModelDataset(Base):
    __table__ = schema.ModelDataset.__table__
    dataset = relationship(Dataset, viewonly=True)
    source = relationship(Source, viewonly=True)


class Lineage(Base):
    __table__ = schema.Lineage.__table__
    source = relationship(Source, viewonly=True)


class Model(Base):
    __table__ = schema.Model.__table__
    organization = relationship(Organization, viewonly=True)
    family = relationship(Family, viewonly=True)
    source = relationship(Source, viewonly=True)
    facts = relationship(ModelFact, viewonly=True, order_by=schema.ModelFact.field)
    aliases = relationship(Alias, viewonly=True, order_by=schema.Alias.alias)
    datasets = relationship(ModelDataset, viewonly=True, order_by=schema.ModelDataset.dataset_id)
    parents = relationship(Lineage, viewonly=True, foreign_keys=[schema.Lineage.child_id],
                           order_by=schema.Lineage.parent_id)
    children = relationship(Lineage, viewonly=True, foreign_keys=[schema.Lineage.parent_id],
                            order_by=schema.Lineage.child_id)


Lineage.parent = relationship(Model, viewonly=True, foreign_keys=[schema.Lineage.parent_id])
Lineage.child = relationship(Model, viewonly=True, foreign_keys=[schema.Lineage.child_id])

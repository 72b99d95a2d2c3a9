"""SQLAlchemy 2 tables of the catalogue. Alembic migrations must match this metadata exactly.

Every table has an `origin` column: `curated` rows come from data/ and are replaced when the
packaged data changes; `user` rows are added by users and are never touched by a refresh.
Provenance: a model's facts default to (its `source_id`, reported); any fact with another source,
status, method, confidence or a note has a row in `model_facts` (likewise `dataset_facts`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

_T = TypeVar("_T")

if TYPE_CHECKING:
    import sqlalchemy

    class Column(sqlalchemy.Column[_T]):
        """For the type checker only: SQLAlchemy 2.1 types a Column read from a class as Never (it
        expects columns on declarative or TypedColumns classes); `Rows` classes read them that way."""

        def __get__(self, instance: object, owner: Any) -> Self: ...  # type: ignore[override]  # see above
else:
    from sqlalchemy import Column

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# The Alembic revision this code expects; a test checks it is the head of migrations/.
SCHEMA_REVISION = "0008"
# Every revision this code can upgrade from, oldest first.
KNOWN_REVISIONS = ("0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008")


metadata = MetaData(naming_convention=NAMING)


class Rows:
    """A table written as a class: `Model.arch` is the column, `select(Model)`/`insert(Model)` the table.

    SQLAlchemy Core tables, not ORM mappings: the commands read and write plain rows (tuples), and
    building a declarative mapping of ~100 columns and importing `sqlalchemy.orm` cost more than a
    whole `llmzoo list` (benchmarks/RESULTS.md). Rows come back as `Row` tuples whose fields
    are also attributes (`row.name`).
    """

    __tablename__: ClassVar[str]
    __table__: ClassVar[Table]
    __table_args__: ClassVar[tuple[Any, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        columns = []
        for key, value in list(vars(cls).items()):
            if isinstance(value, Column):
                value.name = value.key = key
                columns.append(value)
        cls.__table__ = Table(cls.__tablename__, metadata, *columns, *cls.__table_args__)

    @classmethod
    def __clause_element__(cls) -> Table:
        return cls.__table__


def deferrable_fk(target: str, ondelete: str | None = None) -> ForeignKey:
    """Deferrable foreign keys, so a refresh can replace curated rows inside one transaction."""
    return ForeignKey(target, deferrable=True, initially="IMMEDIATE", ondelete=ondelete)


class Source(Rows):
    __tablename__ = "sources"
    id = Column(String(200), primary_key=True)
    url = Column(Text, nullable=False)
    title = Column(Text, nullable=False)
    kind = Column(String(20), nullable=False)
    published = Column(String(10))
    origin = Column(String(10), default="curated", nullable=False)


class Organization(Rows):
    __tablename__ = "organizations"
    id = Column(String(200), primary_key=True)
    name = Column(Text, nullable=False)
    country = Column(String(2))
    kind = Column(String(20), nullable=False)
    origin = Column(String(10), default="curated", nullable=False)
    aliases = Column(JSON)  # other names `--org` matches (revision 0006); a list, or null for none


class Family(Rows):
    __tablename__ = "families"
    id = Column(String(200), primary_key=True)
    name = Column(Text, nullable=False)
    org_id: Column[str] = Column(deferrable_fk("organizations.id"), index=True, nullable=False)
    note = Column(Text)
    origin = Column(String(10), default="curated", nullable=False)


class Model(Rows):
    __tablename__ = "models"
    id = Column(String(200), primary_key=True)
    name = Column(Text, nullable=False)
    family_id: Column[str] = Column(deferrable_fk("families.id"), index=True)
    org_id: Column[str] = Column(deferrable_fk("organizations.id"), index=True, nullable=False)
    source_id: Column[str] = Column(deferrable_fk("sources.id"), index=True, nullable=False)
    note = Column(Text)
    origin = Column(String(10), default="curated", index=True, nullable=False)

    released = Column(Date, index=True)
    released_precision = Column(String(5))
    arch = Column(String(20), index=True)
    moe = Column(Boolean)
    params = Column(Float, index=True)
    active_params = Column(Float)
    experts = Column(Integer)
    experts_active = Column(Integer)
    train_tokens = Column(Float, index=True)
    train_compute = Column(Float)
    pretrain_tokens = Column(Float)
    pretrain_compute = Column(Float)
    context_length = Column(BigInteger)
    context_length_extended = Column(BigInteger)
    context_extension = Column(Text)
    context_window = Column(BigInteger)
    max_output_tokens = Column(BigInteger)
    layers = Column(Integer)
    d_model = Column(Integer)
    heads = Column(Integer)
    kv_heads = Column(Integer)
    attention = Column(String(10))
    position_encoding = Column(String(20))
    vocab_size = Column(Integer)
    modality = Column(String(100))
    open_weights = Column(Boolean, index=True)
    license = Column(Text)
    hardware = Column(Text)
    hardware_count = Column(Integer)
    training_days = Column(Float)
    accelerator_hours = Column(Float)
    mfu = Column(Float)
    knowledge_cutoff = Column(Date)
    knowledge_cutoff_precision = Column(String(5))
    training_languages = Column(Text)
    adaptation = Column(String(200))
    adaptation_data = Column(Text)
    accept = Column(JSON)

    __table_args__ = (Index("ix_models_arch_released", "arch", "released"),)


class ModelFact(Rows):
    """Provenance of one model fact that is not (the model's source, reported, no note)."""

    __tablename__ = "model_facts"
    model_id: Column[str] = Column(deferrable_fk("models.id", ondelete="CASCADE"), primary_key=True)
    field = Column(String(40), primary_key=True)
    source_id: Column[str] = Column(deferrable_fk("sources.id"), index=True, nullable=False)
    status = Column(String(12), index=True, nullable=False)
    method = Column(Text)
    confidence = Column(String(12))
    note = Column(Text)


class ComputedFact(Rows):
    """Provenance of a fact llmzoo computed into the model's column: inherited from a parent (status
    `inherited`, `inherited_from` the model that states it) or derived by a rule (`rule`). Cleared
    and computed again after every write (catalog.rules.inheritance), never read back as stated."""

    __tablename__ = "computed_facts"
    model_id: Column[str] = Column(deferrable_fk("models.id", ondelete="CASCADE"), primary_key=True)
    field = Column(String(40), primary_key=True)
    source_id: Column[str] = Column(deferrable_fk("sources.id"), index=True, nullable=False)
    status = Column(String(12), nullable=False)
    method = Column(Text)
    confidence = Column(String(12))
    note = Column(Text)
    inherited_from = Column(String(200))
    rule = Column(String(20), nullable=False)


class FactHistory(Rows):
    """One change of a stated model fact: the fact before and after (value and provenance, JSON; null
    where absent), when (UTC, ISO 8601) and by what (edit, revert). Kept when the model is removed."""

    __tablename__ = "fact_history"
    id = Column(Integer, primary_key=True, autoincrement=True)
    model_id = Column(String(200), nullable=False)
    field = Column(String(40), nullable=False)
    old = Column(JSON)
    new = Column(JSON)
    changed_at = Column(String(32), nullable=False)
    changed_by = Column(String(40), nullable=False)

    __table_args__ = (Index("ix_fact_history_model_id_field", "model_id", "field"),)


class Alias(Rows):
    """Lookup keys: a model's id, name and aliases, normalised by `alias_key`."""

    __tablename__ = "aliases"
    key = Column(String(300), primary_key=True)
    model_id: Column[str] = Column(deferrable_fk("models.id", ondelete="CASCADE"), index=True, nullable=False)
    alias = Column(Text, nullable=False)
    is_name = Column(Boolean, default=False, nullable=False)


class Dataset(Rows):
    __tablename__ = "datasets"
    id = Column(String(200), primary_key=True)
    name = Column(Text, nullable=False)
    kind = Column(String(20), nullable=False)
    source_id: Column[str] = Column(deferrable_fk("sources.id"), index=True, nullable=False)
    languages = Column(JSON)
    note = Column(Text)
    tokens = Column(Float)
    bytes = Column(Float)
    documents = Column(Float)
    origin = Column(String(10), default="curated", nullable=False)


class DatasetFact(Rows):
    """Provenance of one dataset size fact that is not (the dataset's source, reported, no note)."""

    __tablename__ = "dataset_facts"
    dataset_id: Column[str] = Column(deferrable_fk("datasets.id", ondelete="CASCADE"), primary_key=True)
    field = Column(String(40), primary_key=True)
    source_id: Column[str] = Column(deferrable_fk("sources.id"), index=True, nullable=False)
    status = Column(String(12), nullable=False)
    method = Column(Text)
    confidence = Column(String(12))
    note = Column(Text)


class ModelDataset(Rows):
    """A dataset in a model's training mixture."""

    __tablename__ = "model_datasets"
    model_id: Column[str] = Column(deferrable_fk("models.id", ondelete="CASCADE"), primary_key=True)
    dataset_id: Column[str] = Column(deferrable_fk("datasets.id"), primary_key=True, index=True)
    share = Column(Float)
    epochs = Column(Float)
    tokens = Column(Float)
    source_id: Column[str] = Column(deferrable_fk("sources.id"), index=True, nullable=False)
    note = Column(Text)
    origin = Column(String(10), default="curated", nullable=False)


class Lineage(Rows):
    """child was derived from parent by relation."""

    __tablename__ = "lineage"
    child_id: Column[str] = Column(deferrable_fk("models.id", ondelete="CASCADE"), primary_key=True)
    parent_id: Column[str] = Column(deferrable_fk("models.id"), primary_key=True, index=True)
    relation = Column(String(20), nullable=False)
    source_id: Column[str] = Column(deferrable_fk("sources.id"), index=True, nullable=False)
    note = Column(Text)
    origin = Column(String(10), default="curated", nullable=False)


class Meta(Rows):
    """Key-value facts about the catalogue itself (data fingerprint, llmzoo version)."""

    __tablename__ = "catalog_meta"
    key = Column(String(50), primary_key=True)
    value = Column(Text, nullable=False)


from catalog.store.evalschema import Benchmark, Evaluation  # noqa: E402,F401  (benchmarks and evaluations, revision 0005)

"""Tables of benchmarks and evaluation results (revision 0005), on the catalogue's metadata.

`evaluations` holds every published score side by side: one row per (model, benchmark, subset,
setting, metric, source, locator); nothing is averaged. Its model reference has no ON DELETE
CASCADE: the curated refresh deletes and re-inserts curated models, and a user's results on a
curated model must survive that (the foreign keys are deferred to the commit).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Float, Integer, String, Text

from catalog.store.schema import Column, Rows, deferrable_fk


class Benchmark(Rows):
    __tablename__ = "benchmarks"
    id = Column(String(200), primary_key=True)
    name = Column(Text, nullable=False)
    task_kind = Column(String(40), nullable=False)
    metric = Column(String(40), nullable=False)
    chance = Column(Float)
    standard_shots = Column(Integer)
    standard_cot = Column(Boolean)
    part_of = Column(String(200))
    aliases = Column(Text)
    source_id: Column[str] = Column(deferrable_fk("sources.id"), index=True, nullable=False)
    note = Column(Text)
    origin = Column(String(10), default="curated", nullable=False)


class Evaluation(Rows):
    __tablename__ = "evaluations"
    id = Column(Integer, primary_key=True, autoincrement=True)
    model_id: Column[str] = Column(deferrable_fk("models.id"), index=True, nullable=False)
    benchmark_id: Column[str] = Column(deferrable_fk("benchmarks.id"), index=True, nullable=False)
    subset = Column(Text)
    shots = Column(Integer)
    cot = Column(Boolean, nullable=False)
    prompt = Column(Text)
    decoding = Column(Text)
    metric = Column(String(40), nullable=False)
    score = Column(Float, nullable=False)
    evaluated_by = Column(String(12), nullable=False)
    evaluator = Column(Text)
    source_id: Column[str] = Column(deferrable_fk("sources.id"), index=True, nullable=False)
    locator = Column(Text, nullable=False)
    note = Column(Text)
    origin = Column(String(10), default="curated", index=True, nullable=False)

"""Facts a derived model takes from its parent, and the context window derived from the lengths.

One rule (`resolve`) over plain mappings, used by `validate` on the data files and by every write
to the database (`rederive`). A fine-tune (or another derivation that keeps the network, see
`KEEPING_RELATIONS`) shows its base's layers, widths and vocabulary with the base's source and
status `inherited`; its own stated value always wins. Computed facts live in the model's columns
(so filters, sorts and frames see them) with their provenance in `computed_facts`, and are
cleared and computed again after every write: nothing computed is ever read back as stated.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from catalog.schema import ComputedFact, Lineage, Model, ModelFact
from catalog.vocab import INHERITABLE_FACTS, KEEPING_RELATIONS, MODEL_FACTS, PRETRAIN_FACTS

Facts = dict[str, dict[str, Any]]  # {field: {value, source, status, method, confidence, note}}
# The lengths a context window is derived from where none is stated, best first.
WINDOW_FROM = ("context_length_extended", "context_length")
DERIVES_WINDOW = "context_window" in MODEL_FACTS
# Every fact the rule reads or writes.
FIELDS = tuple(dict.fromkeys([*INHERITABLE_FACTS, *PRETRAIN_FACTS, *PRETRAIN_FACTS.values(), *WINDOW_FROM,
                              *(["context_window"] if DERIVES_WINDOW else [])]))


def resolve(stated: Mapping[str, Facts], parents: Mapping[str, Sequence[tuple[str, str]]],
            targets: Iterable[str]) -> dict[str, Facts]:
    """{model: {field: fact}} of the facts computed for `targets` (those not stated).

    `stated` holds every model's own facts (targets and their ancestors); `parents` the
    (parent, relation) pairs of each model. A computed fact has `status` inherited (with
    `inherited_from`, the model that states it) or derived (the context window), and `rule`.
    """
    memo: dict[str, Facts] = {}
    out: dict[str, Facts] = {}
    for model in targets:
        effective = _effective(model, stated, parents, memo)
        computed = {f: fact for f, fact in effective.items() if fact.get("rule")}
        if computed:
            out[model] = computed
    return out


def effective_facts(stated: Mapping[str, Facts], parents: Mapping[str, Sequence[tuple[str, str]]],
                    model: str, memo: dict[str, Facts] | None = None) -> Facts:
    """A model's own facts with the computed ones added."""
    return _effective(model, stated, parents, {} if memo is None else memo)


def _keeping(parents: Mapping[str, Sequence[tuple[str, str]]], model: str) -> list[str]:
    return sorted({p for p, relation in parents.get(model, ()) if relation in KEEPING_RELATIONS})


def _effective(model: str, stated: Mapping[str, Facts], parents: Mapping[str, Sequence[tuple[str, str]]],
               memo: dict[str, Facts]) -> Facts:
    """Parents first, without recursion (chains may be long); a cycle is cut where it closes."""
    stack, visiting = [model], {model}
    while stack:
        current = stack[-1]
        pending = [p for p in _keeping(parents, current) if p not in memo and p not in visiting]
        if pending:
            stack.extend(pending)
            visiting.update(pending)
            continue
        stack.pop()
        if current not in memo:
            memo[current] = _combine(current, stated, parents, memo)
    return memo[model]


def _from_parent(fact: dict[str, Any], parent: str) -> dict[str, Any]:
    return {"value": fact["value"], "source": fact["source"], "status": "inherited", "method": fact.get("method"),
            "confidence": fact.get("confidence"), "note": fact.get("note"),
            "inherited_from": fact.get("inherited_from") or parent, "rule": "inherited"}


def _agreed(candidates: list[tuple[dict[str, Any], str]]) -> dict[str, Any] | None:
    """The parents' fact if every parent that has it gives the same value (else nothing)."""
    if not candidates or len({repr(fact["value"]) for fact, _ in candidates}) > 1:
        return None
    fact, parent = candidates[0]
    return _from_parent(fact, parent)


def _combine(model: str, stated: Mapping[str, Facts], parents: Mapping[str, Sequence[tuple[str, str]]],
             memo: dict[str, Facts]) -> Facts:
    own = stated.get(model, {})
    facts = dict(own)
    keeping = [p for p in _keeping(parents, model) if p in memo]
    for name in INHERITABLE_FACTS:
        if name not in own:
            found = _agreed([(memo[p][name], p) for p in keeping if _passes(memo[p].get(name))])
            if found:
                facts[name] = found
    for pretrain_name, stage in PRETRAIN_FACTS.items():
        if pretrain_name not in own:
            candidates = []
            for p in keeping:
                if _passes(memo[p].get(pretrain_name)):
                    candidates.append((memo[p][pretrain_name], p))
                elif not _keeping(parents, p) and _passes(stated.get(p, {}).get(stage)):
                    candidates.append((stated[p][stage], p))  # the base's own stage is its pre-training
            found = _agreed(candidates)
            if found:
                facts[pretrain_name] = found
    if DERIVES_WINDOW and "context_window" not in facts:
        for length in WINDOW_FROM:
            fact = facts.get(length)
            if fact is not None and fact.get("value") is not None:
                facts["context_window"] = {"value": fact["value"], "source": fact["source"], "status": "derived",
                                           "method": length, "confidence": None, "note": None,
                                           "inherited_from": None, "rule": "context_window"}
                break
    return facts


def _passes(fact: dict[str, Any] | None) -> bool:
    """A parent's fact a child takes: known (not unpublished) and not derived by a rule of its own."""
    return fact is not None and fact.get("value") is not None and fact.get("rule") != "context_window"


# --- the database -------------------------------------------------------------------------------

def _chunks(ids: Sequence[str], size: int = 500) -> list[list[str]]:
    return [list(ids[start:start + size]) for start in range(0, len(ids), size)]


def _closure(conn: Connection, ids: list[str], down: bool) -> set[str]:
    """These models with their descendants (down) or ancestors (up) over keeping relations."""
    found = set(ids)
    near, far = (Lineage.parent_id, Lineage.child_id) if down else (Lineage.child_id, Lineage.parent_id)
    for chunk in _chunks(ids):
        tree = select(Model.id.label("id")).where(Model.id.in_(chunk)).cte("tree", recursive=True)
        tree = tree.union(select(far).join(tree, near == tree.c.id).where(Lineage.relation.in_(KEEPING_RELATIONS)))
        found.update(conn.execute(select(tree.c.id)).scalars())
    return found


def _stated(conn: Connection, ids: list[str] | None) -> tuple[dict[str, Facts], dict[str, list[tuple[str, str]]]]:
    """The stated FIELDS of these models (None: of every model), and their keeping parents."""
    columns = [getattr(Model, name) for name in FIELDS]
    model_stmt = select(Model.id, Model.source_id, *columns)
    fact_stmt = select(ModelFact.model_id, ModelFact.field, ModelFact.source_id, ModelFact.status, ModelFact.method,
                       ModelFact.confidence, ModelFact.note).where(ModelFact.field.in_(FIELDS))
    edge_stmt = select(Lineage.child_id, Lineage.parent_id, Lineage.relation).where(
        Lineage.relation.in_(KEEPING_RELATIONS))
    computed_stmt = select(ComputedFact.model_id, ComputedFact.field)
    if ids is None:
        rows, facts, edges, computed = (conn.execute(s).all() for s in (model_stmt, fact_stmt, edge_stmt,
                                                                        computed_stmt))
    else:
        rows, facts, edges, computed = [], [], [], []
        for chunk in _chunks(ids):
            rows += conn.execute(model_stmt.where(Model.id.in_(chunk))).all()
            facts += conn.execute(fact_stmt.where(ModelFact.model_id.in_(chunk))).all()
            edges += conn.execute(edge_stmt.where(Lineage.child_id.in_(chunk))).all()
            computed += conn.execute(computed_stmt.where(ComputedFact.model_id.in_(chunk))).all()
    skip = set(map(tuple, computed))  # an ancestor's computed values are computed again, not read as stated
    provenance = {(m, f): {"source": s, "status": st, "method": me, "confidence": c, "note": n}
                  for m, f, s, st, me, c, n in facts}
    stated: dict[str, Facts] = {}
    for row in rows:
        model_id, source = row[0], row[1]
        own: Facts = {}
        for name, value in zip(FIELDS, row[2:], strict=True):
            if (model_id, name) in skip:
                continue
            prov = provenance.get((model_id, name))
            if value is not None or prov is not None:
                own[name] = {"value": value, **(prov or {"source": source, "status": "reported", "method": None,
                                                         "confidence": None, "note": None})}
        stated[model_id] = own
    parents: dict[str, list[tuple[str, str]]] = {}
    for child, parent, relation in edges:
        parents.setdefault(child, []).append((parent, relation))
    return stated, parents


def _clear(conn: Connection, targets: list[str] | None) -> None:
    """Empty the computed facts of these models (None: of every model) and their columns."""
    stmt = select(ComputedFact.model_id, ComputedFact.field)
    rows = conn.execute(stmt).all() if targets is None else [
        r for chunk in _chunks(targets) for r in conn.execute(stmt.where(ComputedFact.model_id.in_(chunk))).all()]
    by_field: dict[str, list[str]] = {}
    for model_id, name in rows:
        by_field.setdefault(name, []).append(model_id)
    for name, ids in by_field.items():
        if name in MODEL_FACTS:
            for chunk in _chunks(ids):
                conn.execute(update(Model).where(Model.id.in_(chunk)).values({name: None}))
    if targets is None:
        conn.execute(delete(ComputedFact))
    else:
        for chunk in _chunks(targets):
            conn.execute(delete(ComputedFact).where(ComputedFact.model_id.in_(chunk)))


def rederive(conn: Connection, model_ids: Iterable[str] | None = None) -> int:
    """Compute again the inherited and derived facts of these models and their descendants (None:
    of the whole catalogue), inside the caller's transaction; returns how many facts were computed."""
    if model_ids is not None:
        ids = sorted(set(model_ids))
        if not ids:
            return 0
        targets: list[str] | None = sorted(_closure(conn, ids, down=True))
    else:
        targets = None
    _clear(conn, targets)
    if targets is None:
        stated, parents = _stated(conn, None)
        wanted: Iterable[str] = list(stated)
    else:
        stated, parents = _stated(conn, sorted(_closure(conn, targets, down=False)))
        wanted = [t for t in targets if t in stated]
    computed = resolve(stated, parents, wanted)
    by_field: dict[str, list[dict[str, Any]]] = {}
    rows = []
    for model_id, facts in computed.items():
        for name, fact in facts.items():
            by_field.setdefault(name, []).append({"b_id": model_id, "b_value": fact["value"]})
            rows.append({"model_id": model_id, "field": name, **{k: fact[k] for k in (
                "source", "status", "method", "confidence", "note", "inherited_from", "rule")}})
    for row in rows:
        row["source_id"] = row.pop("source")
    if conn.dialect.name == "postgresql":
        _store_by_copy(conn, by_field, rows)
        return len(rows)
    for name, values in by_field.items():
        conn.execute(update(Model).where(Model.id == bindparam("b_id")).values({name: bindparam("b_value")}), values)
    for start in range(0, len(rows), 5000):
        conn.execute(insert(ComputedFact), rows[start:start + 5000])
    return len(rows)


def _store_by_copy(conn: Connection, by_field: dict[str, list[dict[str, Any]]], rows: list[dict[str, Any]]) -> None:
    """PostgreSQL: the computed values COPYed into a temporary table, then one UPDATE ... FROM per
    field (an executemany of UPDATEs is a round trip per row there), and the provenance rows COPYed."""
    from catalog.store import copy_rows

    cursor = cast(Any, conn.connection.driver_connection).cursor()
    quote = conn.dialect.identifier_preparer.quote
    for name, values in by_field.items():
        column = quote(Model.__table__.columns[name].name)
        cursor.execute(f"CREATE TEMPORARY TABLE llmzoo_derived ON COMMIT DROP AS SELECT id, {column} AS value "
                       "FROM models WHERE false")
        with cursor.copy("COPY llmzoo_derived (id, value) FROM STDIN") as copy:
            for item in values:
                copy.write_row((item["b_id"], item["b_value"]))
        cursor.execute(f"UPDATE models SET {column} = d.value FROM llmzoo_derived d WHERE models.id = d.id")
        cursor.execute("DROP TABLE llmzoo_derived")
    cursor.close()
    copy_rows(conn, {ComputedFact: rows})


def computed_provenance(conn: Connection, model_ids: Sequence[str],
                        fields: Sequence[str] | None = None) -> dict[tuple[str, str], dict[str, Any]]:
    """{(model, field): {source, status, method, confidence, note, inherited_from, rule}} of computed facts."""
    stmt = select(ComputedFact.model_id, ComputedFact.field, ComputedFact.source_id, ComputedFact.status,
                  ComputedFact.method, ComputedFact.confidence, ComputedFact.note, ComputedFact.inherited_from,
                  ComputedFact.rule)
    if fields is not None:
        stmt = stmt.where(ComputedFact.field.in_(list(fields)))
    out = {}
    for chunk in _chunks(list(model_ids)):
        for m, f, s, st, me, c, n, i, r in conn.execute(stmt.where(ComputedFact.model_id.in_(chunk))):
            out[(m, f)] = {"source": s, "status": st, "method": me, "confidence": c, "note": n,
                           "inherited_from": i, "rule": r}
    return out

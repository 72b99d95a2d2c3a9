"""Facts a derived model takes from its parent, and the context window derived from the lengths.

One rule (`resolve`) over plain mappings, used by `validate` on the data files and by every write
to the database (`rederive`). A fine-tune (or another derivation that keeps the network, see
`KEEPING_RELATIONS`) shows its base's layers, widths and vocabulary with the base's source and
status `inherited`; its own stated value always wins. Computed facts live in the model's columns
(so filters, sorts and frames see them) with their provenance in `computed_facts`, and are
cleared and computed again after every write: nothing computed is ever read back as stated.
"""

from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Connection, and_, bindparam, delete, literal_column, select, update

from catalog.store.schema import ComputedFact, Lineage, Model, ModelFact
from catalog.vocab import INHERITABLE_FACTS, KEEPING_RELATIONS, MODEL_FACTS, PRETRAIN_FACTS

Facts = dict[str, dict[str, Any]]  # {field: {value, source, status, method, confidence, note}}
# The lengths a context window is derived from where none is stated, best first.
WINDOW_FROM = ("context_length_extended", "context_length")
DERIVES_WINDOW = "context_window" in MODEL_FACTS
# Every fact the rule reads or writes.
FIELDS = tuple(dict.fromkeys([*INHERITABLE_FACTS, *PRETRAIN_FACTS, *PRETRAIN_FACTS.values(), *WINDOW_FROM,
                              *(["context_window"] if DERIVES_WINDOW else [])]))
_FIELD_SET = frozenset(FIELDS)


def resolve(stated: Mapping[str, Facts], parents: Mapping[str, Sequence[tuple[str, str]]],
            targets: Iterable[str], known: Mapping[str, Facts] | None = None) -> dict[str, Facts]:
    """{model: {field: fact}} of the facts computed for `targets` (those not stated).

    `stated` holds every model's own facts (targets and their ancestors); `parents` the
    (parent, relation) pairs of each model. A computed fact has `status` inherited (with
    `inherited_from`, the model that states it) or derived (the context window), and `rule`.
    `known` may give the effective facts (own and computed) of ancestors already worked out: their
    own ancestors are then not needed (`stated` and `parents` still hold them, for their own stage).
    """
    memo: dict[str, Facts] = dict(known or {})
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
    links = parents.get(model)
    return sorted({p for p, relation in links if relation in KEEPING_RELATIONS}) if links else []


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
    keeping = [p for p in _keeping(parents, model) if p in memo] if model in parents else []
    for name in INHERITABLE_FACTS if keeping else ():  # without a parent that keeps, nothing is inherited
        if name not in own:
            found = _agreed([(memo[p][name], p) for p in keeping if _passes(memo[p].get(name))])
            if found:
                facts[name] = found
    for pretrain_name, stage in PRETRAIN_FACTS.items() if keeping else ():
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


def _read(conn: Connection, ids: list[str] | None, within: Any = None) -> tuple[Any, ...]:
    """The stored rows the rule reads of these models (None: of every model, or with `within`, of the
    models that condition on the models table selects): (id, source, FIELDS...) of each model, the
    provenance of their FIELDS, their keeping edges and their computed facts (with provenance)."""
    columns = [getattr(Model, name) for name in FIELDS]
    model_stmt = select(Model.id, Model.source_id, *columns)
    fact_stmt = select(ModelFact.model_id, ModelFact.field, ModelFact.source_id, ModelFact.status, ModelFact.method,
                       ModelFact.confidence, ModelFact.note).where(ModelFact.field.in_(FIELDS))
    edge_stmt = select(Lineage.child_id, Lineage.parent_id, Lineage.relation).where(
        Lineage.relation.in_(KEEPING_RELATIONS))
    computed_stmt = select(ComputedFact.model_id, ComputedFact.field, ComputedFact.source_id, ComputedFact.status,
                           ComputedFact.method, ComputedFact.confidence, ComputedFact.note,
                           ComputedFact.inherited_from, ComputedFact.rule)
    if ids is None and within is not None:
        chosen = select(Model.id).where(within)
        return tuple(conn.execute(s).all() for s in (
            model_stmt.where(within), fact_stmt.where(ModelFact.model_id.in_(chosen)),
            edge_stmt.where(Lineage.child_id.in_(chosen)), computed_stmt.where(ComputedFact.model_id.in_(chosen))))
    if ids is None:
        return tuple(conn.execute(s).all() for s in (model_stmt, fact_stmt, edge_stmt, computed_stmt))
    rows: list[Any] = []
    facts: list[Any] = []
    edges: list[Any] = []
    computed: list[Any] = []
    for chunk in _chunks(ids):
        rows += conn.execute(model_stmt.where(Model.id.in_(chunk))).all()
        facts += conn.execute(fact_stmt.where(ModelFact.model_id.in_(chunk))).all()
        edges += conn.execute(edge_stmt.where(Lineage.child_id.in_(chunk))).all()
        computed += conn.execute(computed_stmt.where(ComputedFact.model_id.in_(chunk))).all()
    return rows, facts, edges, computed


def _by_model(facts: Iterable[Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """{model: {field: provenance}} of provenance rows (model, field, source, status, method, confidence, note)."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for m, f, s, st, me, c, n in facts:
        out.setdefault(m, {})[f] = {"source": s, "status": st, "method": me, "confidence": c, "note": n}
    return out


def _own_facts(rows: Sequence[Any], facts: Iterable[Any], computed: Iterable[Any]) -> dict[str, Facts]:
    """Each model's stated facts: its columns and provenance, its computed facts left out (an
    ancestor's computed values are computed again, not read as stated)."""
    provenance = _by_model(facts)
    skip: dict[str, set[str]] = {}
    for row in computed:
        skip.setdefault(row[0], set()).add(row[1])
    return {row[0]: _own(row[1], row[2:], provenance.get(row[0]), skip.get(row[0])) for row in rows}


def _edges(edges: Iterable[Any]) -> dict[str, list[tuple[str, str]]]:
    parents: dict[str, list[tuple[str, str]]] = {}
    for child, parent, relation in edges:
        parents.setdefault(child, []).append((parent, relation))
    return parents


def _stated(conn: Connection, ids: list[str] | None,
            within: Any = None) -> tuple[dict[str, Facts], dict[str, list[tuple[str, str]]]]:
    """The stated FIELDS of these models (None: of every model, or with `within`, of the models that
    condition on the models table selects), and their keeping parents."""
    rows, facts, edges, computed = _read(conn, ids, within)
    return _own_facts(rows, facts, computed), _edges(edges)


def _with_ancestors(conn: Connection, stated: dict[str, Facts], parents: dict[str, list[tuple[str, str]]]) -> None:
    """Add the stated facts and keeping parents of every ancestor not yet in `stated`, level by level."""
    wanted = sorted({p for links in parents.values() for p, _ in links} - stated.keys())
    while wanted:
        more, more_parents = _stated(conn, wanted)
        stated.update(more)
        parents.update(more_parents)
        wanted = sorted({p for links in more_parents.values() for p, _ in links} - stated.keys())


def _clear(conn: Connection, targets: list[str] | None) -> None:
    """Empty the computed facts of these models (None: of every model) and their columns."""
    if targets is None:  # in SQL: the computed facts of a whole catalogue need not pass through memory
        for name in conn.execute(select(ComputedFact.field).distinct()).scalars().all():
            if name in MODEL_FACTS:
                conn.execute(update(Model).where(Model.id.in_(
                    select(ComputedFact.model_id).where(ComputedFact.field == name))).values({name: None}))
        conn.execute(delete(ComputedFact))
        return
    stmt = select(ComputedFact.model_id, ComputedFact.field)
    rows = [r for chunk in _chunks(targets) for r in conn.execute(stmt.where(ComputedFact.model_id.in_(chunk))).all()]
    by_field: dict[str, list[str]] = {}
    for model_id, name in rows:
        by_field.setdefault(name, []).append(model_id)
    for name, ids in by_field.items():
        if name in MODEL_FACTS:
            for chunk in _chunks(ids):
                conn.execute(update(Model).where(Model.id.in_(chunk)).values({name: None}))
    for chunk in _chunks(targets):
        conn.execute(delete(ComputedFact).where(ComputedFact.model_id.in_(chunk)))


class RecentFacts:
    """The effective facts of the models a bulk write wrote or read last (at most LIMIT, the oldest
    forgotten first), for `derive_rows`: a parent is most often a model written shortly before. The
    writer forgets them all when it rederives stored models, whose facts may then change."""

    LIMIT = 20_000

    def __init__(self) -> None:
        # an OrderedDict forgets its oldest entry in constant time (a dict's first key is found by
        # scanning past the slots of the keys deleted before it)
        self.entries: OrderedDict[str, tuple[Facts, Facts, list[tuple[str, str]]]] = OrderedDict()

    def add(self, model_id: str, own: Facts, computed: Facts, links: list[tuple[str, str]]) -> None:
        """Remember one model: its own facts, those computed for it, its keeping parents."""
        self.entries[model_id] = (own, computed, links)
        self.entries.move_to_end(model_id)
        if len(self.entries) > self.LIMIT:
            self.entries.popitem(last=False)

    def get(self, model_id: str) -> tuple[Facts, Facts, list[tuple[str, str]]] | None:
        """(effective facts, own facts, keeping parents) of a model remembered, else None."""
        entry = self.entries.get(model_id)
        if entry is None:
            return None
        own, computed, links = entry
        return ({**own, **computed} if computed else own), own, links

    def forget(self) -> None:
        """Forget every model."""
        self.entries.clear()


def derive_rows(conn: Connection, rows: dict[type, list[dict[str, Any]]], recent: RecentFacts | None = None) -> None:
    """Models about to be written get their computed facts before the INSERT: the values in their
    model rows, the provenance as ComputedFact rows in `rows` (what `rederive` would compute once
    they are stored, without writing each model twice). Their ancestors outside `rows` come from
    `recent` or are read from the database with their computed facts, which every write keeps
    current; a parent not stored yet gives nothing, and the caller rederives the stored descendants
    of these models once they are written (`stored_descendants`)."""
    models = rows[Model]
    written = {model["id"] for model in models}
    provenance = _by_model((f["model_id"], f["field"], f["source_id"], f["status"], f["method"], f["confidence"],
                            f["note"]) for f in rows.get(ModelFact, ()) if f["field"] in _FIELD_SET)
    values_of = operator.itemgetter(*FIELDS)
    stated = {model["id"]: _own(model["source_id"], values_of(model), provenance.get(model["id"]), None)
              for model in models}
    parents: dict[str, list[tuple[str, str]]] = {}
    for link in rows.get(Lineage, ()):
        if link["relation"] in KEEPING_RELATIONS:
            parents.setdefault(link["child_id"], []).append((link["parent_id"], link["relation"]))
    known: dict[str, Facts] = {}
    outside = []
    for parent in sorted({p for links in parents.values() for p, _ in links} - written):
        hit = recent.get(parent) if recent is not None else None
        if hit is None:
            outside.append(parent)
            continue
        known[parent], stated[parent], links = hit
        if links:
            parents[parent] = links
    if outside:
        read = _stored_effective(conn, outside, stated, parents)
        known.update(read)
        if recent is not None:
            for parent, effective in read.items():
                recent.add(parent, stated[parent], {f: fact for f, fact in effective.items() if "rule" in fact},
                           parents.get(parent, []))
    computed = resolve(stated, parents, [model["id"] for model in models], known)
    extra = rows.setdefault(ComputedFact, [])
    for model in models:
        model_id = model["id"]
        mine = computed.get(model_id, {})
        for name, fact in mine.items():
            model[name] = fact["value"]
            extra.append({"model_id": model_id, "field": name, "source_id": fact["source"],
                          **{k: fact[k] for k in ("status", "method", "confidence", "note", "inherited_from", "rule")}})
        if recent is not None:
            recent.add(model_id, stated[model_id], mine, parents.get(model_id, []))


def _own(source: str, values: Sequence[Any], provenance: Mapping[str, dict[str, Any]] | None,
         skip: Collection[str] | None) -> Facts:
    """A model's stated FIELDS from its column values and the provenance of its facts."""
    if not provenance and not skip:  # the usual model: every fact it has is reported by its own source
        return {name: {"value": value, "source": source, "status": "reported", "method": None, "confidence": None,
                       "note": None} for name, value in zip(FIELDS, values, strict=True) if value is not None}
    own: Facts = {}
    for name, value in zip(FIELDS, values, strict=True):
        if skip and name in skip:
            continue
        prov = provenance.get(name) if provenance else None
        if prov is not None:
            own[name] = {"value": value, **prov}
        elif value is not None:
            own[name] = {"value": value, "source": source, "status": "reported", "method": None,
                         "confidence": None, "note": None}
    return own


def _stored_effective(conn: Connection, ids: list[str], stated: dict[str, Facts],
                      parents: dict[str, list[tuple[str, str]]]) -> dict[str, Facts]:
    """The effective facts (own and computed, as stored) of these stored models; their own facts
    and keeping parents are added to `stated` and `parents`."""
    rows, facts, edges, computed = _read(conn, ids)
    own = _own_facts(rows, facts, computed)
    stated.update(own)
    parents.update(_edges(edges))
    effective = {model_id: dict(facts) for model_id, facts in own.items()}
    values = {row[0]: row[2:] for row in rows}
    position = {name: i for i, name in enumerate(FIELDS)}
    for m, f, s, st, me, c, n, i, r in computed:
        if f in position:
            effective[m][f] = {"value": values[m][position[f]], "source": s, "status": st, "method": me,
                               "confidence": c, "note": n, "inherited_from": i, "rule": r}
    return effective


def stored_descendants(conn: Connection, model_ids: list[str]) -> list[str]:
    """The stored models below these over keeping relations, these excluded (in id order)."""
    return sorted(_closure(conn, model_ids, down=True) - set(model_ids))


REDERIVE_CHUNK = 10_000  # models resolved at a time: memory stays flat however large the catalogue


def _pages(conn: Connection, size: int) -> Iterator[tuple[list[str], Any]]:
    """Every model in pages of `size`, in table order on SQLite (rowid: the order of a plain scan),
    by id elsewhere: (the page's ids, a condition on the models table that selects them)."""
    key: Any = literal_column("models.rowid") if conn.dialect.name == "sqlite" else Model.id
    last = None
    while True:
        stmt = select(key, Model.id).order_by(key).limit(size)
        page = conn.execute(stmt if last is None else stmt.where(key > last)).all()
        if not page:
            return
        within = key <= page[-1][0] if last is None else and_(key > last, key <= page[-1][0])
        yield [row[1] for row in page], within
        last = page[-1][0]


def rederive(conn: Connection, model_ids: Iterable[str] | None = None) -> int:
    """Compute again the inherited and derived facts of these models and their descendants (None:
    of the whole catalogue), inside the caller's transaction; returns how many facts were computed.

    The models are resolved REDERIVE_CHUNK at a time, each chunk with its ancestors, and written
    before the next is read: memory does not grow with the catalogue."""
    pages: Iterable[tuple[list[str], Any]]
    if model_ids is not None:
        ids = sorted(set(model_ids))
        if not ids:
            return 0
        targets = sorted(_closure(conn, ids, down=True))
        _clear(conn, targets)
        pages = [(chunk, None) for chunk in _chunks(targets, REDERIVE_CHUNK)]
    else:
        _clear(conn, None)
        pages = _pages(conn, REDERIVE_CHUNK)
    count = 0
    for chunk, within in pages:
        stated, parents = _stated(conn, None if within is not None else chunk, within)
        _with_ancestors(conn, stated, parents)
        count += _store(conn, resolve(stated, parents, [t for t in chunk if t in stated]))
    return count


def _store(conn: Connection, computed: dict[str, Facts]) -> int:
    """Write computed facts: their values into the models' columns, their provenance as rows."""
    rows = [{"model_id": model_id, "field": name, "source_id": fact["source"],
             **{k: fact[k] for k in ("status", "method", "confidence", "note", "inherited_from", "rule")}}
            for model_id, facts in computed.items() for name, fact in facts.items()]
    if conn.dialect.name == "postgresql":
        by_field: dict[str, list[dict[str, Any]]] = {}
        for model_id, facts in computed.items():
            for name, fact in facts.items():
                by_field.setdefault(name, []).append({"b_id": model_id, "b_value": fact["value"]})
        _store_by_copy(conn, by_field, rows)
        return len(rows)
    by_fields: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
    for model_id, facts in computed.items():  # one UPDATE per model, grouped by the fields it sets
        by_fields.setdefault(tuple(facts), []).append((*(fact["value"] for fact in facts.values()), model_id))
    for fields, values in by_fields.items():
        _update_models(conn, fields, values)
    from catalog.store.writes import write_rows

    write_rows(conn, {ComputedFact: rows})
    return len(rows)


def _update_models(conn: Connection, fields: tuple[str, ...], values: list[tuple[Any, ...]]) -> None:
    """UPDATE models SET these fields WHERE id, for rows of (their values..., id): on SQLite one
    compiled statement run as executemany of tuples (the columns' bind processors applied)."""
    stmt = update(Model).where(Model.id == bindparam("b_id")).values(
        {name: bindparam(f"b_{i}") for i, name in enumerate(fields)})
    if conn.dialect.name != "sqlite":
        conn.execute(stmt, [{"b_id": v[-1], **{f"b_{i}": x for i, x in enumerate(v[:-1])}} for v in values])
        return
    compiled = stmt.compile(dialect=conn.dialect)
    columns = Model.__table__.columns
    processors = [columns[name].type.dialect_impl(conn.dialect).bind_processor(conn.dialect) for name in fields]
    if any(processors):
        values = [(*(v if p is None else p(v) for v, p in zip(row[:-1], processors, strict=True)), row[-1])
                  for row in values]
    order = [int(key[2:]) if key != "b_id" else len(fields) for key in compiled.positiontup or []]
    conn.exec_driver_sql(str(compiled), [tuple(row[i] for i in order) for row in values])


def _store_by_copy(conn: Connection, by_field: dict[str, list[dict[str, Any]]], rows: list[dict[str, Any]]) -> None:
    """PostgreSQL: the computed values COPYed into a temporary table, then one UPDATE ... FROM per
    field (an executemany of UPDATEs is a round trip per row there), and the provenance rows COPYed."""
    from catalog.store.writes import copy_rows

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

"""What is known and what is missing, per model and per field, so the gaps can be closed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, select

from catalog.errors import CatalogError, shorten
from catalog.query.models import Filters, computed_statuses, order_by, select_models
from catalog.store.db import reading
from catalog.store.schema import ModelFact
from catalog.vocab import COMPUTED_STATUSES, MODEL_FACTS, STATUSES

# The facts every open-weights model should have (known or explicitly unpublished).
ESSENTIAL = ("released", "arch", "params", "train_tokens", "context_length")
#: A field's state: a status of vocab.STATUSES or COMPUTED_STATUSES, or missing; in the order columns show them.
STATES = (*(s for s in STATUSES if s not in ("user", "unpublished")), *COMPUTED_STATUSES, "user", "unpublished",
          "missing")


def coverage(engine: Engine, filters: Filters | None = None,
             fields: Sequence[str] = ESSENTIAL) -> dict[str, Any]:
    """Per model, the state of each field (one of STATES: `user` for a value set without a source), and totals."""
    bad = [f for f in fields if f not in MODEL_FACTS]
    if bad:
        raise CatalogError(f"--fields: unknown field {', '.join(repr(shorten(b)) for b in bad)}; choose from: "
                           f"{', '.join(MODEL_FACTS)}")
    filters = filters or Filters()
    stmt = select_models(["id", "open_weights", *[f for f in fields if f != "open_weights"]], filters)
    with reading(engine) as conn:
        rows = [dict(r._mapping) for r in conn.execute(stmt.order_by(*order_by(None)))]
        statuses: dict[tuple[str, str], str] = {}
        ids = [r["id"] for r in rows]
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            for model_id, field, status in conn.execute(select(ModelFact.model_id, ModelFact.field, ModelFact.status)
                                                        .where(ModelFact.model_id.in_(chunk),
                                                               ModelFact.field.in_(list(fields)))):
                statuses[(model_id, field)] = status
            for model_id, field, status in conn.execute(computed_statuses(chunk, fields)):
                statuses[(model_id, field)] = status
    models = []
    totals = {f: dict.fromkeys(STATES, 0) for f in fields}
    for row in rows:
        states = {}
        for f in fields:
            state = statuses.get((row["id"], f)) or ("reported" if row.get(f) is not None else "missing")
            states[f] = state
            totals[f][state] += 1
        models.append({"id": row["id"], "open_weights": row["open_weights"], "fields": states,
                       "missing": [f for f in fields if states[f] == "missing"]})
    return {"fields": list(fields), "models": models, "totals": totals, "count": len(models),
            "complete": sum(1 for m in models if not m["missing"])}

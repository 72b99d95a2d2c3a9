"""Every check of a model's values, and the checks across models, written once over plain values.

The loader (`records.Fact`), `validate` (`catalog.rules.validation.check_bundle`), user writes and the bulk
import (`catalog.io.importing`) all call these functions: a record's facts and an import row's columns
are both mappings of fact name -> converted value (floats for counts, ints, dates, booleans). A
function returns the problems it finds as messages without a location (the caller knows where the
record came from), or a plain answer (True/False, the cycles found). Where the import needs a faster
form, it sits next to the scalar one and a test requires both to agree.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from catalog.vocab import CONFIDENCES, STATUSES

TOKENS_PER_PARAM = (0.1, 10000.0)
COMPUTE_TOLERANCE = 3.0
SHARES_SLACK = 1.02  # training-mixture shares may add up to this much (rounding in the sources)
SIBLING_SLACK = 1.05  # a smaller sibling may report this much more compute than a bigger one


# --- one fact ------------------------------------------------------------------------------------

def fact_problem(value: Any, status: Any, method: Any, confidence: Any) -> str | None:
    """What is inconsistent in one sourced fact (its status against value, method and confidence)."""
    if status not in STATUSES:
        return f"{status!r} is not a valid status; use one of: {', '.join(STATUSES)}"
    if status == "unpublished":
        if value is not None:
            return "an unpublished fact has no value; drop `value` or change `status`"
    elif value is None:
        return (f"a {status} fact needs a `value` (use status: unpublished for undisclosed facts, or leave the "
                "field out when unknown)")
    if status in ("estimated", "derived") and not method:
        article = "an" if status == "estimated" else "a"
        return f"{article} {status} fact needs a `method` (e.g. 6ND, hardware, third-party)"
    if status == "estimated" and not confidence:
        return "an estimated fact needs a `confidence`: confident, likely or speculative"
    if status == "estimated" and confidence not in CONFIDENCES:
        return f"{confidence!r} is not a valid confidence; use one of: {', '.join(CONFIDENCES)}"
    if status != "estimated" and confidence:
        return "`confidence` is only for estimated facts"
    return None


# --- one model -----------------------------------------------------------------------------------

def pretrained(relations: Iterable[str]) -> bool:
    """Whether a model with parents of these relations did its own pre-training (none, or continued)."""
    relations = list(relations)
    return not relations or "continued-pretrain" in relations


def model_problems(values: Mapping[str, Any], relations: Sequence[str], accept: Collection[str],
                   today: dt.date) -> list[str]:
    """The problems of one model's own values: sizes against each other, a future release, tokens per
    parameter and compute against 6·N·D (for a model that pre-trained), computed columns that do not
    fit a float. `values` maps fact names to converted values (missing or None: unknown); `relations`
    are those of its parents; `accept` names the checks its curators waived."""
    out: list[str] = []
    get = values.get
    params, active, moe = get("params"), get("active_params"), get("moe")
    if isinstance(params, float) and isinstance(active, float) and active > params:
        out.append(f"active_params ({active:.3g}) exceed params ({params:.3g}); params is the total")
    if moe is False and (get("active_params") is not None or get("experts") is not None
                         or get("experts_active") is not None):
        out.append("active_params/experts are for mixture-of-experts models; set moe: true or drop them")
    experts, routed = get("experts"), get("experts_active")
    if isinstance(experts, int) and isinstance(routed, int) and routed > experts:
        out.append(f"experts_active ({routed}) exceeds experts ({experts})")
    heads, kv_heads = get("heads"), get("kv_heads")
    if isinstance(heads, int) and isinstance(kv_heads, int) and kv_heads > heads:
        out.append(f"kv_heads ({kv_heads}) exceeds heads ({heads})")
    ctx, ext = get("context_length"), get("context_length_extended")
    if isinstance(ctx, int) and isinstance(ext, int) and ext < ctx:
        out.append(f"context_length_extended ({ext}) is shorter than context_length ({ctx})")
    released = get("released")
    if isinstance(released, dt.date) and released > today:
        out.append(f"released {released} is in the future")
    if pretrained(relations):
        out.extend(_tokens_and_compute(values, accept))
    out.extend(f"{problem}; check the figures (or their units)" for problem in computed_problems(values))
    return out


def _tokens_and_compute(values: Mapping[str, Any], accept: Collection[str]) -> list[str]:
    out: list[str] = []
    params, tokens, compute = values.get("params"), values.get("train_tokens"), values.get("train_compute")
    if values.get("moe") and isinstance(values.get("active_params"), float):
        params = values["active_params"]
    if not isinstance(params, float) or not isinstance(tokens, float):
        return out
    low, high = TOKENS_PER_PARAM
    if "tokens_per_param" not in accept and not low <= (ratio := tokens / params) <= high:
        out.append(f"{ratio:.3g} training tokens per parameter is outside {low:g}..{high:g}; check the units of "
                   "params and train_tokens")
    if isinstance(compute, float) and "compute_vs_6nd" not in accept:
        expected = 6 * params * tokens
        factor = max(compute / expected, expected / compute)
        if factor > COMPUTE_TOLERANCE:
            out.append(f"train_compute {compute:.3g} FLOP is {factor:.1f}x away from 6·N·D = {expected:.3g}; "
                       "check the figures (or their units)")
    return out


_SAFE = (1e-50, 1e50)  # inputs within this range give computed columns that fit a float, with room to spare


def computed_problems(values: Mapping[str, Any]) -> list[str]:
    """Which computed columns of these fact values would not fit a float (`catalog.rules.computed`). Values
    within 1e-50..1e50 cannot overflow any of them (products of three, ratios of two): then the
    columns are not computed at all, which is what makes this cheap enough for every imported row."""
    from catalog.rules.computed import INPUTS, fill_computed

    low, high = _SAFE
    for name in INPUTS:
        value = values.get(name)
        if (type(value) is float or type(value) is int) and not low <= abs(value) <= high and value != 0:
            return fill_computed({name: values.get(name) for name in INPUTS})
    return []


def released_before(released: dt.date, precision: str | None, parent: dt.date, parent_precision: str | None) -> bool:
    """Whether a model was released before its parent, compared at the coarser of the two precisions."""
    both = (precision or "day", parent_precision or "day")
    if "year" in both:
        return released.year < parent.year
    if "month" in both:
        return (released.year, released.month) < (parent.year, parent.month)
    return released < parent


def shares_problem(total: float) -> str | None:
    """What is wrong with a training mixture whose shares add up to `total`."""
    if total > SHARES_SLACK:
        return f"shares add up to {total:.3f} (> 1); shares are fractions of the mixture"
    return None


# --- across models -------------------------------------------------------------------------------

def lineage_cycles(graph: Mapping[str, Sequence[str]], starts: Iterable[str] | None = None) -> list[list[str]]:
    """The cycles a depth-first walk of `graph` (model -> its parents) meets, each as a path that
    ends where it starts; the walk starts from `starts` (default: the graph's order)."""
    cycles = []
    state: dict[str, int] = {}
    for start in graph if starts is None else starts:
        if state.get(start):
            continue
        stack = [(start, iter(graph.get(start, ())))]
        path = [start]
        state[start] = 1
        while stack:
            node, parents = stack[-1]
            parent = next(parents, None)
            if parent is None:
                state[node] = 2
                stack.pop()
                path.pop()
            elif state.get(parent) == 1:
                cycles.append(path[path.index(parent):] + [parent])
            elif not state.get(parent):
                state[parent] = 1
                path.append(parent)
                stack.append((parent, iter(graph.get(parent, ()))))
    return cycles


Sibling = tuple[str, float, float, bool]  # id, params, train compute, whether its sibling check is waived


def sibling_problems(members: Sequence[Sibling]) -> list[tuple[str, str]]:
    """(model id, problem) for each model of one family (models without parents, with params and
    compute) that has fewer parameters than a sibling but more than 1.05 times its compute."""
    out = []
    for small, p_small, c_small, waived in members:
        if waived:
            continue
        for big, p_big, c_big, _ in members:
            if p_small < p_big and c_small > c_big * SIBLING_SLACK:
                out.append((small, f"{small} has fewer parameters than its sibling {big} but more training "
                                   f"compute ({c_small:.3g} > {c_big:.3g} FLOP); check both"))
    return out


def any_sibling_problem(members: Sequence[Sibling]) -> bool:
    """`bool(sibling_problems(members))` in one sort instead of comparing every pair."""
    members = sorted(members, key=lambda m: -m[1])
    least = math.inf  # the least compute among the models with more parameters
    start = 0
    while start < len(members):
        end = start
        while end < len(members) and members[end][1] == members[start][1]:
            if members[end][2] > least * SIBLING_SLACK and not members[end][3]:
                return True
            end += 1
        least = min([least] + [m[2] for m in members[start:end]])
        start = end
    return False

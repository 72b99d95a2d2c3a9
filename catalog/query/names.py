"""What a typed model name denotes: an id, a name or alias, a Hugging Face repo id, or a family.

`resolve_model` tries, in order: the id; the lookup key (`alias_key`) of a name or alias; a Hugging
Face repo id (`gpt2`, `openai-community/gpt2`) read from the huggingface.co URLs of the sources
models cite; a family name (`alpaca`, `t5`). A name that denotes one model gives its id; one that
denotes several raises AmbiguousModel listing them; an unknown name raises UnknownModel with the
closest names first. An alias that states another size than its model's own name (Pythia-12B was
called Pythia-13B) still resolves, with a CatalogWarning that says which model it is, never silently.
"""

from __future__ import annotations

import difflib
import json
import re
import warnings
from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlalchemy import Connection, Select, String, cast, func, or_, select

from catalog.errors import AmbiguousModel, CatalogError, CatalogWarning, UnknownModel, shorten
from catalog.store.schema import Alias, Family, Model, ModelFact, Organization, Source
from catalog.vocab import alias_key

HF_HOSTS = ("huggingface.co", "www.huggingface.co", "hf.co")
HF_REPO_ID_MAX = 200  # Hugging Face allows 96 characters for an organization and for a name
_NOT_MODEL_REPOS = {"datasets", "spaces", "blog", "docs", "papers", "collections", "organizations", "learn"}
# A size in a name: digits (with `.` or, as Hugging Face repos write it, `_` for the point: `3_7B`, or
# digits after the unit: `1b7`) and a unit, apart from the letters and digits around it (`T5-Base` and
# `Tülu 3` state none; `8x7B` states 7B).
_SIZE = re.compile(r"(?<![^\W_x])(?<!\.)(\d+(?:[._]\d+)?)\s?([kmbt])(\d*)(?![^\W_])")


def sizes(text: str) -> set[str]:
    """The sizes a name states: `Pythia-13B` -> {'13b'}, `codegen2-3_7B` -> {'3.7b'}, `bloom-1b7` -> {'1.7b'},
    `OLMoE 1B-7B` -> {'1b', '7b'}."""
    found = set()
    for number, unit, after in _SIZE.findall(text.lower()):
        number = number.replace("_", ".")
        found.add(f"{number}.{after}{unit}" if after and "." not in number else number + unit)
    return found


def resolve_model(conn: Connection, name: str) -> str:
    """The id of the one model this id, name, alias, Hugging Face repo id or family name denotes."""
    found = conn.execute(select(Model.id).where(Model.id == name)).scalar()
    if found:
        return found
    key = alias_key(name)
    if key:
        row = conn.execute(select(Alias.model_id, Alias.alias, Alias.is_name, Model.name)
                           .join(Model, Model.id == Alias.model_id).where(Alias.key == key)).first()
        if row is not None:
            _warn_other_size(name, row)
            return row.model_id
    for lookup in (lambda: _hugging_face_models(conn, name), lambda: _family_models(conn, key)):
        candidates, what = lookup()
        if len(candidates) == 1:
            return candidates[0]
        if candidates:
            raise AmbiguousModel(name, candidates, what)
    raise UnknownModel(name, suggest(conn, name))


def _warn_other_size(name: str, row: Any) -> None:
    """A former or other name stating a size its model's name does not (pythia-13b of Pythia-12B)."""
    said, own = sizes(row.alias), sizes(row.name)
    if not row.is_name and said and own and said != own:
        warnings.warn(CatalogWarning(
            f"{shorten(name)!r} is an alias of {row.name} ({row.model_id}), a "
            f"{'/'.join(sorted(own)).upper()} model, not {'/'.join(sorted(said)).upper()}"), stacklevel=3)


def hugging_face_repo(url: str) -> str | None:
    """`org/name` of a huggingface.co model URL (a repo page, its /blob/.../config.json, ...), else None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.hostname not in HF_HOSTS:
        return None
    path = [unquote(p) for p in parts.path.split("/") if p]
    if len(path) < 2 or path[0] in _NOT_MODEL_REPOS:
        return None
    return f"{path[0]}/{path[1]}"


def _hugging_face_models(conn: Connection, name: str) -> tuple[list[str], str]:
    """Models whose cited huggingface.co source is the repo `org/name` (or, for a bare `name`, any org's).

    A model citing the repo as its own source comes before one citing it for a fact; when several
    cite it, the one whose name or alias is the repo's name is meant (`ibm-granite/granite-4.0-h-tiny`).
    """
    wanted = name.strip().strip("/").lower()
    if not wanted or wanted.count("/") > 1 or len(wanted) > HF_REPO_ID_MAX:
        return [], ""
    repo_name = wanted.rsplit("/", 1)[-1]
    rows = conn.execute(select(Source.id, Source.url).where(
        func.lower(Source.url).contains(f"/{repo_name}", autoescape=True),
        func.lower(Source.url).contains("huggingface.co/", autoescape=True) |
        func.lower(Source.url).contains("hf.co/", autoescape=True))).all()
    sources = [sid for sid, url in rows if (repo := hugging_face_repo(url)) and
               (repo.lower() == wanted if "/" in wanted else repo.lower().split("/")[1] == wanted)]
    if not sources:
        return [], ""
    what = f"citing the Hugging Face repo {shorten(name)}"
    own = list(conn.execute(select(Model.id).where(Model.source_id.in_(sources)).order_by(Model.id)).scalars())
    cited = own or list(conn.execute(select(ModelFact.model_id).where(ModelFact.source_id.in_(sources))
                                     .distinct().order_by(ModelFact.model_id)).scalars())
    if len(cited) > 1:
        named = list(conn.execute(select(Alias.model_id).where(
            Alias.key == alias_key(repo_name), Alias.model_id.in_(cited))).scalars())
        if len(named) == 1:
            return named, what
    return cited, what


def _family_models(conn: Connection, key: str) -> tuple[list[str], str]:
    """The models of the family with this id or name (by lookup key), smallest first."""
    families = {fid: fname for fid, fname in conn.execute(select(Family.id, Family.name))
                if key and key in (alias_key(fid), alias_key(fname))}
    if not families:
        return [], ""
    ids = list(conn.execute(select(Model.id).where(Model.family_id.in_(list(families)))
                            .order_by(Model.params.asc().nulls_last(), Model.released.asc().nulls_last(),
                                      Model.id)).scalars())
    return ids, "of the family " + " and ".join(sorted(families.values()))


def suggest(conn: Connection, name: str, limit: int = 5) -> list[str]:
    """Close matches among ids and aliases, for 'did you mean ...?', the closest first.

    A key that starts with what was typed comes first (`t5` -> t5-small before gpt-5), then one
    that contains it, then the rest by similarity.
    """
    key = alias_key(name)
    if not key:
        return []
    candidates: list[Any] = list(conn.execute(select(Alias.key, Alias.model_id).where(
        Alias.key.contains(key[:4], autoescape=True)))) if len(key) >= 4 else []
    if len(candidates) < 2000:
        candidates += conn.execute(select(Alias.key, Alias.model_id).limit(20000)).all()
    owner = dict(candidates)
    close = set(difflib.get_close_matches(key, list(owner), n=limit * 3, cutoff=0.6))
    contained = {k for k in owner if key in k}

    def closeness(k: str) -> tuple[int, float, int, str]:
        place = 0 if k.startswith(key) else 1 if k in contained else 2
        return place, -difflib.SequenceMatcher(None, key, k).ratio(), len(k), k

    ranked = sorted(close | set(sorted(contained, key=closeness)[:limit * 3]), key=closeness)
    return list(dict.fromkeys(owner[k] for k in ranked))[:limit]


def organizations_named(names: Sequence[str]) -> Select:
    """SELECT the ids of the organizations with any of these ids, names or aliases (case ignored).

    An alias may be another organization's name: `--org deepmind` is DeepMind and Google DeepMind.
    """
    wanted = [n.lower() for n in names]
    aliases = func.lower(cast(Organization.aliases, String))
    return select(Organization.id).where(or_(
        func.lower(Organization.id).in_(wanted), func.lower(Organization.name).in_(wanted),
        *[aliases.contains(json.dumps(w), autoescape=True) for w in wanted]))


def check_organizations(conn: Connection, names: Sequence[str], what: str = "--org") -> None:
    """Raise CatalogError for a name no organization has, with the closest ids, names and aliases."""
    rows = conn.execute(select(Organization.id, Organization.name, Organization.aliases)).all()
    known: dict[str, list[tuple[str, str]]] = {}  # lowercase id, name or alias -> (org, as said)
    for org_id, org_name, aliases in rows:
        for text in dict.fromkeys((org_id, org_name, *(aliases or []))):
            known.setdefault(text.lower(), []).append((org_id, org_id if text == org_id else f"{text} ({org_id})"))
    problems = []
    for name in names:
        typed = name.lower()
        if typed in known:
            continue
        close = difflib.get_close_matches(typed, list(known), n=8, cutoff=0.6)
        contained = sorted((k for k in known if typed in k), key=len)
        hints: dict[str, str] = {}  # one hint per organization, the closest way of saying it
        for org_id, said in (h for k in contained[:5] + close for h in known[k]):
            hints.setdefault(org_id, said)
        problems.append(f"{what}: no organization named {shorten(name)!r}; " +
                        (f"did you mean {', '.join(list(hints.values())[:5])}?" if hints else
                         "run `llmzoo stats` to see the organizations"))
    if problems:
        raise CatalogError("\n".join(problems))

"""The catalogue's vocabulary: fact names and kinds, allowed values, ids, dates and lookup keys.

Plain Python only (no pydantic, no YAML), so the read-only commands (`list`, `show`) can use it
without paying for the record classes of `catalog.records.data`.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any, Literal, get_args

from catalog.errors import shorten

# Each closed vocabulary is written once, as the Literal type the records declare; its tuple (for
# choices, checks and messages) is derived from it.
Architecture = Literal["causal-decoder", "prefix-decoder", "encoder-decoder", "encoder-only"]
ARCHITECTURES: tuple[Architecture, ...] = get_args(Architecture)
#: `nominal`: a round size that the maker gives only in the name or announcement ("7B"), not an exact count.
#: `user`: a value a user set with `llmzoo edit` without citing a source (its source is USER_EDIT_SOURCE);
#: never written in data/.
Status = Literal["reported", "nominal", "estimated", "derived", "unpublished", "user"]
STATUSES: tuple[Status, ...] = get_args(Status)
Confidence = Literal["confident", "likely", "speculative"]
CONFIDENCES: tuple[Confidence, ...] = get_args(Confidence)
SourceKind = Literal["paper", "model-card", "official-blog", "third-party"]
SOURCE_KINDS: tuple[SourceKind, ...] = get_args(SourceKind)
OrgKind = Literal["industry", "academia", "nonprofit", "government", "collaboration", "unknown"]
ORG_KINDS: tuple[OrgKind, ...] = get_args(OrgKind)
Relation = Literal["continued-pretrain", "fine-tune", "instruction-tune", "rlhf", "distillation",
                   "merge", "upcycle", "quantization"]
RELATIONS: tuple[Relation, ...] = get_args(Relation)
#: The checks a model record may `accept` (with the reason the value is right all the same).
AcceptedCheck = Literal["tokens_per_param", "compute_vs_6nd", "sibling_compute"]
ACCEPTED_CHECKS: tuple[AcceptedCheck, ...] = get_args(AcceptedCheck)
ATTENTIONS = ("mha", "mqa", "gqa", "mla", "other")
POSITION_ENCODINGS = ("learned", "sinusoidal", "relative", "rope", "alibi", "none", "other")
MODALITIES = ("text", "code", "image", "audio", "video")
DatasetKind = Literal["web", "books", "code", "academic", "encyclopedia", "news", "dialogue",
                      "instructions", "preference", "mixture", "other"]
DATASET_KINDS: tuple[DatasetKind, ...] = get_args(DatasetKind)
Precision = Literal["day", "month", "year"]
PRECISIONS: tuple[Precision, ...] = get_args(Precision)
#: The categories of "Ratios of various data sources in the pre-training data" (Zhao et al., arXiv
#: 2303.18223, section Data Collection), in drawing order, and the one each dataset kind counts in.
#: The survey has no encyclopedia category; llmzoo keeps Wikipedia apart rather than guess its fold.
MIX_CATEGORIES = ("webpages", "conversation", "books & news", "scientific", "code", "encyclopedia", "other")
KIND_CATEGORY = {"web": "webpages", "dialogue": "conversation", "books": "books & news", "news": "books & news",
                 "academic": "scientific", "code": "code", "encyclopedia": "encyclopedia",
                 "instructions": "other", "preference": "other", "mixture": "other", "other": "other"}

# Fact fields of a model and the kind of value each holds (`exact_int`: a whole number written out,
# never with a K/M suffix, so a context of 32,768 tokens cannot silently become 32000). Order is the display order.
MODEL_FACTS: dict[str, str] = {
    "released": "date",
    "arch": "arch",
    "moe": "bool",
    "params": "count",
    "active_params": "count",
    "experts": "int",
    "experts_active": "int",
    "train_tokens": "count",
    "train_compute": "count",
    "pretrain_tokens": "count",
    "pretrain_compute": "count",
    "context_length": "exact_int",
    "context_length_extended": "exact_int",
    "context_extension": "text",
    "context_window": "exact_int",
    "max_output_tokens": "exact_int",
    "layers": "int",
    "d_model": "int",
    "heads": "int",
    "kv_heads": "int",
    "attention": "attention",
    "position_encoding": "position_encoding",
    "vocab_size": "int",
    "modality": "modality",
    "open_weights": "bool",
    "license": "text",
    "hardware": "text",
    "hardware_count": "int",
    "training_days": "number",
    "accelerator_hours": "count",
    "mfu": "fraction",
    "knowledge_cutoff": "date",
    "training_languages": "languages",
    "adaptation": "adaptation",
    "adaptation_data": "text",
}
#: Derivations that keep the parent's network as it is: the child inherits INHERITABLE_FACTS.
KEEPING_RELATIONS = ("fine-tune", "instruction-tune", "rlhf", "quantization")
#: What a derivation that keeps the network keeps (never tokens, compute, dates, data or licence).
INHERITABLE_FACTS = tuple(name for name in (
    "arch", "moe", "params", "active_params", "experts", "experts_active", "layers", "d_model", "heads",
    "kv_heads", "attention", "position_encoding", "vocab_size", "context_length", "context_length_extended",
    "context_window") if name in MODEL_FACTS)
#: The pre-training behind a derived model, taken from its base's own stage: {fact: the base's fact}.
PRETRAIN_FACTS = {"pretrain_tokens": "train_tokens", "pretrain_compute": "train_compute"}
#: The source of a value a user set without citing one: created in a catalogue on the first such edit.
USER_EDIT_SOURCE = {"id": "user-edit", "url": "llmzoo:user-edit", "title": "user edit (no source given)",
                    "kind": "third-party"}
#: Statuses llmzoo computes (never stated in data/ or by a user): `inherited` from a parent.
COMPUTED_STATUSES = ("inherited",)
DATE_FACTS = tuple(name for name, kind in MODEL_FACTS.items() if kind == "date")
ADAPTATIONS = ("pretrain", "continued-pretrain", "sft", "rlhf", "dpo", "preference", "rlaif", "rl",
               "distillation")
#: The facts the computed columns (catalog.rules.computed) are worked out from.
COMPUTED_INPUTS = ("params", "active_params", "moe", "train_tokens", "train_compute", "hardware", "accelerator_hours",
                   "hardware_count", "training_days", "mfu")
DATASET_FACTS: dict[str, str] = {"tokens": "count", "bytes": "count", "documents": "count"}

SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
ID_MAX_LENGTH = 200  # the id columns are String(200) (catalog/store/schema.py); PostgreSQL enforces it
_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")

# Facts stored as comma-joined lists in their column.
LIST_FACTS = ("modality", "training_languages", "adaptation")


def check_slug(value: str) -> str:
    """An id: lowercase letters, digits, '.', '-', '_', at most ID_MAX_LENGTH characters."""
    if not isinstance(value, str) or not SLUG.match(value):
        raise ValueError(f"{shorten(value)!r} is not a valid id; use lowercase letters, digits, '.', '-', '_' "
                         "(e.g. 'llama-2-70b')")
    if len(value) > ID_MAX_LENGTH:
        raise ValueError(f"{shorten(value)!r} is too long for an id; an id has at most {ID_MAX_LENGTH} characters "
                         "(keep the full name in `name`)")
    return value


def parse_date(value: Any) -> tuple[dt.date, str]:
    """Read YYYY-MM-DD, YYYY-MM or YYYY (or a YAML date) into (first day, precision)."""
    if isinstance(value, dt.datetime):
        return value.date(), "day"
    if isinstance(value, dt.date):
        return value, "day"
    text = str(value).strip()
    match = _DATE.match(text)
    if not match:
        raise ValueError(f"{shorten(value)!r} is not a date; write YYYY-MM-DD, YYYY-MM or YYYY")
    year, month, day = match.groups()
    try:
        date = dt.date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        raise ValueError(f"{shorten(value)!r} is not a real date") from None
    return date, "day" if day else "month" if month else "year"


def format_date(date: dt.date | None, precision: str | None) -> str:
    """Print a date at its precision: 2023-02-24, 2023-02, 2023."""
    if date is None:
        return ""
    if precision == "year":
        return f"{date.year:04d}"
    if precision == "month":
        return f"{date.year:04d}-{date.month:02d}"
    return date.isoformat()


def alias_key(text: str) -> str:
    """Lookup key of a name: case and punctuation ignored, except between two digits.

    "LLaMA-2 70B", "llama2-70b" and "Llama 2 70B" all give "llama2-70b"; a decimal point stays
    ("GPT-3 1.3B" -> "gpt3-1.3b"), so 1.3B and 13B never meet. Letters beyond ASCII count: accents
    fold ("Tülu 3" -> "tulu3"), a Greek letter is spelled out ("PanGu-α" -> "pangualpha", as
    "PanGu-Alpha"; "PanGu-Σ" -> "pangusigma"), and other scripts' letters are kept ("源2.0").
    """
    low = text.lower() if text.isascii() else _fold(text)
    low = re.sub(r"(?<=\d)\s*\.\s*(?=\d)", "\x01", low)
    low = re.sub(r"(?<=\d)[^\w\x01]+(?=\d)|(?<=\d)_+(?=\d)", "\x00", low)
    low = re.sub(r"[^\w\x00\x01]+|_+", "", low)
    return low.replace("\x00", "-").replace("\x01", ".")


def _fold(text: str) -> str:
    """Lower case, accents dropped, Greek letters spelled out in Latin letters."""
    letters = []
    for char in unicodedata.normalize("NFKD", text.lower()):
        if unicodedata.combining(char):
            continue
        if "\u0370" <= char <= "\u03ff" and char.isalpha():
            letters.append(unicodedata.name(char, "").rsplit(" ", 1)[-1].lower())
        else:
            letters.append(char)
    return "".join(letters)

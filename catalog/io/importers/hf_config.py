"""A Hugging Face `config.json` -> the architecture facts of one catalogued model.

What is read (the first key present wins; multimodal configs are read from their `text_config` or `llm_config`):

| fact | keys |
| --- | --- |
| layers | num_hidden_layers, n_layer, num_layers (+ num_decoder_layers for encoder-decoders) |
| d_model | hidden_size, n_embd, d_model |
| heads | num_attention_heads, n_head, num_heads |
| kv_heads | num_key_value_heads, num_kv_heads, multi_query_group_num, multi_query (1); absent: = heads |
| attention | from kv_heads: = heads mha, 1 mqa, fewer gqa; kv_lora_rank present: mla |
| vocab_size | vocab_size, padded_vocab_size |
| context_length | rope_scaling.original_max_position_embeddings, else max_position_embeddings, |
|  | n_positions, seq_length |
| context_length_extended | max_position_embeddings above the original, else original x rope_scaling.factor |
| context_extension | rope_scaling.rope_type / type (yarn -> YaRN, linear -> position interpolation, ...) |
| moe, experts, experts_active | num_local_experts, num_experts, n_routed_experts; num_experts_per_tok |
| position_encoding | rope_theta or rope_scaling -> rope; alibi -> alibi |
| arch | architectures: *ForCausalLM -> causal-decoder, *ForMaskedLM -> encoder-only; is_encoder_decoder |

Keys that a config leaves at transformers' defaults are absent from the file and are not guessed
(nested `text_config` sections of multimodal configs often hold only a few keys).

Decisions:

- Source: a local file has no URL, and every source is an http(s) URL, so the caller gives the
  config's URL on the hub (`--source-url https://huggingface.co/ORG/NAME/blob/main/config.json`).
  It becomes a `model-card` source `<model>-config` (an existing source with that URL is reused).
- Values the config states are `reported`, with a note naming the key. Values llmzoo infers
  (attention type, kv_heads when the key is absent, an extended context computed from the RoPE
  factor, moe, arch, position encoding) are `derived`, with the rule as the method.
- The model keeps one row: a curated model becomes a user copy, as with `llmzoo edit` (refreshes of
  the curated data leave it alone), in one transaction with the new source.
- Values that differ from the catalogue's: `fail` (default) refuses and changes nothing; `skip`
  keeps the catalogue's values and adds only missing facts; `update` replaces them.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, Engine, select

from catalog.errors import CatalogError, ConflictError, DataError, shorten
from catalog.records.data import ModelRecord, SourceRecord
from catalog.records.loading import Bundle
from catalog.rules.validation import check_bundle
from catalog.store.db import writing
from catalog.store.schema import Model, Source
from catalog.store.userdata import CONFLICT_POLICIES, delete_models, known_from_db, record_from_db
from catalog.store.writes import bundle_rows, insert_rows
from catalog.units import MAX_INTEGER

LAYERS = ("num_hidden_layers", "n_layer", "num_layers")
HIDDEN = ("hidden_size", "n_embd", "d_model")
HEADS = ("num_attention_heads", "n_head", "num_heads")
KV_HEADS = ("num_key_value_heads", "num_kv_heads")
VOCAB = ("vocab_size", "padded_vocab_size")
POSITIONS = ("max_position_embeddings", "n_positions", "seq_length", "max_sequence_length")
EXPERTS = ("num_local_experts", "num_experts", "n_routed_experts", "moe_num_experts")
EXPERTS_ACTIVE = ("num_experts_per_tok", "moe_top_k", "num_experts_per_token")
EXTENSIONS = {"linear": "position interpolation (linear RoPE scaling)", "dynamic": "dynamic NTK RoPE scaling",
              "yarn": "YaRN", "llama3": "Llama 3 RoPE scaling", "longrope": "LongRoPE", "su": "LongRoPE"}
KNOWN_KEYS = LAYERS + HIDDEN + HEADS + VOCAB + POSITIONS + EXPERTS
NESTED = ("text_config", "llm_config")  # the language model of a multimodal config


@dataclass
class ConfigFact:
    """One fact read or derived from the config, with the key it came from (for line numbers)."""

    field: str
    value: Any
    key: str
    status: str = "reported"
    method: str | None = None
    note: str | None = None

    def as_fact(self, source: str) -> dict[str, Any]:
        return {"value": self.value, "source": source, "status": self.status, "method": self.method,
                "note": self.note or f"config.json: {self.key}"}


@dataclass
class FactDiff:
    """A fact whose catalogued value differs from the config's."""

    field: str
    ours: str
    theirs: str
    where: str


@dataclass
class HfImport:
    """What a config.json import found and did (or, for a dry run, would do)."""

    path: Path
    model_id: str
    source_id: str | None = None
    source_url: str | None = None
    added: list[ConfigFact] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    conflicts: list[FactDiff] = field(default_factory=list)
    replaced: bool = False
    adopted: bool = False
    dry_run: bool = False
    written: bool = False

    @property
    def changed(self) -> bool:
        """Whether the model's record changes (or would, for a dry run)."""
        return bool(self.added or (self.conflicts and self.replaced))


# --- reading the file -------------------------------------------------------------------------

def read_config(path: Path) -> tuple[dict[str, Any], str]:
    """The JSON object of a config.json and its text; DataError with line and column otherwise."""
    if not path.is_file():
        raise DataError([f"{path}: no such file"])
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError([f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); expected a Hugging Face "
                         "config.json"]) from None
    except OSError as exc:
        raise DataError([f"{path}: cannot read: {exc.strerror}"]) from None
    if not text.strip():
        raise DataError([f"{path}: the file is empty; expected a Hugging Face config.json (a JSON object)"])
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError([f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}; expected a Hugging Face "
                         "config.json"]) from None
    except RecursionError:
        raise DataError([f"{path}: values nested too deeply to read; a config.json is a flat object of "
                         "settings"]) from None
    if not isinstance(data, dict):
        raise DataError([f"{path}: a config.json holds one JSON object; this file holds a {type(data).__name__}"])
    return data, text


def _line(text: str, key: str) -> int:
    match = re.search(rf'"{re.escape(key)}"\s*:', text)
    return text.count("\n", 0, match.start()) + 1 if match else 1


class _Reader:
    """Typed access to config keys; every bad value becomes a `FILE:LINE: key: what; fix` problem."""

    def __init__(self, config: dict[str, Any], path: Path, text: str, prefix: str = "") -> None:
        self.config, self.path, self.text, self.prefix = config, path, text, prefix
        self.problems: list[str] = []

    def where(self, key: str) -> str:
        return f"{self.path}:{_line(self.text, key.split('.')[-1])}"

    def first(self, keys: tuple[str, ...]) -> tuple[str, int] | None:
        """(key, value) of the first key present with a positive whole number."""
        for key in keys:
            if self.config.get(key) is not None:
                value = self.whole(self.config[key], key)
                return (self.prefix + key, value) if value is not None else None
        return None

    def whole(self, value: Any, key: str) -> int | None:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or value != int(value) or value <= 0:
            self.problems.append(f"{self.where(key)}: {self.prefix + key}: {shorten(value)!r} is not a positive "
                                 "whole number; a config.json holds plain numbers here (e.g. 32)")
            return None
        if value > MAX_INTEGER:
            self.problems.append(f"{self.where(key)}: {self.prefix + key}: {shorten(value)} is too large; a whole "
                                 f"number here is at most {MAX_INTEGER:,}")
            return None
        return int(value)


# --- config -> facts --------------------------------------------------------------------------

def config_facts(config: dict[str, Any], path: Path, text: str) -> list[ConfigFact]:
    """Every fact the config gives; DataError listing every malformed value at once."""
    prefix = ""
    nested = next((k for k in NESTED if isinstance(config.get(k), dict)), None)
    if nested:
        config, prefix = config[nested], f"{nested}."
    if not any(k in config for k in KNOWN_KEYS):
        raise DataError([f"{path}: none of the keys llmzoo reads ({', '.join(LAYERS + HIDDEN + HEADS)}, ...) is "
                         "in this file; is it a Hugging Face config.json?"])
    reader = _Reader(config, path, text, prefix)
    facts = _shape_facts(reader) + _context_facts(reader) + _expert_facts(reader) + _kind_facts(reader)
    if reader.problems:
        raise DataError(reader.problems)
    return facts


def _shape_facts(r: _Reader) -> list[ConfigFact]:
    facts = []
    layers = r.first(LAYERS)
    decoder = r.first(("num_decoder_layers",)) if r.config.get("is_encoder_decoder") else None
    if layers and decoder:
        facts.append(ConfigFact("layers", layers[1] + decoder[1], layers[0], "derived",
                                f"{layers[0]} + {decoder[0]}",
                                f"encoder {layers[1]} + decoder {decoder[1]} layers"))
    elif layers:
        facts.append(ConfigFact("layers", layers[1], layers[0]))
    for name, keys in (("d_model", HIDDEN), ("vocab_size", VOCAB)):
        found = r.first(keys)
        if found:
            facts.append(ConfigFact(name, found[1], found[0]))
    heads = r.first(HEADS)
    if heads:
        facts.append(ConfigFact("heads", heads[1], heads[0]))
        facts += _attention_facts(r, heads)
    return facts


def _attention_facts(r: _Reader, heads: tuple[str, int]) -> list[ConfigFact]:
    if r.config.get("kv_lora_rank") is not None:
        rank = r.whole(r.config["kv_lora_rank"], "kv_lora_rank")
        return [ConfigFact("attention", "mla", r.prefix + "kv_lora_rank", "derived", "kv_lora_rank present",
                           f"multi-head latent attention, KV rank {rank}")]
    kv = r.first(KV_HEADS)
    if kv is None and r.config.get("multi_query_attention") and r.config.get("multi_query_group_num"):
        kv = r.first(("multi_query_group_num",))
    if kv is None and r.config.get("multi_query") is True:
        kv_fact = ConfigFact("kv_heads", 1, r.prefix + "multi_query", "derived", "multi_query: true")
    elif kv is None and r.prefix:
        return []  # a nested config leaves out its class defaults: the count is not in the file
    elif kv is None:
        kv_fact = ConfigFact("kv_heads", heads[1], heads[0], "derived",
                             f"num_key_value_heads absent: equals {heads[0]}")
    else:
        kv_fact = ConfigFact("kv_heads", kv[1], kv[0])
    kind = "mha" if kv_fact.value == heads[1] else "mqa" if kv_fact.value == 1 else "gqa"
    return [kv_fact, ConfigFact("attention", kind, kv_fact.key, "derived",
                                f"{kv_fact.value} key/value heads for {heads[1]} query heads")]


def _rope_scaling(r: _Reader) -> tuple[str | None, float | None, tuple[str, int] | None]:
    scaling = r.config.get("rope_scaling")
    if scaling is None:
        return None, None, None
    if not isinstance(scaling, dict):
        r.problems.append(f"{r.where('rope_scaling')}: {r.prefix}rope_scaling: {scaling!r} is not an object; "
                          'write {"rope_type": "yarn", "factor": 4.0, ...} or null')
        return None, None, None
    kind = scaling.get("rope_type") or scaling.get("type")
    factor = scaling.get("factor")
    if factor is not None and (isinstance(factor, bool) or not isinstance(factor, (int, float)) or factor <= 0):
        r.problems.append(f"{r.where('factor')}: {r.prefix}rope_scaling.factor: {factor!r} is not a positive "
                          "number (e.g. 4.0)")
        factor = None
    original = None
    if scaling.get("original_max_position_embeddings") is not None:
        value = r.whole(scaling["original_max_position_embeddings"], "original_max_position_embeddings")
        original = (f"{r.prefix}rope_scaling.original_max_position_embeddings", value) if value else None
    return (str(kind) if kind else None), (float(factor) if factor else None), original


def _context_facts(r: _Reader) -> list[ConfigFact]:
    positions = r.first(POSITIONS)
    kind, factor, original = _rope_scaling(r)
    native = original or positions
    if native is None:
        return []
    facts = [ConfigFact("context_length", native[1], native[0])]
    if positions and positions[1] > native[1]:
        facts.append(ConfigFact("context_length_extended", positions[1], positions[0]))
    elif factor and factor > 1:
        facts.append(ConfigFact("context_length_extended", round(native[1] * factor), native[0], "derived",
                                f"{native[0].split('.')[-1]} x rope_scaling.factor ({factor:g})"))
    if len(facts) > 1 and kind:
        facts.append(ConfigFact("context_extension", EXTENSIONS.get(kind.lower(), f"RoPE scaling ({kind})"),
                                r.prefix + "rope_scaling", note=f"config.json: rope_scaling type {kind}"))
    return facts


def _expert_facts(r: _Reader) -> list[ConfigFact]:
    experts = r.first(EXPERTS)
    if experts is None or experts[1] < 2:
        return []
    shared = r.config.get("n_shared_experts")
    note = f"config.json: {experts[0]}" + (f" (plus {shared} shared)" if shared else "")
    facts = [ConfigFact("moe", True, experts[0], "derived", f"{experts[0]} = {experts[1]}"),
             ConfigFact("experts", experts[1], experts[0], note=note)]
    active = r.first(EXPERTS_ACTIVE)
    if active:
        facts.append(ConfigFact("experts_active", active[1], active[0]))
    return facts


def _kind_facts(r: _Reader) -> list[ConfigFact]:
    facts = []
    config, prefix = r.config, r.prefix
    attn_config: dict[str, Any] = config["attn_config"] if isinstance(config.get("attn_config"), dict) else {}
    if config.get("alibi") is True or attn_config.get("alibi") is True:
        facts.append(ConfigFact("position_encoding", "alibi", prefix + "alibi", "derived", "alibi: true"))
    elif config.get("rope_theta") is not None or isinstance(config.get("rope_scaling"), dict):
        key = "rope_theta" if config.get("rope_theta") is not None else "rope_scaling"
        facts.append(ConfigFact("position_encoding", "rope", prefix + key, "derived", f"{key} present"))
    architectures = config.get("architectures") or []
    name = architectures[0] if isinstance(architectures, list) and architectures else ""
    arch = "encoder-decoder" if config.get("is_encoder_decoder") is True else \
        "causal-decoder" if isinstance(name, str) and name.endswith(("ForCausalLM", "LMHeadModel")) else \
        "encoder-only" if isinstance(name, str) and name.endswith("ForMaskedLM") else None
    if arch:
        key, method = ("is_encoder_decoder", "is_encoder_decoder: true") if arch == "encoder-decoder" else \
            ("architectures", f"architectures: {name}")
        facts.append(ConfigFact("arch", arch, prefix + key, "derived", method))
    return facts


# --- applying ---------------------------------------------------------------------------------

def show_value(value: Any) -> str:
    """A fact value as the reports print it: 80, true, mha, unpublished."""
    if value is None:
        return "unpublished"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _source(conn: Connection, model_id: str, url: str) -> tuple[str, SourceRecord | None]:
    """The id citing `url` (reused if the catalogue has it) and the record to add, if new."""
    existing = conn.execute(select(Source.id).where(Source.url == url).order_by(Source.id)).scalar()
    if existing:
        return existing, None
    taken = set(conn.execute(select(Source.id).where(Source.id.startswith(f"{model_id}-config"))).scalars())
    source_id, n = f"{model_id}-config", 1
    while source_id in taken:
        n += 1
        source_id = f"{model_id}-config-{n}"
    hub = re.match(r"^https?://(?:www\.)?huggingface\.co/([^/\s]+/[^/\s]+)", url)
    title = f"config.json of {hub.group(1)} on Hugging Face" if hub else f"config.json ({url})"
    try:
        return source_id, SourceRecord(id=source_id, url=url, title=title, kind="model-card")
    except ValidationError:
        raise DataError([f"--source-url: {url!r} is not an http(s) URL; give the config's address on the hub, "
                         "e.g. https://huggingface.co/ORG/NAME/blob/main/config.json"]) from None


def _compare(record: ModelRecord, facts: list[ConfigFact], result: HfImport, path: Path, text: str) -> None:
    for fact in facts:
        current = getattr(record, fact.field)
        if current is None:
            result.added.append(fact)
        elif current.value == fact.value:
            result.unchanged.append(fact.field)
        else:
            where = f"{path}:{_line(text, fact.key.split('.')[-1])}"
            result.conflicts.append(FactDiff(fact.field, show_value(current.value), show_value(fact.value), where))


def _refuse(result: HfImport) -> ConflictError:
    lines = [f"{d.where}: {d.field}: catalogue {d.ours}, config.json {d.theirs}" for d in result.conflicts]
    count = len(lines)
    return ConflictError("\n  ".join([
        f"{count} fact{'s' if count > 1 else ''} of {result.model_id} differ{'s' if count == 1 else ''} from "
        "the config; nothing was changed:", *lines,
        "use --on-conflict skip to keep the catalogue's values and add only the missing facts, or "
        "--on-conflict update to replace them"]))


def import_hf_config(engine: Engine, path: Path, model: str, source_url: str | None = None,
                     on_conflict: str = "fail", dry_run: bool = False) -> HfImport:
    """Fill the architecture facts of `model` from a config.json cited by `source_url` (one transaction)."""
    from catalog.query.models import resolve_model

    if on_conflict not in CONFLICT_POLICIES:
        raise CatalogError(f"--on-conflict must be one of {', '.join(CONFLICT_POLICIES)}")
    config, text = read_config(path)
    facts = config_facts(config, path, text)
    if not source_url:
        raise CatalogError("every fact needs a source, and a local file has no address: give --source-url with "
                           "the config's URL on the hub (https://huggingface.co/ORG/NAME/blob/main/config.json)")
    with writing(engine) as conn:
        model_id = resolve_model(conn, model)
        result = HfImport(path=path, model_id=model_id, source_url=source_url, dry_run=dry_run,
                          replaced=on_conflict == "update")
        result.source_id, new_source = _source(conn, model_id, source_url)
        record = record_from_db(conn, model_id)
        _compare(record, facts, result, path, text)
        if result.conflicts and on_conflict == "fail":
            raise _refuse(result)
        if not result.changed:
            return result
        result.adopted = conn.execute(select(Model.origin).where(Model.id == model_id)).scalar_one() == "curated"
        bundle = _updated_bundle(record, result, facts, new_source)
        report = check_bundle(bundle, known_from_db(conn, exclude_models={model_id}))
        if report.errors:
            raise DataError(report.errors)
        if dry_run:
            return result
        delete_models(conn, [model_id], keep_children=True)
        insert_rows(conn, bundle_rows(bundle, "user"))
        result.written = True
    return result


def _updated_bundle(record: ModelRecord, result: HfImport, facts: list[ConfigFact],
                    new_source: SourceRecord | None) -> Bundle:
    conflicting = {d.field for d in result.conflicts} if result.replaced else set()
    data = record.model_dump()
    for fact in facts:
        if fact in result.added or fact.field in conflicting:
            data[fact.field] = fact.as_fact(result.source_id or "")
    try:
        updated = ModelRecord.model_validate(data)
    except ValidationError as exc:
        raise DataError([f"{result.path}: {'.'.join(map(str, e['loc']))}: {e['msg'].removeprefix('Value error, ')}"
                         for e in exc.errors()]) from None
    bundle = Bundle(models={record.id: updated})
    if new_source is not None:
        bundle.sources[new_source.id] = new_source
    bundle.where[("models", record.id)] = f"{result.path} -> {record.id}"
    return bundle

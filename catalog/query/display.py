"""How facts read in tables and pages: human units and status marks, shared by the CLI and the site."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from catalog.units import format_count, format_flop

COUNT_FIELDS = {"params", "active_params", "train_tokens", "pretrain_tokens", "tokens", "bytes", "documents",
                "chinchilla_optimal_params", "accelerator_hours"}
FLOP_FIELDS = {"train_compute", "pretrain_compute", "compute", "compute_hardware"}
MARKS = {"nominal": "c.", "estimated": "~", "derived": "=", "inherited": "^", "unpublished": "",
         "user": "*"}
LABELS = {
    "released": "released", "arch": "architecture", "moe": "mixture of experts", "params": "parameters",
    "active_params": "active parameters", "experts": "experts", "experts_active": "experts per token",
    "train_tokens": "training tokens", "train_compute": "training compute (FLOP)",
    "pretrain_tokens": "pre-training tokens", "pretrain_compute": "pre-training compute (FLOP)",
    "context_length": "context length", "context_length_extended": "extended context",
    "context_extension": "context extension", "context_window": "context window",
    "max_output_tokens": "max output tokens", "layers": "layers", "d_model": "d_model", "heads": "heads",
    "kv_heads": "KV heads", "attention": "attention", "position_encoding": "position encoding",
    "vocab_size": "vocabulary", "modality": "modality", "open_weights": "open weights", "license": "license",
    "hardware": "training hardware", "hardware_count": "accelerators", "training_days": "training days",
    "accelerator_hours": "accelerator-hours", "mfu": "model FLOP utilization", "knowledge_cutoff": "knowledge cutoff",
    "training_languages": "training languages", "adaptation": "adaptation stages", "adaptation_data": "adaptation data",
}


def human(name: str, value: Any, status: str | None = None) -> str:
    """A fact as a table shows it: 6.7B, ~1.4T (estimated), =3.14e23 (derived), n/d, yes/no."""
    if status == "unpublished" and value is None:
        return "n/d"
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if name in COUNT_FIELDS:
        text = format_count(value)
    elif name in FLOP_FIELDS:
        text = format_flop(value)
    elif name in ("tokens_per_param", "chinchilla_ratio"):
        text = f"{value:.0f}" if value >= 100 else f"{value:.3g}"
    elif isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, float):
        text = f"{value:.3g}"
    elif isinstance(value, (list, tuple)):
        text = ", ".join(map(str, value))
    else:
        text = str(value)
    return MARKS.get(status or "", "") + text


def human_bytes(value: float | None, status: str | None = None) -> str:
    """A size in bytes in SI units, so it never reads as a count: 8.86e11 -> 886 GB, 21.3e12 -> 21.3 TB."""
    text = human("bytes", value, status)
    units = {"K": " kB", "M": " MB", "B": " GB", "T": " TB", "P": " PB"}
    return text[:-1] + units[text[-1]] if text and text[-1] in units else (text + " B" if text[-1:].isdigit() else text)


# Characters a terminal acts on rather than shows: C0 controls but tab and line feed (ESC starts
# the sequences that clear the screen, set the window title, write the clipboard), DEL, the C1
# controls (0x9b is a one-byte CSI), and the bidirectional overrides and isolates that make text
# read in another order than it is stored (U+202E).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """Text as a terminal may show it: every control character and bidirectional override written
    visibly as an escape, `\\x1b` or `\\u202e`; tab and line feed kept. Other text is unchanged."""
    if text.isprintable():
        return text
    return _UNSAFE.sub(_visible, text)


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


#: What the columns a reader most often misreads mean (data/README.md has every field); `llmzoo columns
#: --describe` prints them, the other columns with their LABELS.
MEANINGS = {
    "train_tokens": "tokens of the model's own training stage (a fine-tune: its fine-tuning, not its base's)",
    "train_compute": "training compute in FLOP as a source reports or estimates it",
    "pretrain_tokens": "a derived model's pre-training tokens: its base's train_tokens, inherited (^)",
    "pretrain_compute": "a derived model's pre-training compute: its base's train_compute, inherited (^)",
    "context_length": "the sequence length the model was (pre-)trained with, exact tokens",
    "context_length_extended": "the longest context the released model supports after an extension, exact tokens",
    "context_extension": "how the context was extended (YaRN, position interpolation, ...)",
    "context_window": "the longest input the released model accepts as its maker documents it, exact tokens; "
                      "derived (=) from the extended, else the trained length where none is stated; "
                      "`context` in tables, --min-context / --max-context filter on it",
    "max_output_tokens": "the longest output the maker documents for the released model, exact tokens",
}


class DerivedRow(NamedTuple):
    """A value computed from a model's facts, as a model's view lists it after the facts."""

    label: str
    value: str
    status: str
    note: str


def derived_rows(computed: Mapping[str, Any], chinchilla: bool = False) -> list[DerivedRow]:
    """The computed values of a model (`ModelDetail["computed"]`) worded for people: compute from 6·N·D
    and from hardware, tokens per parameter and, with `chinchilla`, its Chinchilla position. One
    wording for `llmzoo show` and the site's model pages."""
    rows = []
    if computed.get("compute") and computed.get("compute_status") == "6ND":
        rows.append(DerivedRow("training compute (FLOP)", "=" + human("compute", computed["compute"]),
                               "derived (6ND)", "6 x params x training tokens"))
    if computed.get("compute_hardware"):
        rows.append(DerivedRow("training compute (FLOP)", "~" + human("compute", computed["compute_hardware"]),
                               "estimated (hardware)", computed.get("compute_hardware_method") or ""))
    if computed.get("tokens_per_param"):
        rows.append(DerivedRow("tokens per parameter", f"{computed['tokens_per_param']:.3g}", "derived", ""))
    if chinchilla and computed.get("chinchilla_optimal_params"):
        rows.append(DerivedRow("Chinchilla-optimal size", "=" + human("params", computed["chinchilla_optimal_params"]),
                               "derived", "parameters that would use its training compute best (Hoffmann et al. 2022)"))
    if chinchilla and computed.get("chinchilla_ratio"):
        rows.append(DerivedRow("tokens per parameter vs Chinchilla",
                               human("chinchilla_ratio", computed["chinchilla_ratio"]) + "×", "derived",
                               "above 1: over-trained for its size; below 1: under-trained"))
    return rows


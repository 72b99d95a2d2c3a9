"""Human-form numbers: parse `7B`, `1.4T`, `65 B`, `3.1e23`, `1_000`; print them back.

Suffixes are decimal (K=1e3, M=1e6, B/G=1e9, T=1e12, P=1e15): `K` never means 1024.
"""

from __future__ import annotations

import math
import re

from catalog.errors import UnitError, shorten

SUFFIXES = {"K": 1e3, "M": 1e6, "B": 1e9, "G": 1e9, "T": 1e12, "P": 1e15}
_NUMBER = re.compile(r"^([0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9]+)(?:[eE]([+-]?[0-9]+))?\s*([A-Za-z]?)$")
MAX_INTEGER = 2**63 - 1  # the largest whole number SQLite and PostgreSQL (BIGINT) store
ACCEPTED = "a number such as 7000000000, 7e9, 7B, 1.4T, 350M, 65 B (K, M, B, T, P are powers of 1000)"


def parse_count(value: object, what: str = "value") -> float:
    """Read a positive count from a number or a human string; raise UnitError naming the forms."""
    if isinstance(value, bool):
        raise UnitError(f"{what}: {shorten(value)!r} is not a number; write {ACCEPTED}")
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        number = _parse_text(value.strip(), what)
    else:
        raise UnitError(f"{what}: {shorten(value)!r} is not a number; write {ACCEPTED}")
    if not math.isfinite(number) or number <= 0:
        raise UnitError(f"{what}: {shorten(value)!r} must be a positive number; write {ACCEPTED}")
    return number


def _parse_text(text: str, what: str) -> float:
    match = _NUMBER.match(text)
    if not match or text.startswith("_") or "__" in text:
        raise UnitError(f"{what}: {shorten(text)!r} is not a number; write {ACCEPTED}")
    mantissa, exponent, suffix = match.groups()
    if suffix and suffix.upper() not in SUFFIXES:
        raise UnitError(f"{what}: {shorten(text)!r} has an unknown unit {suffix!r}; write {ACCEPTED}")
    try:
        number = float(mantissa.replace("_", "") + (f"e{exponent}" if exponent else ""))
    except (ValueError, OverflowError):
        raise UnitError(f"{what}: {shorten(text)!r} is not a number; write {ACCEPTED}") from None
    if suffix:
        number *= SUFFIXES[suffix.upper()]
    return number


def parse_int(value: object, what: str = "value") -> int:
    """Read a positive whole number (plain digits; suffixes allowed only if the result is whole)."""
    if isinstance(value, int) and not isinstance(value, bool) and value > MAX_INTEGER:
        raise UnitError(f"{what}: {shorten(value)} is too large; a whole number here is at most {MAX_INTEGER:,}")
    number = parse_count(value, what)
    if number != int(number):
        raise UnitError(f"{what}: {shorten(value)!r} is not a whole number")
    if number > MAX_INTEGER:
        raise UnitError(f"{what}: {shorten(value)!r} is too large; a whole number here is at most {MAX_INTEGER:,}")
    return int(number)


def format_count(value: float | int | None, digits: int = 3) -> str:
    """Print a count in human form: 6.7e9 -> '6.7B', 1.4e12 -> '1.4T', 3.14e23 -> '3.14e23'."""
    if value is None:
        return ""
    value = float(value)
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 1e18 or magnitude < 1:
        return f"{value:.{digits}g}".replace("e+", "e")
    for suffix, scale in (("P", 1e15), ("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if magnitude >= scale:
            return _trim(f"{value / scale:.{digits}g}") + suffix
    return _trim(f"{value:.{digits}g}")


def _trim(text: str) -> str:
    """'1e+03' (999.5 rounded up) -> '1000'."""
    return f"{float(text):.0f}" if "e" in text else text


def format_flop(value: float | None) -> str:
    """Print FLOP in scientific form: 3.14e23."""
    if value is None:
        return ""
    return f"{float(value):.3g}".replace("e+", "e")

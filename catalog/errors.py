"""Exceptions raised by the catalog library. The CLI turns each into `Error: ...`, exit 1."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

QUOTE_LIMIT = 80  # characters of a value quoted in a message


def shorten(value: Any, limit: int = QUOTE_LIMIT) -> Any:
    """A value as a message may quote it: strings and other long values cut to `limit` characters.

    Messages quote what a user wrote; a 1 MB cell (or an expanded YAML alias) must not become a
    1 MB message. Short values come back unchanged, so `{shorten(v)!r}` reads as `{v!r}` did.
    """
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 3 * limit:
        return f"an integer of about {int(value.bit_length() * 0.30103) + 1:,} digits"
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    text = value if isinstance(value, str) else repr(value)
    if len(text) <= limit:
        return value
    return f"{text[:limit]}... ({len(text):,} characters)"


def not_known(name: str, known: Iterable[str], what: str, fix: str, noun: str | None = None) -> str:
    """The problem of an unknown column or key, with the closest known name when one is close:
    "column 'parms' is not an llmzoo column; did you mean 'params'?" (`fix` when none is)."""
    import difflib

    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}?" if close else fix
    return f"{what} {shorten(name)!r} is not an llmzoo {noun or what}; {hint}"


NAMED_UNKNOWN = 20  # unknown columns or keys named one by one in a file's (or a record's) problems


def header_problems(header: list[str], required: Iterable[str], known: frozenset[str], writer: str) -> list[str]:
    """What is wrong with a CSV header: unknown columns (each with the closest known one), columns
    named twice, required columns missing. Every problem, in header order."""
    from collections import Counter

    counts = Counter(header)
    problems = _unknown([name for name in counts if name not in known], known, "column", "column",
                        f"the header must be the one `{writer}` writes")
    problems += [f"column {name!r} appears {n} times; keep one" for name, n in counts.items() if n > 1]
    missing = [c for c in required if c not in counts]
    if missing:
        problems.append(f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}; "
                        f"the header must be the one `{writer}` writes")
    return problems


def unknown_keys(row: dict[str, Any], known: frozenset[str], writer: str) -> list[str]:
    """One problem per key of a JSON record that is not a known field, with the closest known one."""
    if row.keys() <= known:
        return []
    return _unknown([key for key in row if key not in known], known, "key", "field",
                    f"the keys are the columns `{writer}` writes")


def _unknown(names: list[str], known: frozenset[str], what: str, noun: str, fix: str) -> list[str]:
    problems = [not_known(name, known, what, fix, noun) for name in names[:NAMED_UNKNOWN]]
    if len(names) > NAMED_UNKNOWN:
        problems.append(f"... and {len(names) - NAMED_UNKNOWN:,} more unknown {what}s")
    return problems


class CatalogWarning(UserWarning):
    """Something a read had to leave out (a stored value it cannot compute with); the CLI prints it."""


class CatalogError(Exception):
    """Base class of every error a user can cause and fix."""


class UnitError(CatalogError, ValueError):
    """A human-form number (7B, 1.4T, 3.1e23) could not be read."""


class DataError(CatalogError):
    """One or more problems in data files or imported records, each `where: what`."""

    def __init__(self, problems: list[str], path: str | None = None) -> None:
        self.problems = list(problems)
        self.path = path
        super().__init__(self.render())

    def render(self, limit: int = 50) -> str:
        shown = self.problems[:limit]
        more = len(self.problems) - len(shown)
        head = f"{len(self.problems)} problem{'s' if len(self.problems) != 1 else ''}"
        if self.path:
            head += f" in {self.path}"
        lines = [head + ":"] + [f"  {p}" for p in shown]
        if more > 0:
            lines.append(f"  ... and {more} more")
        return "\n".join(lines)


class UnknownModel(CatalogError, LookupError):
    """No model has this id, name or alias."""

    def __init__(self, name: str, suggestions: list[str] | None = None) -> None:
        self.name = name
        self.suggestions = suggestions or []
        msg = f"no model named {shorten(name)!r}"
        if self.suggestions:
            msg += "; did you mean " + ", ".join(self.suggestions) + "?"
        else:
            msg += "; run `llmzoo list --search TEXT` to find one"
        super().__init__(msg)


class AmbiguousModel(CatalogError, LookupError):
    """A name that denotes several models (a family's name, a repo several models cite)."""

    SHOWN = 12

    def __init__(self, name: str, candidates: list[str], what: str) -> None:
        self.name = name
        self.candidates = candidates
        more = len(candidates) - self.SHOWN
        listed = ", ".join(candidates[:self.SHOWN]) + (f" and {more} more" if more > 0 else "")
        super().__init__(f"{shorten(name)!r} names {len(candidates)} models {what}; did you mean {listed}?")


class DatabaseError(CatalogError):
    """The database cannot be opened, is not a catalogue, or is from a newer llmzoo."""


class DamagedDatabase(DatabaseError):
    """A SQLite file with corrupt pages: nothing is written into it; restore it from a backup."""


class ConflictError(CatalogError):
    """A record would overwrite or duplicate an existing one."""

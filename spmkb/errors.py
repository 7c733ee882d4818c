"""One error hierarchy for spmkb: every user-facing failure is an ``SpmkbError``.

Errors carry structured location fields (``path``, ``line``, ``row``, ``field``) and a
``hint`` that says how to fix the problem. Faces (CLI, widgets) convert them to text at
the edge with ``str(err)``; the core never prints.

Batch loaders do not stop at the first problem: they collect :class:`Problem` records,
load the valid rest, and report every problem with its location.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]


def _location(path: str | Path | None, line: int | None, row: int | None, field: str | None) -> str:
    parts: list[str] = []
    if path is not None:
        parts.append(str(path) + (f":{line}" if line is not None else ""))
    elif line is not None:
        parts.append(f"line {line}")
    if row is not None:
        parts.append(f"row {row}")
    if field is not None:
        parts.append(f"field '{field}'")
    return ", ".join(parts)


class SpmkbError(Exception):
    """Base of every error spmkb raises on purpose; ``str()`` is the user-facing message."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        row: int | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.row = row
        self.field = field
        self.hint = hint

    def __str__(self) -> str:
        where = _location(self.path, self.line, self.row, self.field)
        text = f"{where}: {self.message}" if where else self.message
        if self.hint:
            text += f" — {self.hint}"
        return text

    def to_dict(self) -> dict[str, Any]:
        """Return the error as a JSON-ready dict."""
        return {
            "error": type(self).__name__,
            "message": self.message,
            "path": self.path,
            "line": self.line,
            "row": self.row,
            "field": self.field,
            "hint": self.hint,
        }


class ConfigError(SpmkbError):
    """A settings file, environment variable or flag is invalid."""


class ContentError(SpmkbError):
    """A playbook or asset file cannot be read or is invalid."""


class ModelError(SpmkbError):
    """The embedding model cannot be loaded."""


class StoreError(SpmkbError):
    """The vector index (Chroma) cannot be reached, read or written."""


class SearchError(SpmkbError):
    """A search request is invalid (bad filter, empty index, ...)."""


class DealDataError(SpmkbError):
    """A deal data file cannot be read or does not fit the canonical schema."""


class StorageError(SpmkbError):
    """The workspace SQLite database is missing, corrupt or locked."""


class ReviewError(SpmkbError):
    """A review cannot be generated, saved or found."""


class OnboardingError(SpmkbError):
    """An onboarding enrolment, plan, completion or certification is invalid."""


class NotebookError(SpmkbError):
    """A parameterised notebook failed to run; ``cell`` is the failing template cell (1-based)."""

    cell: int | None = None
    source: str = ""


class ConflictError(StorageError):
    """A save lost a race with another writer; reload and save again."""


class AppBusyError(SpmkbError):
    """The hosted app already runs its maximum number of kernels; ``running`` and ``limit``."""

    def __init__(self, running: int, limit: int) -> None:
        who = "1 person is" if running == 1 else f"{running} people are"
        super().__init__(
            f"The app is busy: {who} using it; try again in a minute",
            hint=f"at most {limit} at once (SPMKB_APP_MAX_KERNELS)",
        )
        self.running = running
        self.limit = limit


class NotFoundError(SpmkbError):
    """A named thing (rep, asset, review, period) does not exist; ``suggestions`` lists close names."""

    def __init__(self, message: str, *, suggestions: list[str] | None = None, **kw: Any) -> None:
        self.suggestions = list(suggestions or [])
        if self.suggestions and "hint" not in kw:
            kw["hint"] = "did you mean " + ", ".join(repr(s) for s in self.suggestions) + "?"
        super().__init__(message, **kw)


@dataclass
class Problem:
    """One problem found by a batch loader or linter, with its location and a fix."""

    severity: Severity
    code: str
    message: str
    path: str | None = None
    line: int | None = None
    row: int | None = None
    field: str | None = None
    value: Any = None
    hint: str | None = None

    def __str__(self) -> str:
        where = _location(self.path, self.line, self.row, self.field)
        text = (
            f"{where}: {self.severity}: {self.message}"
            if where
            else f"{self.severity}: {self.message}"
        )
        if self.hint:
            text += f" — {self.hint}"
        return text

    def to_dict(self) -> dict[str, Any]:
        """Return the problem as a JSON-ready dict."""
        d = asdict(self)
        if d["value"] is not None and not isinstance(d["value"], (str, int, float, bool)):
            d["value"] = str(d["value"])
        return d

    @classmethod
    def from_error(cls, err: SpmkbError, code: str = "error") -> Problem:
        """Turn a raised ``SpmkbError`` into an error-severity problem."""
        return cls(
            "error",
            code,
            err.message,
            path=err.path,
            line=err.line,
            row=err.row,
            field=err.field,
            hint=err.hint,
        )


class HasProblems:
    """Mixin for results that carry a ``problems`` list: its ``errors`` and ``warnings``."""

    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        """Problems with severity ``error``."""
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        """Problems with severity ``warning``."""
        return [p for p in self.problems if p.severity == "warning"]


def suggest(name: str, choices: list[str] | tuple[str, ...] | set[str], n: int = 3) -> list[str]:
    """Return up to ``n`` close matches of ``name`` among ``choices`` (case-insensitive)."""
    import difflib

    lowered = {c.lower(): c for c in choices}
    hits = difflib.get_close_matches(name.lower(), list(lowered), n=n, cutoff=0.6)
    return [lowered[h] for h in hits]


def did_you_mean(
    name: str, choices: Iterable[str], known: str, shown: Iterable[str] | None = None
) -> str:
    """Hint for an unknown ``name``: ``did you mean 'x'? <known>a, b, c``.

    The closest of ``choices`` (if any is close) comes first, then ``known`` followed by
    ``shown`` (default: the choices) joined with commas.
    """
    choices = list(choices)
    close = suggest(name, choices)
    listed = ", ".join(choices if shown is None else shown)
    return (f"did you mean '{close[0]}'? " if close else "") + known + listed

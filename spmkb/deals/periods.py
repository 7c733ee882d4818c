"""Reporting periods: years ``2026``, halves ``2026-H2``, quarters ``2026-Q3``, months ``2026-07``.

A :class:`Period` knows its first and last day (both inclusive), its neighbours and whether
it contains a date. Labels round-trip: ``str(Period.parse("2026-q3")) == "2026-Q3"``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from spmkb.errors import DealDataError

#: Period kinds and the number of months each spans.
KINDS: dict[str, int] = {"year": 12, "half": 6, "quarter": 3, "month": 1}
_ALIASES = {
    "y": "year", "year": "year", "yearly": "year", "annual": "year",
    "h": "half", "half": "half", "half-year": "half",
    "q": "quarter", "quarter": "quarter", "quarterly": "quarter",
    "m": "month", "month": "month", "monthly": "month",
}  # fmt: skip
_PATTERNS = (
    (re.compile(r"^(\d{4})$"), "year"),
    (re.compile(r"^(\d{4})-?H([12])$", re.IGNORECASE), "half"),
    (re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE), "quarter"),
    (re.compile(r"^(\d{4})-(\d{1,2})$"), "month"),
)
_HINT = "use a year (2026), half (2026-H2), quarter (2026-Q3) or month (2026-07)"


def normalise_kind(kind: str) -> str:
    """Return the canonical kind name for ``kind`` (``q`` -> ``quarter``) or raise DealDataError."""
    canon = _ALIASES.get(str(kind).strip().lower())
    if canon is None:
        raise DealDataError(
            f"unknown period kind {kind!r}", hint="use year, half, quarter or month"
        )
    return canon


def _as_date(value: Any) -> date:
    """Coerce a date, datetime, pandas Timestamp or ISO string to a ``date``."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if hasattr(value, "to_pydatetime"):
        return value.to_pydatetime().date()
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            raise DealDataError(f"invalid date {value!r}", hint="use YYYY-MM-DD") from None
    raise DealDataError(f"invalid date {value!r}", hint="use YYYY-MM-DD")


@dataclass(frozen=True, order=True)
class Period:
    """A calendar period: ``kind`` (year/half/quarter/month), ``year`` and 1-based ``index``."""

    kind: str
    year: int
    index: int = 1

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise DealDataError(f"unknown period kind {self.kind!r}", hint=_HINT)
        top = 12 // KINDS[self.kind]
        if not 1 <= self.index <= top:
            raise DealDataError(f"{self.kind} index must be 1..{top}, got {self.index}", hint=_HINT)

    @classmethod
    def parse(cls, value: str | int | Period) -> Period:
        """Parse a label such as ``2026-Q3``, ``2026-07``, ``2026-H2`` or ``2026``."""
        if isinstance(value, Period):
            return value
        text = str(value).strip()
        for pattern, kind in _PATTERNS:
            m = pattern.match(text)
            if m:
                year = int(m.group(1))
                index = int(m.group(2)) if kind != "year" else 1
                if kind == "month" and not 1 <= index <= 12:
                    raise DealDataError(f"invalid month in period {text!r}", hint=_HINT)
                return cls(kind, year, index)
        raise DealDataError(f"cannot read period {text!r}", field="period", hint=_HINT)

    @property
    def label(self) -> str:
        """The canonical label, e.g. ``2026-Q3``."""
        if self.kind == "year":
            return f"{self.year}"
        if self.kind == "half":
            return f"{self.year}-H{self.index}"
        if self.kind == "quarter":
            return f"{self.year}-Q{self.index}"
        return f"{self.year}-{self.index:02d}"

    def __str__(self) -> str:
        return self.label

    @property
    def months(self) -> int:
        """Number of months the period spans."""
        return KINDS[self.kind]

    @property
    def _first_month(self) -> int:
        return (self.index - 1) * self.months + 1

    @property
    def start(self) -> date:
        """First day of the period."""
        return date(self.year, self._first_month, 1)

    @property
    def end(self) -> date:
        """Last day of the period (inclusive)."""
        return self.next().start - timedelta(days=1)

    @property
    def days(self) -> int:
        """Number of days in the period."""
        return (self.end - self.start).days + 1

    def _shift(self, n: int) -> Period:
        per_year = 12 // self.months
        pos = self.year * per_year + (self.index - 1) + n
        return Period(self.kind, pos // per_year, pos % per_year + 1)

    def previous(self, n: int = 1) -> Period:
        """The period ``n`` steps before this one (same kind)."""
        return self._shift(-n)

    def next(self, n: int = 1) -> Period:
        """The period ``n`` steps after this one (same kind)."""
        return self._shift(n)

    def contains(self, value: Any) -> bool:
        """Whether a date (or a smaller period) lies inside this period."""
        if isinstance(value, Period):
            return self.start <= value.start and value.end <= self.end
        d = _as_date(value)
        return self.start <= d <= self.end

    def to_dict(self) -> dict[str, Any]:
        """Return the period as a JSON-ready dict."""
        return {
            "label": self.label,
            "kind": self.kind,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
        }


_WINDOW = re.compile(r"^(?:days?\s*)?(\d+)\s*(?:-|–|to|\.\.)\s*(\d+)(?:\s*days?)?$", re.IGNORECASE)
_FIRST = re.compile(r"^first\s+(\d+)\s+days?$", re.IGNORECASE)


@dataclass(frozen=True)
class Window:
    """A tenure window: days ``start`` to ``end`` (inclusive) after EACH rep's own start date.

    ``Window(0, 89)`` is "the first 90 days" of every hire, whatever their start date. Metrics
    that only need a start and an end date accept a window wherever they accept a period.
    """

    start: int
    end: int

    def __post_init__(self) -> None:
        if self.start < 0 or self.end < self.start:
            raise DealDataError(
                f"invalid tenure window days {self.start}-{self.end}",
                field="window",
                hint="use 'days 0-90' (start >= 0, end >= start)",
            )

    @classmethod
    def parse(cls, value: str | Window) -> Window:
        """Parse ``days 0-90``, ``0-90``, ``days 91 to 180`` or ``first 90 days``."""
        if isinstance(value, Window):
            return value
        text = str(value).strip()
        m = _FIRST.match(text)
        if m:
            return cls(0, int(m.group(1)) - 1)
        m = _WINDOW.match(text)
        if m:
            return cls(int(m.group(1)), int(m.group(2)))
        raise DealDataError(
            f"cannot read tenure window {text!r}",
            field="window",
            hint="use 'days 0-90' or 'first 90 days'",
        )

    @property
    def label(self) -> str:
        """``days 0-89``."""
        return f"days {self.start}-{self.end}"

    def __str__(self) -> str:
        return self.label

    @property
    def days(self) -> int:
        """Number of days in the window."""
        return self.end - self.start + 1

    def dates_for(self, start_date: date) -> tuple[date, date]:
        """First and last calendar day of the window for a rep who started on ``start_date``."""
        return start_date + timedelta(days=self.start), start_date + timedelta(days=self.end)

    def to_dict(self) -> dict[str, Any]:
        """Return the window as a JSON-ready dict."""
        return {"label": self.label, "kind": "tenure", "start_day": self.start, "end_day": self.end}


#: What a metric can be computed over: a calendar period or a tenure window.
Scope = Period | Window


def parse_scope(value: str | Period | Window) -> Period | Window:
    """A calendar period (``2026-Q3``) or a tenure window (``days 0-90``) from a label."""
    if isinstance(value, (Period, Window)):
        return value
    text = str(value).strip()
    if text.lower().startswith(("day", "first")):
        return Window.parse(text)
    return Period.parse(text)


def calendar_period(value: str | Period | Window, what: str) -> Period:
    """``value`` as a calendar :class:`Period`; a tenure window is refused, naming ``what`` needs one."""
    scope = parse_scope(value)
    if isinstance(scope, Window):
        raise DealDataError(
            f"{what} needs a calendar period (e.g. 2026-Q3), not a tenure window ({scope.label})",
            field="period",
            hint="quotas and forecasts are set per calendar period",
        )
    return scope


def period_of(value: Any, kind: str = "quarter") -> Period:
    """The period of ``kind`` (year/half/quarter/month) that contains a date."""
    kind = normalise_kind(kind)
    d = _as_date(value)
    index = (d.month - 1) // KINDS[kind] + 1
    return Period(kind, d.year, index)


def last_n(period: str | Period, n: int) -> list[Period]:
    """The ``n`` periods ending with ``period``, oldest first."""
    p = Period.parse(period)
    if n < 1:
        raise DealDataError(f"n must be at least 1, got {n}")
    return [p.previous(i) for i in range(n - 1, -1, -1)]


def as_date(value: Any) -> date:
    """Coerce a date, datetime, Timestamp or ISO string to a ``date`` (DealDataError if invalid)."""
    return _as_date(value)

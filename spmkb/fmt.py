"""How a figure of each unit reads: one table per style (a table cell, a sentence)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: Table cells (reviews, scorecards): ratios as %, amounts and counts with separators.
CELL: Mapping[str, str] = {
    "ratio": "{:.0%}",
    "money": "{:,.0f}",
    "days": "{:.1f} d",
    "count": "{:,.0f}",
    "times": "{:.2f}×",
}
#: Figures in a sentence (profile findings): whole days, spelt out.
PROSE: Mapping[str, str] = {
    "ratio": "{:.0%}",
    "money": "{:,.0f}",
    "days": "{:.0f} days",
    "count": "{:,.0f}",
}
#: Counts below this keep one decimal when they are means (2.4 buyer contacts per deal);
#: above it a decimal is noise (1,026 activities, not 1026.0).
SMALL_COUNT = 100


def figure(value: Any, unit: str, style: Mapping[str, str] = CELL, other: str = "{:.1f}") -> str:
    """``value`` (a number, not missing) as ``style`` writes ``unit``; ``other`` for the rest."""
    v = float(value)
    if unit == "count" and abs(v) < SMALL_COUNT and not v.is_integer():
        return f"{v:,.1f}"
    return style.get(unit, other).format(v)


def difference(value: Any, unit: str) -> str:
    """A signed difference of two figures of ``unit``: "+12 pts", "+1,250", "+0.4", "+376"."""
    v = float(value)
    if unit == "ratio":
        return f"{v * 100:+.0f} pts"
    if unit == "money" or (unit == "count" and abs(v) >= SMALL_COUNT):
        return f"{v:+,.0f}"
    if unit == "days":
        return f"{v:+.0f} day" + ("" if round(abs(v)) == 1 else "s")
    return f"{v:+.1f}"


#: Below this a p-value reads "< 0.001" (it would round to 0.000).
P_FLOOR = 0.0005


def p_value(p: float, prefix: str = "p") -> str:
    """``p`` as a reader sees it: "p = 0.012", or "p < 0.001" (never "p = 0.000")."""
    return f"{prefix} < 0.001" if p < P_FLOOR else f"{prefix} = {p:.3f}"


def p_cell(p: float) -> str:
    """``p`` in a table cell: "0.012", "<0.001", or "-" when it is missing (NaN)."""
    return "-" if p != p else "<0.001" if p < P_FLOOR else f"{p:.3f}"

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
PROSE: Mapping[str, str] = {"ratio": "{:.0%}", "money": "{:,.0f}", "days": "{:.0f} days"}


def figure(value: Any, unit: str, style: Mapping[str, str] = CELL, other: str = "{:.1f}") -> str:
    """``value`` (a number, not missing) as ``style`` writes ``unit``; ``other`` for the rest."""
    return style.get(unit, other).format(float(value))

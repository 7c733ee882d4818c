"""Notebook widgets: thin faces over the core (search, recommendations, dashboards, reviews).

Names are imported on first use so ``import spmkb.widgets`` stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

# name -> module that defines it (add yours here)
_EXPORTS: dict[str, str] = {
    "SearchPanel": "spmkb.widgets.search_panel",
    "RecommendPanel": "spmkb.widgets.recommend_panel",
    "DashboardPanel": "spmkb.widgets.dashboard",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import public widgets lazily."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'spmkb.widgets' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)

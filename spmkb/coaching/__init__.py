"""Coaching: top-performer profile, coaching plans with follow-up, recognition, content outcomes.

Names are re-exported lazily (``from spmkb.coaching import top_profile`` imports only what it
needs). A practice: imports deals, search, content, storage, config and errors only.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "CoachingOptions": "spmkb.coaching.options",
    "options_from": "spmkb.coaching.options",
    "tiers": "spmkb.coaching.tiers",
    "top_profile": "spmkb.coaching.profile",
    "top_figures": "spmkb.coaching.profile",
    "build_plan": "spmkb.coaching.plans",
    "save_plan": "spmkb.coaching.plans",
    "load_plan": "spmkb.coaching.plans",
    "open_plan": "spmkb.coaching.plans",
    "follow_up": "spmkb.coaching.followup",
    "recognition_board": "spmkb.coaching.recognition",
    "rep_view": "spmkb.coaching.recognition",
    "suggest_standards": "spmkb.coaching.standards",
    "asset_outcomes": "spmkb.coaching.outcomes",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import a public name on first use."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'spmkb.coaching' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)

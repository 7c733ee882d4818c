"""Notebook widgets: thin faces over the core (search, recommendations, dashboards, reviews).

Names are imported on first use so ``import spmkb.widgets`` stays light.
"""

from __future__ import annotations

from spmkb._lazy import lazy_exports

# name -> module that defines it (add yours here)
_EXPORTS: dict[str, str] = {
    "SearchPanel": "spmkb.widgets.search_panel",
    "RecommendPanel": "spmkb.widgets.recommend_panel",
    "DealPicker": "spmkb.widgets.deal_picker",
    "DashboardPanel": "spmkb.widgets.dashboard",
    "ReviewForm": "spmkb.widgets.review_form",
    "CoachingPanel": "spmkb.widgets.coaching_panel",
    "ProfilePanel": "spmkb.widgets.coaching_panel",
    "RecognitionPanel": "spmkb.widgets.coaching_panel",
}

__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS)

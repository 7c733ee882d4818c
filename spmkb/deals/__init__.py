"""Deal data: the canonical schema, import, sample data, metrics and forecasts.

Names are re-exported lazily (``from spmkb.deals import win_rate`` imports only what it
needs); nothing here imports torch, chromadb or plotly.
"""

from __future__ import annotations

from spmkb._lazy import lazy_exports

# name -> module that defines it
_EXPORTS: dict[str, str] = {
    "DealData": "spmkb.deals.schema",
    "PIPELINE_STAGES": "spmkb.deals.schema",
    "Period": "spmkb.deals.periods",
    "period_of": "spmkb.deals.periods",
    "last_n": "spmkb.deals.periods",
    "generate_sample": "spmkb.deals.sample",
    "write_sample": "spmkb.deals.sample",
    "win_rate": "spmkb.deals.metrics",
    "deal_size": "spmkb.deals.metrics",
    "sales_cycle": "spmkb.deals.metrics",
    "funnel": "spmkb.deals.metrics",
    "stage_conversion": "spmkb.deals.metrics",
    "pipeline_coverage": "spmkb.deals.metrics",
    "attainment": "spmkb.deals.metrics",
    "leaderboard": "spmkb.deals.metrics",
    "quota_for": "spmkb.deals.metrics",
    "rep_summary": "spmkb.deals.metrics",
    "winloss": "spmkb.deals.winloss",
    "coaching_focus": "spmkb.deals.winloss",
    "behaviours": "spmkb.deals.winloss",
    "Forecast": "spmkb.deals.forecast",
    "forecast": "spmkb.deals.forecast",
    "Overview": "spmkb.deals.overview",
    "overview": "spmkb.deals.overview",
    "save_deal_data": "spmkb.deals.store",
    "load_deal_data": "spmkb.deals.workspace",
    "read_table": "spmkb.deals.io",
    "check_deals": "spmkb.deals.validate",
    "import_deals": "spmkb.deals.workspace",
    "ImportReport": "spmkb.deals.report",
    "PRESETS": "spmkb.deals.presets",
}

__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS)

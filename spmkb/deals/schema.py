"""The canonical deal schema every loader maps onto and every metric reads.

A workspace's deal data is a :class:`DealData`: an ``opportunities`` table plus optional
``stage_history``, ``activities``, ``reps`` and ``quotas`` tables, each a pandas DataFrame
with the columns declared below (documented for users in ``docs/deal-data.md``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from spmkb.config import DEFAULT_STAGES

#: Open pipeline stages in order (the first six stages assets are tagged with); a deal ends
#: as won or lost (``status``).
PIPELINE_STAGES: tuple[str, ...] = DEFAULT_STAGES[: DEFAULT_STAGES.index("negotiation") + 1]
WON = "won"
LOST = "lost"
OPEN = "open"
STATUSES: tuple[str, ...] = (WON, LOST, OPEN)

# column -> (dtype kind, required, description)
OPPORTUNITY_COLUMNS: dict[str, tuple[str, bool, str]] = {
    "id": ("str", True, "Unique opportunity id."),
    "rep": ("str", True, "Owner: the sales rep's name."),
    "stage": (
        "str",
        True,
        "Current (open) or last reached (closed) pipeline stage, canonical name.",
    ),
    "status": ("str", True, "won, lost or open."),
    "amount": ("float", True, "Deal value (>= 0) in the workspace currency."),
    "created": ("date", True, "Date the opportunity was created."),
    "close_date": ("date", False, "Actual close date (won/lost) or expected close date (open)."),
    "account": ("str", False, "Customer account name."),
    "name": ("str", False, "Deal (opportunity) name as the CRM shows it."),
    "industry": ("str", False, "Account industry."),
    "segment": ("str", False, "Customer segment (e.g. SMB, mid-market, enterprise)."),
    "product": ("str", False, "Product or product line."),
    "source": ("str", False, "Lead source."),
    "competitor": ("str", False, "Main competitor in the deal."),
    "loss_reason": ("str", False, "Why a lost deal was lost."),
    "forecast_category": ("str", False, "pipeline, best case, commit, closed."),
    "currency": ("str", False, "ISO currency code of amount."),
    "first_response_hours": ("float", False, "Hours from lead creation to first rep response."),
    "sourced_by": ("str", False, "Who sourced the opportunity (an SDR's name), if not the owner."),
}
STAGE_HISTORY_COLUMNS: dict[str, tuple[str, bool, str]] = {
    "opportunity_id": ("str", True, "Opportunity id."),
    "stage": ("str", True, "Canonical stage entered."),
    "entered_at": ("date", True, "When the opportunity entered the stage."),
}
ACTIVITY_COLUMNS: dict[str, tuple[str, bool, str]] = {
    "rep": ("str", True, "Rep who did the activity."),
    "opportunity_id": ("str", False, "Opportunity the activity belongs to."),
    "type": ("str", True, "call, email, meeting, demo, discovery, ..."),
    "date": ("date", True, "Date of the activity."),
    "contacts": ("int", False, "Number of customer contacts involved."),
}
REP_COLUMNS: dict[str, tuple[str, bool, str]] = {
    "rep": ("str", True, "Rep name (matches opportunities.rep)."),
    "rep_id": ("str", False, "Stable rep identity (e.g. the CRM user id); default: from the name."),
    "team": ("str", True, "Team name."),
    "manager": ("str", False, "Manager's name."),
    "role": ("str", False, "Role, e.g. AE, SDR."),
    "start_date": ("date", False, "Start date (for ramp and onboarding)."),
    "end_date": ("date", False, "Last day for reps who left (empty = still active)."),
    "region": ("str", False, "Region or office."),
}
QUOTA_COLUMNS: dict[str, tuple[str, bool, str]] = {
    "rep": ("str", True, "Rep name."),
    "period": ("str", True, "Period label: 2026-Q3, 2026-07 or 2026-H2."),
    "amount": ("float", True, "Quota amount for the period."),
}

TABLES: dict[str, dict[str, tuple[str, bool, str]]] = {
    "opportunities": OPPORTUNITY_COLUMNS,
    "stage_history": STAGE_HISTORY_COLUMNS,
    "activities": ACTIVITY_COLUMNS,
    "reps": REP_COLUMNS,
    "quotas": QUOTA_COLUMNS,
}


def empty_frame(table: str) -> pd.DataFrame:
    """An empty DataFrame with the canonical columns and dtypes of ``table``."""
    cols = TABLES[table]
    data: dict[str, pd.Series] = {}
    for name, (kind, _req, _desc) in cols.items():
        dtype = {"str": "string", "float": "float64", "int": "Int64", "date": "datetime64[ns]"}[
            kind
        ]
        data[name] = pd.Series([], dtype=dtype)
    return pd.DataFrame(data)


@dataclass
class DealData:
    """A workspace's deal data in canonical form."""

    opportunities: pd.DataFrame
    stage_history: pd.DataFrame = field(default_factory=lambda: empty_frame("stage_history"))
    activities: pd.DataFrame = field(default_factory=lambda: empty_frame("activities"))
    reps: pd.DataFrame = field(default_factory=lambda: empty_frame("reps"))
    quotas: pd.DataFrame = field(default_factory=lambda: empty_frame("quotas"))

    def table(self, name: str) -> pd.DataFrame:
        """Return one table by name."""
        return getattr(self, name)

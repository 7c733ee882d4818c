"""Hand-made deal data for onboarding tests: hires, their deals, activities and quotas."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from spmkb.deals.schema import DealData, empty_frame

DATA = Path(__file__).resolve().parents[1] / "data" / "onboarding"


def make_data(
    reps: Iterable[tuple],
    deals: Iterable[tuple],
    activities: Iterable[tuple] = (),
    quotas: Iterable[tuple] = (),
) -> DealData:
    """reps: (name, role, start, end); deals: (id, rep, status, amount, created, close[, sourced_by]);
    activities: (rep, type, date); quotas: (rep, period, amount)."""
    reps = list(reps)
    r = pd.DataFrame(
        {
            "rep": pd.array([x[0] for x in reps], dtype="string"),
            "team": pd.array(["A"] * len(reps), dtype="string"),
            "role": pd.array([x[1] for x in reps], dtype="string"),
            "start_date": pd.to_datetime([x[2] for x in reps]).astype("datetime64[ns]"),
            "end_date": pd.to_datetime([x[3] if len(x) > 3 else None for x in reps]).astype(
                "datetime64[ns]"
            ),
        }
    )
    deals = list(deals)
    o = pd.DataFrame(
        {
            "id": pd.array([d[0] for d in deals], dtype="string"),
            "rep": pd.array([d[1] for d in deals], dtype="string"),
            "stage": pd.array(["negotiation"] * len(deals), dtype="string"),
            "status": pd.array([d[2] for d in deals], dtype="string"),
            "amount": [float(d[3]) for d in deals],
            "created": pd.to_datetime([d[4] for d in deals]).astype("datetime64[ns]"),
            "close_date": pd.to_datetime([d[5] for d in deals]).astype("datetime64[ns]"),
            "sourced_by": pd.array([d[6] if len(d) > 6 else None for d in deals], dtype="string"),
        }
    )
    acts = list(activities)
    a = empty_frame("activities")
    if acts:
        a = pd.DataFrame(
            {
                "rep": pd.array([x[0] for x in acts], dtype="string"),
                "opportunity_id": pd.array([None] * len(acts), dtype="string"),
                "type": pd.array([x[1] for x in acts], dtype="string"),
                "date": pd.to_datetime([x[2] for x in acts]).astype("datetime64[ns]"),
                "contacts": pd.array([1] * len(acts), dtype="Int64"),
            }
        )
    q = list(quotas)
    qt = empty_frame("quotas")
    if q:
        qt = pd.DataFrame(
            {
                "rep": pd.array([x[0] for x in q], dtype="string"),
                "period": pd.array([x[1] for x in q], dtype="string"),
                "amount": [float(x[2]) for x in q],
            }
        )
    return DealData(opportunities=o, reps=r, activities=a, quotas=qt)


def day(start: str, n: int) -> str:
    """ISO date ``n`` days after ``start``."""
    return (date.fromisoformat(start) + timedelta(days=n)).isoformat()

"""One deal's context as plain values, for faces that pass it on (e.g. to recommendations).

``search`` and ``deals`` are engines and do not import each other: the CLI and the widgets
look a deal up here and hand the plain values to :func:`spmkb.search.recommend.recommend`.
"""

from __future__ import annotations

from typing import Any

from spmkb.errors import NotFoundError, suggest

#: Columns of a deal that describe its situation (what a rep should read depends on them).
CONTEXT_COLUMNS = ("stage", "industry", "competitor", "status", "account")


def _plain(value: Any) -> str | None:
    """``value`` as text, or None when it is missing (None, NaN, NaT, NA, blank)."""
    import pandas as pd

    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


def deal_context(settings: Any, deal_id: str) -> dict[str, str | None]:
    """``id``, stage, industry, competitor, status and account of one deal, as plain text.

    Reads the workspace's deal data; NotFoundError with the closest ids when there is no
    such deal. Missing values are None, never empty strings.
    """
    from spmkb.deals.workspace import load_deal_data

    opps = load_deal_data(settings).opportunities
    ids = opps["id"].astype(str)
    match = opps[ids == str(deal_id)]
    if match.empty:
        raise NotFoundError(
            f"no deal '{deal_id}' in the deal data", suggestions=suggest(str(deal_id), list(ids))
        )
    row = match.iloc[0]
    return {"id": str(deal_id), **{c: _plain(row.get(c)) for c in CONTEXT_COLUMNS}}

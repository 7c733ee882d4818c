"""Which playbook assets reps opened on which sample deals (one planted content-to-outcome link).

:func:`generate_asset_opens` derives an ``asset_opens`` table (rep, opportunity_id, asset_id,
stage, opened_at) from a sample's stage history. Asset ids are ids of the sample library in
``playbooks/`` (derived ids: the path without ``.md``). One association is planted:
:data:`LINKED_ASSET` is opened during negotiation for :data:`LINKED_WON` of the won deals
that reached negotiation and :data:`LINKED_LOST` of the lost ones; every other asset is opened
with the same chance whatever the outcome (:data:`UNLINKED_ASSETS`, per deal reaching the stage).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from spmkb.deals.schema import PIPELINE_STAGES, DealData

LINKED_ASSET = "stages/negotiation"
LINKED_STAGE = "negotiation"
LINKED_WON, LINKED_LOST, LINKED_OPEN = 0.60, 0.20, 0.40
#: (asset id, stage it is opened in, chance per deal reaching the stage), outcome-blind.
UNLINKED_ASSETS: tuple[tuple[str, str, float], ...] = (
    ("calls/cold-call", "prospecting", 0.15),
    ("qualification/meddicc-guide", "qualification", 0.20),
    ("discovery/question-bank", "discovery", 0.30),
    ("stages/discovery", "discovery", 0.20),
    ("demo/demo-script", "demo", 0.35),
    ("templates/mutual-action-plan", "proposal", 0.30),
    ("objections/price-too-high", "proposal", 0.20),
    ("templates/business-case-roi", "negotiation", 0.25),
)
#: Battlecards (``battlecards/<competitor>``) are opened in the demo stage of deals with that
#: competitor, with this chance, whatever the outcome.
BATTLECARD_CHANCE = 0.40
ASSET_OPEN_COLUMNS = ("rep", "opportunity_id", "asset_id", "stage", "opened_at")


def generate_asset_opens(data: DealData, seed: int = 7, *, end: date | None = None) -> pd.DataFrame:
    """The ``asset_opens`` table for a generated sample (same data and seed -> same table)."""
    rng = np.random.default_rng([seed, 2026])
    o = data.opportunities.reset_index(drop=True)
    h = data.stage_history
    last = pd.Timestamp(end) if end is not None else o["created"].max()
    pos = pd.Series(np.arange(len(o)), index=o["id"].astype(str))
    deal = pos.reindex(h["opportunity_id"].astype(str)).to_numpy()
    stage = h["stage"].astype(str).to_numpy()
    entered = h["entered_at"].to_numpy()
    order = np.lexsort((entered, deal))
    deal, stage, entered = deal[order], stage[order], entered[order]
    close = o["close_date"].to_numpy()[deal]
    status = o["status"].astype(str).to_numpy()[deal]
    # A stage lasts until the next stage is entered, else until the close (or the data's end).
    same_next = np.r_[deal[1:] == deal[:-1], False]
    stop = np.where(status == "open", np.datetime64(last), close)
    until = np.where(same_next, np.r_[entered[1:], entered[:1]], stop)
    until = np.minimum(until, np.datetime64(last))
    span = np.maximum((until - entered).astype("timedelta64[D]").astype(int), 1)

    chance = np.zeros(len(deal))
    rows: list[tuple[np.ndarray, str]] = []
    for asset, at, p in UNLINKED_ASSETS:
        rows.append((np.nonzero((stage == at) & (rng.random(len(deal)) < p))[0], asset))
    at_link = stage == LINKED_STAGE
    chance[at_link] = np.select(
        [status[at_link] == "won", status[at_link] == "lost"],
        [LINKED_WON, LINKED_LOST],
        LINKED_OPEN,
    )
    rows.append((np.nonzero(rng.random(len(deal)) < chance)[0], LINKED_ASSET))
    comp = o["competitor"].to_numpy(dtype=object, na_value=None)[deal]
    card = (stage == "demo") & (comp != None) & (rng.random(len(deal)) < BATTLECARD_CHANCE)  # noqa: E711
    card_rows = np.nonzero(card)[0]

    idx = np.concatenate([r for r, _ in rows] + [card_rows])
    asset_ids = np.concatenate(
        [np.full(len(r), a, dtype=object) for r, a in rows]
        + [np.array([f"battlecards/{str(c).lower()}" for c in comp[card_rows]], dtype=object)]
    )
    offset = np.floor(rng.random(len(idx)) * span[idx]).astype("timedelta64[D]")
    opened = entered[idx].astype("datetime64[D]") + offset
    out = pd.DataFrame(
        {
            "rep": pd.array(o["rep"].to_numpy(dtype=object)[deal[idx]], dtype="string"),
            "opportunity_id": pd.array(o["id"].to_numpy(dtype=object)[deal[idx]], dtype="string"),
            "asset_id": pd.array(asset_ids, dtype="string"),
            "stage": pd.array(stage[idx], dtype="string"),
            "opened_at": opened.astype("datetime64[ns]"),
        }
    )
    out = out[out["stage"].isin(PIPELINE_STAGES)]
    return out.sort_values(["opened_at", "opportunity_id", "asset_id"], kind="stable").reset_index(
        drop=True
    )

"""Content and outcomes: an asset opened more on won deals is found; an outcome-blind one is not."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from coaching_data import make_team

from spmkb.coaching.outcomes import NOTE, asset_outcomes, load_asset_opens
from spmkb.errors import DealDataError


def _with_history_and_opens(seed: int = 3):  # type: ignore[no-untyped-def]
    """Every deal reached negotiation. 'linked' is opened on 60 % of won and 20 % of lost deals
    (planted association); 'blind' on 40 % of every deal, whatever the outcome."""
    data = make_team()
    o = data.opportunities
    data.stage_history = pd.DataFrame({"opportunity_id": o["id"], "stage": "negotiation",
                                       "entered_at": o["created"]})  # fmt: skip
    rng = np.random.default_rng(seed)
    won = (o["status"] == "won").to_numpy()
    linked = rng.random(len(o)) < np.where(won, 0.6, 0.2)
    blind = rng.random(len(o)) < 0.4
    opens = pd.concat([
        pd.DataFrame({"opportunity_id": o["id"][linked], "asset_id": "linked", "stage": "negotiation"}),
        pd.DataFrame({"opportunity_id": o["id"][blind], "asset_id": "blind", "stage": "negotiation"}),
    ])  # fmt: skip
    return data, opens


def test_planted_association_found_and_outcome_blind_asset_not():
    """3,600 closed deals: 'linked' is associated with winning, 'blind' is not; the note says
    association, not cause, and each side carries its n."""
    data, opens = _with_history_and_opens()
    out = asset_outcomes(data, opens).set_index("asset")
    assert bool(out.loc["linked", "associated"]) and out.loc["linked", "difference"] > 0.25
    assert not bool(out.loc["blind", "associated"])
    assert out.loc["linked", "n_opened"] + out.loc["linked", "n_not_opened"] == 3600
    assert out.loc["linked", "note"] == NOTE


def test_missing_file_is_a_clear_message(tmp_path):
    """No asset_opens.csv in the folder."""
    with pytest.raises(DealDataError, match="no asset opens recorded"):
        load_asset_opens(tmp_path)


def test_no_stage_history_is_a_clear_message():
    """Without stage history nobody knows which deals reached a stage."""
    with pytest.raises(DealDataError, match="need stage history"):
        asset_outcomes(make_team(), pd.DataFrame(columns=["opportunity_id", "asset_id", "stage"]))

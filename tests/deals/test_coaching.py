"""Coaching focus: one rep-vs-rest comparison, FDR over the whole family, and a null check.

Fixture ``tests/data/deals/honest/history_*.csv`` (with stage history; reps Ann, Bob in
team A, Cid in team B):

| id | rep | status | stages in history |
| a1 | Ann | won | prospecting .. negotiation |
| a2, a3 | Ann | lost | prospecting .. demo |
| b1, b2 | Bob | won | prospecting .. negotiation |
| b3 | Bob | lost | prospecting .. demo |
| n1 | (none) | lost | prospecting .. demo |
| c1 | Cid | open | prospecting .. proposal |

By hand, demo -> proposal: Ann 1 of 3; the rest of team A is Bob alone (n1 has no rep and is
nobody's comparison): 2 of 3 (with n1 it would be 2 of 4). Two-proportion z-test: pooled
3/6 = 0.5, SE = sqrt(0.25 x (1/3 + 1/3)) = 0.408, z = -0.333 / 0.408 = -0.816, p = 0.414.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spmkb.deals import metrics as m
from spmkb.deals.sample import WEAK_STAGE_REPS, generate_sample
from spmkb.deals.schema import DealData

HERE = Path(__file__).resolve().parents[1] / "data" / "deals" / "honest"


def history_data() -> DealData:
    """The fixture in the module docstring."""
    o = pd.read_csv(HERE / "history_opportunities.csv", dtype={"id": str})
    for col in ("created", "close_date"):
        o[col] = pd.to_datetime(o[col])
    h = pd.read_csv(HERE / "history_stage_history.csv", dtype={"opportunity_id": str})
    h["entered_at"] = pd.to_datetime(h["entered_at"])
    return DealData(opportunities=o, stage_history=h, reps=pd.read_csv(HERE / "reps.csv"))


def test_stage_conversion_team_is_the_rest_of_the_team_without_pseudo_reps() -> None:
    sc = m.stage_conversion(history_data(), rep="Ann").set_index(["scope", "stage"])
    assert sc.loc[("rep", "demo"), ["advanced", "n"]].tolist() == [1, 3]
    assert sc.loc[("team", "demo"), ["advanced", "n"]].tolist() == [2, 3]  # Bob; not n1
    assert sc.loc[("team", "prospecting"), "n"] == 3
    assert (sc["note"] == "").all()  # stage history: every conversion is knowable


def test_coaching_focus_uses_the_same_comparison_as_stage_conversion() -> None:
    cf = m.coaching_focus(history_data(), min_n=1, all_stages=True)
    assert set(cf["rep"]) == {"Ann", "Bob", "Cid"}  # no "(no rep)" row
    demo = cf[(cf["rep"] == "Ann") & (cf["stage"] == "demo")].iloc[0]
    assert demo["rep_conversion"] == pytest.approx(1 / 3)
    assert demo["team_conversion"] == pytest.approx(2 / 3)
    assert demo["p_value"] == pytest.approx(0.4142, abs=1e-4)
    assert demo["p_adjusted"] >= demo["p_value"] and not demo["flagged"]


def test_coaching_focus_explains_reps_below_the_minimum() -> None:
    """Default min_n = 20: Ann's largest n is 3 (prospecting, the first stage with 3 resolved).
    With min_n = 1, Cid (1 deal past prospecting .. demo) has no one else in team B."""
    cf = m.coaching_focus(history_data()).set_index("rep")
    ann = cf.loc["Ann"]
    assert ann["stage"] is None and ann["n"] == 3 and not ann["flagged"]
    assert ann["reason"] == (
        "not enough deals at any stage to compare with the team (largest n = 3 at prospecting; "
        "needs 20)"
    )
    assert not any("nan" in r for r in cf["reason"])
    cid = m.coaching_focus(history_data(), rep="Cid", min_n=1).iloc[0]
    assert cid["reason"] == (
        "too few deals in the rest of the team to compare with (largest n = 0; needs 1)"
    )


def test_coaching_focus_without_history_does_not_compare_unknown_stages() -> None:
    """Without history only negotiation -> won can be compared (lost deals' stages vary).

    Stages recorded: a1, b1 won at negotiation; b2 lost at negotiation; a2, b3, n1 lost at
    demo, a3 at qualification: Ann 1 of 1 vs Bob 1 of 2 at negotiation -> won.
    """
    o = pd.read_csv(HERE / "history_opportunities.csv", dtype={"id": str})
    o["stage"] = ["negotiation", "demo", "qualification", "negotiation", "negotiation", "demo",
                  "demo", "proposal"]  # fmt: skip
    o.loc[o["id"] == "b2", "status"] = "lost"
    for col in ("created", "close_date"):
        o[col] = pd.to_datetime(o[col])
    data = DealData(opportunities=o, reps=pd.read_csv(HERE / "reps.csv"))
    cf = m.coaching_focus(data, min_n=1, all_stages=True)
    compared = cf[cf["p_value"].notna()]
    assert set(compared["stage"]) == {"negotiation"}
    demo = cf[(cf["rep"] == "Ann") & (cf["stage"] == "demo")].iloc[0]
    assert demo["reason"].startswith("demo -> proposal: no stage history")


def shuffle_outcomes(data: DealData, rng: np.random.Generator) -> DealData:
    """Shuffle won/lost among closed deals, each outcome with the stage path that goes with it.

    The status, recorded stage and loss reason of the closed deals are permuted, and each
    deal's stage history moves with its status; rep, team, dates, amounts stay. (Permuting the
    status alone would keep every rep's real stage-by-stage conversions in the history.)
    """
    o = data.opportunities.copy()
    idx = np.nonzero((o["status"] != "open").to_numpy())[0]
    src = rng.permutation(idx)
    for col in ("status", "stage", "loss_reason"):
        o.loc[idx, col] = o[col].to_numpy()[src]
    new_id = dict(zip(o["id"].to_numpy()[src], o["id"].to_numpy()[idx], strict=True))
    h = data.stage_history.copy()
    h["opportunity_id"] = h["opportunity_id"].map(lambda x: new_id.get(x, x)).astype("string")
    return DealData(opportunities=o, stage_history=h, reps=data.reps)


@pytest.fixture(scope="module")
def sample() -> DealData:
    return generate_sample(7)


def test_null_shuffles_rarely_flag_anyone(sample: DealData) -> None:
    """20 shuffles of won/lost among closed deals: the rule flags someone in at most 3."""
    rng = np.random.default_rng(2026)
    runs = [
        bool(m.coaching_focus(shuffle_outcomes(sample, rng))["flagged"].any()) for _ in range(20)
    ]
    assert sum(runs) <= 3, runs


def test_planted_weak_stages_found_and_family_is_company_wide(sample: DealData) -> None:
    cf = m.coaching_focus(sample).set_index("rep")
    for rep, stage in WEAK_STAGE_REPS.items():
        assert cf.loc[rep, "stage"] == stage and cf.loc[rep, "flagged"], rep
        one = m.coaching_focus(sample, rep=rep).iloc[0]  # same family, same answer
        assert one["p_adjusted"] == pytest.approx(cf.loc[rep, "p_adjusted"])
    sc = m.stage_conversion(sample, rep="Priya Nair", period="2026-Q2")
    team = sc[sc["scope"] == "team"].set_index("stage")["conversion"]
    focus = m.coaching_focus(sample, rep="Priya Nair", period="2026-Q2", all_stages=True)
    assert focus.set_index("stage")["team_conversion"].to_dict() == pytest.approx(team.to_dict())

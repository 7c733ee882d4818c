"""Metric functions against results computed by hand on a 10-deal fixture.

The fixture (no stage history: funnels and conversions show only what that allows, see
docs/metrics.md "Without stage history"; lost deals are recorded at several stages, so
negotiation -> won is knowable from the deals recorded at negotiation):

| id | rep | stage | status | amount | created | close | segment | competitor | loss | 1st resp h |
| 1 | Ann | negotiation | won | 40 | 2026-01-01 | 2026-01-31 | SMB | Spendwise | | 0.5 |
| 2 | Ann | demo | lost | 10 | 2026-01-05 | 2026-02-10 | SMB | Spendwise | Price | 2 |
| 3 | Ann | qualification | lost | 20 | 2026-01-10 | 2026-02-01 | MM | | No budget | 30 |
| 4 | Ann | negotiation | won | 60 | 2026-02-01 | 2026-03-31 | MM | Procura | | 0.5 |
| 5 | Ann | proposal | open | 50 | 2026-03-01 | 2026-03-30 | SMB | | | 1 |
| 6 | Bob | negotiation | won | 100 | 2026-01-01 | 2026-02-28 | ENT | | | 5 |
| 7 | Bob | prospecting | lost | 30 | 2026-01-02 | 2026-01-20 | SMB | | No decision | 50 |
| 8 | Bob | discovery | open | 80 | 2026-02-15 | 2026-03-20 | MM | | | 3 |
| 9 | Cid | demo | lost | 25 | 2026-01-10 | 2026-03-01 | SMB | ClearPO | Price | 2 |
| 10 | Ann | negotiation | won | 30 | 2025-10-01 | 2025-12-15 | SMB | | | 0.5 |

Ann and Bob are team A, Cid team B. Quotas: 2026-Q1 Ann 100, Bob 200, Cid 50; 2025-Q4 Ann 100.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from spmkb.deals import metrics as m
from spmkb.deals.schema import DealData
from spmkb.errors import DealDataError, NotFoundError

# fmt: off
ROWS = [
    ("1", "Ann", "negotiation", "won", 40, "2026-01-01", "2026-01-31", "SMB", "Spendwise", None, 0.5),
    ("2", "Ann", "demo", "lost", 10, "2026-01-05", "2026-02-10", "SMB", "Spendwise", "Price", 2),
    ("3", "Ann", "qualification", "lost", 20, "2026-01-10", "2026-02-01", "MM", None, "No budget", 30),
    ("4", "Ann", "negotiation", "won", 60, "2026-02-01", "2026-03-31", "MM", "Procura", None, 0.5),
    ("5", "Ann", "proposal", "open", 50, "2026-03-01", "2026-03-30", "SMB", None, None, 1),
    ("6", "Bob", "negotiation", "won", 100, "2026-01-01", "2026-02-28", "ENT", None, None, 5),
    ("7", "Bob", "prospecting", "lost", 30, "2026-01-02", "2026-01-20", "SMB", None, "No decision", 50),
    ("8", "Bob", "discovery", "open", 80, "2026-02-15", "2026-03-20", "MM", None, None, 3),
    ("9", "Cid", "demo", "lost", 25, "2026-01-10", "2026-03-01", "SMB", "ClearPO", "Price", 2),
    ("10", "Ann", "negotiation", "won", 30, "2025-10-01", "2025-12-15", "SMB", None, None, 0.5),
]
# fmt: on
COLS = [
    "id",
    "rep",
    "stage",
    "status",
    "amount",
    "created",
    "close_date",
    "segment",
    "competitor",
    "loss_reason",
    "first_response_hours",
]  # fmt: skip


def tiny_data() -> DealData:
    """The 10-deal fixture documented in the module docstring."""
    o = pd.DataFrame(ROWS, columns=COLS)
    o["created"] = pd.to_datetime(o["created"])
    o["close_date"] = pd.to_datetime(o["close_date"])
    o["amount"] = o["amount"].astype(float)
    reps = pd.DataFrame({"rep": ["Ann", "Bob", "Cid"], "team": ["A", "A", "B"]})
    quotas = pd.DataFrame(
        {
            "rep": ["Ann", "Bob", "Cid", "Ann"],
            "period": ["2026-Q1"] * 3 + ["2025-Q4"],
            "amount": [100.0, 200.0, 50.0, 100.0],
        }
    )
    acts = pd.DataFrame(
        [
            ("Ann", "1", "discovery", "2026-01-05", 3),
            ("Ann", "1", "demo", "2026-01-10", 1),
            ("Ann", "2", "demo", "2026-01-20", 2),
            ("Ann", "4", "demo", "2026-02-10", 5),
            ("Ann", "4", "discovery", "2026-02-15", 2),
            ("Cid", "9", "discovery", "2026-01-15", 1),
            ("Cid", "9", "Demo", "2026-01-20", 1),
        ],
        columns=["rep", "opportunity_id", "type", "date", "contacts"],
    )
    acts["date"] = pd.to_datetime(acts["date"])
    return DealData(opportunities=o, reps=reps, quotas=quotas, activities=acts)


@pytest.fixture
def tiny() -> DealData:
    return tiny_data()


def row(frame: pd.DataFrame, **where: object) -> pd.Series:
    sel = frame
    for k, v in where.items():
        sel = sel[sel[k] == v]
    assert len(sel) == 1, f"expected one row for {where}, got {len(sel)}"
    return sel.iloc[0]


def test_win_rate_by_rep_all_time(tiny: DealData) -> None:
    wr = m.win_rate(tiny)
    assert row(wr, rep="Ann")[["won", "lost", "n", "win_rate"]].tolist() == [3, 2, 5, 0.6]
    assert row(wr, rep="Bob")["win_rate"] == 0.5
    assert row(wr, rep="Cid")["win_rate"] == 0.0
    assert (wr["warning"] != "").all()  # every rep has < 30 closed deals


def test_win_rate_period_and_team_filters(tiny: DealData) -> None:
    assert row(m.win_rate(tiny, period="2026-Q1"), rep="Ann")["win_rate"] == 0.5  # deal 10 is Q4
    team = m.win_rate(tiny, team="A", period="2026-Q1", by="team")
    assert team[["team", "won", "lost", "win_rate"]].values.tolist() == [["A", 3, 3, 0.5]]
    company = m.win_rate(tiny, by=None)
    assert company["win_rate"].iloc[0] == pytest.approx(4 / 8)


def test_deal_size_and_sales_cycle(tiny: DealData) -> None:
    ann = row(m.deal_size(tiny), rep="Ann")
    assert ann["average"] == pytest.approx(130 / 3) and ann["total"] == 130 and ann["n"] == 3
    cyc = row(m.sales_cycle(tiny), rep="Ann")  # 30, 58 and 75 days
    assert cyc["mean_days"] == pytest.approx(163 / 3) and cyc["median_days"] == 58


def test_funnel_without_history_shows_first_stage_and_won_only(tiny: DealData) -> None:
    """No stage history: Ann's 6 deals enter the pipeline, 3 are won; the stages in between
    are not in the data (NaN with a note). The team row is the REST of team A: Bob's 3 deals."""
    f = m.funnel(tiny, rep="Ann")
    ann = f[f["scope"] == "rep"].set_index("stage")
    assert ann.loc["prospecting", "reached"] == 6 and ann.loc["won", "reached"] == 3
    middle = ann.loc[["qualification", "discovery", "demo", "proposal", "negotiation"]]
    assert middle["reached"].isna().all() and (middle["n_unknown"] == 6).all()
    assert middle["note"].str.startswith("no stage history").all()
    team = f[f["scope"] == "team"]
    assert set(team["name"]) == {"A"}
    assert row(team, stage="prospecting")["reached"] == 3  # Bob only (rest of team)


def test_stage_conversion_without_history_knows_only_the_last_stage(tiny: DealData) -> None:
    """Ann's closed deals recorded at negotiation: 1, 4, 10, all won -> 3 of 3; Bob (rest of
    team A): deal 6 won at negotiation -> 1 of 1 (deal 7 lost at prospecting). Every other
    conversion is NaN: the path through it is not in data without stage history."""
    sc = m.stage_conversion(tiny, rep="Ann")
    ann = sc[sc["scope"] == "rep"].set_index("stage")
    assert (int(ann.loc["negotiation", "advanced"]), int(ann.loc["negotiation", "n"])) == (3, 3)
    assert ann.loc["negotiation", "conversion"] == 1.0
    assert ann.loc["negotiation", "next_stage"] == "won"
    others = ann.drop(index="negotiation")
    assert others["conversion"].isna().all()
    assert (others["note"] == "no stage history: conversion between intermediate stages is "
            "not in this data").all()  # fmt: skip
    team = sc[sc["scope"] == "team"].set_index("stage")
    assert (int(team.loc["negotiation", "advanced"]), int(team.loc["negotiation", "n"])) == (1, 1)


def test_quota_for_exact_and_prorated(tiny: DealData) -> None:
    assert m.quota_for(tiny, "2026-Q1").to_dict() == {"Ann": 100.0, "Bob": 200.0, "Cid": 50.0}
    assert m.quota_for(tiny, "2026").to_dict() == {"Ann": 100.0, "Bob": 200.0, "Cid": 50.0}
    jan = m.quota_for(tiny, "2026-01")
    assert jan["Ann"] == pytest.approx(100 * 31 / 90)
    assert m.quota_for(tiny, "2025-Q4").to_dict() == {"Ann": 100.0}


def test_attainment_and_leaderboard(tiny: DealData) -> None:
    att = m.attainment(tiny, period="2026-Q1")
    assert att.set_index("rep")["attainment"].to_dict() == {"Ann": 1.0, "Bob": 0.5, "Cid": 0.0}
    two = m.attainment(tiny, period="2026-Q1", periods=2)
    assert row(two, rep="Ann", period="2025-Q4")["attainment"] == pytest.approx(0.3)
    lb = m.leaderboard(tiny, period="2026-Q1")
    assert lb["rep"].tolist() == ["Ann", "Bob", "Cid"] and lb["rank"].tolist() == [1, 2, 3]
    assert row(lb, rep="Ann")["improvement"] == pytest.approx(0.7)
    by_impr = m.leaderboard(tiny, period="2026-Q1", by="improvement")
    assert by_impr["rep"].iloc[0] == "Ann"  # the only rep with a previous quota
    assert math.isnan(row(by_impr, rep="Bob")["improvement"])
    assert m.leaderboard(tiny, period="2026-Q1", team="B")["rep"].tolist() == ["Cid"]
    with pytest.raises(DealDataError):
        m.leaderboard(tiny, period="2026-Q1", by="charm")


def test_pipeline_coverage(tiny: DealData) -> None:
    cov = m.pipeline_coverage(tiny, period="2026-Q1").set_index("rep")
    assert cov.loc["Ann", "remaining"] == 0 and cov.loc["Ann", "pipeline"] == 50
    assert math.isnan(cov.loc["Ann", "coverage"])  # quota already met
    assert cov.loc["Bob", "remaining"] == 100 and cov.loc["Bob", "coverage"] == pytest.approx(0.8)
    team = m.pipeline_coverage(tiny, period="2026-Q1", by="team").set_index("team")
    assert team.loc["A", "quota"] == 300 and team.loc["A", "pipeline"] == 130


def test_winloss_breakdowns(tiny: DealData) -> None:
    wl = m.winloss(tiny, bands=(0, 25, 50))
    seg = wl[wl["dimension"] == "segment"].set_index("value")
    assert seg.loc["SMB", ["won", "lost", "n"]].tolist() == [2, 3, 5]
    assert seg.loc["MM", "win_rate"] == 0.5 and seg.loc["ENT", "win_rate"] == 1.0
    comp = wl[wl["dimension"] == "competitor"].set_index("value")
    assert comp.loc["(none)", "win_rate"] == 0.5 and comp.loc["ClearPO", "win_rate"] == 0.0
    band = wl[wl["dimension"] == "size_band"].set_index("value")
    assert band["n"].to_dict() == {"0-25": 2, "25-50": 4, "50+": 2}
    assert band.loc["25-50", "win_rate"] == 0.5
    loss = wl[wl["dimension"] == "loss_reason"].set_index("value")
    assert loss.loc["Price", "n"] == 2 and loss.loc["Price", "share"] == 0.5
    assert (wl["warning"] != "").all()


def test_behaviours_on_tiny(tiny: DealData) -> None:
    """Counts per band by hand; the model says when it cannot be fitted.

    Discovery before demo: 1 of 2 won with, 1 of 2 without; segment and rep levels under 20
    deals are pooled, so the model is won ~ band: log-odds ratio 0 with SE sqrt(1+1+1+1) = 2,
    odds ratio 1 (95 % CI e^(+-1.96 x 2) = 0.0198 .. 50.4), lift 0 +- 1.96 x 0.25 x 2 = +-0.98.
    Contacts and first response: a band all won or all lost -> no estimate, with a note.
    """
    b = m.behaviours(tiny, min_n=1)
    frh = b[b["behaviour"] == "first_response"].set_index("value")
    assert frh.index.tolist() == ["< 1 h", "1-4 h", "4-24 h", "> 24 h"]  # natural order
    assert frh.loc["< 1 h", ["won", "n"]].tolist() == [3, 3]  # deals 1, 4, 10
    assert frh.loc["> 24 h", "win_rate"] == 0.0  # deals 3 and 7
    assert (frh["reference"] == "< 1 h").all()
    disc = b[b["behaviour"] == "discovery_before_demo"].set_index("value")
    assert disc.loc["yes", ["won", "n"]].tolist() == [1, 2]  # deals 1 (won) and 9 (lost)
    assert disc.loc["no", ["won", "n"]].tolist() == [1, 2]  # deal 2 (no discovery), 4 (after demo)
    contacts = b[b["behaviour"] == "contacts_per_deal"].set_index("value")["n"].to_dict()
    assert contacts == {"1": 1, "2": 1, "3": 1, "4": 0, "5+": 1}
    yes = disc.loc["yes"]
    assert yes["lift"] == pytest.approx(0, abs=1e-6) and yes["odds_ratio"] == pytest.approx(1)
    assert yes["ci_low"] == pytest.approx(-0.98, abs=0.001) and yes["ci_high"] == pytest.approx(
        0.98, abs=0.001
    )
    assert yes["or_ci_low"] == pytest.approx(0.0198, abs=1e-4) and yes[
        "or_ci_high"
    ] == pytest.approx(50.4, abs=0.1)
    tested = b[(b["value"] != b["reference"]) & (b["behaviour"] != "discovery_before_demo")]
    assert tested["ci_low"].isna().all() and not b["significant"].any()
    assert tested.loc[tested["n"] > 0, "note"].str.contains("too few deals").all()
    assert ((b["warning"] == "") == (b["n"] >= 1)).all()  # min_n=1: only empty bands warn
    assert "small sample" in m.behaviours(tiny)["warning"].iloc[0]  # default threshold 30


def test_rep_summary(tiny: DealData) -> None:
    s = m.rep_summary(tiny, period="2026-Q1").set_index("rep")
    assert s.loc["Ann", "won_amount"] == 100 and s.loc["Ann", "open_pipeline"] == 50
    assert s.loc["Bob", "attainment"] == 0.5 and s.loc["Bob", "open_pipeline"] == 80


def test_unknown_rep_and_team_suggest_names(tiny: DealData) -> None:
    with pytest.raises(NotFoundError, match="did you mean 'Ann'"):
        m.win_rate(tiny, rep="Anne")
    with pytest.raises(NotFoundError):
        m.funnel(tiny, team="Z")
    assert row(m.win_rate(tiny, rep="ann"), rep="Ann")["n"] == 5  # case-insensitive


def test_small_sample_warning_threshold(tiny: DealData) -> None:
    assert (m.win_rate(tiny, min_n=2)["warning"] != "").tolist() == [False, False, True]

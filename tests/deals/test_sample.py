"""The sample generator: deterministic, realistic, and its planted effects are recoverable."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spmkb.deals import metrics as m
from spmkb.deals.sample import (
    COMPETITORS,
    NEW_HIRES,
    PRODUCTS,
    SAMPLE_END,
    TOP_PERFORMERS,
    WEAK_STAGE_REPS,
    generate_sample,
    write_sample,
)
from spmkb.deals.schema import PIPELINE_STAGES, TABLES, DealData
from spmkb.errors import DealDataError


@pytest.fixture(scope="module")
def sample() -> DealData:
    return generate_sample(7)


def test_shape_and_realism(sample: DealData) -> None:
    o = sample.opportunities
    assert 17_000 <= len(o) <= 23_000
    assert sample.reps["rep"].nunique() == 40 and sample.reps["team"].nunique() == 4
    assert sample.reps["manager"].notna().all()
    assert set(o["status"]) == {"won", "lost", "open"}
    assert (o["status"] == "open").sum() > 500
    assert o.loc[o["status"] != "open", "close_date"].max() <= pd.Timestamp(SAMPLE_END)
    assert set(o["product"]) == set(PRODUCTS)
    assert set(o["stage"]) <= set(PIPELINE_STAGES)
    assert o.loc[o["status"] == "lost", "loss_reason"].notna().all()
    assert o.loc[o["status"] == "won", "loss_reason"].isna().all()
    assert o["id"].is_unique
    for table, cols in TABLES.items():
        assert list(sample.table(table).columns) == list(cols), table
    win = (o["status"] == "won").sum() / (o["status"] != "open").sum()
    assert 0.18 < win < 0.35
    assert len(sample.activities) > 5 * len(o)
    assert set(sample.quotas["period"]) >= {"2026-Q3", "2024-Q4"}


def test_competitors_match_the_sample_playbooks(repo_root: Path, sample: DealData) -> None:
    cards = repo_root / "playbooks" / "battlecards"
    if not cards.is_dir():
        pytest.skip("playbooks/battlecards not present")
    assert {c.lower() for c in COMPETITORS} == {p.stem for p in cards.glob("*.md")}
    assert set(sample.opportunities["competitor"].dropna()) == set(COMPETITORS)


def test_deterministic_per_seed() -> None:
    a, b = generate_sample(3, n_reps=8), generate_sample(3, n_reps=8)
    for table in TABLES:
        pd.testing.assert_frame_equal(a.table(table), b.table(table))
    c = generate_sample(4, n_reps=8)
    assert not a.opportunities["amount"].equals(c.opportunities["amount"])


def test_more_contacts_raise_win_rate(sample: DealData) -> None:
    b = m.behaviours(sample)
    c = b[b["behaviour"] == "contacts_per_deal"].set_index("value")
    rates = c.loc[["1", "2", "3", "4", "5+"], "win_rate"].to_numpy()
    assert np.all(np.diff(rates) > 0), rates
    # "1" is the reference band: the others are tested against it (docs/metrics.md)
    assert c.loc["5+", "significant"] and c.loc["5+", "ci_low"] > 0


def test_discovery_before_demo_raises_win_rate(sample: DealData) -> None:
    b = m.behaviours(sample)
    d = b[b["behaviour"] == "discovery_before_demo"].set_index("value")
    assert d.loc["yes", "win_rate"] > d.loc["no", "win_rate"] + 0.05
    assert d.loc["yes", "significant"]


def test_fast_first_response_raises_win_rate(sample: DealData) -> None:
    b = m.behaviours(sample)
    f = b[b["behaviour"] == "first_response"].set_index("value")
    assert f.loc["< 1 h", "win_rate"] > f.loc["> 24 h", "win_rate"] + 0.05
    assert f.loc["> 24 h", "significant"] and f.loc["> 24 h", "lift"] < 0


@pytest.mark.parametrize(("rep", "stage"), sorted(WEAK_STAGE_REPS.items()))
def test_coaching_focus_finds_the_planted_weak_stage(
    sample: DealData, rep: str, stage: str
) -> None:
    cf = m.coaching_focus(sample, rep=rep)
    assert cf[["rep", "stage", "flagged"]].values.tolist() == [[rep, stage, True]]
    assert cf["gap"].iloc[0] < -0.15 and cf["reason"].iloc[0].startswith("focus:")


def test_coaching_focus_quiet_for_normal_reps(sample: DealData) -> None:
    cf = m.coaching_focus(sample)
    assert not cf.set_index("rep").loc["Sam Carter", "flagged"]
    normal = cf[~cf["rep"].isin([*WEAK_STAGE_REPS, *TOP_PERFORMERS, *NEW_HIRES])]
    assert len(normal) >= 25
    assert normal["flagged"].mean() <= 0.15  # chance findings stay rare (FDR over all reps)


def test_coaching_focus_needs_enough_deals(sample: DealData) -> None:
    cf = m.coaching_focus(sample, rep="Priya Nair", period="2026-07", min_n=20)
    row = cf.iloc[0]
    assert not row["flagged"]  # a month is too few deals entering the stage
    assert row["stage"] is None or row["n"] < 20 or row["p_adjusted"] >= 0.05


def test_top_performers_lead_win_rate(sample: DealData) -> None:
    wr = m.win_rate(sample).sort_values("win_rate", ascending=False)
    assert set(wr["rep"].head(2)) == set(TOP_PERFORMERS)


def test_new_hires_ramp_up(sample: DealData) -> None:
    o = sample.opportunities
    rep, start = "Noah Williams", pd.Timestamp(NEW_HIRES["Noah Williams"])
    mine = o[(o["rep"] == rep) & (o["status"] != "open")]
    early = mine[mine["created"] < start + pd.Timedelta(days=120)]
    late = mine[mine["created"] >= start + pd.Timedelta(days=240)]
    assert (mine["created"] >= start).all()
    assert (early["status"] == "won").mean() < (late["status"] == "won").mean()
    assert len(early) / 120 < len(late) / ((late["created"].max() - late["created"].min()).days + 1)


def test_write_sample_round_trips_through_the_store(tmp_path: Path) -> None:
    from spmkb.deals.store import load_deal_data

    out = tmp_path / "deals"
    data = write_sample(out, seed=5, n_reps=6)
    assert {p.name for p in out.glob("*.parquet")} == {f"{t}.parquet" for t in TABLES}
    assert (out / "csv" / "opportunities.csv").is_file()
    back = load_deal_data(folder=out)
    assert len(back.opportunities) == len(data.opportunities)
    wr_a, wr_b = m.win_rate(data, by=None), m.win_rate(back, by=None)
    assert wr_a["win_rate"].iloc[0] == pytest.approx(wr_b["win_rate"].iloc[0])
    write_sample(out, seed=5, n_reps=6)  # re-writing a deal folder is fine


def test_write_sample_refuses_a_foreign_folder(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(DealDataError, match="refusing to overwrite"):
        write_sample(tmp_path, seed=1, n_reps=4)
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"

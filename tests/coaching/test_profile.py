"""Top-performer profile: shrinkage by hand, planted behaviour recovered, shuffles find nothing."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from coaching_data import PLANTED, make_team, shuffled

from spmkb.coaching.options import CoachingOptions
from spmkb.coaching.profile import top_figures, top_profile
from spmkb.coaching.stats import adjusted_diff, bootstrap_diff, fit_prior, shrink_rates
from spmkb.coaching.tiers import parse_window, tiers
from spmkb.deals.schema import DealData
from spmkb.errors import DealDataError


def test_shrinkage_worked_by_hand_on_three_reps():
    """Three reps with 2/10, 5/10 and 8/10 won.

    m = 0.5; v = ((0.2-0.5)^2 + 0 + (0.8-0.5)^2) / 3 = 0.06; binomial part
    m(1-m) * mean(1/n) = 0.25 * 0.1 = 0.025; s2 = 0.035;
    alpha + beta = 0.25 / 0.035 - 1 = 50/7 - 1 = 43/7; alpha = beta = 43/14 = 3.0714.
    Shrunk: (2 + 43/14) / (10 + 43/7) = (71/14) / (113/7) = 71/226 = 0.31416;
    (5 + 43/14) / (113/7) = 0.5; (8 + 43/14) / (113/7) = 155/226 = 0.68584.
    """
    x, n = np.array([2, 5, 8]), np.array([10, 10, 10])
    prior = fit_prior(x, n)
    assert prior.alpha == pytest.approx(43 / 14)
    assert prior.beta == pytest.approx(43 / 14)
    assert shrink_rates(x, n, prior) == pytest.approx([71 / 226, 0.5, 155 / 226])


def test_no_spread_beyond_chance_shrinks_fully_to_the_mean():
    """4/10 and 6/10: v = 0.01 < binomial 0.025 -> both rates become m = 0.5."""
    assert shrink_rates(np.array([4, 6]), np.array([10, 10])) == pytest.approx([0.5, 0.5], abs=1e-4)


def test_bootstrap_and_adjusted_difference_on_separated_groups():
    """Groups 1,2,3,4 vs 11,12,13,14: difference of means 10; every resample lies in (7, 13)."""
    a, b = np.array([11.0, 12, 13, 14]), np.array([1.0, 2, 3, 4])
    lo, hi = bootstrap_diff(a, b, resamples=500)
    assert 7 <= lo <= 10 <= hi <= 13
    diff, _lo, _hi, p = adjusted_diff(np.r_[a, b], np.r_[np.ones(4), np.zeros(4)])
    assert diff == pytest.approx(10.0)
    assert p < 0.001


def test_planted_behaviour_recovered_and_nothing_else(team):
    """Six planted reps run discovery before the demo in 95 % of deals (others 40 %), which
    raises their win chance: the only finding is discovery_before_demo, higher for the top."""
    prof = top_profile(team, "2026-H1")
    assert [c.key for c in prof.findings] == ["discovery_before_demo"]
    c = prof.get("discovery_before_demo")
    assert c.top > c.rest and c.ci_low > 0
    assert set(PLANTED) & set(prof.tiers.members("top"))
    line = prof.summary()[0]
    assert line.startswith("Top performers: discovery before the demo in ")
    assert "95 % CI" in line and "n = " in line


def test_shuffled_outcomes_give_a_finding_in_at_most_3_of_20(team):
    """Won/lost shuffled among closed deals 20 times: the whole pipeline rerun each time."""
    hits = [bool(top_profile(shuffled(team, s), "2026-H1").findings) for s in range(20)]
    assert sum(hits) <= 3


def test_outcome_measures_are_shown_not_tested(team):
    """Tiers are chosen by bookings: win rate is shown with its shrunk figures but not tested."""
    prof = top_profile(team, "2026-H1")
    wr = prof.get("win_rate")
    assert not wr.tested and not wr.finding and "outcome measure" in wr.note
    assert wr.top > wr.rest


def test_too_few_reps_is_a_message_not_a_profile():
    """Five reps: the top tier holds 1 (20 % of 5) < min_reps 3."""
    prof = top_profile(make_team(n_reps=5, planted=("Ada",), deals=20), "2026-H1")
    assert prof.message.startswith("Too few reps to profile the top tier in 2026-H1")
    assert prof.comparisons == [] and prof.summary() == [prof.message]
    assert top_figures(prof) == {}


def test_window_shorter_than_two_quarters_is_refused():
    """A quarter is too short."""
    with pytest.raises(DealDataError, match="shorter than two quarters"):
        parse_window("2026-Q1")


def test_window_without_closed_deals(team):
    """2024-H1 holds no deals."""
    with pytest.raises(DealDataError, match="no closed deals in 2024-H1"):
        top_profile(team, "2024-H1")


def test_without_quotas_tiers_by_won_amount():
    """No quotas table: basis = won amount, with a note."""
    t = tiers(make_team(quotas=False), "2026-H1")
    assert t.basis == "won amount"
    assert any("no rep has a quota" in n for n in t.notes)


def _tiny(scores: dict[str, int], **extra: dict) -> DealData:
    """Three won deals of a third of the score per rep closed 2026-03-01; quota 10,000 each for 2026-H1."""
    reps = list(scores)
    opps = pd.DataFrame({
        "id": [f"X{i}" for i in range(3 * len(reps))], "rep": reps * 3, "stage": "negotiation",
        "status": "won", "amount": [scores[r] / 3 for r in reps] * 3,
        "created": pd.Timestamp("2026-01-10"), "close_date": pd.Timestamp("2026-03-01"),
        "segment": "SMB",
    })  # fmt: skip
    table = pd.DataFrame({"rep": reps, "team": "T", "role": "AE",
                          "start_date": pd.Timestamp("2020-01-01"), "end_date": pd.NaT})  # fmt: skip
    for rep, (col, value) in extra.items():
        table.loc[table["rep"] == rep, col] = value
    quotas = pd.DataFrame({"rep": reps, "period": "2026-H1", "amount": 10_000.0})
    return DealData(opportunities=opps, reps=table, quotas=quotas)


def test_ties_at_the_top_boundary_share_the_tier():
    """10 reps, top 20 % = 2; three tie at 150 %: all three are top, a note says so."""
    scores = dict(
        zip(
            "ABCDEFGHIJ",
            [15000, 15000, 15000, 9000, 8000, 7000, 6000, 5000, 4000, 3000],
            strict=True,
        )
    )
    t = tiers(_tiny(scores), "2026-H1")
    assert t.members("top") == ["A", "B", "C"]
    assert t.members("bottom") == ["I", "J"]
    assert any("3 reps tie at the top-tier boundary (150%)" in n for n in t.notes)


def test_rep_who_left_mid_window_is_not_ranked():
    """J left on 2026-04-30: named in left_out, not ranked."""
    scores = dict(zip("ABCDEFGHIJ", range(10_000, 0, -1000), strict=True))
    t = tiers(_tiny(scores, J=("end_date", pd.Timestamp("2026-04-30"))), "2026-H1")
    assert "J" not in t.table.index
    assert t.left_out["J"] == "left on 2026-04-30, inside the window"


def test_whale_deal_flags_top_by_circumstance():
    """Rep A: three deals of 10,000 / 3 and one of 50,000 -> 50,000 / 60,000 = 83 % in one deal."""
    data = _tiny(dict(zip("ABCDEFGHIJ", range(10_000, 0, -1000), strict=True)))
    extra = pd.DataFrame({"id": ["W1"], "rep": ["A"], "stage": "negotiation", "status": "won",
                          "amount": [50_000.0], "created": pd.Timestamp("2026-01-10"),
                          "close_date": pd.Timestamp("2026-04-01"), "segment": "SMB"})  # fmt: skip
    data.opportunities = pd.concat([data.opportunities, extra], ignore_index=True)
    t = tiers(data, "2026-H1", options=CoachingOptions(min_reps=1))
    assert t.table.loc["A", "circumstance"].startswith("one deal is 83% of their bookings")
    assert "A" not in t.members("top") and "A" in t.members("top", compared=False)


def test_top_figures_feed_standards(team):
    """top_figures maps (measure, stage) to the top tier's figure."""
    prof = top_profile(team, "2026-H1")
    figs = top_figures(prof)
    assert figs[("discovery_before_demo", None)] == pytest.approx(
        prof.get("discovery_before_demo").top
    )
    assert not any(math.isnan(v) for v in figs.values())


def test_coaching_table_declared_like_the_options(tmp_path):
    """[coaching] keys in spmkb.config.TABLE_SETTINGS match CoachingOptions (names and defaults),
    and a value from spmkb.toml reaches the options; a bad key names the file and field."""
    from dataclasses import fields

    from spmkb.coaching.options import options_from
    from spmkb.config import TABLE_SETTINGS, load_settings
    from spmkb.errors import ConfigError

    declared = {s.name: s.default for s in TABLE_SETTINGS["coaching"]}
    assert declared == {f.name: getattr(CoachingOptions(), f.name) for f in fields(CoachingOptions)}
    toml = tmp_path / "spmkb.toml"
    toml.write_text("[coaching]\ntop_share = 0.25\nlevels = [1.0, 1.1]\n")
    opts = options_from(load_settings(config_file=toml, cwd=tmp_path, environ={}))
    assert opts.top_share == 0.25 and opts.levels == (1.0, 1.1)
    toml.write_text("[coaching]\ntop_shares = 0.25\n")
    with pytest.raises(ConfigError, match="unknown setting 'top_shares' in \\[coaching\\]"):
        load_settings(config_file=toml, cwd=tmp_path, environ={})


def test_volume_measures_are_tested_against_the_tiers_luck_gives():
    """Reps differ only in volume (rep i keeps 20 + 2 i of its deals in each half-year), every
    deal won with chance 0.2 whatever the rep does: the top tier has more opportunities by
    construction (it closes more), so against the tiers luck gives it is no finding."""
    data = make_team(seed=5, planted=(), effect=0.0)
    o = data.opportunities
    rank = {r: i for i, r in enumerate(sorted(o["rep"].unique()))}
    half = (o["created"] >= pd.Timestamp("2026-01-01")).astype(int)
    nth = o.groupby([o["rep"], half]).cumcount()
    data.opportunities = o[(nth < 20 + 2 * o["rep"].map(rank)).to_numpy()].reset_index(drop=True)
    prof = top_profile(data, "2026-H1")
    c = prof.get("opportunities_created")
    assert c.diff > 0 and c.tested
    assert "p against the tiers luck alone gives" in c.note
    assert not c.finding
    assert prof.findings == []


def test_reps_without_a_quota_are_left_out_when_others_have_one():
    """Quotas for A..I only: J is not ranked, named with the reason."""
    scores = dict(zip("ABCDEFGHIJ", range(10_000, 0, -1000), strict=True))
    data = _tiny(scores)
    data.quotas = data.quotas[data.quotas["rep"] != "J"]
    t = tiers(data, "2026-H1")
    assert t.basis == "attainment" and "J" not in t.table.index
    assert t.left_out["J"] == "no quota for 2026-H1"

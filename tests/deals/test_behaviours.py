"""Behaviour effects with honest uncertainty: planted effects recovered, shuffles find nothing.

The true effects come from the sample generator's own step model (docs/metrics.md,
"Planted effects"): ``true_effects(data)`` recomputes each closed deal's chance of winning
with a behaviour band set to each value and averages the difference to the reference band
over the deals ``behaviours()`` analyses (g-computation). Left out: the rep skill (sd 0.08
logit); a deal's discovery-first flag is averaged over its rep's share where not observed.

Hand-made check of "contacts up to the decision" (``test_contacts_count_up_to_the_close``):
deal X (won 2026-01-31) has a 2-contact call on 2026-01-10 and a 6-contact meeting on
2026-03-01, after it closed: it counts 2, not 6 (band "2"); deal Y (lost 2026-02-10) has a
4-contact call on 2026-02-01: 4.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from spmkb.deals import metrics as m
from spmkb.deals._frame import deal_frame
from spmkb.deals.sample import _BASE_STEP_P, SAMPLE_END, WEAK_STAGE_REPS, generate_sample
from spmkb.deals.sample_people import rep_traits
from spmkb.deals.schema import PIPELINE_STAGES, DealData


def _sig(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def _base_logits(data: DealData) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(step logits without contacts/discovery/first-response terms, closed mask, each deal's
    rep's discovery-first share), from the generator's model and the roster's traits."""
    o = data.opportunities
    start = date(SAMPLE_END.year - 3, SAMPLE_END.month, SAMPLE_END.day)  # the default window
    tr = rep_traits(len(data.reps), start, np.random.default_rng(0))  # ramps: deterministic
    idx = pd.Series(np.arange(len(tr.reps)), index=tr.reps["rep"].astype(str))
    rep = o["rep"].astype(str).to_numpy()
    ri = idx.reindex(rep).to_numpy()
    n = len(o)
    z = np.tile(np.log(_BASE_STEP_P / (1 - _BASE_STEP_P)), (n, 1))
    for name, stage in WEAK_STAGE_REPS.items():
        z[rep == name, PIPELINE_STAGES.index(stage)] -= 1.4
    started = pd.to_datetime(tr.reps["start_date"]).to_numpy()[ri]
    tenure = (o["created"].to_numpy() - started) / np.timedelta64(1, "D")
    ramp = np.minimum(np.clip(tenure / tr.ramp_days[ri], 0, None), tr.ramp_cap[ri])
    z -= (0.9 * (1 - ramp))[:, None]
    seg = o["segment"].map({"SMB": 0.1, "Mid-Market": 0.0, "Enterprise": -0.25}).to_numpy(float)
    comp = o["competitor"].map({"Spendwise": -0.2, "ClearPO": -0.1, "Procura": -0.35,
                                "Tallyhouse": -0.05}).fillna(0.2).to_numpy(float)  # fmt: skip
    z[:, 4:] += (seg + comp)[:, None]
    return z, (o["status"] != "open").to_numpy(), tr.discovery_share[ri]


def _p_win(z: np.ndarray, contacts: np.ndarray, disc: np.ndarray, frh: np.ndarray,
           steps: slice = slice(0, 6)) -> np.ndarray:  # fmt: skip
    z = z.copy()
    z[:, 3:] += (0.3 * (contacts - 2.5))[:, None]
    z[:, 3] += np.where(disc, 0.45, -0.45)
    z[:, 4] += np.where(disc, 0.2, -0.2)
    z[:, :2] += frh[:, None]
    return np.prod(_sig(z[:, steps]), axis=1)


def _avg_disc(z: np.ndarray, contacts: np.ndarray, frh: np.ndarray, disc_obs: np.ndarray,
              share: np.ndarray, steps: slice = slice(0, 6)) -> np.ndarray:  # fmt: skip
    """P(win) with the discovery flag observed where known, else averaged over the rep's share."""
    yes = _p_win(z, contacts, np.ones(len(z), bool), frh, steps)
    no = _p_win(z, contacts, np.zeros(len(z), bool), frh, steps)
    avg = share * yes + (1 - share) * no
    return np.where(np.isnan(disc_obs), avg, np.where(disc_obs > 0.5, yes, no))


def true_effects(data: DealData) -> dict[tuple[str, str], float]:
    """(behaviour, band) -> planted difference in win probability vs the reference band.

    Setting a deal to a contacts band means drawing its contacts from the band's observed
    distribution (5+ holds 5 to 9 contacts: top performers add 2-3).
    """
    f = deal_frame(data)
    z, closed, share = _base_logits(data)
    frh_h = data.opportunities["first_response_hours"].to_numpy(float)
    frh = np.select([frh_h < 1, frh_h < 4, frh_h < 24], [0.5, 0.25, 0.0], -0.5)
    contacts, disc_obs = f.contacts, f.disc_before_demo
    out: dict[tuple[str, str], float] = {}
    c = closed & ~np.isnan(contacts)
    values = contacts[c]
    p = {k: _avg_disc(z[c], np.full(c.sum(), float(k)), frh[c], disc_obs[c], share[c])
         for k in np.unique(values)}  # fmt: skip
    bands = {"1": [1], "2": [2], "3": [3], "4": [4], "5+": [k for k in p if k >= 5]}
    mix = {b: sum(np.mean(values == k) * p[k] for k in ks) / np.mean(np.isin(values, ks))
           for b, ks in bands.items()}  # fmt: skip
    for band in ("2", "3", "4", "5+"):
        out[("contacts_per_deal", band)] = float(np.mean(mix[band] - mix["1"]))
    d = closed & ~np.isnan(disc_obs)
    yes = _p_win(z[d], contacts[d], np.ones(d.sum(), bool), frh[d], slice(3, 6))
    no = _p_win(z[d], contacts[d], np.zeros(d.sum(), bool), frh[d], slice(3, 6))
    out[("discovery_before_demo", "yes")] = float(np.mean(yes - no))
    r = closed & ~np.isnan(frh_h)
    ref = _avg_disc(z[r], contacts[r], np.full(r.sum(), 0.5), disc_obs[r], share[r])
    for band, shift in (("1-4 h", 0.25), ("4-24 h", 0.0), ("> 24 h", -0.5)):
        other = _avg_disc(z[r], contacts[r], np.full(r.sum(), shift), disc_obs[r], share[r])
        out[("first_response", band)] = float(np.mean(other - ref))
    return out


@pytest.fixture(scope="module")
def sample() -> DealData:
    return generate_sample(7)


def test_planted_effects_inside_the_confidence_intervals(sample: DealData) -> None:
    b = m.behaviours(sample).set_index(["behaviour", "value"])
    truth = true_effects(sample)
    for key, effect in truth.items():
        lo, hi = b.loc[key, "ci_low"], b.loc[key, "ci_high"]
        assert lo <= effect <= hi, (key, effect, lo, hi)
    for key in (("contacts_per_deal", "5+"), ("discovery_before_demo", "yes"),
                ("first_response", "> 24 h")):  # fmt: skip
        assert b.loc[key, "significant"], key
    assert b.loc[("contacts_per_deal", "5+"), "or_ci_low"] > 1
    assert b.loc[("first_response", "> 24 h"), "or_ci_high"] < 1
    contacts = b.loc["contacts_per_deal"]
    assert contacts.index.tolist() == ["1", "2", "3", "4", "5+"]
    assert np.all(np.diff(contacts["lift"].to_numpy()) > 0)


def test_shuffled_outcomes_find_nothing(sample: DealData) -> None:
    """Won/lost permuted among closed deals (everything else kept): no band is significant."""
    o = sample.opportunities.copy()
    idx = np.nonzero((o["status"] != "open").to_numpy())[0]
    o.loc[idx, "status"] = o["status"].to_numpy()[np.random.default_rng(11).permutation(idx)]
    shuffled = DealData(opportunities=o, stage_history=sample.stage_history,
                        activities=sample.activities, reps=sample.reps)  # fmt: skip
    b = m.behaviours(shuffled)
    assert b["p_adjusted"].notna().sum() == 8  # every non-reference band was tested
    assert not b["significant"].any(), b[b["significant"]]


def test_contacts_count_up_to_the_close() -> None:
    o = pd.DataFrame({"id": ["X", "Y"], "rep": ["Ann", "Ann"], "stage": ["negotiation", "demo"],
                      "status": ["won", "lost"], "amount": [1.0, 1.0],
                      "created": pd.to_datetime(["2026-01-01", "2026-01-01"]),
                      "close_date": pd.to_datetime(["2026-01-31", "2026-02-10"])})  # fmt: skip
    acts = pd.DataFrame({"rep": ["Ann"] * 3, "opportunity_id": ["X", "X", "Y"],
                         "type": ["call", "meeting", "call"],
                         "date": pd.to_datetime(["2026-01-10", "2026-03-01", "2026-02-01"]),
                         "contacts": [2, 6, 4]})  # fmt: skip
    data = DealData(opportunities=o, activities=acts)
    assert deal_frame(data).contacts.tolist() == [2.0, 4.0]
    b = m.behaviours(data, min_n=1)
    c = b[b["behaviour"] == "contacts_per_deal"].set_index("value")["n"].to_dict()
    assert c == {"1": 0, "2": 1, "3": 0, "4": 1, "5+": 0}
    assert b["counted"].iloc[0].endswith("dated on or before the close date")

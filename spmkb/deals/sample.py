"""A deterministic, realistic sample of deal data with known, planted effects.

``generate_sample(seed)`` builds three years of pipeline (:data:`ROSTER`: 80 people in 4
teams: AEs, SDRs, hires and leavers) ending on a fixed date (:data:`SAMPLE_END`), so figures
do not depend on today's date; ``generate_asset_opens(data, seed)`` adds which playbook assets
were opened on which deals. The effects planted in it (stated in ``docs/metrics.md``, "Sample
data") are what the tests recover from it:

* more buyer contacts per deal -> higher win rate;
* a discovery meeting before the demo -> higher win rate;
* a fast first response (``first_response_hours``) -> higher win rate;
* :data:`WEAK_STAGE_REPS` convert one stage much worse than their team;
* :data:`TOP_PERFORMERS` differ only in behaviour (contacts, discovery, response, activity,
  pipeline), "top by circumstance" reps in a whale deal or in a segment;
* :data:`HIRES` ramp fast, slow or not at all; one onboarding milestone predicts it, one not;
* SDRs prospect, book meetings and source (``sourced_by``) outbound AE opportunities;
* one asset is opened more often on deals that were won (:mod:`spmkb.deals.sample_assets`).

The people and their traits live in :mod:`spmkb.deals.sample_people`, SDR work in
:mod:`spmkb.deals.sample_sdr`. Everything is vectorised numpy: the default sample (~26,000
deals) builds in one to two seconds.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from spmkb.deals.sample_assets import generate_asset_opens
from spmkb.deals.sample_people import (
    HIRES,
    NEW_HIRES,
    ROSTER,
    TEAMS,
    TOP_EXTRA_CONTACTS,
    TOP_PERFORMERS,
    WEAK_STAGE_REPS,
    WHALE_AMOUNT,
    WHALE_CLOSE,
    WHALE_REP,
    rep_traits,
)
from spmkb.deals.sample_sdr import sdr_and_onboarding_activities, sourced_by
from spmkb.deals.schema import PIPELINE_STAGES, DealData
from spmkb.errors import DealDataError

__all__ = [
    "COMPETITORS", "HIRES", "NEW_HIRES", "PRODUCTS", "ROSTER", "SAMPLE_END", "SEGMENTS",
    "TOP_PERFORMERS", "WEAK_STAGE_REPS", "generate_asset_opens", "generate_sample", "write_sample",
]  # fmt: skip

#: Last day of the sample ("today" in the sample's world): mid-quarter, so forecasts are live.
SAMPLE_END = date(2026, 8, 14)
COMPETITORS = ("Spendwise", "ClearPO", "Procura", "Tallyhouse")  # = playbooks/battlecards
PRODUCTS = ("Ledger Core", "Ledger Insights", "Ledger Connect")
SEGMENTS = ("SMB", "Mid-Market", "Enterprise")
INDUSTRIES = (
    "technology", "financial-services", "healthcare", "manufacturing",
    "retail", "logistics", "professional-services", "education",
)  # fmt: skip
SOURCES = ("inbound", "outbound", "partner", "event")
_BASE_STEP_P = np.array([0.85, 0.80, 0.80, 0.72, 0.80, 0.75])  # stage k -> k+1 (5: -> won)
_STAGE_DAYS = {"SMB": 7.0, "Mid-Market": 12.0, "Enterprise": 20.0}
_LOSS_EARLY = ("No budget", "No decision", "Not a fit", "Went dark")
_LOSS_LATE = ("Price", "Lost to competitor", "Timing", "Champion left", "No decision")


def _logit(p: np.ndarray) -> np.ndarray:
    return np.log(p / (1 - p))


def _whale_deal(names: np.ndarray, reps_i: np.ndarray, created: np.ndarray) -> int | None:
    """Index of the deal that becomes :data:`WHALE_REP`'s whale (first created from 2025-12)."""
    hits = np.nonzero(names == WHALE_REP)[0]
    if len(hits) == 0:
        return None
    mine = np.nonzero((reps_i == hits[0]) & (created >= np.datetime64("2025-12-01")))[0]
    return int(mine[0]) if len(mine) else None


def generate_sample(
    seed: int = 7,
    *,
    n_reps: int = len(ROSTER),
    end: date = SAMPLE_END,
    years: int = 3,
    deals_per_rep_day: float = 0.5,
    activities_per_stage: float = 1.2,
) -> DealData:
    """Build a deterministic sample :class:`DealData` (same ``seed`` -> identical tables)."""
    rng = np.random.default_rng(seed)
    end64 = np.datetime64(end, "D")
    start = date(end.year - years, end.month, end.day)
    start64 = np.datetime64(start, "D") + 1
    n_days = int((end64 - start64).astype(int)) + 1
    tr = rep_traits(n_reps, start, rng)
    reps = tr.reps
    reps.loc[reps["end_date"] > pd.Timestamp(end), "end_date"] = pd.NaT  # not gone yet
    names = reps["rep"].to_numpy(dtype=object)
    team_idx = np.array([TEAMS.index(t) for t in reps["team"]])
    start_day = reps["start_date"].to_numpy().astype("datetime64[D]")
    far = end64 + 100_000
    left_day = reps["end_date"].to_numpy().astype("datetime64[D]")
    left_day = np.where(np.isnat(left_day), far, left_day)

    # Rep traits (logit shifts per step; column 5 is negotiation -> won).
    skill = rng.normal(0.0, 0.08, n_reps)
    step_shift = np.zeros((n_reps, 6))
    step_shift += skill[:, None]
    for i, name in enumerate(names):
        if name in WEAK_STAGE_REPS:
            step_shift[i, PIPELINE_STAGES.index(WEAK_STAGE_REPS[name])] -= 1.4

    # Deal creation: Poisson per rep-day, ramped for hires; AEs only, while employed.
    days = start64 + np.arange(n_days)
    tenure = (days[None, :] - start_day[:, None]).astype(int)
    ramp = np.minimum(np.clip(tenure / tr.ramp_days[:, None], 0.0, None), tr.ramp_cap[:, None])
    active = (tenure >= 0) & (days[None, :] <= left_day[:, None]) & tr.is_ae[:, None]
    active &= ~((tr.early_count[:, None] >= 0) & (tenure <= 30))  # planted below instead
    lam = deals_per_rep_day * tr.volume[:, None] * (0.3 + 0.7 * ramp) * active
    counts = rng.poisson(lam)
    for i in np.nonzero(tr.early_count > 0)[0]:  # a hire's days 1-29: planted counts
        first = int((start_day[i] - start64).astype(int))
        when = first + rng.integers(tr.early_from[i], 30, tr.early_count[i])
        np.add.at(counts[i], when[(when >= 0) & (when < n_days)], 1)
    rep_of, day_of = np.nonzero(counts)
    reps_i = np.repeat(rep_of, counts[rep_of, day_of])
    created = np.repeat(days[day_of], counts[rep_of, day_of])
    n = len(reps_i)
    deal_ramp = ramp[reps_i, (created - start64).astype(int)]

    # Deal attributes.
    enterprise_team = team_idx[reps_i] == TEAMS.index("Enterprise")
    seg_u = rng.random(n)
    cut = np.where(enterprise_team[:, None], [0.2, 0.6], [0.56, 0.94])
    own_mix = np.cumsum(tr.segment_mix, axis=1)[reps_i, :2]
    cut = np.where(np.isnan(own_mix), cut, own_mix)
    seg = (seg_u[:, None] >= cut).sum(axis=1)
    product = rng.choice(3, n, p=[0.55, 0.25, 0.20])
    industry = rng.integers(0, len(INDUSTRIES), n)
    source = rng.choice(4, n, p=[0.4, 0.35, 0.15, 0.10])
    competitor = rng.choice(5, n, p=[0.35, 0.2, 0.18, 0.15, 0.12])  # 0 = none
    contacts = rng.choice(np.arange(1, 7), n, p=[0.15, 0.25, 0.25, 0.18, 0.10, 0.07])
    lo, hi = TOP_EXTRA_CONTACTS
    extra = rng.integers(lo, hi + 1, n) * tr.extra_contacts[reps_i]
    contacts = np.minimum(contacts + extra, 9)
    disc_first = rng.random(n) < tr.discovery_share[reps_i]
    frh = np.round(np.exp(rng.normal(np.log(tr.response_hours[reps_i]), 1.3)), 1)
    base_amount = np.array([9_000.0, 35_000.0, 140_000.0])[seg]
    amount = base_amount * np.array([1.0, 0.6, 0.45])[product] * np.exp(rng.normal(0, 0.35, n))
    amount = np.round(amount / 100) * 100 + 100
    whale = _whale_deal(names, reps_i, created)
    if whale is not None:  # one huge Enterprise deal: most of this rep's bookings
        seg[whale], product[whale], amount[whale], competitor[whale] = 2, 0, WHALE_AMOUNT, 0
        contacts[whale], disc_first[whale] = 6, True

    # Step-wise progression probabilities (logits).
    z = _logit(_BASE_STEP_P)[None, :] + step_shift[reps_i]
    z = z - 0.9 * (1 - deal_ramp)[:, None]
    z[:, 3:] += 0.3 * (contacts - 2.5)[:, None]
    z[:, 3] += np.where(disc_first, 0.45, -0.45)
    z[:, 4] += np.where(disc_first, 0.2, -0.2)
    frh_shift = np.select([frh < 1, frh < 4, frh < 24], [0.5, 0.25, 0.0], -0.5)
    z[:, :2] += frh_shift[:, None]
    z[:, 4:] += np.array([0.1, 0.0, -0.25])[seg][:, None]
    z[:, 4:] += np.array([0.2, -0.2, -0.1, -0.35, -0.05])[competitor][:, None]
    advance = rng.random((n, 6)) < 1 / (1 + np.exp(-z))
    if whale is not None:
        advance[whale] = True
    passed = np.cumprod(advance, axis=1).astype(bool)  # passed[:, k]: moved beyond stage k
    furthest = passed[:, :5].sum(axis=1)  # index of the last stage reached
    won = passed[:, 5]

    # Timing: gamma durations per stage, longer for bigger segments.
    mean_days = np.array([_STAGE_DAYS[s] for s in SEGMENTS])[seg]
    dur = np.maximum(1, np.round(rng.gamma(2.0, mean_days[:, None] / 2.0, (n, 6)))).astype(int)
    if whale is not None:
        total = int((np.datetime64(WHALE_CLOSE, "D") - created[whale]).astype(int))
        dur[whale] = np.floor(total * np.array([0.1, 0.15, 0.2, 0.2, 0.2, 0.15]))
        dur[whale, 5] += total - dur[whale].sum()
    entered = created[:, None] + np.concatenate(
        [np.zeros((n, 1), dtype=int), np.cumsum(dur[:, :5], axis=1)], axis=1
    ).astype("timedelta64[D]")
    close = entered[np.arange(n), furthest] + dur[np.arange(n), furthest].astype("timedelta64[D]")
    # A rep who left: deals still running on their last day are closed lost ("Rep left").
    rep_left = left_day[reps_i]
    orphaned = (close > rep_left) & (rep_left < end64)
    horizon = np.minimum(rep_left, end64)
    is_open = (close > end64) & ~orphaned
    won &= ~orphaned
    reached = (np.arange(6)[None, :] <= furthest[:, None]) & (entered <= horizon[:, None])
    stage_now = reached.sum(axis=1) - 1
    status = np.where(is_open, "open", np.where(won, "won", "lost"))
    slip = rng.integers(-10, 20, n).astype("timedelta64[D]")
    expected = np.maximum(close + slip, end64 + 1)
    close_date = np.where(is_open, expected, np.where(orphaned, rep_left, close))

    lost = (~won) & ~is_open
    late = furthest >= 3
    early_reason = np.array(_LOSS_EARLY, dtype=object)[rng.integers(0, len(_LOSS_EARLY), n)]
    late_reason = np.array(_LOSS_LATE, dtype=object)[rng.integers(0, len(_LOSS_LATE), n)]
    late_reason = np.where(
        (competitor > 0) & (rng.random(n) < 0.5), "Lost to competitor", late_reason
    )
    late_reason = np.where(
        (competitor == 0) & (late_reason == "Lost to competitor"), "Price", late_reason
    )
    loss_reason = np.where(lost, np.where(late, late_reason, early_reason), None)
    loss_reason = np.where(orphaned, "Rep left", loss_reason)
    fc = np.array(
        ["pipeline", "pipeline", "best case", "best case", "best case", "commit"], dtype=object
    )
    forecast_cat = np.where(is_open, fc[stage_now], "closed")

    order = np.lexsort((reps_i, created))
    ids = np.array([f"OPP-{i:07d}" for i in range(1, n + 1)], dtype=object)
    inv = np.empty(n, dtype=int)
    inv[order] = np.arange(n)  # deal k gets id ids[inv[k]] (ids follow creation order)
    deal_id = ids[inv]
    stage_names = np.array(PIPELINE_STAGES, dtype=object)
    comp_names = np.array((None, *COMPETITORS), dtype=object)

    def s(values: np.ndarray) -> pd.arrays.StringArray:
        return pd.array(values, dtype="string")

    outbound = source == SOURCES.index("outbound")
    sourced = sourced_by(rng, tr, reps_i, created, outbound, left_day)
    account = np.char.add("Account ", (rng.integers(1, 3000, n)).astype(str)).astype(object)
    opps = (
        pd.DataFrame(
            {
                "id": s(deal_id),
                "rep": s(names[reps_i]),
                "stage": s(stage_names[stage_now]),
                "status": s(status),
                "amount": amount.astype(float),
                "created": created.astype("datetime64[ns]"),
                "close_date": close_date.astype("datetime64[ns]"),
                "account": s(account),
                "name": s(
                    np.char.add(
                        np.char.add(account.astype(str), " — "), np.array(PRODUCTS)[product]
                    ).astype(object)
                ),
                "industry": s(np.array(INDUSTRIES, dtype=object)[industry]),
                "segment": s(np.array(SEGMENTS, dtype=object)[seg]),
                "product": s(np.array(PRODUCTS, dtype=object)[product]),
                "source": s(np.array(SOURCES, dtype=object)[source]),
                "competitor": s(comp_names[competitor]),
                "loss_reason": s(loss_reason),
                "forecast_category": s(forecast_cat),
                "currency": s(np.full(n, "USD", dtype=object)),
                "first_response_hours": frh.astype(float),
                "sourced_by": s(sourced),
            }
        )
        .iloc[order]
        .reset_index(drop=True)
    )

    d_idx, st_idx = np.nonzero(reached)
    history = pd.DataFrame(
        {
            "opportunity_id": s(deal_id[d_idx]),
            "stage": s(stage_names[st_idx]),
            "entered_at": entered[d_idx, st_idx].astype("datetime64[ns]"),
        }
    )

    per_stage = activities_per_stage * tr.activity_factor[reps_i]
    activities = _activities(rng, reached, entered, dur, contacts, disc_first, per_stage)
    activities = activities[activities["date"] <= horizon[activities["deal"]]]
    other = sdr_and_onboarding_activities(
        rng, tr, (start64, end64), left_day, sourced, deal_id, created
    )
    acts = pd.DataFrame(
        {
            "rep": s(np.concatenate([names[reps_i][activities["deal"]], other["rep"]])),
            "opportunity_id": s(
                np.concatenate([deal_id[activities["deal"]], other["opportunity_id"]])
            ),
            "type": s(np.concatenate([activities["type"], other["type"]])),
            "date": np.concatenate([activities["date"], other["date"]]).astype("datetime64[ns]"),
            "contacts": pd.array(
                np.concatenate([activities["contacts"], other["contacts"]]), dtype="Int64"
            ),
        }
    )
    acts = acts.sort_values(["date", "opportunity_id", "rep"], kind="stable")
    acts = acts.reset_index(drop=True)
    quotas = _quotas(opps, reps, start, end)
    return DealData(
        opportunities=opps, stage_history=history, activities=acts, reps=reps, quotas=quotas
    )


def _activities(
    rng: np.random.Generator,
    reached: np.ndarray,
    entered: np.ndarray,
    dur: np.ndarray,
    contacts: np.ndarray,
    disc_first: np.ndarray,
    per_stage: np.ndarray,
) -> pd.DataFrame:
    """Calls and emails in every stage reached, a discovery meeting, a demo and a full-team meeting."""
    n = len(contacts)
    k = rng.poisson(np.repeat(per_stage[:, None], 6, axis=1)) * reached
    deal = np.repeat(np.repeat(np.arange(n), 6), k.ravel())
    stage = np.repeat(np.tile(np.arange(6), n), k.ravel())
    m = len(deal)
    offset = np.floor(rng.random(m) * dur[deal, stage]).astype("timedelta64[D]")
    date_ = entered[deal, stage] + offset
    kind = np.where(rng.random(m) < 0.55, "call", "email").astype(object)
    cts = rng.integers(1, contacts[deal] + 1)
    parts = [pd.DataFrame({"deal": deal, "type": kind, "date": date_, "contacts": cts})]

    d_stage, dm_stage = PIPELINE_STAGES.index("discovery"), PIPELINE_STAGES.index("demo")
    has_disc = reached[:, d_stage] & disc_first  # discovery meeting held before any demo
    dd = np.nonzero(has_disc)[0]
    when = entered[dd, d_stage] + np.floor(rng.random(len(dd)) * dur[dd, d_stage]).astype(
        "timedelta64[D]"
    )
    parts.append(pd.DataFrame({"deal": dd, "type": "discovery", "date": when,
                               "contacts": rng.integers(1, contacts[dd] + 1)}))  # fmt: skip
    dm = np.nonzero(reached[:, dm_stage])[0]
    parts.append(pd.DataFrame({"deal": dm, "type": "demo", "date": entered[dm, dm_stage],
                               "contacts": contacts[dm]}))  # fmt: skip
    furthest = reached.sum(axis=1) - 1
    everyone = np.arange(n)
    parts.append(pd.DataFrame({"deal": everyone, "type": "meeting",
                               "date": entered[everyone, furthest], "contacts": contacts}))  # fmt: skip
    return pd.concat(parts, ignore_index=True)


QUOTA_STRETCH = 0.90
QUOTA_RAMP = (0.2, 3.0, 15.0)  # floor, month offset, months to 100 %


def _quotas(opps: pd.DataFrame, reps: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    """Quarterly AE quotas: a team's average quarterly bookings per established rep, ramped."""
    from spmkb.deals.periods import period_of

    # Typical bookings are learnt after the first two quarters (while the pipeline fills up,
    # bookings are low), from reps past their first year, and quotas are set 10 % above
    # them, as a growing company would. A hire's quota ramps from 25 % to 100 %.
    ae = reps[reps["role"] == "AE"]
    won = opps[
        (opps["status"] == "won")
        & (opps["close_date"] >= pd.Timestamp(start) + pd.Timedelta(days=183))
    ]
    started = won["rep"].map(dict(zip(ae["rep"], ae["start_date"], strict=True)))
    q_start = won["close_date"].dt.to_period("Q").dt.start_time
    won = won[(q_start - started).dt.days >= 365]
    q = won["close_date"].dt.year.astype(str) + "-Q" + won["close_date"].dt.quarter.astype(str)
    team = won["rep"].map(dict(zip(ae["rep"], ae["team"], strict=True)))
    per = won.assign(q=q, team=team).groupby(["team", "rep", "q"])["amount"].sum()
    team_typical = per.groupby(level="team").mean() * QUOTA_STRETCH
    overall = float(per.mean() * QUOTA_STRETCH) if len(per) else 0.0
    rows = []
    p, last = period_of(start, "quarter"), period_of(end, "quarter")
    while p <= last:
        p_start = np.datetime64(p.start)
        for rep, team_name, began, ended in zip(
            ae["rep"], ae["team"], ae["start_date"], ae["end_date"], strict=True
        ):
            months = (p_start - np.datetime64(began.date())).astype("timedelta64[D]").astype(
                int
            ) / 30.4
            if months < -2 or (not pd.isna(ended) and ended < pd.Timestamp(p.start)):
                continue  # not hired yet, or gone
            ramp = min(1.0, max(QUOTA_RAMP[0], (months + QUOTA_RAMP[1]) / QUOTA_RAMP[2]))
            rows.append(
                (rep, p.label, round(team_typical.get(team_name, overall) * ramp / 1000) * 1000)
            )
        p = p.next()
    frame = pd.DataFrame(rows, columns=["rep", "period", "amount"])
    return frame.astype({"rep": "string", "period": "string", "amount": "float64"})


def write_sample(out: Path, seed: int = 7, *, csv: bool = True, **kwargs: object) -> DealData:
    """Generate the sample and write it to ``out`` in the canonical deal-folder layout.

    Writes ``<table>.parquet`` files (what ``load_deal_data`` reads) and, with ``csv``, CSV
    copies under ``out/csv/`` for trying ``spmkb deals import`` on familiar files. Refuses
    to replace a non-empty folder that is not a deal folder.
    """
    from spmkb.csvsafe import write_csv
    from spmkb.deals.store import save_deal_data

    out = Path(out)
    if out.exists() and (
        not out.is_dir() or (any(out.iterdir()) and not (out / "opportunities.parquet").is_file())
    ):
        raise DealDataError(
            "refusing to overwrite a folder that does not hold deal data",
            path=out,
            hint="choose an empty or new folder for --out",
        )
    data = generate_sample(seed, **kwargs)  # type: ignore[arg-type]
    end = kwargs.get("end", SAMPLE_END)
    opens = generate_asset_opens(data, seed, end=end)  # type: ignore[arg-type]
    extra = {"asset_opens.csv": opens.assign(opened_at=opens["opened_at"].dt.strftime("%Y-%m-%d"))}
    save_deal_data(data, out, extra_csv=extra, meta={"source": "spmkb sample-data", "seed": seed})
    if csv:
        (out / "csv").mkdir(parents=True, exist_ok=True)
        for name in ("opportunities", "stage_history", "activities", "reps", "quotas"):
            write_csv(data.table(name), out / "csv" / f"{name}.csv", date_format="%Y-%m-%d")
    return data

"""A deterministic, realistic sample of deal data with known, planted effects.

``generate_sample(seed)`` builds two years of pipeline for ~40 reps in 4 teams ending on a
fixed date (:data:`SAMPLE_END`), so figures do not depend on today's date. The effects planted
in it (documented in ``docs/metrics.md``) are what the tests recover from it:

* more buyer contacts per deal -> higher win rate;
* a discovery meeting before the demo -> higher win rate;
* a fast first response (``first_response_hours``) -> higher win rate;
* :data:`WEAK_STAGE_REPS` convert one stage much worse than their team;
* :data:`TOP_PERFORMERS` win more and create more pipeline;
* :data:`NEW_HIRES` start inside the window and ramp up over their first ~6 months.

Everything is vectorised numpy: the default sample (~20,000 deals) builds in about a second.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from spmkb.deals.schema import PIPELINE_STAGES, DealData
from spmkb.errors import DealDataError

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
TEAMS = ("East", "West", "Central", "Enterprise")
MANAGERS = ("Grace Okafor", "Henrik Larsen", "Sofia Marquez", "Arjun Mehta")
#: Reps planted with one clearly weak stage: rep -> the stage they convert poorly *from*.
WEAK_STAGE_REPS: dict[str, str] = {
    "Priya Nair": "demo",
    "Tom Becker": "demo",
    "Lena Fischer": "discovery",
    "Omar Haddad": "proposal",
}
#: Reps planted as top performers (higher conversion at every stage, more pipeline).
TOP_PERFORMERS: tuple[str, ...] = ("Maya Chen", "Diego Alvarez")
#: New hires: rep -> start date inside the sample window.
NEW_HIRES: dict[str, date] = {
    "Noah Williams": date(2025, 3, 3),
    "Ava Thompson": date(2025, 9, 1),
    "Liam Oconnor": date(2025, 11, 17),
    "Zoe Martin": date(2026, 2, 2),
    "Ethan Brooks": date(2026, 4, 6),
    "Chloe Dubois": date(2026, 6, 1),
}
_OTHER_NAMES = (
    "Sam Carter", "Nina Petrova", "Jonas Berg", "Aisha Bello", "Marco Rossi", "Hana Sato",
    "Lucas Silva", "Emma Novak", "Felix Wagner", "Ines Costa", "Ben Harris", "Yara Haddad",
    "Oscar Lind", "Mia Kowalski", "Ravi Kumar", "Clara Jensen", "Leo Moreau", "Sara Cohen",
    "Max Keller", "Julia Santos", "Adam Novak", "Elif Yilmaz", "Victor Hugo", "Nora Walsh",
    "Kai Tanaka", "Lucy Evans", "Pablo Ruiz", "Anya Ivanova",
)  # fmt: skip
_BASE_STEP_P = np.array([0.85, 0.80, 0.80, 0.72, 0.80, 0.75])  # stage k -> k+1 (5: -> won)
_STAGE_DAYS = {"SMB": 7.0, "Mid-Market": 12.0, "Enterprise": 20.0}
_LOSS_EARLY = ("No budget", "No decision", "Not a fit", "Went dark")
_LOSS_LATE = ("Price", "Lost to competitor", "Timing", "Champion left", "No decision")


def _rep_table(n_reps: int, start: date) -> pd.DataFrame:
    named = [*TOP_PERFORMERS, *WEAK_STAGE_REPS, *NEW_HIRES, *_OTHER_NAMES]
    names = named[:n_reps] + [f"Rep {i:05d}" for i in range(len(named), n_reps)]
    teams = [TEAMS[i % len(TEAMS)] for i in range(n_reps)]
    starts = []
    for i, name in enumerate(names):
        if name in NEW_HIRES:
            starts.append(NEW_HIRES[name])
        else:  # tenured: started one to five years before the window
            starts.append(date(start.year - 1 - i % 5, 1 + (i * 5) % 12, 1))
    return pd.DataFrame(
        {
            "rep": pd.array(names, dtype="string"),
            "team": pd.array(teams, dtype="string"),
            "manager": pd.array([MANAGERS[TEAMS.index(t)] for t in teams], dtype="string"),
            "role": pd.array(["AE"] * n_reps, dtype="string"),
            "start_date": pd.to_datetime(starts).astype("datetime64[ns]"),
            "region": pd.array(teams, dtype="string"),
        }
    )


def _logit(p: np.ndarray) -> np.ndarray:
    return np.log(p / (1 - p))


def generate_sample(
    seed: int = 7,
    *,
    n_reps: int = 40,
    end: date = SAMPLE_END,
    years: int = 2,
    deals_per_rep_day: float = 0.75,
    activities_per_stage: float = 1.2,
) -> DealData:
    """Build a deterministic sample :class:`DealData` (same ``seed`` -> identical tables)."""
    rng = np.random.default_rng(seed)
    end64 = np.datetime64(end, "D")
    start = date(end.year - years, end.month, end.day)
    start64 = np.datetime64(start, "D") + 1
    n_days = int((end64 - start64).astype(int)) + 1
    reps = _rep_table(n_reps, start)
    names = reps["rep"].to_numpy(dtype=object)
    team_idx = np.arange(n_reps) % len(TEAMS)
    start_day = reps["start_date"].to_numpy().astype("datetime64[D]")

    # Rep traits (logit shifts per step; column 5 is negotiation -> won).
    skill = rng.normal(0.0, 0.08, n_reps)
    step_shift = np.zeros((n_reps, 6))
    step_shift += skill[:, None]
    volume = np.ones(n_reps)
    for i, name in enumerate(names):
        if name in TOP_PERFORMERS:
            step_shift[i] += 0.45
            volume[i] = 1.2
        if name in WEAK_STAGE_REPS:
            step_shift[i, PIPELINE_STAGES.index(WEAK_STAGE_REPS[name])] -= 1.4

    # Deal creation: Poisson per rep-day, with a 180-day ramp for new hires.
    days = start64 + np.arange(n_days)
    tenure = (days[None, :] - start_day[:, None]).astype(int)
    ramp = np.clip(tenure / 180.0, 0.0, 1.0)
    active = tenure >= 0
    lam = deals_per_rep_day * volume[:, None] * (0.3 + 0.7 * ramp) * active
    counts = rng.poisson(lam)
    rep_of, day_of = np.nonzero(counts)
    reps_i = np.repeat(rep_of, counts[rep_of, day_of])
    created = np.repeat(days[day_of], counts[rep_of, day_of])
    n = len(reps_i)
    deal_ramp = ramp[reps_i, (created - start64).astype(int)]

    # Deal attributes.
    enterprise_team = team_idx[reps_i] == TEAMS.index("Enterprise")
    seg_u = rng.random(n)
    seg = np.where(
        enterprise_team,
        np.searchsorted([0.2, 0.6], seg_u, side="right"),
        np.searchsorted([0.56, 0.94], seg_u, side="right"),
    )
    product = rng.choice(3, n, p=[0.55, 0.25, 0.20])
    industry = rng.integers(0, len(INDUSTRIES), n)
    source = rng.choice(4, n, p=[0.4, 0.35, 0.15, 0.10])
    competitor = rng.choice(5, n, p=[0.35, 0.2, 0.18, 0.15, 0.12])  # 0 = none
    contacts = rng.choice(np.arange(1, 7), n, p=[0.15, 0.25, 0.25, 0.18, 0.10, 0.07])
    disc_first = rng.random(n) < 0.6
    frh = np.round(np.exp(rng.normal(np.log(3.0), 1.3, n)), 1)
    base_amount = np.array([9_000.0, 35_000.0, 140_000.0])[seg]
    amount = base_amount * np.array([1.0, 0.6, 0.45])[product] * np.exp(rng.normal(0, 0.35, n))
    amount = np.round(amount / 100) * 100 + 100

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
    passed = np.cumprod(advance, axis=1).astype(bool)  # passed[:, k]: moved beyond stage k
    furthest = passed[:, :5].sum(axis=1)  # index of the last stage reached
    won = passed[:, 5]

    # Timing: gamma durations per stage, longer for bigger segments.
    mean_days = np.array([_STAGE_DAYS[s] for s in SEGMENTS])[seg]
    dur = np.maximum(1, np.round(rng.gamma(2.0, mean_days[:, None] / 2.0, (n, 6)))).astype(int)
    entered = created[:, None] + np.concatenate(
        [np.zeros((n, 1), dtype=int), np.cumsum(dur[:, :5], axis=1)], axis=1
    ).astype("timedelta64[D]")
    close = entered[np.arange(n), furthest] + dur[np.arange(n), furthest].astype("timedelta64[D]")
    is_open = close > end64
    reached = (np.arange(6)[None, :] <= furthest[:, None]) & (entered <= end64)
    stage_now = reached.sum(axis=1) - 1
    status = np.where(is_open, "open", np.where(won, "won", "lost"))
    slip = rng.integers(-10, 20, n).astype("timedelta64[D]")
    expected = np.maximum(close + slip, end64 + 1)
    close_date = np.where(is_open, expected, close)

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
                "account": s(
                    np.char.add("Account ", (rng.integers(1, 3000, n)).astype(str)).astype(object)
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

    activities = _activities(rng, reached, entered, dur, contacts, disc_first, activities_per_stage)
    activities = activities[activities["date"] <= end64]
    acts = pd.DataFrame(
        {
            "rep": s(names[reps_i][activities["deal"]]),
            "opportunity_id": s(deal_id[activities["deal"]]),
            "type": s(activities["type"]),
            "date": activities["date"].astype("datetime64[ns]"),
            "contacts": pd.array(activities["contacts"], dtype="Int64"),
        }
    )
    acts = acts.sort_values(["date", "opportunity_id"], kind="stable").reset_index(drop=True)
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
    per_stage: float,
) -> pd.DataFrame:
    """Calls and emails in every stage reached, a discovery meeting, a demo and a full-team meeting."""
    n = len(contacts)
    k = rng.poisson(per_stage, reached.shape) * reached
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


QUOTA_STRETCH = 1.10


def _quotas(opps: pd.DataFrame, reps: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    """Quarterly quotas: a tenured rep's quota is their team's average quarterly bookings."""
    from spmkb.deals.periods import period_of

    # Typical bookings are learnt after the first two quarters (while the pipeline fills up,
    # bookings are low) and quotas are set 10 % above them, as a growing company would.
    won = opps[
        (opps["status"] == "won")
        & (opps["close_date"] >= pd.Timestamp(start) + pd.Timedelta(days=183))
    ]
    q = won["close_date"].dt.year.astype(str) + "-Q" + won["close_date"].dt.quarter.astype(str)
    team = won["rep"].map(dict(zip(reps["rep"], reps["team"], strict=True)))
    per = won.assign(q=q, team=team).groupby(["team", "rep", "q"])["amount"].sum()
    team_typical = per.groupby(level="team").mean() * QUOTA_STRETCH
    rows = []
    p, last = period_of(start, "quarter"), period_of(end, "quarter")
    while p <= last:
        p_start = np.datetime64(p.start)
        for rep, team_name, started in zip(
            reps["rep"], reps["team"], reps["start_date"], strict=True
        ):
            months = (p_start - np.datetime64(started.date())).astype("timedelta64[D]").astype(
                int
            ) / 30.4
            if months < -2:
                continue  # not hired yet
            ramp = min(1.0, max(0.25, (months + 3) / 9))
            rows.append((rep, p.label, round(team_typical[team_name] * ramp / 1000) * 1000))
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
    save_deal_data(data, out, meta={"source": "spmkb sample-data", "seed": seed})
    if csv:
        (out / "csv").mkdir(parents=True, exist_ok=True)
        for name in ("opportunities", "stage_history", "activities", "reps", "quotas"):
            write_csv(data.table(name), out / "csv" / f"{name}.csv", date_format="%Y-%m-%d")
    return data

"""Backtest the bookings forecast on data rebuilt as it was on each forecast date.

Usage: python bench/bench_forecast.py [--sims 2000] [--csv out.csv]

For every quarter with a full quarter of actuals and an earlier quarter to learn from, the
forecast is made as of day 15, the middle day and day 75 of the quarter, on the data as the
CRM looked that day (:func:`spmkb.deals.forecast_rates.as_known_on`: deals created later
removed, deals closed later re-opened, stage history cut), and compared with the won amount
actually closed in the quarter. Levels: company, every team, every rep. Reported: the share
of actuals inside P10-P90 (pooled and per level, with the number of forecasts; aim about
80 %) and the median relative error of P50, (P50 - actual) / actual, over forecasts whose
actual is above 0.

Data: the sample (``generate_sample(7)``, quarters 2025-Q1..2026-Q2, 4 teams, 40 reps) and
the Maven CRM export in ``../shared/data/deals-maven-crm`` (``maven`` preset; quarters
2017-Q2..2017-Q4: 2017-Q1 has nothing earlier to learn from, no deal closed before
2017-03-01; 6 managers' teams, 30 agents). Maven is skipped with a message when absent.
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta
from pathlib import Path

import pandas as pd

from spmkb.deals._frame import deal_frame, select
from spmkb.deals.forecast import forecast
from spmkb.deals.forecast_rates import as_known_on
from spmkb.deals.periods import Period
from spmkb.deals.schema import DealData
from spmkb.errors import NotFoundError

MAVEN = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "deals-maven-crm"


def actual_won(data: DealData, period: Period, **scope: str) -> float:
    """Won amount closed inside the period for a scope (on the full data)."""
    f = deal_frame(data)
    return float(f.amount[select(f, period=period, **scope) & f.won].sum())


def forecast_dates(p: Period) -> dict[str, object]:
    """Day 15, the middle day and day 75 of a quarter."""
    return {
        "day 15": p.start + timedelta(days=14),
        "mid": p.start + (p.end - p.start) / 2,
        "day 75": p.start + timedelta(days=74),
    }


def backtest(data: DealData, periods: list[str], sims: int) -> pd.DataFrame:
    """One row per (period, forecast date, scope): P10/P50/P90 and the actual."""
    rows = []
    for label in periods:
        p = Period.parse(label)
        for when, d in forecast_dates(p).items():
            cut = as_known_on(data, d)
            for level, scope in scopes_of(data):
                try:
                    fc = forecast(cut, period=p, as_of=d, n_sims=sims, seed=0, **scope)
                except NotFoundError:  # a rep with no deal created yet: nothing to forecast
                    continue
                rows.append({"period": label, "when": when, "level": level,
                             "name": next(iter(scope.values()), "company"), "p10": fc.p10,
                             "p50": fc.p50, "p90": fc.p90,
                             "actual": actual_won(data, p, **scope)})  # fmt: skip
    return pd.DataFrame(rows)


def summarise(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Per level and pooled: forecasts, P10-P90 coverage, median relative error of P50."""
    f = frame.assign(
        inside=(frame["p10"] <= frame["actual"]) & (frame["actual"] <= frame["p90"]),
        rel=(frame["p50"] - frame["actual"]) / frame["actual"].where(frame["actual"] > 0),
        level=pd.Categorical(frame["level"], ["company", "team", "rep"]),
    )
    per = f.groupby("level", observed=True).agg(
        forecasts=("inside", "size"),
        coverage=("inside", "mean"),
        with_actual=("rel", "count"),
        median_rel_error=("rel", "median"),
    )
    pooled = pd.DataFrame(
        {"forecasts": [len(f)], "coverage": [f["inside"].mean()],
         "with_actual": [f["rel"].count()], "median_rel_error": [f["rel"].median()]},
        index=pd.Index(["pooled"], name="level"),
    )  # fmt: skip
    return pd.concat([per, pooled]).reset_index().assign(data=name)


def scopes_of(data: DealData) -> list[tuple[str, dict[str, str]]]:
    """Company, every team and every rep with deals."""
    teams = sorted(set(data.reps["team"].dropna().astype(str))) if len(data.reps) else []
    reps = sorted(set(data.opportunities["rep"].astype(str)))
    return (
        [("company", {})]
        + [("team", {"team": t}) for t in teams]
        + [("rep", {"rep": r}) for r in reps]
    )


def main() -> None:
    """Run both backtests and print a Markdown table."""
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--sims", type=int, default=2000)
    ap.add_argument("--csv", type=Path, default=None, help="Also write every forecast here.")
    args = ap.parse_args()
    from spmkb.deals.sample import generate_sample

    results, raw = [], []
    t = time.perf_counter()
    sample = generate_sample(7)
    quarters = ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"]
    bt = backtest(sample, quarters, args.sims)
    raw.append(bt.assign(data="sample"))
    results.append(summarise(bt, "sample"))
    print(f"sample backtest: {len(bt)} forecasts in {time.perf_counter() - t:.1f} s")
    if MAVEN.is_dir():
        from spmkb.deals.validate import check_deals

        t = time.perf_counter()
        maven = check_deals(MAVEN, preset="maven").data
        bt = backtest(maven, ["2017-Q2", "2017-Q3", "2017-Q4"], args.sims)
        raw.append(bt.assign(data="maven"))
        results.append(summarise(bt, "maven"))
        print(f"maven backtest: {len(bt)} forecasts in {time.perf_counter() - t:.1f} s")
    else:
        print(f"skipping Maven: {MAVEN} is absent")
    all_rows = pd.concat(raw, ignore_index=True)
    results.append(summarise(all_rows, "both"))
    if args.csv is not None:
        all_rows.to_csv(args.csv, index=False)
    table = pd.concat(results, ignore_index=True)
    print(
        "\n| data | level | forecasts | P10-P90 coverage | actual > 0 | median rel. error of P50 |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for r in table.itertuples():
        print(
            f"| {r.data} | {r.level} | {r.forecasts} | {r.coverage:.0%} | {r.with_actual} "
            f"| {r.median_rel_error:+.1%} |"
        )


if __name__ == "__main__":
    main()

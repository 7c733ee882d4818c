"""Backtest the bookings forecast: forecast at mid-period, compare with what was actually won.

Usage: .venv/bin/python bench/bench_forecast.py [--sims 2000]

For each period the forecast is made as of the period's middle day, learning only from deals
closed before that day, and compared with the won amount actually closed in the period.
Reported per data set and scope level: MAPE of P50 vs actual, the mean signed error (bias),
and the share of actuals inside the P10-P90 interval (ideal: 80 %).

Data: the sample (``generate_sample(7)``: six quarters 2025-Q1..2026-Q2, company, 4 teams,
40 reps) and the Maven CRM data in ``../shared/data/deals-maven-crm`` (loaded with the
``maven`` preset; quarters 2017-Q2..Q4 and months 2017-05..2017-12, company, 6 managers'
teams and 30 agents). The Maven part is skipped with a message when the data is absent.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from spmkb.deals._frame import deal_frame, select
from spmkb.deals.forecast import forecast
from spmkb.deals.periods import Period
from spmkb.deals.schema import DealData

MAVEN = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "deals-maven-crm"


def actual_won(data: DealData, period: Period, **scope: str | None) -> float:
    """Won amount closed inside the period for a scope."""
    f = deal_frame(data)
    return float(f.amount[select(f, period=period, **scope) & f.won].sum())


def backtest(
    data: DealData, periods: list[str], scopes: dict[str, list[dict]], sims: int
) -> pd.DataFrame:
    """One row per (period, scope): P10/P50/P90 at mid-period and the actual."""
    rows = []
    for label in periods:
        p = Period.parse(label)
        mid = p.start + (p.end - p.start) / 2
        for level, items in scopes.items():
            for scope in items:
                actual = actual_won(data, p, **scope)
                if actual <= 0:
                    continue
                fc = forecast(data, period=p, as_of=mid, n_sims=sims, seed=0, **scope)
                rows.append({"period": label, "level": level, "p10": fc.p10, "p50": fc.p50,
                             "p90": fc.p90, "actual": actual})  # fmt: skip
    return pd.DataFrame(rows)


def summarise(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """MAPE, bias and P10-P90 coverage per scope level."""
    f = frame.assign(
        ape=(frame["p50"] - frame["actual"]).abs() / frame["actual"],
        err=(frame["p50"] - frame["actual"]) / frame["actual"],
        inside=(frame["p10"] <= frame["actual"]) & (frame["actual"] <= frame["p90"]),
    )
    out = f.groupby("level", sort=False).agg(
        forecasts=("ape", "size"),
        mape=("ape", "mean"),
        bias=("err", "mean"),
        coverage=("inside", "mean"),
    )
    return out.reset_index().assign(data=name)[
        ["data", "level", "forecasts", "mape", "bias", "coverage"]
    ]


def scopes_of(data: DealData) -> dict[str, list[dict]]:
    """Company, every team and every rep with deals."""
    teams = sorted(set(data.reps["team"].dropna().astype(str))) if len(data.reps) else []
    reps = sorted(set(data.opportunities["rep"].astype(str)))
    return {
        "company": [{}],
        "team": [{"team": t} for t in teams],
        "rep": [{"rep": r} for r in reps],
    }


def main() -> None:
    """Run both backtests and print a Markdown table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sims", type=int, default=2000)
    args = ap.parse_args()
    from spmkb.deals.sample import generate_sample

    results = []
    t = time.perf_counter()
    sample = generate_sample(7)
    quarters = ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"]
    results.append(
        summarise(backtest(sample, quarters, scopes_of(sample), args.sims), "sample (quarters)")
    )
    print(f"sample backtest: {time.perf_counter() - t:.1f} s")
    if MAVEN.is_dir():
        from spmkb.deals.validate import check_deals

        t = time.perf_counter()
        maven = check_deals(MAVEN, preset="maven").data
        sc = scopes_of(maven)
        q = backtest(maven, ["2017-Q2", "2017-Q3", "2017-Q4"], sc, args.sims)
        results.append(summarise(q, "maven (quarters)"))
        months = [f"2017-{m:02d}" for m in range(5, 13)]
        results.append(summarise(backtest(maven, months, sc, args.sims), "maven (months)"))
        print(f"maven backtest: {time.perf_counter() - t:.1f} s")
    else:
        print(f"skipping Maven: {MAVEN} is absent")
    table = pd.concat(results, ignore_index=True)
    print("\n| data | scope | forecasts | MAPE of P50 | bias | P10-P90 coverage |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for r in table.itertuples():
        print(
            f"| {r.data} | {r.level} | {r.forecasts} | {r.mape:.1%} | {r.bias:+.1%} | {r.coverage:.0%} |"
        )
    np.set_printoptions(precision=3)


if __name__ == "__main__":
    main()

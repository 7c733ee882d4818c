"""Time the whole deal-dashboard metric set on 1,000,000 opportunities + ~5,000,000 activities.

Usage: .venv/bin/python bench/bench_metrics.py [--reps 2000] [--seed 7] [--repeat 2]

The data is the sample generator scaled up (``generate_sample(n_reps=...)``: same planted
effects, ~500 deals per rep over two years). The timed unit is what a dashboard user waits
for: ``overview()`` for the company, then for one team and one rep (every metric function +
the Monte Carlo forecast), starting from a cold cache (the per-deal arrays are derived once,
inside the timing). Peak memory is the process's max RSS (includes generating the data).
CPU time is printed too: on a shared machine wall time depends on the load average.
Target: <= 5 s and <= 4 GB.
"""

from __future__ import annotations

import argparse
import os
import resource
import time

from spmkb.deals import _frame
from spmkb.deals.overview import overview
from spmkb.deals.sample import generate_sample


def peak_rss_gb() -> float:
    """Max resident set size of this process so far, in GB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def main() -> None:
    """Generate the big data set, time the dashboard metric set, print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()

    t0 = time.perf_counter()
    data = generate_sample(args.seed, n_reps=args.reps, activities_per_stage=0.65)
    gen = time.perf_counter() - t0
    n_opps, n_acts = len(data.opportunities), len(data.activities)
    print(f"generated {n_opps:,} opportunities, {len(data.stage_history):,} stage rows, "
          f"{n_acts:,} activities in {gen:.1f} s; RSS {peak_rss_gb():.2f} GB")  # fmt: skip
    rep = str(data.reps["rep"].iloc[5])
    team = str(data.reps["team"].iloc[0])
    for i in range(args.repeat):
        _frame._CACHE.clear()
        t, c = time.perf_counter(), time.process_time()
        _frame.deal_frame(data)
        t_frame = time.perf_counter() - t
        timings = {}
        for label, kw in (("company", {}), ("team", {"team": team}), ("rep", {"rep": rep})):
            t1 = time.perf_counter()
            ov = overview(data, **kw)
            timings[label] = time.perf_counter() - t1
        total, cpu = time.perf_counter() - t, time.process_time() - c
        print(f"run {i + 1}: derive {t_frame:.2f} s, overview company {timings['company']:.2f} s, "
              f"team {timings['team']:.2f} s, rep {timings['rep']:.2f} s; total wall {total:.2f} s "
              f"(CPU {cpu:.2f} s, both threads); peak RSS {peak_rss_gb():.2f} GB; "
              f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    print(ov.forecast.summary())


if __name__ == "__main__":
    main()

"""Time the top-performer profile on ~1,000,000 opportunities and one coaching plan warm.

Usage: .venv/bin/python bench/bench_coaching.py [--reps 2000] [--seed 7] [--window 2026-H1]

The data is the sample generator scaled up (as in ``bench/bench_metrics.py``). Timed:

* ``top_profile(data, window)`` for the whole company, from a cold profile cache but with
  the per-deal arrays already derived (the dashboard pays for those once; the derive time is
  printed separately), bootstrap (2,000 resamples per measure) included;
* ``build_plan`` for one rep of a team: cold (the team profile and the coaching focus are
  computed) and warm (the team profile is cached; no search index).

Targets: profile <= 5 s, a plan for one rep <= 1 s warm. Print the load average beside the
figures: the machine is shared and wall time follows the load.
"""

from __future__ import annotations

import argparse
import os
import time

from spmkb.coaching import profile as profile_mod
from spmkb.coaching.plans import build_plan
from spmkb.deals import _frame
from spmkb.deals.sample import generate_sample


def main() -> None:
    """Generate the big data set, time the profile and a plan, print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--window", default="2026-H1")
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    t0 = time.perf_counter()
    data = generate_sample(args.seed, n_reps=args.reps, activities_per_stage=0.65)
    print(f"generated {len(data.opportunities):,} opportunities, {len(data.activities):,} "
          f"activities in {time.perf_counter() - t0:.1f} s")  # fmt: skip
    t = time.perf_counter()
    _frame.deal_frame(data)
    print(
        f"derive per-deal arrays (once, shared with the dashboards): {time.perf_counter() - t:.2f} s"
    )
    for i in range(args.repeat):
        profile_mod._CACHE.clear()
        t, c = time.perf_counter(), time.process_time()
        prof = profile_mod.top_profile(data, args.window)
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        sizes = prof.tiers.to_dict()["sizes"]
        print(f"run {i + 1}: profile {wall:.2f} s wall (CPU {cpu:.2f} s), tiers {sizes}, "
              f"{len(prof.comparisons)} comparisons, findings {[c.key for c in prof.findings]}")  # fmt: skip
    rep = str(data.reps["rep"].iloc[5])
    for label in ("cold", "warm", "warm"):
        t = time.perf_counter()
        plan = build_plan(data, rep, window=args.window)
        print(f"plan for {rep} ({label}): {time.perf_counter() - t:.2f} s — {plan.focus.reason}")
    print(f"load average: {os.getloadavg()}")


if __name__ == "__main__":
    main()

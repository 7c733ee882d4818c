"""Time onboarding: plans and status for 200 hires, and ramp analytics on 1,000,000 opportunities.

Usage: .venv/bin/python bench/bench_onboarding.py [--reps 2000] [--hires 200] [--repeat 2]

1. **Plans and status, 200 hires** (target <= 1 s warm): the sample generator with ``--hires``
   reps whose start dates are moved into the last 180 days (their earlier deals then fall
   before day 0 and are ignored), the shipped AE curriculum, an empty progress database.
   Timed: ``service.status(ws)`` for every current hire (plans, milestones with evidence,
   bookings against past hires) after one warm-up call.
2. **Ramp analytics, 1 M opportunities** (target <= 3 s): ``generate_sample(n_reps=--reps)``
   with every other rep's start moved inside the data window (~1,000 AE ramp hires), timed:
   cohort curves, Kaplan–Meier time to first win and to ramp, and the milestone analysis of the
   shipped AE track (cold caches, inside the timing).

CPU time is printed beside wall time: on a shared machine wall time depends on the load.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import date, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

import numpy as np
import pandas as pd

from spmkb.config import load_settings
from spmkb.deals.sample import SAMPLE_END, generate_sample
from spmkb.onboarding import milestones, ramp, service
from spmkb.onboarding.curriculum import load_curriculum

REPO = Path(__file__).resolve().parents[1]


def _restart(data, every: int, lo: date, hi: date, seed: int = 1) -> None:
    """Move the start date of every ``every``-th rep to a random day in [lo, hi] (in place)."""
    rng = np.random.default_rng(seed)
    idx = np.arange(0, len(data.reps), every)
    days = rng.integers(0, (hi - lo).days + 1, len(idx))
    starts = data.reps["start_date"].copy()
    starts.iloc[idx] = pd.to_datetime([lo + timedelta(days=int(d)) for d in days])
    data.reps["start_date"] = starts.astype("datetime64[ns]")


def _timed(label: str, fn, repeat: int):
    best, out = None, None
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        best = wall if best is None else min(best, wall)
        print(f"  {label}: {wall:.3f} s wall, {cpu:.3f} s CPU")
    return best, out


def bench_status(hires: int, repeat: int) -> None:
    """Plans and status for ``hires`` current hires."""
    data = generate_sample(7, n_reps=hires * 2, activities_per_stage=0.65)
    _restart(data, 2, SAMPLE_END - timedelta(days=175), SAMPLE_END - timedelta(days=1))
    with TemporaryDirectory() as tmp:
        settings = load_settings({"playbooks": str(REPO / "playbooks"), "store": tmp},
                                 cwd=Path(tmp), environ={})  # fmt: skip
        ws = service.open_workspace(settings, today=SAMPLE_END, data=data)
        n = len(ws.hires()[0])
        print(f"status for {n} current hires ({len(data.opportunities):,} opportunities):")
        service.status(ws)  # warm-up: roster, event frames
        best, rows = _timed("status (warm)", lambda: service.status(ws), repeat)
        print(f"  -> best {best:.3f} s for {len(rows)} hires (target <= 1 s)")


def bench_ramp(reps: int, repeat: int) -> None:
    """Ramp analytics on about 1 M opportunities."""
    t0 = time.perf_counter()
    data = generate_sample(7, n_reps=reps, activities_per_stage=0.65)
    _restart(data, 2, date(2024, 9, 1), SAMPLE_END - timedelta(days=30))
    print(f"ramp on {len(data.opportunities):,} opportunities, {len(data.activities):,} "
          f"activities (generated in {time.perf_counter() - t0:.1f} s):")  # fmt: skip
    settings = load_settings({"playbooks": str(REPO / "playbooks")}, cwd=REPO, environ={})
    cur = load_curriculum(settings)
    os_ = cur.settings

    def run():
        milestones._CACHE.clear()
        hires = ramp.ramp_hires(data, os_)
        hires = hires[hires["track"] == "ae"]  # SDRs own no deals (and carry no quota)
        curves = ramp.cohort_curves(data, hires, os_)
        fw = ramp.durations(data, hires, os_, "first_win")
        rp = ramp.durations(data, hires, os_, "ramp")
        kms = (
            ramp.kaplan_meier(fw["time"], fw["event"]),
            ramp.kaplan_meier(rp["time"], rp["event"]),
        )
        comps = ramp.milestone_analysis(data, hires, cur.track("ae"), os_)
        return hires, curves, kms, comps

    best, (hires, _curves, kms, comps) = _timed("ramp analytics (cold caches)", run, repeat)
    print(f"  -> best {best:.3f} s for {len(hires)} ramp hires, {len(comps)} milestones "
          f"(target <= 3 s); median days to first win {kms[0].median}, to ramp {kms[1].median}")  # fmt: skip


def main() -> None:
    """Run both benchmarks and print the figures with the load average."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=2000)
    ap.add_argument("--hires", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--only", choices=["status", "ramp"], default=None)
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}")
    if args.only in (None, "status"):
        bench_status(args.hires, args.repeat)
    if args.only in (None, "ramp"):
        bench_ramp(args.reps, args.repeat)
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

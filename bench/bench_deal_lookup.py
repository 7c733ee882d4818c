"""Benchmark the deal picker's search: index build and one search per keystroke.

Data: the default sample (``generate_sample()``, 26,299 opportunities) or ``--reps N`` for a
bigger one. Timed: :class:`spmkb.deals.lookup.DealIndex` built once, then each query typed a
letter at a time (``a``, ``ac``, ``acc`` …), every prefix searched ``--rounds`` times; the
median per search is reported. Target: a keystroke well under 100 ms.

Run: ``.venv/bin/python bench/bench_deal_lookup.py [--reps 2000] [--rounds 5] [--json]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

QUERIES = ("account 100", "opp-00248", "zz")


def main() -> None:
    """Build the index, time the keystrokes, print the figures and the load average."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=None, help="reps in the generated sample")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from spmkb.deals.lookup import DealIndex
    from spmkb.deals.sample import generate_sample

    data = generate_sample() if args.reps is None else generate_sample(n_reps=args.reps)
    start = time.perf_counter()
    index = DealIndex(data)
    build_ms = (time.perf_counter() - start) * 1000
    times = []
    for query in ("", *QUERIES):
        for end in range(len(query) + 1) if query else [0]:
            for _ in range(args.rounds):
                t = time.perf_counter()
                index.search(query[:end])
                times.append((time.perf_counter() - t) * 1000)
    out = {
        "deals": len(index),
        "build_ms": round(build_ms),
        "search_median_ms": round(statistics.median(times), 1),
        "search_max_ms": round(max(times), 1),
        "searches": len(times),
        "load_average": os.getloadavg(),
    }
    print(json.dumps(out) if args.json else "\n".join(f"{k}: {v}" for k, v in out.items()))


if __name__ == "__main__":
    main()

"""Benchmark: ``spmkb review new --all`` for the 40-rep sample, one quarter.

Usage: .venv/bin/python bench/bench_reviews.py [--period 2026-Q2] [--workers 2] [--reps 40]

Writes the sample deal data to a temporary workspace, runs the real CLI command once (it
executes one notebook per rep with papermill, two worker processes each reusing one
kernel) and prints the wall time, seconds per review and the machine's load average.
Target: <= 3 s per review on average.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    """Run the benchmark and print a JSON summary."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--period", default="2026-Q2")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--reps", type=int, default=40)
    args = ap.parse_args()
    from spmkb.deals.sample import write_sample

    root = Path(tempfile.mkdtemp(prefix="spmkb-bench-reviews-"))
    try:
        write_sample(root / "deals", csv=False, n_reps=args.reps)
        shutil.copytree(REPO / "playbooks", root / "playbooks", dirs_exist_ok=True)
        shutil.copy(REPO / "standards.yml", root / "standards.yml")
        cmd = [
            sys.executable,
            "-m",
            "spmkb",
            "review",
            "new",
            "--all",
            "--period",
            args.period,
            "--store",
            str(root / "store"),
            "--deals",
            str(root / "deals"),
            "--out",
            str(root / "reviews"),
            "--playbooks",
            str(root / "playbooks"),
            "--workers",
            str(args.workers),
            "--no-recommend",
            "--json",
        ]
        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        if proc.returncode != 0:
            sys.stderr.write(proc.stderr[-3000:])
            raise SystemExit(proc.returncode)
        result = json.loads(proc.stdout)
        n = result["generated"]
        print(
            json.dumps(
                {
                    "command": "spmkb review new --all --period " + args.period,
                    "reviews": n,
                    "workers": args.workers,
                    "wall_seconds": round(wall, 1),
                    "seconds_per_review": round(wall / n, 2),
                    "target_seconds_per_review": 3.0,
                    "load_average_before": round(load_before, 2),
                    "cpu_count": os.cpu_count(),
                },
                indent=2,
            )
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

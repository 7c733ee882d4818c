"""Benchmark: load + section the two handbook corpora in ../shared/data.

Run: .venv/bin/python bench/content_parse.py [--repeat 5]
Prints files, assets, sections and the best-of-N wall time for loading and sectioning.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from spmkb.content import load_library, split_sections

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"


def main() -> None:
    """Time load_library + split_sections on each corpus and print one line per corpus."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    for name in ("playbooks-gitlab", "playbooks-sourcegraph"):
        root = (DATA / name).resolve()
        if not root.is_dir():
            print(f"{name}: absent ({root})")
            continue
        size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
        best_load = best_split = best_cpu = float("inf")
        for _ in range(args.repeat):
            c0 = time.process_time()
            t0 = time.perf_counter()
            lib = load_library(root)
            t1 = time.perf_counter()
            sections = [s for a in lib.assets for s in split_sections(a)]
            t2 = time.perf_counter()
            best_load, best_split = min(best_load, t1 - t0), min(best_split, t2 - t1)
            best_cpu = min(best_cpu, time.process_time() - c0)
        print(
            f"{name}: {len(lib.files)} files ({size / 1e6:.2f} MB), {len(lib.assets)} assets, "
            f"{len(lib.skipped)} skipped, {len(sections)} sections; "
            f"load {best_load:.2f} s + sections {best_split:.2f} s = "
            f"{best_load + best_split:.2f} s wall, {best_cpu:.2f} s CPU (best of {args.repeat})"
        )


if __name__ == "__main__":
    main()

"""Time `check_deals` and `import_deals` on a generated 1,000,000-row Salesforce-style CSV.

Usage: .venv/bin/python bench/bench_import.py [--rows 1000000] [--seed 3]

The CSV is deterministic (seeded), written to a temp folder, and has about 3 % bad rows
(bad dates, negative or non-numeric amounts, unknown stages, duplicate ids, missing owners,
close before created) so the validator does real work. Target: check + import <= 15 s.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from spmkb.config import load_settings
from spmkb.deals.validate import check_deals
from spmkb.deals.workspace import import_deals

STAGES = [
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Value Proposition",
    "Proposal/Price Quote",
    "Negotiation/Review",
    "Closed Won",
    "Closed Lost",
]


def make_csv(path: Path, rows: int, seed: int) -> int:
    """Write the benchmark CSV; return the number of deliberately bad rows."""
    rng = np.random.default_rng(seed)
    created = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 700, rows), unit="D")
    close = created + pd.to_timedelta(rng.integers(1, 200, rows), unit="D")
    stage = rng.choice(STAGES, rows)
    df = pd.DataFrame(
        {
            "Opportunity ID": np.char.add("006", np.arange(rows).astype(str)),
            "Opportunity Name": np.char.add("Deal ", np.arange(rows).astype(str)),
            "Opportunity Owner": rng.choice([f"Rep {i}" for i in range(200)], rows),
            "Account Name": rng.choice([f"Account {i}" for i in range(5000)], rows),
            "Stage": stage,
            "Amount": np.round(rng.gamma(2.0, 15000.0, rows), 2).astype(str),
            "Created Date": created.strftime("%m/%d/%Y"),
            "Close Date": close.strftime("%m/%d/%Y"),
            "Lead Source": rng.choice(["Web", "Partner", "Event", "Outbound"], rows),
            "Type": rng.choice(["New Business", "Existing Business"], rows),
            "Industry": rng.choice(["Technology", "Retail", "Healthcare", "Finance"], rows),
            "Forecast Category": rng.choice(["Pipeline", "Best Case", "Commit", "Closed"], rows),
            "Won": np.where(stage == "Closed Won", "true", "false"),
            "Closed": np.where(np.isin(stage, ["Closed Won", "Closed Lost"]), "true", "false"),
            "Amount Currency": "USD",
        }
    )
    bad = rng.choice(rows, size=rows * 3 // 100, replace=False)
    kinds = np.array_split(bad, 7)
    df.loc[kinds[0], "Created Date"] = "31/31/2024"
    df.loc[kinds[1], "Amount"] = "-" + df.loc[kinds[1], "Amount"]
    df.loc[kinds[2], "Amount"] = "n/a?"
    df.loc[kinds[3], "Stage"] = "Closed Wonn"
    df.loc[kinds[4], "Opportunity ID"] = "0060"
    df.loc[kinds[5], "Opportunity Owner"] = ""
    df.loc[kinds[6], "Close Date"] = "01/01/2020"
    df.to_csv(path, index=False)
    return len(bad)


def main() -> None:
    """Generate the CSV, then time check and import."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "opportunities.csv"
        t = time.perf_counter()
        n_bad = make_csv(csv, args.rows, args.seed)
        print(
            f"generated {args.rows:,} rows ({n_bad:,} bad, {csv.stat().st_size / 1e6:.0f} MB) "
            f"in {time.perf_counter() - t:.1f} s"
        )
        settings = load_settings({"store": str(Path(tmp) / "store")}, cwd=Path(tmp))
        for step, fn in (("check", check_deals), ("import", import_deals)):
            t, cpu = time.perf_counter(), time.process_time()
            report = fn(csv, preset="salesforce", settings=settings)
            print(
                f"{step:6}: {time.perf_counter() - t:5.2f} s wall, {time.process_time() - cpu:5.2f} s CPU;"
                f" loaded {report.counts['loaded']:,}, rejected {report.counts['rejected']:,}"
            )
        print(f"rejects: {report.rejects_path}; target: import (validation included) <= 15 s")
        print(f"load average during the run: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

"""Benchmark ``spmkb index`` on the GitLab sales handbook (../shared/data/playbooks-gitlab).

Measures, in one process:
1. bare ``SentenceTransformer.encode`` of exactly the section texts the index embeds;
2. a full index of the same folder into an empty store -> throughput ratio index / bare
   (target >= 0.85), and when every section was lexically searchable (the snapshot written
   before Chroma opens) as a share of the full index time (target <= 12 %); the CLI's start-up
   (``python -m spmkb --help``, timed in a child process) is added for "from the command";
3. re-index with nothing changed (target <= 3 % of the full time);
4. re-index after one file changed (target <= 5 %);
5. peak RSS of the process (target <= 2 GB).

Wall-clock and CPU-time (``time.process_time``) figures are both printed: on a shared,
busy machine the CPU-time ratios are the fairer comparison.

The handbook is copied to a temporary folder (step 4 edits the copy; shared data is never
modified). Run: ``.venv/bin/python bench/bench_index.py [--playbooks DIR] [--files N] [--json]``
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
DEFAULT = REPO / ".." / "shared" / "data" / "playbooks-gitlab"


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MB (Linux ru_maxrss is in KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--playbooks", type=Path, default=DEFAULT)
    parser.add_argument("--json", action="store_true", help="print JSON only")
    parser.add_argument("--files", type=int, default=0, help="only the first N files (0 = all)")
    args = parser.parse_args()
    if not args.playbooks.is_dir():
        print(f"{args.playbooks} is absent: nothing to benchmark", file=sys.stderr)
        return 2

    from spmkb.config import load_settings
    from spmkb.content import load_library
    from spmkb.search import get_embedder, index_library
    from spmkb.search.sync import section_records

    tmp = Path(tempfile.mkdtemp(prefix="spmkb-bench-index-"))
    try:
        root = tmp / "playbooks"
        shutil.copytree(args.playbooks.resolve(), root)
        if args.files:
            for extra in sorted(p for p in root.rglob("*") if p.is_file())[args.files :]:
                extra.unlink()
        settings = load_settings(
            {"playbooks": str(root), "store": str(tmp / "store")}, cwd=tmp, environ={}
        )
        t = time.perf_counter()
        embedder = get_embedder(settings.model)
        load_s = time.perf_counter() - t

        library = load_library(root, settings)
        texts = [r.document for a in library.assets for r in section_records(a, settings)]
        embedder._model.encode(texts[:64], batch_size=settings.embed_batch_size)  # warm-up

        t, c = time.perf_counter(), time.process_time()
        embedder._model.encode(
            texts,
            batch_size=settings.embed_batch_size,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        bare_s, bare_cpu = time.perf_counter() - t, time.process_time() - c

        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "spmkb", "--help"], capture_output=True, check=True)
        cli_start_s = time.perf_counter() - t
        c = time.process_time()
        full = index_library(settings, embedder=embedder)  # empty store: lexical side first
        full_cpu = time.process_time() - c
        lexical_s = full.lexical_seconds or float("nan")
        c = time.process_time()
        again = index_library(settings, embedder=embedder)
        again_cpu = time.process_time() - c

        victim = sorted(root.rglob("*.md"))[len(texts) % 7]
        with victim.open("a", encoding="utf-8") as fh:
            fh.write(
                "\n\n## Benchmark edit\n\nOne new paragraph so this file's last section changes.\n"
            )
        c = time.process_time()
        one = index_library(settings, embedder=embedder)
        one_cpu = time.process_time() - c

        figures = {
            "playbooks": str(args.playbooks),
            "assets": full.assets,
            "sections": full.sections,
            "skipped": len(full.skipped),
            "model_load_s": round(load_s, 2),
            "bare_encode_s": round(bare_s, 2),
            "bare_sections_per_s": round(len(texts) / bare_s, 2),
            "full_index_s": round(full.seconds, 2),
            "index_sections_per_s": round(full.embedded / full.seconds, 2),
            "throughput_ratio": round((full.embedded / full.seconds) / (len(texts) / bare_s), 3),
            "lexical_searchable_s": round(lexical_s, 2),
            "lexical_pct_of_full": round(100 * lexical_s / full.seconds, 2),
            "cli_start_s": round(cli_start_s, 2),
            "lexical_from_command_s": round(cli_start_s + lexical_s, 2),
            "lexical_from_command_pct": round(100 * (cli_start_s + lexical_s) / full.seconds, 2),
            "bare_encode_cpu_s": round(bare_cpu, 2),
            "full_index_cpu_s": round(full_cpu, 2),
            "cpu_throughput_ratio": round(bare_cpu / full_cpu * full.embedded / len(texts), 3),
            "noop_reindex_s": round(again.seconds, 3),
            "noop_embedded": again.embedded,
            "noop_pct_of_full": round(100 * again.seconds / full.seconds, 2),
            "noop_cpu_pct_of_full": round(100 * again_cpu / full_cpu, 2),
            "one_file_reindex_s": round(one.seconds, 3),
            "one_file_embedded": one.embedded,
            "one_file_removed": one.removed,
            "one_file_pct_of_full": round(100 * one.seconds / full.seconds, 2),
            "one_file_cpu_pct_of_full": round(100 * one_cpu / full_cpu, 2),
            "load_average_1m": round(os.getloadavg()[0], 2),
            "peak_rss_mb": round(peak_rss_mb(), 1),
            "cpus": os.cpu_count(),
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key:24} {value}")
        print(
            "targets: throughput_ratio >= 0.85, lexical <= 12 % of full (<= 10 s), noop <= 3 %, "
            "one file <= 5 %, peak RSS <= 2048 MB"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

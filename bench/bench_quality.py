"""Benchmark: search quality (recall@5, recall@10, MRR@10, nDCG@10) of the three search modes.

Run: .venv/bin/python bench/bench_quality.py [--store bench/output/quality] [--sets sample,cranfield]
     .venv/bin/python bench/bench_quality.py --sweep   # also try fusion settings on hybrid

Sets: ``sample`` = eval/queries.yml over playbooks/ (60 assets, 90 queries); ``cranfield`` =
../shared/data/ir-cranfield (1,400 abstracts, 225 queries, BEIR layout), indexed through the same
pipeline as playbooks. Indexes are built once under --store and reused (the first Cranfield run
embeds ~1,400 sections: several minutes on 2 cores). Prints Markdown tables for docs/performance.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import os
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
DATA = (REPO / ".." / "shared" / "data").resolve()
MODES = ("hybrid", "semantic", "lexical")


def prepare(name: str, store: Path, embedder: Any) -> tuple[Any, list[Any]] | None:
    """Settings of an up-to-date index for set ``name`` and its labeled queries (None if absent)."""
    from spmkb.config import load_settings
    from spmkb.search.evaluate import load_queries
    from spmkb.search.sync import index_library

    if name == "sample":
        settings = load_settings(
            {"playbooks": str(REPO / "playbooks"), "store": str(store / "sample")},
            cwd=REPO,
            environ={},
        )
        summary = index_library(settings, progress=True, embedder=embedder)
        print(
            f"sample: {summary.assets} assets, {summary.sections} sections, {summary.embedded} embedded now",
            file=sys.stderr,
        )
        return settings, load_queries(REPO / "eval" / "queries.yml")
    folder = DATA / "ir-cranfield"
    if not folder.is_dir():
        print(f"cranfield: absent ({folder})", file=sys.stderr)
        return None
    from spmkb.search.beir import prepare_beir

    settings = load_settings({"store": str(store)}, cwd=REPO, environ={})
    prepared = prepare_beir(folder, settings, progress=True, embedder=embedder)
    s = prepared.summary
    print(
        f"cranfield: {prepared.documents} docs, {s.sections} sections, {s.embedded} embedded now",
        file=sys.stderr,
    )
    return prepared.settings, prepared.queries


class QueryCache:
    """Wraps an embedder and remembers query vectors, so a fusion sweep embeds each query once."""

    def __init__(self, embedder: Any) -> None:
        self._embedder = embedder
        self._cache: dict[str, Any] = {}

    def encode_query(self, text: str) -> Any:
        """The (cached) query vector."""
        if text not in self._cache:
            self._cache[text] = self._embedder.encode_query(text)
        return self._cache[text]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._embedder, name)


def with_fusion(settings: Any, **search: float) -> Any:
    """``settings`` with the ``[search]`` table replaced by ``search``."""
    return dataclasses.replace(settings, tables={**settings.tables, "search": dict(search)})


def row(label: str, report: Any) -> str:
    """One Markdown table row for a report."""
    values = " | ".join(f"{v:.3f}" for v in report.metrics.values())
    return f"| {label} | {values} | {report.latency_ms:.0f} |"


def main() -> None:
    """Evaluate every mode on each set; with --sweep, also a grid of fusion settings."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--store", type=Path, default=REPO / "bench" / "output" / "quality")
    parser.add_argument("--sets", default="sample,cranfield")
    parser.add_argument("-k", type=int, default=10)
    parser.add_argument("--sweep", action="store_true", help="grid over rrf_k and the two weights")
    args = parser.parse_args()

    from spmkb.search.embed import get_embedder
    from spmkb.search.evaluate import evaluate
    from spmkb.search.query import Searcher

    embedder = get_embedder()
    for name in args.sets.split(","):
        ready = prepare(name.strip(), args.store, embedder)
        if ready is None:
            continue
        settings, queries = ready
        searcher = Searcher.open(settings, embedder)
        reports = {mode: evaluate(searcher, queries, mode, args.k) for mode in MODES}
        names = list(reports["hybrid"].metrics)
        print(f"\n{name}: {len(queries)} queries\n")
        print("| mode | " + " | ".join(names) + " | median ms |")
        print("|---" * (len(names) + 2) + "|")
        for mode, report in reports.items():
            print(row(mode, report))
        hybrid = reports["hybrid"].metrics
        losses = [
            f"{m} {n}"
            for m in ("semantic", "lexical")
            for n in names
            if reports[m].metrics[n] >= hybrid[n]
        ]
        print(
            "\nhybrid beats both single modes on every metric: "
            + ("yes" if not losses else "NO: " + ", ".join(losses))
        )
        if args.sweep:
            cached = QueryCache(embedder)
            print(
                "\n| rrf_k | semantic_weight | lexical_weight | exact_boost | "
                + " | ".join(names)
                + " | median ms |"
            )
            print("|---" * (len(names) + 5) + "|")
            for rrf_k, sw, lw, boost in itertools.product(
                (5, 10, 20, 60), (1.0,), (0.5, 1.0, 1.5), (1.0, 1.5)
            ):
                tuned = Searcher.open(
                    with_fusion(
                        settings,
                        rrf_k=rrf_k,
                        semantic_weight=sw,
                        lexical_weight=lw,
                        exact_boost=boost,
                    ),
                    cached,
                )
                report = evaluate(tuned, queries, "hybrid", args.k)
                print(row(f"{rrf_k} | {sw} | {lw} | {boost}", report))


if __name__ == "__main__":
    main()

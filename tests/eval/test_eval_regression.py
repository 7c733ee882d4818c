"""Search quality on the sample library must not regress (measured: docs/performance.md)."""

from __future__ import annotations

import pytest

# Measured on eval/queries.yml over playbooks/ (90 queries), hybrid, top 10:
# recall@5 0.930, recall@10 0.972, MRR@10 0.896, nDCG@10 0.890. The floors keep a 0.03 margin.
FLOORS = {"recall@5": 0.90, "recall@10": 0.94, "mrr@10": 0.86, "ndcg@10": 0.86}


@pytest.mark.slow
def test_hybrid_quality_on_sample_library(sample_index, embedder) -> None:
    from spmkb.search import Searcher
    from spmkb.search.evaluate import evaluate, load_queries

    # 60 assets, plus the AE and SDR onboarding tracks' 9 new modules and their rubric
    assert sample_index.summary.ok and sample_index.summary.assets == 70
    queries = load_queries(sample_index.queries)
    assert len(queries) == 90
    searcher = Searcher.open(sample_index.settings, embedder)
    report = evaluate(searcher, queries, "hybrid", k=10)
    assert report.unknown == {}  # every labelled id exists in the library
    got = {name: round(value, 3) for name, value in report.metrics.items()}
    assert all(got[name] >= floor for name, floor in FLOORS.items()), got

"""Search quality on the sample library must not regress (measured: docs/performance.md)."""

from __future__ import annotations

import pytest

# Measured on eval/queries.yml over playbooks/ (90 queries, 70 assets), hybrid, top 10, with the
# asset summary embedded (issue 15): recall@5 0.943, recall@10 0.983, MRR@10 0.904, nDCG@10 0.900
# (before: 0.930 / 0.967 / 0.877 / 0.874). The floors keep a 0.03 margin and only ever go up.
FLOORS = {"recall@5": 0.91, "recall@10": 0.95, "mrr@10": 0.87, "ndcg@10": 0.87}


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

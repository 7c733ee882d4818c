"""Metric functions on hand-computed cases, and scoring hits against labels."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from spmkb.search.evaluate import (
    EvalReport,
    LabeledQuery,
    evaluate,
    mrr,
    ndcg_at_k,
    recall_at_k,
    score_query,
)

# 1/log2(3) and 1/log2(5), written out so the expected values below are plain arithmetic.
INV_LOG2_3 = 0.6309297535714575
INV_LOG2_5 = 0.43067655807339306


@pytest.mark.parametrize(
    ("ranked", "relevant", "k", "expected"),
    [
        (["a", "x", "b", "y", "z", "c"], {"a", "b", "c", "d"}, 5, 2 / 4),
        (["a", "x", "b", "y", "z", "c"], {"a", "b", "c", "d"}, 10, 3 / 4),
        (["x", "y"], {"a"}, 5, 0.0),
        (["a", "a", "b"], {"a", "b"}, 2, 1 / 2),  # a repeat counts once and keeps its place
        (["a", "b"], {"a": 2, "b": 0}, 5, 1.0),  # grade 0 = not relevant
        (["a"], set(), 5, 0.0),
    ],
    ids=["recall@5", "recall@10", "none-found", "duplicate", "grade-zero", "no-relevant"],
)
def test_recall_at_k(ranked: list[str], relevant, k: int, expected: float) -> None:
    assert recall_at_k(ranked, relevant, k) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("ranked", "relevant", "k", "expected"),
    [
        (["x", "y", "b", "a"], {"a", "b"}, None, 1 / 3),
        (["a", "y"], {"a"}, None, 1.0),
        (["x", "y", "b"], {"b"}, 2, 0.0),  # first relevant below the cut-off
        (["x", "y"], {"b"}, None, 0.0),
    ],
    ids=["third", "first", "below-k", "missing"],
)
def test_mrr(ranked: list[str], relevant, k: int | None, expected: float) -> None:
    assert mrr(ranked, relevant, k) == pytest.approx(expected)


def test_ndcg_graded() -> None:
    # ranked x, b, a with grades a=3, b=1:
    # DCG  = 0/log2(2) + 1/log2(3) + 3/log2(4) = 0.63093 + 1.5     = 2.13093
    # IDCG = 3/log2(2) + 1/log2(3)             = 3     + 0.63093 = 3.63093
    expected = (INV_LOG2_3 + 1.5) / (3 + INV_LOG2_3)
    assert expected == pytest.approx(0.58688, abs=1e-5)
    assert ndcg_at_k(["x", "b", "a"], {"a": 3, "b": 1}, 10) == pytest.approx(expected)


def test_ndcg_cutoff_and_ideal() -> None:
    assert ndcg_at_k(["a", "b"], {"a": 3, "b": 1}, 10) == pytest.approx(1.0)
    # only the top 2 count: x, b -> DCG = 1/log2(3); IDCG@2 = 3 + 1/log2(3)
    assert ndcg_at_k(["x", "b", "a"], {"a": 3, "b": 1}, 2) == pytest.approx(
        INV_LOG2_3 / (3 + INV_LOG2_3)
    )
    # binary: relevant at rank 4 of one -> 1/log2(5)
    assert ndcg_at_k(["w", "x", "y", "a"], {"a"}, 10) == pytest.approx(INV_LOG2_5)
    assert ndcg_at_k(["x"], {"a"}, 10) == 0.0


def _hit(id_: str, path: str | None = None) -> SimpleNamespace:
    return SimpleNamespace(id=id_, path=path or f"{id_}.md")


def test_score_query_matches_ids_and_paths() -> None:
    query = LabeledQuery("q", {"objections/price.md": 1.0, "pricing/guide": 2.0, "gone/asset": 1.0})
    hits = [_hit("intro"), _hit("pricing/guide"), _hit("objections/price"), _hit("other")]
    score = score_query(query, hits, k=10)
    assert score.found == {"pricing/guide": 2, "objections/price.md": 3}
    assert score.ranked == ["intro", "pricing/guide", "objections/price.md", "other"]
    assert score.metrics["recall@5"] == pytest.approx(2 / 3)
    assert score.metrics["mrr@10"] == pytest.approx(1 / 2)
    # DCG = 2/log2(3) + 1/log2(4); IDCG = 2 + 1/log2(3) + 1/log2(4)
    expected = (2 * INV_LOG2_3 + 0.5) / (2 + INV_LOG2_3 + 0.5)
    assert score.metrics["ndcg@10"] == pytest.approx(expected)


class _ListSearcher:
    """Returns fixed hit lists per query (exercises evaluate's bookkeeping, not search)."""

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.metas = [{"asset_id": a, "path": f"{a}.md"} for a in ("a", "b", "c")]
        self.calls: list[dict] = []

    def search(self, query: str, **kwargs):
        self.calls.append(kwargs)
        hits = [_hit(i) for i in self.answers[query]][: kwargs["k"]]
        return SimpleNamespace(hits=hits, took_ms=1.0)


def test_evaluate_means_and_unknown_ids() -> None:
    queries = [
        LabeledQuery("one", {"a": 1.0}, {"stage": "demo"}),
        LabeledQuery("two", {"b": 1.0, "zz": 1.0}),
    ]
    searcher = _ListSearcher({"one": ["a", "b"], "two": ["c", "b"]})
    report = evaluate(searcher, queries, "lexical", k=5)
    assert isinstance(report, EvalReport)
    assert searcher.calls[0] == {"k": 5, "mode": "lexical", "stage": "demo"}
    assert report.metrics["recall@5"] == pytest.approx((1.0 + 0.5) / 2)
    assert report.metrics["mrr@5"] == pytest.approx((1.0 + 0.5) / 2)
    assert report.unknown == {"two": ["zz"]}
    data = report.to_dict()
    assert data["queries"] == 2
    assert data["per_query"][1]["missed"] == ["zz"]


def test_evaluate_rejects_bad_mode_and_k() -> None:
    from spmkb.errors import SearchError

    with pytest.raises(SearchError, match=r"unknown search mode 'hybird'.*did you mean 'hybrid'"):
        evaluate(_ListSearcher({}), [], "hybird")
    with pytest.raises(SearchError, match="k must be 5 or more"):
        evaluate(_ListSearcher({}), [], "hybrid", k=3)


def test_report_by_kind() -> None:
    """Per-kind means with n, hand-computed (k = 5):

    | query | kind       | ranked | relevant | recall@5 | MRR  |
    |-------|------------|--------|----------|----------|------|
    | one   | keyword    | a, b   | a        | 1        | 1    |
    | two   | paraphrase | c, b   | b        | 1        | 1/2  |
    | three | paraphrase | c, b   | a        | 0        | 0    |
    | four  | (none)     | a, b   | a        | 1        | 1    |

    keyword: n 1, MRR 1; paraphrase: n 2, recall@5 (1 + 0) / 2 = 0.5, MRR (1/2 + 0) / 2 = 0.25,
    nDCG@5 (1/log2(3) + 0) / 2 = 0.31546.
    """
    queries = [
        LabeledQuery("one", {"a": 1.0}, kind="keyword"),
        LabeledQuery("two", {"b": 1.0}, kind="paraphrase"),
        LabeledQuery("three", {"a": 1.0}, kind="paraphrase"),
        LabeledQuery("four", {"a": 1.0}),
    ]
    answers = {"one": ["a", "b"], "two": ["c", "b"], "three": ["c", "b"], "four": ["a", "b"]}
    report = evaluate(_ListSearcher(answers), queries, "hybrid", k=5)
    groups = report.by_kind
    assert list(groups) == ["keyword", "paraphrase", "none"]
    assert groups["keyword"][0] == 1 and groups["keyword"][1]["mrr@5"] == 1.0
    n, metrics = groups["paraphrase"]
    assert n == 2
    assert metrics["recall@5"] == pytest.approx(0.5)
    assert metrics["mrr@5"] == pytest.approx(0.25)
    assert report.to_dict()["by_kind"]["paraphrase"] == {
        "n": 2,
        "metrics": {"recall@5": 0.5, "mrr@5": 0.25, "ndcg@5": 0.3155},
    }

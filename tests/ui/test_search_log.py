"""Search log and content gaps (fast: hand-made results, the real library loader)."""

from __future__ import annotations

from pathlib import Path

import pytest

from spmkb.config import load_settings
from spmkb.errors import SpmkbError
from spmkb.search.log import (
    content_gaps,
    log_open,
    log_search,
    normalise_query,
    read_opens,
    read_searches,
    try_log_search,
)
from spmkb.search.model import Hit, SearchResult


def hit(i: int) -> Hit:
    return Hit(
        id=f"a{i}",
        title=f"A{i}",
        type="playbook",
        path=f"a{i}.md",
        section="A",
        snippet="s",
        score=1.0,
        freshness="fresh",
    )


@pytest.fixture
def settings(tmp_path: Path, small_corpus: Path):
    return load_settings(
        {"store": str(tmp_path / "store"), "playbooks": str(small_corpus)}, cwd=tmp_path, environ={}
    )


def test_log_search_records_query_filters_count_time_session(settings) -> None:
    result = SearchResult(
        "Price  too HIGH", {"stage": "negotiation", "type": None}, [hit(1), hit(2)], 12.5
    )
    sid = log_search(settings, result, "cli", session="s1")
    log = read_searches(settings)
    row = log.iloc[0]
    assert int(row["id"]) == sid
    assert (row["query"], row["norm_query"], row["source"], row["session"]) == (
        "Price  too HIGH",
        "price too high",
        "cli",
        "s1",
    )
    assert row["filters"] == {"stage": "negotiation"}
    assert (row["results"], row["took_ms"], row["top_ids"]) == (2, 12.5, ["a1", "a2"])
    assert row["ts"].endswith("+00:00")


def test_log_open_links_to_the_search(settings) -> None:
    sid = log_search(settings, SearchResult("q", {}, [hit(1)], 1.0), "widget")
    log_open(settings, "a1", search_id=sid, rank=1, source="widget", session="s")
    opens = read_opens(settings)
    assert opens[["search_id", "asset_id", "rank", "action"]].values.tolist() == [
        [sid, "a1", 1, "open"]
    ]


@pytest.mark.parametrize(
    ("raw", "norm"),
    [("  Price Objection ", "price objection"), ("a\tb\n c", "a b c"), ("MEDDPPICC", "meddppicc")],
    ids=["trim-case", "whitespace", "acronym"],
)
def test_normalise_query(raw: str, norm: str) -> None:
    assert normalise_query(raw) == norm


def test_gaps_from_log_and_library(settings) -> None:
    from spmkb.content import load_library

    searches = [
        ("pricing objection", 5),
        ("Pricing objection", 5),
        ("pricing  objection", 4),
        ("security questionnaire", 0),
        ("security questionnaire", 0),
        ("renewal uplift", 1),
        ("demo script", 6),
    ]
    ids = {}
    for query, n in searches:
        ids[query] = log_search(settings, SearchResult(query, {}, [hit(i) for i in range(n)], 3.0))
    log_open(settings, "a0", search_id=ids["demo script"], rank=1)
    log_open(settings, "a0", search_id=ids["pricing  objection"], rank=1)

    gaps = content_gaps(settings)
    top = gaps["top_queries"]
    assert top.loc[0, ["query", "searches", "opened"]].tolist() == ["pricing objection", 3, 1]
    assert top.loc[0, "avg_results"] == pytest.approx(round(14 / 3, 1))
    assert top.loc[1, ["query", "searches"]].tolist() == ["security questionnaire", 2]
    assert gaps["zero_results"]["query"].tolist() == ["security questionnaire"]
    # few results (1 < 3) or never opened (no opens): renewal uplift; demo script was opened
    assert gaps["poor_results"]["query"].tolist() == ["renewal uplift"]

    library = load_library(settings.playbooks, settings)
    for facet, attr in (("stage", "stages"), ("type", "type")):
        frame = gaps[f"{facet}s"].set_index(facet)
        for value, row in frame.iterrows():
            expected = sum(
                1
                for a in library.assets
                if (value in getattr(a, attr) if attr == "stages" else a.type == value)
            )
            assert row["assets"] == expected, (facet, value)
            assert row["gap"] == (expected < 2)
    assert list(gaps["stages"]["assets"]) == sorted(gaps["stages"]["assets"])


def test_gaps_with_an_empty_log(settings) -> None:
    gaps = content_gaps(settings)
    assert gaps["top_queries"].empty and gaps["zero_results"].empty and gaps["poor_results"].empty
    assert not gaps["stages"].empty


def test_try_log_search_never_fails_the_search(settings) -> None:
    settings.db_path.mkdir(parents=True)  # a folder where the database should be
    assert try_log_search(settings, SearchResult("q", {}, [], 1.0), "cli") is None
    with pytest.raises(SpmkbError) as err:
        log_search(settings, SearchResult("q", {}, [], 1.0), "cli")
    assert "expected a SQLite file but found a folder" in str(err.value)

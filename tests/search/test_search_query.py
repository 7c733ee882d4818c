"""Searcher over the session-built index: filters in Chroma, hybrid fusion, grouping, facets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from spmkb.errors import NotFoundError, SearchError
from spmkb.search import Searcher
from spmkb.search.store import Store, where_clause

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def searcher(built_index, embedder) -> Searcher:
    """A Searcher over the session index."""
    return Searcher.open(built_index.settings, embedder)


def front_matter(root: Path) -> dict[str, str]:
    """Relative path -> raw front matter text, read independently of spmkb."""
    out = {}
    for path in root.rglob("*.md"):
        text = path.read_text()
        if text.startswith("---"):
            out[path.relative_to(root).as_posix()] = text.split("---")[1]
    return out


def tagged(root: Path, key: str, value: str) -> set[str]:
    """Paths whose front matter lists ``value`` under ``key`` (parsed with a regex, not spmkb)."""
    found = set()
    for rel, fm in front_matter(root).items():
        m = re.search(rf"^{key}:\s*\[(.*)\]\s*$", fm, re.MULTILINE)
        if m and value in [v.strip() for v in m.group(1).split(",")]:
            found.add(rel)
    return found


def containing(root: Path, word: str) -> set[str]:
    """Paths whose text contains ``word`` as a whole word."""
    return {
        p.relative_to(root).as_posix()
        for p in root.rglob("*.md")
        if re.search(rf"\b{re.escape(word)}\b", p.read_text())
    }


@pytest.mark.parametrize("stage", ["negotiation", "demo", "onboarding"])
def test_stage_filter_runs_inside_chroma(built_index, stage: str) -> None:
    expected = tagged(built_index.playbooks, "stages", stage)
    assert expected
    ids = Store(built_index.settings).ids_where(where_clause({"stages": stage}))
    paths = {i.split("#")[0] for i in ids}
    assert paths == expected


@pytest.mark.parametrize("mode", ["hybrid", "semantic", "lexical"])
def test_search_filters_apply_in_every_mode(searcher, built_index, mode: str) -> None:
    expected = tagged(built_index.playbooks, "stages", "negotiation")
    result = searcher.search("discount approval for a deal", stage="negotiation", k=20, mode=mode)
    assert result.hits
    assert {h.path for h in result.hits} <= expected
    assert all("negotiation" in h.stages for h in result.hits)
    assert result.filters == {"stage": "negotiation"}


def test_type_and_persona_filters_combine(searcher, built_index) -> None:
    by_persona = tagged(built_index.playbooks, "personas", "economic-buyer")
    result = searcher.search("budget", type="objection-handling", persona="economic-buyer", k=20)
    assert result.hits
    assert all(h.type == "objection-handling" and h.path in by_persona for h in result.hits)


def test_competitor_filter_matches_free_text_names(searcher) -> None:
    result = searcher.search("where do we win", competitor="acme crm", k=5)
    assert [h.id for h in result.hits] == ["battlecards/acme-crm"]
    assert result.hits[0].competitors == ["Acme CRM"]


@pytest.mark.parametrize("term", ["ERP", "CFO"])
def test_hybrid_ranks_exact_term_above_semantic(searcher, built_index, term: str) -> None:
    """Terms semantic search alone ranks low are lifted by the lexical side."""
    expected = containing(built_index.playbooks, term)
    assert expected

    def best_rank(mode: str) -> int:
        paths = [h.path for h in searcher.search(term, mode=mode, k=25).hits]
        return min(paths.index(p) for p in expected if p in paths)

    assert best_rank("hybrid") == 0
    assert best_rank("semantic") > best_rank("hybrid")


def test_acronym_hits_come_first(searcher, built_index) -> None:
    expected = containing(built_index.playbooks, "MEDDPPICC")
    hits = searcher.search("MEDDPPICC", k=5).hits
    assert {h.path for h in hits[: len(expected)]} == expected
    assert "MEDDPPICC" in hits[0].snippet


def test_results_are_grouped_by_asset(searcher) -> None:
    result = searcher.search("price discount approval", k=10)
    paths = [h.path for h in result.hits]
    assert len(paths) == len(set(paths))
    assert any(h.matched_sections > 1 for h in result.hits)
    top = result.hits[0]
    assert top.section_id and top.section_id.startswith(top.id + "#")
    assert top.section.startswith(top.title)
    assert "**" not in top.snippet and len(top.snippet) <= 310
    assert [h.score for h in result.hits] == sorted((h.score for h in result.hits), reverse=True)


@pytest.mark.parametrize(
    ("asset", "freshness"),
    [
        ("discovery/first-call", "fresh"),
        ("objections/too-expensive", "aging"),
        ("pricing/discount-policy", "stale"),
        ("objections/no-budget", "unknown"),
    ],
)
def test_freshness(searcher, asset: str, freshness: str) -> None:
    from datetime import date

    from spmkb.search.query import freshness_of

    meta = next(m for m in searcher.metas if m["asset_id"] == asset)
    expected = searcher.asset(asset).freshness(date.today(), 0.8)
    assert freshness_of(meta, 0.8) == expected
    # the corpus dates were chosen relative to 2026-11-28
    assert freshness_of(meta, 0.8, today=date(2026, 11, 28)) == freshness


def test_facets_list_indexed_values(searcher, built_index) -> None:
    facets = searcher.facets()
    assert set(facets) == {"stages", "types", "personas", "industries", "competitors"}
    assert "negotiation" in facets["stages"] and "battlecard" in facets["types"]
    assert facets["competitors"] == ["Acme CRM", "Zenlytics"]
    assert "renewal" in facets["stages"]


def test_count_by_filters(searcher, built_index) -> None:
    assert searcher.count() == built_index.summary.assets
    assert searcher.count(stage="demo") == len(tagged(built_index.playbooks, "stages", "demo"))
    assert searcher.count(type="battlecard") == 2


def test_similar_excludes_itself(searcher) -> None:
    result = searcher.similar("objections/too-expensive", k=3)
    ids = [h.id for h in result.hits]
    assert len(ids) == 3 and "objections/too-expensive" not in ids
    assert "pricing/discount-policy" in ids


def test_asset_is_reread_from_disk(searcher) -> None:
    asset = searcher.asset("battlecards/zenlytics")
    assert asset.title == "Battlecard - Zenlytics"
    assert "row-level security" in asset.body


def test_unknown_asset_suggests(searcher) -> None:
    with pytest.raises(NotFoundError, match="did you mean 'battlecards/zenlytics'"):
        searcher.asset("battlecards/zenlytic")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"query": "  "}, "the search query is empty"),
        ({"query": "x", "mode": "semantik"}, "did you mean 'semantic'"),
        ({"query": "x", "stage": "negotation"}, "did you mean 'negotiation'"),
        ({"query": "x", "type": "battlecards"}, "did you mean 'battlecard'"),
        ({"query": "x", "k": 0}, "k must be a whole number from 1 to 1000, got 0"),
    ],
    ids=["empty-query", "bad-mode", "bad-stage", "bad-type", "bad-k"],
)
def test_search_errors(searcher, kwargs: dict, message: str) -> None:
    with pytest.raises(SearchError, match=message):
        searcher.search(**kwargs)


def test_vocabulary_value_without_assets_gives_no_hits(searcher) -> None:
    assert searcher.search("pricing", industry="energy").hits == []


def test_empty_store_says_run_index(tmp_path, embedder) -> None:
    from spmkb.config import load_settings

    settings = load_settings({"store": str(tmp_path / "s")}, cwd=tmp_path, environ={})
    with pytest.raises(SearchError, match="run `spmkb index` first"):
        Searcher.open(settings, embedder)
    Store(settings).create({"model": "x"})
    with pytest.raises(SearchError, match="run `spmkb index` first"):
        Searcher.open(settings, embedder)


def test_searcher_sees_reindex(indexed_workspace, embedder) -> None:
    workspace = indexed_workspace
    from spmkb.search import index_library

    index_library(workspace.settings, embedder=embedder)
    s = Searcher.open(workspace.settings, embedder)
    assert s.search("Zenlytics", k=1).hits[0].id == "battlecards/zenlytics"
    (workspace.root / "battlecards" / "zenlytics.md").unlink()
    index_library(workspace.settings, embedder=embedder)
    s.refresh(force=True)
    assert "battlecards/zenlytics" not in [h.id for h in s.search("Zenlytics", k=20).hits]


@pytest.mark.parametrize("query", ["\udcff", "\x00\x01 pricing", "\U0001f600", "🙂 objections"])
def test_any_query_string_gets_results_or_a_message(built_index, query: str) -> None:
    """A byte that is not UTF-8 (``spmkb search $'\\xff'``) once crashed the tokenizer."""
    from spmkb.errors import SearchError
    from spmkb.search import Searcher

    searcher = Searcher.open(built_index.settings)
    try:
        result = searcher.search(query, k=3)
    except SearchError as err:  # an empty query after cleaning is refused with a message
        assert str(err).startswith("the search query is empty")
    else:
        assert len(result.hits) == 3


def test_k_out_of_range_is_a_message_not_a_conversion_error(built_index) -> None:
    from spmkb.errors import SearchError
    from spmkb.search import Searcher

    with pytest.raises(SearchError) as err:
        Searcher.open(built_index.settings).search("pricing", k=1_000_000_000)
    assert str(err.value) == (
        "field 'k': k must be a whole number from 1 to 1000, got 1000000000 — "
        "ask for fewer results; a page shows 10"
    )


def test_cli_search_with_a_latin1_byte(built_index, tmp_path) -> None:
    import os
    import subprocess
    import sys

    s = built_index.settings
    out = subprocess.run(
        [os.fsencode(sys.executable), b"-m", b"spmkb", b"search", b"\xff", b"--playbooks",
         os.fsencode(str(s.playbooks)), b"--store", os.fsencode(str(s.store)), b"-k", b"2"],
        capture_output=True, cwd=tmp_path,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr.decode("utf-8", "replace")[-1500:]
    assert b"Traceback" not in out.stderr
    assert b"2 results" in out.stdout

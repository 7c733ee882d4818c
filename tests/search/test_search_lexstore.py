"""The stored lexical side: a snapshot restores the same BM25 scores; progress and notes."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from spmkb.search import lexstore
from spmkb.search.lexical import LexicalIndex
from spmkb.search.model import SearchResult

DOCS = [
    "Pricing objection: hold the price, trade scope for discount.",
    "MEDDPPICC qualification checklist for enterprise deals.",
    "Discovery questions about pain, budget and timeline.",
    "",
]


def _settings(tmp_path):
    return SimpleNamespace(store=tmp_path, chroma_url=None, collection="spmkb")


def test_snapshot_round_trip_gives_the_same_scores(tmp_path) -> None:
    settings = _settings(tmp_path)
    ids = [f"a.md#{i}" for i in range(len(DOCS))]
    metas = [{"path": "a.md", "hash": str(i)} for i in range(len(DOCS))]
    written = lexstore.write_snapshot(settings, "spmkb-gabc", {"model": "m"}, ids, DOCS, metas)
    read = lexstore.read_snapshot(settings, "spmkb-gabc")
    assert read is not None
    assert (read.ids, read.docs, read.metas, read.gen) == (ids, DOCS, metas, written.gen)
    built, restored = LexicalIndex(DOCS), read.lexical(DOCS)
    for query in ["pricing discount", "MEDDPPICC", "budget timeline pain", "nothing-here"]:
        assert np.array_equal(built.scores(query), restored.scores(query))
        assert built.rank(query) == restored.rank(query)
    assert [p.name for p in tmp_path.joinpath("lexical").iterdir()] == ["spmkb-gabc.npz"]


def test_generation_ignores_order_and_sees_a_metadata_change() -> None:
    a = lexstore.fingerprint("x#0", {"hash": "1", "stages": ["discovery"]})
    b = lexstore.fingerprint("x#1", {"hash": "2"})
    changed = lexstore.fingerprint("x#0", {"hash": "1", "stages": ["negotiation"]})
    assert lexstore.generation([a, b]) == lexstore.generation([b, a])
    assert lexstore.generation([a, b]) != lexstore.generation([changed, b])


def test_state_share_and_cleanup(tmp_path) -> None:
    """40 of 50 sections pending -> 10 / 50 = 20 % embedded; a complete state is 100 %."""
    settings = _settings(tmp_path)
    state = lexstore.IndexState("g1", total=50, pending=40, complete=False)
    lexstore.write_state(settings, "spmkb-gone1", state)
    back = lexstore.read_state(settings, "spmkb-gone1")
    assert back is not None and back.embedded_share == 0.2 and back.running()
    assert lexstore.IndexState("g1", 50, 0, complete=True).embedded_share == 1.0
    lexstore.write_state(settings, "spmkb-gkeep", state)
    removed = lexstore.remove_others(settings, {"spmkb-gkeep"})
    assert removed == ["spmkb-gone1.state.json"]


def test_panel_summary_shows_the_search_notes() -> None:
    from spmkb.widgets import render

    note = "semantic results for 40 % of the library so far; `spmkb index` is embedding the rest"
    result = SearchResult("pricing", {}, [], 12.0, "hybrid", notes=[note])
    assert f"Note: {note}" in render.render_summary(result)

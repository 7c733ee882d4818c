"""Search that keeps up: lexical first, semantic so far, and a killed run that completes.

Real ``spmkb index`` processes, paused with ``SPMKB_TEST_PAUSE_AT`` and killed with SIGKILL;
``SPMKB_TEST_EMBED_CHUNK=8`` makes the index embed (and write) 8 distinct texts per round, so
a pause after the first round leaves a known share of the library embedded.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter

import pytest
from test_search_crash import _index_cmd, _wait_for

from spmkb.search import Searcher, index_library, lexstore
from spmkb.search.store import Store
from spmkb.search.sync import section_records

pytestmark = pytest.mark.slow

CHUNK = 8


def _paused_index(settings, step: str) -> subprocess.Popen:
    env = {**os.environ, "SPMKB_TEST_PAUSE_AT": step, "SPMKB_TEST_EMBED_CHUNK": str(CHUNK),
           "PYTHONUNBUFFERED": "1"}  # fmt: skip
    proc = subprocess.Popen(
        _index_cmd(settings), env=env, stderr=subprocess.PIPE, text=True,
        stdout=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    _wait_for(proc, f"PAUSED AT {step}")
    return proc


def _kill(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _expected_records(settings) -> dict[str, str]:
    """{section id: content hash} the library should be indexed as."""
    from spmkb.content import load_library

    library = load_library(settings.playbooks, settings)
    return {r.id: r.hash for a in library.assets for r in section_records(a, settings)}


def _distinct_texts(records: dict[str, str]) -> int:
    return len(set(records.values()))


def test_lexical_search_before_chroma_exists(workspace, embedder) -> None:
    """Paused right after the lexical snapshot, before Chroma is opened: every section is
    lexically searchable, semantic covers 0 %, and searching does not create Chroma."""
    ws = workspace
    expected = _expected_records(ws.settings)
    proc = _paused_index(ws.settings, "lexical-written")
    try:
        assert not (ws.settings.chroma_path / "chroma.sqlite3").exists()
        searcher = Searcher.open(ws.settings, embedder=embedder)
        assert sorted(searcher.ids) == sorted(expected)
        result = searcher.search("MEDDPPICC qualification", k=3)
        assert result.hits and result.hits[0].path.endswith("meddppicc.md")
        assert result.notes == [
            "semantic results for 0 % of the library so far; `spmkb index` is embedding the rest"
        ]
        assert not (ws.settings.chroma_path / "chroma.sqlite3").exists()
    finally:
        _kill(proc)


def test_search_during_a_running_index_says_so_far(workspace, embedder) -> None:
    """Paused after the first round of 8 distinct texts of a first index (N sections, all
    texts distinct in this corpus): semantic share = floor(100 * 8 / N) %. With N = 41
    sections that is floor(19.5) = 19 %; the test reads N from the library and checks it."""
    ws = workspace
    expected = _expected_records(ws.settings)
    n = len(expected)
    assert _distinct_texts(expected) == n  # every text distinct: a round writes 8 sections
    pct = 100 * CHUNK // n
    proc = _paused_index(ws.settings, "embed-written")
    try:
        note = f"semantic results for {pct} % of the library so far; `spmkb index` is embedding the rest"
        result = Searcher.open(ws.settings, embedder=embedder).search("pricing objection", k=5)
        assert result.hits
        assert result.notes == [note]
        lexical = Searcher.open(ws.settings, embedder=embedder).search("MEDDPPICC", mode="lexical")
        assert lexical.hits[0].path.endswith("meddppicc.md")
        cli = subprocess.run(
            [sys.executable, "-m", "spmkb", "search", "pricing objection", "--playbooks",
             str(ws.root), "--store", str(ws.settings.store), "-k", "2"],
            capture_output=True, text=True,
        )  # fmt: skip
        assert cli.returncode == 0, cli.stderr[-2000:]
        assert f"Note: {note}" in cli.stdout
    finally:
        _kill(proc)


def test_a_killed_index_completes_on_the_next_run(workspace, embedder) -> None:
    """SIGKILL after the first round (8 of N sections embedded): the next run embeds the
    other N - 8, and the index then holds each expected section exactly once with its
    current text, in Chroma and in the lexical snapshot, and says nothing is missing."""
    ws = workspace
    expected = _expected_records(ws.settings)
    proc = _paused_index(ws.settings, "embed-written")
    _kill(proc)
    partial = Store(ws.settings)
    assert partial.count() == CHUNK
    killed = Searcher.open(ws.settings, embedder=embedder).search("pricing", k=2)
    pct = 100 * CHUNK // len(expected)
    assert killed.notes == [
        "the index is incomplete: an `spmkb index` run did not finish; semantic results for "
        f"{pct} % of the library — run `spmkb index` to complete it"
    ]

    again = index_library(ws.settings, embedder=embedder)
    assert again.embedded == len(expected) - CHUNK
    store = Store(ws.settings)
    stored = store.all_metadata()
    assert {i: m["hash"] for i, m in stored.items()} == expected
    assert store.count() == len(expected)  # no duplicates
    snap = lexstore.read_snapshot(ws.settings, str(store.physical))
    assert snap is not None
    assert Counter(snap.ids) == Counter(list(expected))  # each once
    state = lexstore.read_state(ws.settings, str(store.physical))
    assert (state.complete, state.pending, state.total) == (True, 0, len(expected))
    done = Searcher.open(ws.settings, embedder=embedder)
    assert done.search("pricing").notes == []
    assert sorted(done.ids) == sorted(expected)


def test_snapshot_opens_without_reading_chroma_records(indexed_workspace, embedder, monkeypatch):
    """The Searcher loads the stored lexical side; Chroma's all_records is not called."""
    ws = indexed_workspace
    index_library(ws.settings, embedder=embedder)

    def refuse(self, only=None):
        raise AssertionError("all_records read while a snapshot exists")

    monkeypatch.setattr(Store, "all_records", refuse)
    searcher = Searcher.open(ws.settings, embedder=embedder)
    assert searcher.search("MEDDPPICC", mode="lexical").hits[0].path.endswith("meddppicc.md")


def test_without_a_snapshot_the_searcher_reads_chroma_and_caches(indexed_workspace, embedder):
    """An index written by an older spmkb (no lexical folder) still opens, and afterwards
    has a snapshot with the same sections."""
    import shutil

    ws = indexed_workspace
    index_library(ws.settings, embedder=embedder)
    shutil.rmtree(lexstore.lexical_dir(ws.settings))
    searcher = Searcher.open(ws.settings, embedder=embedder)
    physical = str(searcher.store.physical)
    snap = lexstore.read_snapshot(ws.settings, physical)
    assert snap is not None and sorted(snap.ids) == sorted(searcher.ids)

"""Crash safety and freshness of the index, with real processes and the real model.

- A rebuild (``--rebuild``, or a model / chunking change) fills a new collection and switches
  to it only when complete: a process killed in the middle leaves the old index serving, and
  the next run cleans up the half-built collection (no orphan vector folders).
- A searcher that stays open sees what another process indexed: records AND vectors.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from procs import wait_for_line

from spmkb.search import Searcher, index_library
from spmkb.search.store import Store

pytestmark = pytest.mark.slow

NEW_ASSET = """---
id: zebra-objection
title: Zebra procurement objection
type: objection-handling
stages: [negotiation]
---
# Zebra procurement objection

When the buyer says their zebra-stripe procurement committee meets only on leap years, offer a
written summary the committee can approve asynchronously and a pilot that needs no committee.
"""


def _index_cmd(settings, *extra: str) -> list[str]:
    return [sys.executable, "-m", "spmkb", "index", "--playbooks", str(settings.playbooks),
            "--store", str(settings.store), *extra]  # fmt: skip


def _wait_for(proc: subprocess.Popen, text: str, timeout: float = 180) -> None:
    wait_for_line(proc, text, timeout)


def _segment_dirs(settings) -> set[str]:
    return {p.name for p in Path(settings.chroma_path).iterdir() if p.is_dir()}


def test_killed_rebuild_leaves_the_old_index_serving(indexed_workspace, embedder) -> None:
    ws = indexed_workspace
    first = index_library(ws.settings, embedder=embedder)
    before = Store(ws.settings)
    old_physical, old_count = before.get() and before.physical, before.count()
    assert old_count == first.sections > 0
    env = {**os.environ, "SPMKB_TEST_PAUSE_AT": "embed-round", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        _index_cmd(ws.settings, "--rebuild"), env=env, stderr=subprocess.PIPE, text=True,
        stdout=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        _wait_for(proc, "PAUSED AT embed-round")
        # mid-rebuild: the new collection exists but the old one still serves, whole
        during = Store(ws.settings)
        assert during.get() is not None
        assert (during.physical, during.count()) == (old_physical, old_count)
        hits = Searcher.open(ws.settings, embedder=embedder).search("pricing objection")
        assert hits.hits
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    after = Store(ws.settings)
    assert (after.get() is not None, after.physical, after.count()) == (
        True,
        old_physical,
        old_count,
    )
    half_built = [
        n for n in after._names() if n.startswith(f"{after.name}-g") and n != old_physical
    ]
    assert len(half_built) == 1  # the killed run's collection, not serving
    # the next run removes it and completes; nothing is left behind
    again = index_library(ws.settings, embedder=embedder, rebuild=True)
    assert again.rebuilt == "--rebuild"
    final = Store(ws.settings)
    final.get()
    assert final.count() == first.sections
    left = [n for n in final._names() if n.startswith(f"{final.name}-g")]
    assert left == [final.physical]
    assert final.physical != old_physical
    # one vector folder per collection that holds vectors: the two dropped ones are gone
    assert len(_segment_dirs(ws.settings)) <= 2


def test_open_searcher_sees_another_process_index_both_halves(indexed_workspace, embedder):
    ws = indexed_workspace
    index_library(ws.settings, embedder=embedder)
    searcher = Searcher.open(ws.settings, embedder=embedder)
    n_before = len(searcher.ids)
    (ws.root / "zebra.md").write_text(NEW_ASSET, encoding="utf-8")
    done = subprocess.run(_index_cmd(ws.settings), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    searcher.refresh(force=True)
    assert len(searcher.ids) > n_before  # the lexical side (records)
    semantic = searcher.search("committee that meets on leap years", mode="semantic", k=3)
    assert semantic.hits[0].id == "zebra-objection"  # the semantic side (vectors)


def test_an_interrupted_first_index_says_it_is_incomplete(workspace, embedder) -> None:
    """Killed after writing sections but before finishing: search works and says so."""
    env = {**os.environ, "SPMKB_TEST_PAUSE_AT": "embed-written", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        _index_cmd(workspace.settings), env=env, stderr=subprocess.PIPE, text=True,
        stdout=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        _wait_for(proc, "PAUSED AT embed-written")
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    result = Searcher.open(workspace.settings, embedder=embedder).search("pricing", k=2)
    assert result.hits
    assert result.notes == [
        "the index is incomplete: an `spmkb index` run did not finish; results may miss "
        "sections — run `spmkb index` to complete it"
    ]
    index_library(workspace.settings, embedder=embedder)
    assert Searcher.open(workspace.settings, embedder=embedder).search("pricing").notes == []


def test_a_damaged_index_is_moved_aside_by_rebuild(indexed_workspace, embedder) -> None:
    """A corrupt chroma.sqlite3 once made `spmkb index --rebuild` (the suggested fix) fail
    the same way. Now search says what to do, and the rebuild keeps the damaged folder."""
    ws = indexed_workspace
    sqlite = ws.settings.chroma_path / "chroma.sqlite3"
    sqlite.write_bytes(b"garbage" * 100)
    from spmkb.search import store as store_module

    store_module._CLIENTS.clear()  # as in a new process
    search = subprocess.run(
        [sys.executable, "-m", "spmkb", "search", "pricing", "--playbooks", str(ws.root),
         "--store", str(ws.settings.store)], capture_output=True, text=True,
    )  # fmt: skip
    assert search.returncode == 1
    assert "`spmkb index --rebuild` moves it aside and builds a new one" in search.stderr
    rebuilt = subprocess.run(_index_cmd(ws.settings, "--rebuild"), capture_output=True, text=True)
    assert rebuilt.returncode == 0, rebuilt.stderr[-2000:]
    aside = [p.name for p in ws.settings.store.iterdir() if p.name.startswith("chroma.damaged-")]
    assert len(aside) == 1
    assert (ws.settings.store / aside[0] / "chroma.sqlite3").read_bytes().startswith(b"garbage")
    again = subprocess.run(
        [sys.executable, "-m", "spmkb", "search", "pricing", "--playbooks", str(ws.root),
         "--store", str(ws.settings.store), "-k", "2"], capture_output=True, text=True,
    )  # fmt: skip
    assert again.returncode == 0 and "2 results" in again.stdout

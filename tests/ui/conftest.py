"""Fixtures for the search UI tests: the shared built index, panels, text helpers."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

UI_DATA = Path(__file__).resolve().parents[1] / "data" / "ui"


@pytest.fixture(scope="session")
def searcher(built_index):
    """The process-wide Searcher over the shared small corpus index."""
    from spmkb.search.query import get_searcher

    return get_searcher(built_index.settings)


@pytest.fixture
def ui_settings(built_index, tmp_path: Path):
    """Settings over the shared index, but with a fresh store (so a fresh search log)."""
    return replace(built_index.settings, store=tmp_path / "store")


@pytest.fixture
def panel(ui_settings, searcher):
    """A SearchPanel over the shared index, ready (model loaded)."""
    from spmkb.widgets import SearchPanel

    p = SearchPanel(ui_settings, searcher=searcher)
    assert p.wait_ready(300), p.status.value
    return p


@pytest.fixture
def unsafe_playbooks(small_corpus: Path, tmp_path: Path) -> Path:
    """A copy of the small corpus plus an asset whose body holds script, iframe and JS links."""
    root = tmp_path / "playbooks"
    shutil.copytree(small_corpus, root)
    (root / "reference").mkdir()
    shutil.copy(UI_DATA / "unsafe-embed.md", root / "reference" / "unsafe-embed.md")
    return root


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium through Playwright, one per test module.

    Module scope: closed after each module, so a test that starts its own ``sync_playwright``
    (tests/ui/test_hosted_app.py) never finds another one running in this thread.
    """
    from browser_harness import ARGS, CHROMIUM, need_browser

    need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield b
        b.close()

"""Fixtures for search-quality tests: the sample library indexed once per session."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def sample_index(embedder, tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """``playbooks/`` (the 60-asset sample library) indexed into a fresh session store."""
    from spmkb.config import load_settings
    from spmkb.search import index_library

    work = tmp_path_factory.mktemp("sample-index")
    settings = load_settings(
        {"playbooks": str(REPO / "playbooks"), "store": str(work / ".spmkb")}, cwd=work, environ={}
    )
    summary = index_library(settings, embedder=embedder)
    return SimpleNamespace(
        settings=settings, summary=summary, queries=REPO / "eval" / "queries.yml"
    )

"""Shared pytest fixtures. Expensive things (model, built index) are session-scoped."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
# One machine cache of checked ONNX query encoders per test session (spmkb index processes
# inherit it), so each fresh store does not export and check again; never the user's ~/.cache.
os.environ.setdefault("SPMKB_CACHE_DIR", tempfile.mkdtemp(prefix="spmkb-test-cache-"))

# Tests that run notebooks with papermill directly wait for replies the way the product does
# (spmkb.notebooks and spmkb.app install this too; tests/test_kernel_poll.py checks they do).
from spmkb import kernel_poll

kernel_poll.install()

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = (REPO / ".." / "shared" / "data").resolve()
TEST_DATA = REPO / "tests" / "data"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository root."""
    return REPO


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` (third-party corpora and CRM exports); skips when absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(
            f"{SHARED_DATA} is absent: the shared third-party data sets are not in this clone"
        )
    return SHARED_DATA


@pytest.fixture(scope="session")
def test_data() -> Path:
    """``tests/data``: small named test inputs."""
    return TEST_DATA


# --- search fixtures (owner: search) -------------------------------------------------------


@pytest.fixture(scope="session")
def embedder():
    """The real packaged all-MiniLM-L6-v2 embedder, loaded once per test session."""
    from spmkb.search.embed import get_embedder

    return get_embedder()


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tmp copy of ``tests/data/search/playbooks``: 19 short assets over stages and types.

    Read-only by convention: tests that modify files copy it again.
    """
    import shutil

    root = tmp_path_factory.mktemp("corpus") / "playbooks"
    shutil.copytree(TEST_DATA / "search" / "playbooks", root)
    return root


@pytest.fixture(scope="session")
def built_index(small_corpus: Path, embedder, tmp_path_factory: pytest.TempPathFactory):
    """Settings + an embedded Chroma index built once over ``small_corpus``.

    Returns a namespace with ``settings``, ``summary`` (the IndexSummary) and ``playbooks``.
    """
    from types import SimpleNamespace

    from spmkb.config import load_settings
    from spmkb.search import index_library

    work = tmp_path_factory.mktemp("workspace")
    settings = load_settings(
        {"playbooks": str(small_corpus), "store": str(work / ".spmkb")}, cwd=work, environ={}
    )
    summary = index_library(settings, embedder=embedder)
    return SimpleNamespace(settings=settings, summary=summary, playbooks=small_corpus)


# --- deal fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sample_deal_data():
    """The generated sample deal data (seed 7), built once per test session. Read-only."""
    from spmkb.deals.sample import generate_sample

    return generate_sample()

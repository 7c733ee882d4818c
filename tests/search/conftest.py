"""Fixtures for the search tests: a private, writable copy of the small corpus."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest


@pytest.fixture
def workspace(small_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A writable playbook copy plus settings whose store lives in ``tmp_path``."""
    from spmkb.config import load_settings

    for var in (
        "SPMKB_PLAYBOOKS",
        "SPMKB_STORE",
        "SPMKB_CHROMA_URL",
        "SPMKB_CONFIG",
        "SPMKB_MODEL",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "playbooks"
    shutil.copytree(small_corpus, root)
    settings = load_settings(
        {"playbooks": str(root), "store": str(tmp_path / ".spmkb")}, cwd=tmp_path, environ={}
    )
    return SimpleNamespace(root=root, settings=settings, tmp=tmp_path)


@pytest.fixture
def indexed_workspace(workspace, built_index):
    """``workspace`` with the session index copied into its store (nothing left to embed)."""
    shutil.copytree(built_index.settings.store, workspace.settings.store)
    return workspace

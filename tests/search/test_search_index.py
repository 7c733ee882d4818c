"""index_library on the small corpus with the real model and embedded Chroma: incremental sync."""

from __future__ import annotations

import dataclasses

import pytest

from spmkb.search import Searcher, index_library
from spmkb.search.store import Store

pytestmark = pytest.mark.slow

BROKEN = "---\ntitle: [unclosed\n---\n# Broken\n\nThis file has invalid YAML front matter.\n"


def stored_paths(settings) -> dict[str, int]:
    """Sections per file path as stored in Chroma."""
    counts: dict[str, int] = {}
    for meta in Store(settings).all_metadata().values():
        counts[meta["path"]] = counts.get(meta["path"], 0) + 1
    return counts


def test_first_index_embeds_every_section(built_index) -> None:
    summary = built_index.summary
    files = sorted(p for p in built_index.playbooks.rglob("*.md") if p.name != "README.md")
    assert summary.assets == len(files)
    assert summary.embedded == summary.sections > summary.assets
    assert summary.reused == 0 and summary.removed == 0 and summary.skipped == {}
    stored = stored_paths(built_index.settings)
    assert sum(stored.values()) == summary.sections
    assert set(stored) == {p.relative_to(built_index.playbooks).as_posix() for p in files}


def test_nothing_changed_embeds_nothing(indexed_workspace, embedder) -> None:
    workspace = indexed_workspace
    first = index_library(workspace.settings, embedder=embedder)
    stamp = Store(workspace.settings).signature()["updated"]
    again = index_library(workspace.settings, embedder=embedder)
    assert again.embedded == 0 and again.removed == 0
    assert Store(workspace.settings).signature()["updated"] == stamp  # nothing rewritten
    assert again.reused == first.sections == again.sections
    assert again.rebuilt is None


def test_changed_file_reembeds_only_its_changed_sections(indexed_workspace, embedder) -> None:
    workspace = indexed_workspace
    first = index_library(workspace.settings, embedder=embedder)
    path = workspace.root / "objections" / "too-expensive.md"
    text = path.read_text()
    path.write_text(
        text.replace("Never defend the price straight away.", "Do not defend the price at once.")
    )
    again = index_library(workspace.settings, embedder=embedder)
    assert again.embedded == 1  # only the edited section's text is new
    assert again.reused == first.sections - 1
    assert again.removed == 0


def test_metadata_only_change_updates_without_embedding(indexed_workspace, embedder) -> None:
    workspace = indexed_workspace
    index_library(workspace.settings, embedder=embedder)
    path = workspace.root / "demos" / "tailored-demo.md"
    path.write_text(path.read_text().replace("stages: [demo]", "stages: [demo, proposal]"))
    again = index_library(workspace.settings, embedder=embedder)
    assert again.embedded == 0
    metas = [
        m
        for m in Store(workspace.settings).all_metadata().values()
        if m["path"] == "demos/tailored-demo.md"
    ]
    assert metas and all(m["stages"] == ["demo", "proposal"] for m in metas)


def test_removed_file_sections_are_deleted(indexed_workspace, embedder) -> None:
    workspace = indexed_workspace
    index_library(workspace.settings, embedder=embedder)
    before = stored_paths(workspace.settings)["battlecards/acme-crm.md"]
    (workspace.root / "battlecards" / "acme-crm.md").unlink()
    again = index_library(workspace.settings, embedder=embedder)
    assert again.removed == before > 0
    assert "battlecards/acme-crm.md" not in stored_paths(workspace.settings)


def test_broken_file_is_reported_and_keeps_old_sections(indexed_workspace, embedder) -> None:
    workspace = indexed_workspace
    index_library(workspace.settings, embedder=embedder)
    before = stored_paths(workspace.settings)["qualification/meddppicc.md"]
    (workspace.root / "qualification" / "meddppicc.md").write_text(BROKEN)
    (workspace.root / "new-broken.md").write_text(BROKEN)
    again = index_library(workspace.settings, embedder=embedder, strict=True)
    assert set(again.skipped) == {"qualification/meddppicc.md", "new-broken.md"}
    assert "YAML" in again.skipped["qualification/meddppicc.md"]
    assert again.strict_failed and not again.ok
    assert again.kept == before and again.removed == 0
    assert stored_paths(workspace.settings)["qualification/meddppicc.md"] == before
    hits = Searcher.open(workspace.settings, embedder).search("MEDDPPICC", k=3).hits
    assert hits[0].id == "qualification/meddppicc"


def test_chunking_change_triggers_rebuild(indexed_workspace, embedder) -> None:
    workspace = indexed_workspace
    index_library(workspace.settings, embedder=embedder)
    smaller = dataclasses.replace(workspace.settings, section_max_words=30, section_min_words=5)
    again = index_library(smaller, embedder=embedder)
    assert again.rebuilt and "chunking" in again.rebuilt
    assert again.embedded == again.sections > 0


def test_model_change_triggers_rebuild(indexed_workspace, embedder) -> None:
    workspace = indexed_workspace
    first = index_library(workspace.settings, embedder=embedder)
    store = Store(workspace.settings)
    store.set_metadata({**store.signature(), "model": "some-other-model"})
    again = index_library(workspace.settings, embedder=embedder)
    assert again.rebuilt and "model" in again.rebuilt
    assert again.embedded == first.sections


def test_rebuild_flag_reembeds_everything(indexed_workspace, embedder) -> None:
    workspace = indexed_workspace
    first = index_library(workspace.settings, embedder=embedder)
    again = index_library(workspace.settings, embedder=embedder, rebuild=True)
    assert again.rebuilt == "--rebuild"
    assert again.embedded == first.sections and again.reused == 0


def test_non_utf8_file_name_is_skipped_and_the_rest_indexed(indexed_workspace, embedder) -> None:
    """A Latin-1 file name once made every file fail ("can't encode '\\udce9'")."""
    import os

    ws = indexed_workspace
    first = index_library(ws.settings, embedder=embedder)
    fd = os.open(os.fsencode(str(ws.root)) + b"/caf\xe9.md", os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, b"# Cafe\n\nText about a cafe.\n")
    os.close(fd)
    again = index_library(ws.settings, embedder=embedder)
    assert again.skipped == {"caf\\xe9.md": "file name is not valid UTF-8"}
    assert again.sections == first.sections
    assert Store(ws.settings).count() == first.sections


TYPO = """---
id: typo-stage
title: Negotiation tips with a typo
type: playbook
stages: [negociation]
competitors: [coupa]
---
# Negotiation tips

Trade concessions for commitments: a discount only against a signed order this quarter.
"""

CASED = """---
id: cased-competitor
title: Coupa battlecard
type: battlecard
competitors: [Coupa]
---
# Coupa battlecard

Where Coupa is strong, where we win, and the three questions that expose the gap.
"""


def test_index_reports_what_lint_reports_and_strict_fails(indexed_workspace, embedder) -> None:
    """`spmkb lint` rejects the unknown stage 'negociation'; index once took it silently."""
    import subprocess
    import sys

    from spmkb.search import Searcher

    ws = indexed_workspace
    (ws.root / "typo.md").write_text(TYPO, encoding="utf-8")
    (ws.root / "cased.md").write_text(CASED, encoding="utf-8")
    summary = index_library(ws.settings, embedder=embedder)
    errors = [p for p in summary.problems if p["severity"] == "error"]
    assert summary.errors == len(errors) >= 1
    typo = [p for p in errors if p["path"] == "typo.md"]
    assert len(typo) == 1 and "negociation" in typo[0]["message"]
    assert "did you mean 'negotiation'" in (typo[0]["hint"] or "")
    # both spellings of one competitor are one facet
    facets = Searcher.open(ws.settings, embedder=embedder).facets()["competitors"]
    assert [c for c in facets if c.lower() == "coupa"] == ["Coupa"]
    cmd = [sys.executable, "-m", "spmkb", "index", "--playbooks", str(ws.root),
           "--store", str(ws.settings.store)]  # fmt: skip
    plain = subprocess.run(cmd, capture_output=True, text=True)
    assert plain.returncode == 0, plain.stderr[-2000:]
    assert "typo.md:5, field 'stages': error: 'negociation' is not a known stage" in plain.stderr
    strict = subprocess.run([*cmd, "--strict"], capture_output=True, text=True)
    assert strict.returncode == 1
    assert "lint error(s) (--strict)" in strict.stderr

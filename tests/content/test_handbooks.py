"""Real handbook Markdown (GitLab with front matter and kramdown; Sourcegraph without)."""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path

import pytest

from spmkb.content import is_markdown, load_library, split_sections
from spmkb.content.sections import clean_lines

pytestmark = pytest.mark.shared

CORPORA = ["playbooks-gitlab", "playbooks-sourcegraph"]


def _all_files(root: Path) -> list[str]:
    out = []
    for dirpath, _dirs, files in os.walk(root):
        out += [(Path(dirpath) / f).relative_to(root).as_posix() for f in files]
    return sorted(out)


@cache
def _load(root: Path):
    lib = load_library(root)
    return root, lib, {a.id: split_sections(a) for a in lib.assets}


def _corpus(shared_data: Path, name: str):
    root = shared_data / name
    if not root.is_dir():
        pytest.skip(f"{root} is absent")
    return _load(root)


@pytest.fixture(params=CORPORA)
def corpus(request: pytest.FixtureRequest, shared_data: Path):
    """(root, library, sections by asset id) for one handbook corpus (loaded once)."""
    return _corpus(shared_data, request.param)


def test_every_file_is_accounted_for(corpus) -> None:
    root, lib, _ = corpus
    on_disk = _all_files(root)
    markdown = [f for f in on_disk if is_markdown(f.rsplit("/", 1)[-1])]
    assert sorted(lib.files) == markdown
    assert len(lib.files) == len(lib.assets) + len(lib.skipped)
    assert lib.skipped == {}, "skipped: " + "; ".join(f"{k}: {v}" for k, v in lib.skipped.items())
    # The only files that are not candidates are non-Markdown: report them by name.
    others = sorted(set(on_disk) - set(markdown))
    assert others in (
        [],
        ["handbook/sales/field-operations/sales-operations/sales-operations-owned-provisioning"],
    )
    assert not [p for p in lib.problems if p.severity == "error"]


def test_sections_are_slices_of_the_file_with_correct_lines(corpus) -> None:
    _root, lib, sections = corpus
    total = 0
    for asset in lib.assets:
        secs = sections[asset.id]
        file_lines = asset.body.split("\n")
        cleaned = re.sub(r"\n{3,}", "\n\n", "\n".join(clean_lines(asset.body)))
        if asset.body.strip():
            assert secs, asset.path
        for sec in secs:
            total += 1
            assert sec.text.strip() and sec.heading_path, (asset.path, sec.index)
            assert sec.text in cleaned, (asset.path, sec.index)
            assert 0 <= sec.line - asset.body_line < len(file_lines)
            # the recorded line is the heading or the first text line of the section
            at = clean_lines(file_lines[sec.line - asset.body_line])[0].strip()
            assert at.lstrip("#").strip() or sec.line == asset.body_line
            assert "{:" not in sec.text or "```" in sec.text, (asset.path, sec.index)
    assert total > len(lib.assets)


def test_gitlab_metadata_from_front_matter(shared_data: Path) -> None:
    _root, lib, sections = _corpus(shared_data, "playbooks-gitlab")
    home = lib.by_id["handbook/sales/index"]
    assert home.title == "Sales"
    assert home.summary.startswith("The GitLab Field team")
    assert home.extra == {"layout": "handbook-page-toc"}
    first = sections[home.id][0]
    assert first.heading_path == ("Welcome to the Sales team homepage!",)
    assert first.line == 15
    assert all("TOC" not in s.text for s in sections[home.id])


def test_sourcegraph_titles_from_first_heading(shared_data: Path) -> None:
    _root, lib, _ = _corpus(shared_data, "playbooks-sourcegraph")
    assert all(not a.has_front_matter for a in lib.assets if a.path != "SOURCE.md")
    sales = lib.by_id["departments/sales/index"]
    assert sales.title == "Sales"
    assert {p.code for p in lib.problems} == {"no-front-matter"}

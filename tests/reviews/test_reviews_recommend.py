"""Recommended assets in reviews: computed once in the generator, passed to the notebook."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from spmkb.config import load_settings
from spmkb.deals import metrics as m
from spmkb.reviews.generate import new_review, recommendations_for
from spmkb.reviews.notebook import DATA_MIME, DATA_TAG

PLAYBOOKS = Path(__file__).resolve().parents[1] / "data" / "reviews" / "playbooks"


def test_without_index_the_section_says_how_to_get_one(tmp_path: Path, sample_data) -> None:
    settings = load_settings(
        {"store": tmp_path / "store", "playbooks": PLAYBOOKS}, cwd=tmp_path, environ={}
    )
    recs, note = recommendations_for(settings, sample_data, ["Tom Becker"], "2026-Q2")
    assert note == "no search index: run `spmkb index` to get recommended assets"
    assert recs["Tom Becker"]["items"] == []
    assert recs["Tom Becker"]["note"] == note


def test_review_kernel_does_not_import_torch(tmp_path: Path, sample_deals: Path) -> None:
    code = (
        "import sys\nfrom spmkb.reviews.notebook import open_review\n"
        f"r = open_review('Tom Becker', '2026-Q2', data_dir={str(sample_deals)!r}, store={str(tmp_path)!r})\n"
        "r.scorecard(); r.data()\nfrom spmkb.widgets.review_form import ReviewForm\n"
        "print(sorted(m for m in ('torch', 'chromadb', 'sentence_transformers') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


@pytest.mark.slow
def test_focus_stage_assets_reach_the_notebook(
    tmp_path: Path, sample_deals: Path, sample_data, make_ws
) -> None:
    from spmkb.search import index_library

    settings = make_ws(tmp_path, sample_deals)
    settings.playbooks = PLAYBOOKS
    index_library(settings)
    stage = m.coaching_focus(sample_data, rep="Tom Becker", period="2026-Q2")["stage"].iloc[0]
    playbook_for = {"demo": "demo-stage-playbook", "discovery": "discovery-guide"}
    assert stage in playbook_for  # the test corpus covers this rep's focus stage
    recs, note = recommendations_for(settings, sample_data, ["Tom Becker"], "2026-Q2")
    assert note == ""
    assert recs["Tom Becker"]["stage"] == stage
    ids = [i["id"] for i in recs["Tom Becker"]["items"]]
    assert ids[0] == playbook_for[stage]
    path = new_review(settings, "Tom Becker", "2026-Q2", recommend=True)
    nb = nbformat.read(str(path), as_version=4)
    cell = next(c for c in nb.cells if DATA_TAG in c.metadata.get("tags", []))
    d = next(o for o in cell.outputs if DATA_MIME in o.get("data", {}))["data"][DATA_MIME]
    assert [i["id"] for i in d["recommendations"]["items"]] == ids
    html = "".join(
        o.get("data", {}).get("text/html", "")
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
    )
    assert recs["Tom Becker"]["items"][0]["title"] in html

"""The search notebooks execute (papermill) against a test store, and are committed clean."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = ["find-an-asset.ipynb", "content-gaps.ipynb", "before-the-call.ipynb"]
WIDGET = "application/vnd.jupyter.widget-view+json"


@pytest.mark.parametrize("name", NOTEBOOKS, ids=[n.split(".")[0] for n in NOTEBOOKS])
def test_notebook_is_committed_without_outputs_and_has_parameters(name: str) -> None:
    nb = nbformat.read(REPO / "notebooks" / name, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    assert "store = None" in tagged[0].source and "playbooks = None" in tagged[0].source
    assert len(code) <= 8  # short: notebooks call the package


def _run(name: str, tmp_path: Path, **parameters: str):
    import papermill

    out = tmp_path / name
    papermill.execute_notebook(
        str(REPO / "notebooks" / name),
        str(out),
        parameters=parameters,
        cwd=str(tmp_path),
        progress_bar=False,
        kernel_name="python3",
        execution_timeout=180,
    )
    return nbformat.read(out, as_version=4)


def _outputs(nb) -> list[dict]:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]


@pytest.mark.slow
@pytest.mark.parametrize(
    "name", ["find-an-asset.ipynb", "before-the-call.ipynb"], ids=["find", "before"]
)
def test_widget_notebooks_display_a_panel(name: str, built_index, tmp_path: Path) -> None:
    nb = _run(
        name, tmp_path, store=str(built_index.settings.store), playbooks=str(built_index.playbooks)
    )
    widgets = [o for o in _outputs(nb) if WIDGET in o.get("data", {})]
    assert len(widgets) == 1
    assert not [o for o in _outputs(nb) if o.get("output_type") == "error"]


@pytest.mark.slow
def test_content_gaps_notebook_shows_the_tables(small_corpus: Path, tmp_path: Path) -> None:
    from spmkb.config import load_settings
    from spmkb.search.log import log_search
    from spmkb.search.model import SearchResult

    store = tmp_path / "store"
    settings = load_settings(
        {"store": str(store), "playbooks": str(small_corpus)}, cwd=tmp_path, environ={}
    )
    from spmkb.search.model import Hit
    from spmkb.widgets.gaps import GAP_COLOUR, OK_COLOUR, OK_LABEL, gap_label

    for query in ("security questionnaire", "security questionnaire", "pricing"):
        log_search(settings, SearchResult(query, {}, [], 1.0), "widget")
    hits = [Hit(f"a{i}", "A", "playbook", "a.md", "A", "s", 1.0, "fresh") for i in range(3)]
    log_search(settings, SearchResult("top three", {}, hits, 1.0, k=3), "cli")  # asked 3, got 3
    log_search(settings, SearchResult("thin topic", {}, hits[:1], 1.0, k=10), "cli")
    nb = _run("content-gaps.ipynb", tmp_path, store=str(store), playbooks=str(small_corpus))
    html = [str(o.get("data", {}).get("text/html", "")) for o in _outputs(nb)]
    assert "security questionnaire" in html[0]
    poor = html[2]  # top, zero, poor tables in order
    assert "thin topic" in poor and "1.0 results on average, 3 wanted" in poor
    assert "top three" not in poor
    assert re.search(r"<td>\d{4}-\d\d-\d\d \d\d:\d\d</td>", html[0])  # local, to the minute
    assert not re.search(r"\d\d:\d\d:\d\d|\+00:00", html[0])
    plots = [o for o in _outputs(nb) if "application/vnd.plotly.v1+json" in o.get("data", {})]
    assert len(plots) == 2
    stages = json.dumps(plots[0]["data"]["application/vnd.plotly.v1+json"])
    assert "negotiation" in stages
    for plot in plots:  # one colour meaning in both charts
        traces = plot["data"]["application/vnd.plotly.v1+json"]["data"]
        colours = {t["name"]: t["marker"]["color"] for t in traces}
        assert colours[OK_LABEL] == OK_COLOUR
        assert colours.get(gap_label(2), GAP_COLOUR) == GAP_COLOUR
    assert {
        t["name"] for p in plots for t in p["data"]["application/vnd.plotly.v1+json"]["data"]
    } == {
        OK_LABEL,
        gap_label(2),
    }

"""The search notebooks execute (papermill) against a test store, and are committed clean."""

from __future__ import annotations

import json
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
    for query in ("security questionnaire", "security questionnaire", "pricing"):
        log_search(settings, SearchResult(query, {}, [], 1.0), "widget")
    nb = _run("content-gaps.ipynb", tmp_path, store=str(store), playbooks=str(small_corpus))
    html = "\n".join(str(o.get("data", {}).get("text/html", "")) for o in _outputs(nb))
    assert "security questionnaire" in html
    plots = [o for o in _outputs(nb) if "application/vnd.plotly.v1+json" in o.get("data", {})]
    assert len(plots) == 2
    stages = json.dumps(plots[0]["data"]["application/vnd.plotly.v1+json"])
    assert "negotiation" in stages

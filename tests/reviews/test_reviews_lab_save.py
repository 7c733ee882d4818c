"""The project's Lab config saves a review's live form as its HTML fallback (reopens readable)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[2]
VIEW = "application/vnd.jupyter.widget-view+json"


def _review_with_live_form() -> nbformat.NotebookNode:
    """Two widget outputs: the form (with an HTML fallback) and a bare widget (without)."""
    nb = nbformat.v4.new_notebook()
    form = nbformat.v4.new_code_cell("ReviewForm(...)")
    form.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={
                VIEW: {"model_id": "abc", "version_major": 2, "version_minor": 0},
                "text/html": "<div class='spmkb-form-fallback'>Version 2</div>",
                "text/plain": "Review form for Priya Nair, 2026-Q2.",
            },
        )
    ]
    bare = nbformat.v4.new_code_cell("w.IntSlider()")
    bare.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={
                VIEW: {"model_id": "def", "version_major": 2, "version_minor": 0},
                "text/plain": "IntSlider(value=0)",
            },
        )  # fmt: skip
    ]
    nb.cells = [form, bare]
    return nb


def test_saving_a_review_keeps_the_form_as_its_html_fallback(tmp_path: Path) -> None:
    """Saved under reviews/ through Lab's contents manager with jupyter_server_config.py: the
    form's output loses the widget view (a reopened notebook has no kernel-side model) and keeps
    its HTML and text; a widget without a fallback is saved as it is."""
    from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("jupyter_server_config.py", path=str(REPO)).load_config()
    (tmp_path / "reviews").mkdir()
    cm = AsyncLargeFileManager(config=config, root_dir=str(tmp_path))
    model = {"type": "notebook", "format": "json", "content": _review_with_live_form()}
    with ThreadPoolExecutor(1) as pool:  # its own loop: a Playwright loop may run in this thread
        pool.submit(asyncio.run, cm.save(model, "reviews/priya.ipynb")).result()
    nb = nbformat.read(tmp_path / "reviews" / "priya.ipynb", as_version=4)
    form, bare = (c.outputs[0]["data"] for c in nb.cells)
    assert VIEW not in form
    assert form["text/html"] == "<div class='spmkb-form-fallback'>Version 2</div>"
    assert form["text/plain"] == "Review form for Priya Nair, 2026-Q2."
    assert bare[VIEW]["model_id"] == "def"

"""Jupyter server settings `make lab` uses (``--config=jupyter_server_config.py``).

The shipped notebooks under ``notebooks/`` stay clean in git: when JupyterLab saves one of
them, its outputs, execution counts and saved widget state are dropped from the file (the
open notebook keeps showing them until it is closed). Notebooks anywhere else — your copies,
generated reviews under ``reviews/`` — are saved with their outputs, except that a live widget
whose output also carries an HTML fallback (the review form: saved answers and "run all
cells") is saved as that fallback: reopened later, without the widget's kernel, it shows the
answers instead of "Error displaying widget: model not found".
"""

from __future__ import annotations

from typing import Any

CLEAN_DIRS = ("notebooks/",)


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def keep_widget_fallbacks(nb: dict[str, Any]) -> None:
    """Save widget outputs that carry ``text/html`` as that HTML (the widget needs its kernel)."""
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            data = output.get("data") or {}
            if WIDGET_VIEW in data and "text/html" in data:
                del data[WIDGET_VIEW]


def strip_shipped_notebook(model: dict[str, Any], path: str, **_: Any) -> None:
    """Pre-save hook: drop outputs of a notebook saved under ``notebooks/``; elsewhere keep
    outputs but save widgets that have an HTML fallback as that fallback."""
    if model.get("type") != "notebook" or not isinstance(model.get("content"), dict):
        return
    if not path.lstrip("/").startswith(CLEAN_DIRS):
        keep_widget_fallbacks(model["content"])
        return
    nb = model["content"]
    nb.get("metadata", {}).pop("widgets", None)
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        cell.get("metadata", {}).pop("execution", None)


c = get_config()  # type: ignore[name-defined]  # noqa: F821 - provided by the config loader
c.ContentsManager.pre_save_hook = strip_shipped_notebook

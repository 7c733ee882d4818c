"""Jupyter server settings `make lab` uses (``--config=jupyter_server_config.py``).

The shipped notebooks under ``notebooks/`` stay clean in git: when JupyterLab saves one of
them, its outputs, execution counts and saved widget state are dropped from the file (the
open notebook keeps showing them until it is closed). Notebooks anywhere else — your copies,
generated reviews under ``reviews/`` — are saved as they are, outputs included.
"""

from __future__ import annotations

from typing import Any

CLEAN_DIRS = ("notebooks/",)


def strip_shipped_notebook(model: dict[str, Any], path: str, **_: Any) -> None:
    """Pre-save hook: drop outputs of a notebook saved under ``notebooks/`` (others untouched)."""
    if model.get("type") != "notebook" or not isinstance(model.get("content"), dict):
        return
    if not path.lstrip("/").startswith(CLEAN_DIRS):
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

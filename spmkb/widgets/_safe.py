"""Path-safe access to asset files for the widgets (delegates to :mod:`spmkb.content`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from spmkb.content import load_asset, safe_path

__all__ = ["load_asset_safely", "safe_path"]


def load_asset_safely(root: Path, rel: str, settings: Any | None = None) -> Any:
    """Load the asset at ``rel`` under ``root``; ContentError if it resolves outside ``root``."""
    target = safe_path(root, rel)
    return load_asset(target, root, settings)

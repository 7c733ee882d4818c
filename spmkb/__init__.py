"""spmkb: a sales performance management knowledge and coaching system on Jupyter.

The public API is re-exported here lazily, so ``import spmkb`` stays fast and never pulls
in torch, sentence-transformers or chromadb.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# name -> module that defines it
_EXPORTS: dict[str, str] = {
    "Settings": "spmkb.config",
    "load_settings": "spmkb.config",
    "SpmkbError": "spmkb.errors",
    "Problem": "spmkb.errors",
    "Asset": "spmkb.content.model",
    "Section": "spmkb.content.model",
    "Hit": "spmkb.search.model",
    "SearchResult": "spmkb.search.model",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'spmkb' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)

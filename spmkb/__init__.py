"""spmkb: a sales performance management knowledge and coaching system on Jupyter.

The public API is re-exported here lazily, so ``import spmkb`` stays fast and never pulls
in torch, sentence-transformers or chromadb.
"""

from __future__ import annotations

from spmkb._lazy import lazy_exports

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

__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS)
__all__ = ["__version__", *__all__]

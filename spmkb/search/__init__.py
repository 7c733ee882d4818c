"""Knowledge-base search: embed sections, keep a Chroma index in sync, hybrid queries.

Importing this package is cheap: torch, sentence-transformers, chromadb and bm25s load only
when a function that needs them runs. Public API::

    from spmkb.search import index_library, Searcher, search, get_embedder
"""

from __future__ import annotations

from spmkb._lazy import lazy_exports
from spmkb.search.model import Hit, SearchResult

_LAZY = {
    "Embedder": "spmkb.search.embed",
    "get_embedder": "spmkb.search.embed",
    "start_loading": "spmkb.search.embed",
    "is_loaded": "spmkb.search.embed",
    "IndexSummary": "spmkb.search.sync",
    "index_library": "spmkb.search.sync",
    "Store": "spmkb.search.store",
    "Searcher": "spmkb.search.query",
    "get_searcher": "spmkb.search.query",
    "search": "spmkb.search.query",
}

__getattr__, __dir__, __all__ = lazy_exports(__name__, _LAZY)
__all__ = ["Hit", "SearchResult", *__all__]

"""What a process that only searches can skip: imports whose cost buys it nothing.

``import chromadb`` imports ``jsonschema``, which compiles an Earley parser of the RFC 3987
grammar (``rfc3987_syntax``) at import when that package is installed, only to check the
``iri`` and ``iri-reference`` string formats. That is 1.6 s of CPU of chromadb's 2.7 s
(``python -X importtime``; see "Query encoder and cold start" in ``docs/performance.md``).
Nothing in spmkb or Chroma validates those formats (nor ``duration``, whose checker imports
``arrow``), so a searching process imports ``jsonschema`` once without them; jsonschema then
simply does not check those formats in that process.
"""

from __future__ import annotations

import sys

#: Optional format checkers of jsonschema that cost a cold search most (``-X importtime``,
#: load ≈ 10): the RFC 3987 grammar 1.5 s CPU, ``isoduration`` (imports ``arrow``) 0.4 s,
#: ``rfc3986_validator`` 0.1 s.
FORMAT_EXTRAS = ("rfc3987_syntax", "isoduration", "rfc3986_validator")


def import_jsonschema_lightly() -> None:
    """Import ``jsonschema`` without :data:`FORMAT_EXTRAS` (no-op when already imported).

    They are hidden only while ``jsonschema`` imports (it skips the optional format checkers
    whose import fails) and importable again afterwards.
    """
    if "jsonschema" in sys.modules:
        return
    hidden = [name for name in FORMAT_EXTRAS if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        import jsonschema  # noqa: F401
    except ImportError:  # not installed: chromadb will say so itself
        pass
    finally:
        for name in hidden:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]

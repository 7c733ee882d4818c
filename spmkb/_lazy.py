"""Lazy re-exports for the package ``__init__`` files (``import spmkb`` stays light).

A package lists ``name -> module that defines it`` and gets a module ``__getattr__`` (PEP 562)
that imports the module on first use, a ``__dir__`` that lists the names before they are
imported (tab completion in Jupyter and IPython), and ``__all__``::

    __getattr__, __dir__, __all__ = lazy_exports(__name__, {"load_settings": "spmkb.config"})
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    module_name: str, mapping: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """``(__getattr__, __dir__, __all__)`` for a package that re-exports ``mapping`` lazily.

    A name is cached in the package after its first import, except when it is also the name
    of the submodule that defines it (``spmkb.deals.forecast``): caching would hide the
    submodule from ``import spmkb.deals.forecast as m``.
    """
    exports = dict(mapping)
    module = sys.modules[module_name]

    def __getattr__(name: str) -> Any:
        target = exports.get(name)
        if target is None:
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(target), name)
        if target != f"{module_name}.{name}":
            setattr(module, name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(module)) | set(exports))

    return __getattr__, __dir__, list(exports)

"""The packages' lazy re-exports: light imports, names visible to tab completion, clear errors."""

from __future__ import annotations

import subprocess
import sys
import types

import pytest

from spmkb._lazy import lazy_exports

PACKAGES = ["spmkb", "spmkb.deals", "spmkb.reviews", "spmkb.search", "spmkb.widgets"]


@pytest.mark.parametrize("package", PACKAGES)
def test_dir_lists_every_export_before_it_is_imported(package: str) -> None:
    """In a fresh process: dir() (what Jupyter completes) holds __all__, nothing imported yet."""
    code = (
        f"import sys, {package} as p\n"
        "before = set(sys.modules)\n"
        "missing = sorted(set(p.__all__) - set(dir(p)))\n"
        "print(missing, sorted(m for m in set(sys.modules) - before if m.startswith('spmkb')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[] []"


def _package(name: str) -> types.ModuleType:
    module = types.ModuleType(name)
    sys.modules[name] = module
    return module


def test_names_import_on_first_use_and_are_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    module = _package("_lazy_demo")
    monkeypatch.setitem(sys.modules, "_lazy_demo", module)
    getattr_, dir_, all_ = lazy_exports("_lazy_demo", {"dedent": "textwrap", "path": "os"})
    module.__getattr__ = getattr_
    assert all_ == ["dedent", "path"]
    assert {"dedent", "path"} <= set(dir_())
    import textwrap

    assert module.dedent is textwrap.dedent
    assert vars(module)["dedent"] is textwrap.dedent  # cached: no second lookup


def test_unknown_name_is_an_attribute_error() -> None:
    import spmkb.deals

    with pytest.raises(AttributeError, match=r"module 'spmkb\.deals' has no attribute 'nope'"):
        spmkb.deals.nope  # noqa: B018


def test_a_name_shared_with_its_submodule_does_not_hide_the_submodule() -> None:
    """``spmkb.deals.forecast`` is a function and a module: first use gives the function, and
    ``import spmkb.deals.forecast`` still gives the module (a fresh process: no earlier import)."""
    code = (
        "import spmkb.deals as d\nf = d.forecast\nimport spmkb.deals.forecast as m\n"
        "print(type(f).__name__, type(m).__name__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "function module"

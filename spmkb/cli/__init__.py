"""Command-line interface: ``spmkb <command>``. A thin face over the core functions."""

from __future__ import annotations

import importlib

from spmkb.cli._app import app

# Each domain module registers its commands on import.
for _name in (
    "content",
    "search",
    "deals",
    "reviews",
    "recommend",
    "analytics",
    "evaluate",
    "onboarding",
    "backup",
    "coach",
):
    try:
        importlib.import_module(f"spmkb.cli.{_name}")
    except ModuleNotFoundError as exc:  # a domain not written yet
        if exc.name != f"spmkb.cli.{_name}":
            raise


def main() -> None:
    """Run the ``spmkb`` command."""
    app()


__all__ = ["app", "main"]

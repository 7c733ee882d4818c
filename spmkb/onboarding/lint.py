"""``spmkb lint``'s curriculum checks: the onboarding problems of a loaded library.

The CLI runs :func:`lint_curriculum` next to :func:`spmkb.content.lint.lint_library` (content
does not import onboarding). See :mod:`spmkb.onboarding.checks` for what is checked.
"""

from __future__ import annotations

from pathlib import Path

from spmkb.config import Settings
from spmkb.content.model import Asset
from spmkb.errors import Problem
from spmkb.onboarding.checks import add_lines
from spmkb.onboarding.curriculum import build_curriculum


def lint_curriculum(assets: list[Asset], settings: Settings, root: Path) -> list[Problem]:
    """The curriculum problems of a loaded library (for ``spmkb lint``), with file lines."""
    problems = build_curriculum(assets, settings).problems
    add_lines(problems, root)
    return problems


__all__ = ["lint_curriculum"]

"""Lint a playbook folder: everything :func:`load_library` finds, plus links and freshness.

Lint is stricter than loading. Loading keeps an asset whose stage is not in the vocabulary
(a warning, so search still works); lint reports it as an error so CI catches the typo.

Severity of each check (documented in docs/authoring.md):

- error: unreadable or invalid files (YAML, field types, encoding, binary, empty, too large,
  symlink escaping the folder), duplicate ids, values outside the vocabularies, relative
  links to files that do not exist.
- warning: no front matter, unknown fields, missing owner (files with front matter), stale
  content, reviewed date in the future, front matter without body.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from spmkb.config import Settings
from spmkb.content.fences import FenceTracker
from spmkb.content.library import Library, load_library
from spmkb.content.model import Asset
from spmkb.content.parse import MARKDOWN_SUFFIXES
from spmkb.errors import HasProblems, Problem

#: Problem codes that loading reports as warnings but lint reports as errors.
PROMOTED: frozenset[str] = frozenset({"vocabulary", "duplicate-id"})

FRESHNESS_ORDER: tuple[str, ...] = ("fresh", "aging", "stale", "unknown")

_INLINE_CODE = re.compile(r"`+[^`]*`+")
_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+[\"'(][^)]*)?\s*\)")
_REF_DEF = re.compile(r"^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


@dataclass
class LintReport(HasProblems):
    """Result of :func:`lint_library`: problems, assets and their freshness."""

    root: Path
    problems: list[Problem] = field(default_factory=list)
    assets: list[Asset] = field(default_factory=list)
    freshness: dict[str, str] = field(default_factory=dict)  # asset id -> bucket
    files: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when there is no error."""
        return not self.errors

    def freshness_counts(self) -> dict[str, int]:
        """Number of assets per freshness bucket (every bucket present)."""
        counts = Counter(self.freshness.values())
        return {bucket: counts.get(bucket, 0) for bucket in FRESHNESS_ORDER}

    def counts(self) -> dict[str, int]:
        """Files, loaded assets, skipped files, errors and warnings."""
        return {
            "files": len(self.files),
            "assets": len(self.assets),
            "skipped": len(self.skipped),
            "errors": len(self.errors),
            "warnings": len(self.warnings),
        }

    def summary(self) -> str:
        """One summary line: counts and freshness counts."""
        c = self.counts()
        fresh = ", ".join(f"{n} {b}" for b, n in self.freshness_counts().items())
        return (
            f"{c['files']} files: {c['assets']} assets loaded, {c['skipped']} skipped; "
            f"{c['errors']} errors, {c['warnings']} warnings; freshness: {fresh}"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready report: ok, counts, freshness counts, per-asset rows and problems."""
        by_id = {a.id: a for a in self.assets}
        return {
            "root": str(self.root),
            "ok": self.ok,
            "counts": self.counts(),
            "freshness": self.freshness_counts(),
            "assets": [
                {
                    "id": a.id,
                    "path": a.path,
                    "title": a.title,
                    "type": a.type,
                    "owner": a.owner,
                    "reviewed": a.reviewed.isoformat() if a.reviewed else None,
                    "due": due.isoformat() if (due := a.due_date()) else None,
                    "freshness": self.freshness.get(aid, "unknown"),
                }
                for aid, a in by_id.items()
            ],
            "skipped": dict(self.skipped),
            "problems": [p.to_dict() for p in self.problems],
        }


def format_problem(problem: Problem, prefix: str | Path | None = None) -> str:
    """``path:line: severity: message — hint`` (path joined onto ``prefix`` when given)."""
    path = problem.path or ""
    if prefix is not None and path:
        path = os.path.join(str(prefix), path)
    where = f"{path}:{problem.line}" if problem.line is not None else path
    text = (
        f"{where}: {problem.severity}: {problem.message}"
        if where
        else (f"{problem.severity}: {problem.message}")
    )
    return text + (f" — {problem.hint}" if problem.hint else "")


def iter_links(body: str) -> list[tuple[int, str]]:
    """``(line index in body, target)`` of Markdown links and reference definitions.

    Fenced and inline code are ignored.
    """
    out: list[tuple[int, str]] = []
    fences = FenceTracker()
    for i, line in enumerate(body.split("\n")):
        if fences.in_code(line) or ("](" not in line and "]:" not in line):
            continue
        text = _INLINE_CODE.sub("", line)
        for link in _LINK.finditer(text):
            out.append((i, link.group(1).strip("<>")))
        ref = _REF_DEF.match(text)
        if ref:
            out.append((i, ref.group(1).strip("<>")))
    return out


def check_links(asset: Asset, root: Path) -> list[Problem]:
    """Errors for relative links of ``asset`` whose target file does not exist.

    External links (any ``scheme:``), anchors (``#...``) and site-absolute links
    (``/handbook/...``) are not checked.
    """
    problems: list[Problem] = []
    base = Path(root).resolve()
    folder = (base / asset.path).parent
    for index, target in iter_links(asset.body):
        if not target or target.startswith(("#", "/", "{", "<")) or _SCHEME.match(target):
            continue
        clean = unquote(target.split("#", 1)[0].split("?", 1)[0])
        if not clean:
            continue
        resolved = Path(os.path.normpath(folder / clean))
        line = asset.body_line + index
        if resolved != base and base not in resolved.parents:
            problems.append(
                Problem(
                    "error",
                    "broken-link",
                    f"link '{target}' points outside the playbook folder",
                    path=asset.path,
                    line=line,
                    value=target,
                    hint="link to a file inside the playbook folder, or use a full https:// URL",
                )
            )
        elif not _exists(resolved):
            problems.append(
                Problem(
                    "error",
                    "broken-link",
                    f"link '{target}' points to a missing file",
                    path=asset.path,
                    line=line,
                    value=target,
                    hint="fix the path (it is relative to this file's folder) or remove the link",
                )
            )
    return problems


def _exists(path: Path) -> bool:
    """True when ``path`` exists, also as a page source (``x.html`` -> ``x.html.md``)."""
    if path.exists():
        return True
    return any(Path(str(path) + suffix).exists() for suffix in MARKDOWN_SUFFIXES)


def _asset_checks(asset: Asset, today: date, settings: Settings) -> list[Problem]:
    problems: list[Problem] = []
    if asset.has_front_matter and not asset.owner:
        problems.append(
            Problem(
                "warning",
                "missing-owner",
                "no owner: nobody is asked to keep this asset current",
                path=asset.path,
                line=1,
                field="owner",
                hint="add 'owner: <person or team>' to the front matter",
            )
        )

    def reviewed_warning(code: str, message: str, hint: str) -> Problem:
        line = asset.field_lines.get("reviewed")
        return Problem("warning", code, message, path=asset.path, line=line, field="reviewed",
                       hint=hint)  # fmt: skip

    if asset.freshness(today, settings.aging_fraction) == "stale":
        problems.append(
            reviewed_warning(
                "stale",
                f"stale: last reviewed {asset.reviewed}, due {asset.due_date()}",
                "review the content, then set 'reviewed:' to today's date",
            )
        )
    if asset.reviewed and asset.reviewed > today:
        problems.append(
            reviewed_warning(
                "future-review",
                f"reviewed date {asset.reviewed} is in the future",
                "use the date the review actually happened (YYYY-MM-DD)",
            )
        )
    return problems


def lint_loaded(lib: Library, settings: Settings, today: date | None = None) -> list[Problem]:
    """Every lint problem of an already loaded library (what ``spmkb index`` reports too)."""
    today = today or date.today()
    problems = [
        replace(p, severity="error") if p.code in PROMOTED and p.severity == "warning" else p
        for p in lib.problems
    ]
    for asset in lib.assets:
        problems.extend(_asset_checks(asset, today, settings))
        problems.extend(check_links(asset, lib.root))
    problems.sort(key=lambda p: (p.path or "", p.line or 0, p.severity != "error"))
    return problems


def lint_library(
    root: Path, settings: Settings | None = None, today: date | None = None
) -> LintReport:
    """Load every asset below ``root`` and check it; see the module doc for severities."""
    settings = settings or Settings()
    today = today or date.today()
    lib: Library = load_library(Path(root), settings)
    report = LintReport(
        root=lib.root, assets=list(lib.assets), files=list(lib.files), skipped=dict(lib.skipped)
    )
    report.problems = lint_loaded(lib, settings, today)
    for asset in lib.assets:
        report.freshness[asset.id] = asset.freshness(today, settings.aging_fraction)
    return report

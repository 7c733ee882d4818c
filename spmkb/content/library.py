"""Load a whole playbook folder: every candidate file, the assets, and every problem.

Bad files are skipped and reported with their location and a fix; the valid rest loads.
Hidden files and folders and a ``README.md`` at the root are not assets (the README
documents the folder). Folder symlinks are never followed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from spmkb.config import Settings
from spmkb.content.model import Asset
from spmkb.content.parse import ROOT_DOCS, _parse, _rel, is_markdown, read_text
from spmkb.errors import ContentError, HasProblems, Problem


@dataclass
class Library(HasProblems):
    """Every asset of a playbook folder, plus the problems found while loading it."""

    root: Path
    assets: list[Asset] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # every candidate file, relative
    skipped: dict[str, str] = field(default_factory=dict)  # relative path -> reason

    @property
    def by_id(self) -> dict[str, Asset]:
        """Assets keyed by id."""
        return {a.id: a for a in self.assets}


def iter_candidates(root: Path) -> tuple[list[str], dict[str, str]]:
    """Candidate asset files below ``root`` (relative, sorted) and skipped folder symlinks.

    Hidden files and folders (``.git``, ``.spmkb``) and a ``README.md`` at the root are not
    assets. Folder symlinks are never followed; those pointing outside the root are reported.
    """
    root = Path(root)
    base = root.resolve()
    files: list[str] = []
    skipped: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        keep = []
        for d in sorted(dirnames):
            if d.startswith("."):
                continue
            full = here / d
            if full.is_symlink():
                target = full.resolve()
                if target != base and base not in target.parents:
                    skipped[_rel(full, root)] = "folder symlink points outside the playbook folder"
                continue
            keep.append(d)
        dirnames[:] = keep
        for name in sorted(filenames):
            if name.startswith(".") or not is_markdown(name):
                continue
            rel = _rel(here / name, root)
            if "/" not in rel and name.lower() in ROOT_DOCS:
                continue
            files.append(rel)
    return sorted(files), skipped


def load_library(root: Path, settings: Settings | None = None) -> Library:
    """Load every asset below ``root``; bad files are skipped and reported, the rest load."""
    settings = settings or Settings()
    root = Path(root).resolve()
    lib = Library(root=root)
    if not root.is_dir():
        raise ContentError(
            "playbook folder not found",
            path=root,
            hint="pass --playbooks DIR or set playbooks in spmkb.toml",
        )
    lib.files, folder_skips = iter_candidates(root)
    for rel, reason in folder_skips.items():
        lib.problems.append(
            Problem(
                "error",
                "symlink-escape",
                reason,
                path=rel,
                hint="replace the symlink by a copy, or remove it",
            )
        )
    seen: dict[str, Asset] = {}
    for rel in lib.files:
        if not _utf8(rel):  # the index, the search log and JSON cannot hold such a name
            shown = rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            lib.problems.append(
                Problem(
                    "error",
                    "file-name",
                    "file name is not valid UTF-8; skipped",
                    path=shown,
                    hint="rename the file (e.g. with `mv` in a UTF-8 terminal), then index again",
                )
            )
            lib.skipped[shown] = "file name is not valid UTF-8"
            continue
        try:
            text = read_text(Path(rel), root, settings)
        except ContentError as err:
            code = _code_for(err)
            lib.problems.append(Problem.from_error(err, code))
            lib.skipped[rel] = err.message
            continue
        asset, problems = _parse(text, rel, settings)
        lib.problems.extend(problems)
        if asset is None:
            lib.skipped[rel] = next(p.message for p in problems if p.severity == "error")
            continue
        first = seen.get(asset.id)
        if first is not None:
            lib.problems.append(
                Problem(
                    "error",
                    "duplicate-id",
                    f"id '{asset.id}' is already used by {first.path}; skipped",
                    path=rel,
                    line=asset.field_lines.get("id"),
                    field="id",
                    value=asset.id,
                    hint="give one of the two files another 'id:' in its front matter",
                )
            )
            lib.problems.append(
                Problem(
                    "warning",
                    "duplicate-id",
                    f"id '{asset.id}' is also used by {rel}, which was skipped",
                    path=first.path,
                    line=first.field_lines.get("id"),
                    field="id",
                    value=asset.id,
                    hint="give one of the two files another 'id:' in its front matter",
                )
            )
            lib.skipped[rel] = f"duplicate id '{asset.id}' (also {first.path})"
            continue
        seen[asset.id] = asset
        lib.assets.append(asset)
    return lib


def _utf8(name: str) -> bool:
    """Whether a file name (as the OS gave it, with surrogate escapes) is valid UTF-8."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _code_for(err: ContentError) -> str:
    msg = err.message
    for needle, code in (
        ("binary", "binary"),
        ("UTF-8", "encoding"),
        ("empty", "empty"),
        ("too large", "too-large"),
        ("outside", "symlink-escape"),
        ("regular file", "not-a-file"),
    ):
        if needle in msg:
            return code
    return "unreadable"

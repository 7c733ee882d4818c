"""The competency rubric a review is rated against: a playbook asset of type ``review-rubric``.

The rubric is an ordinary Markdown asset whose front matter holds ``rubric:``, a list of at
most five competencies, each ``{id, name, levels: {1: text, ..., 5: text}}``; the body
explains it to people. It is read through :mod:`spmkb.content` like every other asset.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from spmkb.errors import ContentError, ReviewError

MAX_COMPETENCIES = 5
LEVELS: tuple[int, ...] = (1, 2, 3, 4, 5)
DEFAULT_RUBRIC = "reviews/sales-competency-rubric.md"
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


@dataclass
class Competency:
    """One rated competency with a description of each level 1-5."""

    id: str
    name: str
    levels: dict[int, str]
    description: str = ""

    def guidance(self, level: int | None) -> str:
        """The rubric text for ``level`` (empty when not rated)."""
        return self.levels.get(int(level), "") if level else ""

    def to_dict(self) -> dict[str, Any]:
        """Return the competency as a JSON-ready dict."""
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "levels": {str(k): v for k, v in self.levels.items()},
        }


@dataclass
class Rubric:
    """A review rubric: the competencies of one ``review-rubric`` asset."""

    id: str
    title: str
    path: str
    competencies: list[Competency] = field(default_factory=list)

    @property
    def ids(self) -> list[str]:
        """Competency ids in order."""
        return [c.id for c in self.competencies]

    def get(self, competency_id: str) -> Competency:
        """The competency with ``competency_id`` (ReviewError if unknown)."""
        for c in self.competencies:
            if c.id == competency_id:
                return c
        raise ReviewError(
            f"unknown competency '{competency_id}'",
            path=self.path,
            hint="rubric competencies: " + ", ".join(self.ids),
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the rubric as a JSON-ready dict (level keys as strings)."""
        return {**asdict(self), "competencies": [c.to_dict() for c in self.competencies]}


def rubric_from_asset(asset: Any) -> Rubric:
    """Build a :class:`Rubric` from a parsed asset; ReviewError naming file, line and field."""
    path = asset.path
    line = (getattr(asset, "field_lines", None) or {}).get("rubric")
    raw = getattr(asset, "rubric", None) or (asset.extra or {}).get("rubric")

    def bad(msg: str, fld: str, hint: str | None = None) -> ReviewError:
        """A ReviewError located at the rubric field."""
        return ReviewError(msg, path=path, line=line, field=fld, hint=hint)

    if asset.type != "review-rubric":
        raise bad(f"asset type is '{asset.type}', expected 'review-rubric'", "type")
    if not isinstance(raw, list) or not raw:
        raise bad(
            "the front matter needs a 'rubric:' list of competencies",
            "rubric",
            "see playbooks/reviews/sales-competency-rubric.md for the format",
        )
    if len(raw) > MAX_COMPETENCIES:
        raise bad(
            f"a rubric has at most {MAX_COMPETENCIES} competencies, found {len(raw)}",
            "rubric",
            "merge or drop competencies: reviews stay focused on a few",
        )
    comps: list[Competency] = []
    for i, item in enumerate(raw):
        fld = f"rubric[{i}]"
        if not isinstance(item, dict):
            raise bad("each competency must be a mapping with id, name, levels", fld)
        cid = str(item.get("id") or "").strip()
        if not _ID.match(cid):
            raise bad(
                f"competency id must be lower-case letters, digits, - or _, got {cid!r}",
                f"{fld}.id",
            )
        if cid in {c.id for c in comps}:
            raise bad(f"duplicate competency id '{cid}'", f"{fld}.id")
        name = str(item.get("name") or "").strip()
        if not name:
            raise bad("competency needs a name", f"{fld}.name")
        levels_raw = item.get("levels")
        if not isinstance(levels_raw, dict):
            raise bad("levels must map 1..5 to a description", f"{fld}.levels")
        levels: dict[int, str] = {}
        for k, v in levels_raw.items():
            try:
                level = int(k)
            except (TypeError, ValueError):
                raise bad(f"level must be 1-5, got {k!r}", f"{fld}.levels") from None
            if level not in LEVELS:
                raise bad(f"level must be 1-5, got {k!r}", f"{fld}.levels")
            levels[level] = str(v or "").strip()
        missing = [lv for lv in LEVELS if not levels.get(lv)]
        if missing:
            raise bad(f"levels {', '.join(map(str, missing))} have no description", f"{fld}.levels")
        comps.append(
            Competency(
                cid, name, dict(sorted(levels.items())), str(item.get("description") or "").strip()
            )
        )
    return Rubric(asset.id, asset.title, path, comps)


def parse_rubric(text: str, path: str = "rubric.md", settings: Any = None) -> Rubric:
    """Parse the Markdown text of a rubric asset (front matter ``type: review-rubric``)."""
    from spmkb.content.parse import parse_asset

    return rubric_from_asset(parse_asset(text, path, settings))


def load_rubric(settings: Any, path: Path | str | None = None) -> Rubric:
    """Load the workspace rubric: ``path``, ``[reviews] rubric`` or the default asset.

    Relative paths are inside the playbook folder; the file is read through
    :func:`spmkb.content.load_asset` (size, encoding and symlink checks).
    """
    root = Path(settings.playbooks)
    rel = path or settings.table("reviews").get("rubric") or DEFAULT_RUBRIC
    target = Path(rel) if Path(rel).is_absolute() else root / rel
    if not target.is_file():
        found = sorted((root / "reviews").glob("*.md")) if (root / "reviews").is_dir() else []
        for candidate in found:
            try:
                return rubric_from_asset(_load(candidate, root, settings))
            except (ContentError, ReviewError):
                continue
        raise ReviewError(
            "review rubric not found",
            path=target,
            hint="add a 'type: review-rubric' asset under playbooks/reviews/, or set "
            "'rubric' in the [reviews] table of spmkb.toml",
        )
    try:
        asset = _load(target, root, settings)
    except ContentError as err:
        raise ReviewError(
            f"cannot read the review rubric: {err.message}",
            path=err.path or target,
            line=err.line,
            field=err.field,
            hint=err.hint,
        ) from None
    return rubric_from_asset(asset)


def _load(path: Path, root: Path, settings: Any) -> Any:
    try:
        from spmkb.content import load_asset  # type: ignore[attr-defined]
    except ImportError:  # content package still without its re-export
        from spmkb.content.parse import load_asset  # type: ignore[attr-defined,no-redef]
    return load_asset(path, root, settings)

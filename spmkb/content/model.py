"""The content data model: an :class:`Asset` is one Markdown file, a :class:`Section` one
searchable piece of its body. Parsing lives in :mod:`spmkb.content.parse` and
:mod:`spmkb.content.sections`; this module only declares the shapes other layers rely on.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

Freshness = Literal["fresh", "aging", "stale", "unknown"]


@dataclass
class Asset:
    """One playbook or sales asset: front matter plus Markdown body."""

    id: str
    title: str
    type: str
    path: str  # relative to the playbook root, POSIX separators
    body: str
    stages: list[str] = field(default_factory=list)
    personas: list[str] = field(default_factory=list)
    industries: list[str] = field(default_factory=list)
    products: list[str] = field(default_factory=list)
    competitors: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    owner: str | None = None
    reviewed: date | None = None
    review_every: int | None = None  # days
    summary: str | None = None
    onboarding: dict[str, Any] | None = None  # e.g. {"day": 14, "order": 3, "track": "ae"}
    has_front_matter: bool = True
    body_line: int = 1  # line of the file where the body starts (1-based)
    extra: dict[str, Any] = field(default_factory=dict)  # unknown front-matter keys
    # 1-based file line of each front-matter key (for lint messages); not compared.
    field_lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    def freshness(self, today: date | None = None, aging_fraction: float = 0.8) -> Freshness:
        """Return fresh / aging / stale from ``reviewed`` + ``review_every``, or unknown."""
        if self.reviewed is None or not self.review_every:
            return "unknown"
        age = ((today or date.today()) - self.reviewed).days
        if age > self.review_every:
            return "stale"
        if age >= aging_fraction * self.review_every:
            return "aging"
        return "fresh"

    def due_date(self) -> date | None:
        """Date by which the asset must be reviewed again, if known."""
        from datetime import timedelta

        if self.reviewed is None or not self.review_every:
            return None
        return self.reviewed + timedelta(days=self.review_every)


@dataclass
class Section:
    """One searchable piece of an asset body, with its heading path."""

    asset_id: str
    index: int  # position within the asset, 0-based
    heading_path: tuple[str, ...]
    text: str  # Markdown source of the section (without the heading line itself)
    line: int | None = None  # 1-based line in the file where the section starts

    @property
    def id(self) -> str:
        """Stable id of the section inside the index: ``<asset id>#<index>``."""
        return f"{self.asset_id}#{self.index}"

    @property
    def heading(self) -> str:
        """Heading path joined for display: ``Pricing objections > Too expensive``."""
        return " > ".join(self.heading_path)

    def embed_text(self, title: str) -> str:
        """Text that is embedded and lexically indexed: title, heading path, then body."""
        head = " > ".join([title, *[h for h in self.heading_path if h != title]])
        return f"{head}\n\n{self.text}".strip()

    def content_hash(self, title: str) -> str:
        """sha256 of :meth:`embed_text`; unchanged hash means no re-embedding."""
        return hashlib.sha256(self.embed_text(title).encode("utf-8")).hexdigest()

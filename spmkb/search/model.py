"""Shapes returned by search: one :class:`Hit` per asset, wrapped in a :class:`SearchResult`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Hit:
    """One asset in a result list, with its best-matching section as the snippet."""

    id: str
    title: str
    type: str
    path: str  # relative to the playbook root
    section: str  # heading path of the best section
    snippet: str
    score: float
    freshness: str
    stages: list[str] = field(default_factory=list)
    personas: list[str] = field(default_factory=list)
    industries: list[str] = field(default_factory=list)
    competitors: list[str] = field(default_factory=list)
    section_id: str | None = None
    matched_sections: int = 1

    def to_dict(self) -> dict[str, Any]:
        """Return the hit as a JSON-ready dict."""
        return asdict(self)


@dataclass
class SearchResult:
    """Hits for one query plus what was asked and how long it took."""

    query: str
    filters: dict[str, str]
    hits: list[Hit]
    took_ms: float
    mode: str = "hybrid"
    notes: list[str] = field(default_factory=list)  # e.g. the index is incomplete
    k: int | None = None  # how many assets were asked for (the search log judges by it)

    def to_dict(self) -> dict[str, Any]:
        """Return the result as a JSON-ready dict."""
        return {
            "query": self.query,
            "filters": self.filters,
            "mode": self.mode,
            "took_ms": round(self.took_ms, 2),
            "notes": list(self.notes),
            "hits": [h.to_dict() for h in self.hits],
        }

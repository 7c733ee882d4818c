"""Before-the-call packs: the few assets a rep should read for one deal or situation.

:func:`recommend` fills four slots — the playbook for the stage, the battlecard for the
competitor, objection handling, and a case study from the same industry — each with a
sentence saying why it was picked (or why nothing fitted). Given a deal (a small dict of plain
values: ``id``, ``stage``, ``industry``, ``competitor``, ``status``, as
:func:`spmkb.deals.lookup.deal_context` returns) it uses the deal's situation; explicit
arguments win over the deal's values. This module never reads deal data itself: search and
deals are engines, and the faces (CLI, widgets) compose them.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from spmkb.errors import SearchError, suggest

if TYPE_CHECKING:
    from spmkb.search.model import Hit

#: Slot -> asset types that can fill it, best first.
SLOT_TYPES: dict[str, tuple[str, ...]] = {
    "stage playbook": (
        "playbook",
        "process",
        "talk-track",
        "discovery-guide",
        "qualification-guide",
        "demo-script",
        "call-script",
        "pricing-guide",
    ),
    "battlecard": ("battlecard",),
    "objection handling": ("objection-handling",),
    "case study": ("case-study",),
}


#: What a pack is for, in the order it is reported.
CONTEXT = ("stage", "industry", "persona", "competitor", "deal_id")


@dataclass
class PackItem:
    """One slot of a pack: the chosen asset (or None) and why."""

    slot: str
    hit: Hit | None
    reason: str
    query: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Return the item as a JSON-ready dict."""
        asset = self.hit.to_dict() if self.hit else None
        return {"slot": self.slot, "reason": self.reason, "query": self.query, "asset": asset}


@dataclass
class Pack:
    """What to read before a call, slot by slot, for one stage/industry/persona/competitor."""

    stage: str
    industry: str | None = None
    persona: str | None = None
    competitor: str | None = None
    deal_id: str | None = None
    items: list[PackItem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    took_ms: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """Return the pack as a JSON-ready dict."""
        out: dict[str, Any] = {k: getattr(self, k) for k in CONTEXT}
        out["notes"] = list(self.notes)
        out["took_ms"] = round(self.took_ms, 1)
        out["items"] = [i.to_dict() for i in self.items]
        return out


def _norm(value: Any) -> str | None:
    """A tag value as the index stores it: lower case, hyphens for spaces (None if blank)."""
    if value is None:
        return None
    text = str(value).strip().lower().replace("_", "-")
    return "-".join(text.split()) or None


def _searcher(searcher_or_settings: Any) -> Any:
    from spmkb.config import Settings

    if isinstance(searcher_or_settings, Settings) or searcher_or_settings is None:
        from spmkb.search.query import get_searcher

        return get_searcher(searcher_or_settings)
    return searcher_or_settings


def _pick(
    searcher: Any,
    query: str,
    types: tuple[str, ...],
    filters: dict[str, str | None],
    facets: dict[str, list[str]],
    taken: set[str],
    want: dict[str, str | None] | None = None,
) -> Hit | None:
    """Best unused hit of one of ``types`` matching ``filters`` (values absent from the index
    are dropped) in one search; ``want`` are soft preferences (tagged hits rank first)."""
    facet_of = {
        "stage": "stages",
        "persona": "personas",
        "industry": "industries",
        "competitor": "competitors",
    }
    usable = {k: v for k, v in filters.items() if v and v in facets.get(facet_of[k], [])}
    present = [t for t in types if t in facets.get("types", [])]
    if not present:
        return None
    if len(present) == 1:
        result = searcher.search(query, type=present[0], k=10, **usable)
    else:
        result = searcher.search(query, k=30, **usable)
    candidates = [h for h in result.hits if h.type in present and h.id not in taken]
    if not candidates:
        return None
    prefs = {k: v for k, v in (want or {}).items() if v}

    def fit(hit: Hit) -> int:
        tags = {
            "persona": hit.personas,
            "industry": hit.industries,
            "competitor": hit.competitors,
            "stage": hit.stages,
        }
        return sum(1 for k, v in prefs.items() if v in tags.get(k, []))

    order = {t: i for i, t in enumerate(present)}
    best = sorted(enumerate(candidates), key=lambda e: (order[e[1].type], -fit(e[1]), e[0]))
    return best[0][1]


def _describe(hit: Hit, context: dict[str, str | None]) -> str:
    matched = [
        f"{label} {value}"
        for label, value, tags in (
            ("stage", context.get("stage"), hit.stages),
            ("industry", context.get("industry"), hit.industries),
            ("persona", context.get("persona"), hit.personas),
            ("competitor", context.get("competitor"), hit.competitors),
        )
        if value and value in tags
    ]
    if hit.freshness == "stale":
        matched.append("note: it is overdue for review")
    return "tagged " + ", ".join(matched) if matched else "closest match by content"


def recommend(
    searcher_or_settings: Any,
    *,
    stage: str | None = None,
    industry: str | None = None,
    persona: str | None = None,
    competitor: str | None = None,
    deal: Mapping[str, Any] | None = None,
) -> Pack:
    """Build a before-the-call pack: stage playbook, battlecard, objection handling, case study.

    ``deal`` holds one deal's plain values (``id``, ``stage``, ``industry``, ``competitor``,
    ``status``); the explicit arguments win over them.
    """
    started = time.perf_counter()
    searcher = _searcher(searcher_or_settings)
    settings = searcher.settings
    notes: list[str] = []
    deal = dict(deal or {})
    deal_id = str(deal["id"]) if deal.get("id") is not None else None
    stage = stage or deal.get("stage")
    industry = industry or deal.get("industry")
    competitor = competitor or deal.get("competitor")
    status = _norm(deal.get("status"))
    if deal_id and status and status != "open":
        notes.append(f"deal {deal_id} is {status}: the pack is for its last stage")
    stage, industry, persona, competitor = map(_norm, (stage, industry, persona, competitor))
    if not stage:
        raise SearchError(
            "a stage is needed to recommend assets",
            field="stage",
            hint="pass --stage (one of: " + ", ".join(settings.stages) + ") or --deal ID",
        )
    if stage not in settings.stages:
        close = suggest(stage, settings.stages)
        raise SearchError(
            f"unknown stage '{stage}'",
            field="stage",
            hint=(f"did you mean '{close[0]}'? " if close else "")
            + "stages: "
            + ", ".join(settings.stages),
        )
    facets = searcher.facets()
    # Free-text tags (competitors) are matched case- and spacing-insensitively.
    by_norm = {_norm(v): v for v in facets.get("competitors", [])}
    if competitor:
        competitor = by_norm.get(competitor, competitor)
    context = {"stage": stage, "industry": industry, "persona": persona, "competitor": competitor}
    words = " ".join(v for v in (persona, industry) if v)
    plan: list[tuple[str, str, dict[str, str | None], str]] = [
        ("stage playbook", f"{stage} stage playbook {words}", {"stage": stage}, "stage"),
        (
            "battlecard",
            f"{competitor} competitive battlecard",
            {"competitor": competitor},
            "competitor",
        ),
        ("objection handling", f"{stage} objections {words}", {"stage": stage}, "stage"),
        ("case study", f"{industry or ''} customer case study", {"industry": industry}, "industry"),
    ]
    taken: set[str] = set()
    items: list[PackItem] = []
    for slot, query, filters, key in plan:
        query = " ".join(query.split())
        types = SLOT_TYPES[slot]
        if slot == "battlecard" and not competitor:
            items.append(
                PackItem(slot, None, "no competitor given — pass --competitor or a deal with one")
            )
            continue
        hit = _pick(searcher, query, types, filters, facets, taken, context)
        if hit is None and filters:
            hit = _pick(searcher, query, types, {}, facets, taken, context)
        if hit is None:
            kinds = " or ".join(types[:3])
            reason = f"nothing of type {kinds} in the knowledge base for this — a content gap"
            items.append(PackItem(slot, None, reason, query))
            continue
        taken.add(hit.id)
        value = context.get(key)
        tags = {
            "stage": hit.stages,
            "industry": hit.industries,
            "competitor": hit.competitors,
        }[key]
        if value and value not in tags:
            if key == "competitor" and _norm(value) in (_norm(hit.title) or ""):
                why = f"{hit.type} naming {value} in its title"
            else:
                why = f"no {hit.type} is tagged {key} {value}; the closest one by content"
        else:
            why = f"{hit.type} {_describe(hit, context)}"
        items.append(PackItem(slot, hit, why, query))
    took_ms = (time.perf_counter() - started) * 1000
    return Pack(stage, industry, persona, competitor, deal_id, items, notes, took_ms)


__all__ = ["Pack", "PackItem", "recommend"]

"""A plan per hire: modules and milestones with due dates from the hire's start date.

Hires are the roster's reps with a start date and a role that maps to a track
(``[onboarding] tracks``), plus anyone enrolled with ``spmkb onboarding enroll`` (stored in
the workspace database; an enrolment wins over the roster and needs no deals). A plan
remembers the curriculum version it was made from; when the modules change it lists what was
added and removed, and completed work is kept (also across a move to another track: modules
the two tracks share stay completed).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np

from spmkb.deals.roster import Roster
from spmkb.errors import NotFoundError, OnboardingError, suggest
from spmkb.onboarding.curriculum import Curriculum, Module
from spmkb.onboarding.progress import Record

DUE_SOON_DAYS = 7


@dataclass(frozen=True)
class Hire:
    """A new hire following a track from a start date."""

    id: str
    name: str
    track: str
    start: date
    team: str | None = None
    role: str | None = None
    manager: str | None = None
    end_date: date | None = None
    source: str = "roster"  # roster | enrolment
    business_days: bool = False

    def tenure(self, today: date) -> int:
        """Days since the start date on ``today`` (day 0 = the start date)."""
        return (today - self.start).days

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {k: v.isoformat() if isinstance(v, date) else v for k, v in asdict(self).items()}


def due_date(start: date, day: int, business_days: bool = False) -> date:
    """The date of ramp day ``day`` (calendar days, or business days Monday-Friday)."""
    if not business_days:
        return start + timedelta(days=day)
    first = np.busday_offset(np.datetime64(start, "D"), 0, roll="forward")
    return np.busday_offset(first, day, roll="forward").astype(object)


def find_hires(
    cur: Curriculum,
    roster: Roster | None,
    records: dict[str, Record],
    today: date,
    *,
    current_only: bool = True,
) -> tuple[list[Hire], list[str]]:
    """Every hire (roster reps with a start date and a track role, and enrolments) and notes.

    ``current_only`` keeps hires who have started, not left, and are within ``max_day`` (+30).
    """
    osettings = cur.settings
    notes: list[str] = []
    hires: dict[str, Hire] = {}
    for rep in roster or []:
        track = osettings.track_for_role(rep.role)
        if rep.start_date is None or track is None:
            continue
        hires[rep.id] = Hire(rep.id, rep.name, track, rep.start_date, rep.team, rep.role,
                             rep.manager, rep.end_date, "roster", osettings.business_days)  # fmt: skip
    for rid, rec in records.items():
        e = rec.enrolment
        if not e:
            continue
        base = hires.get(rid)
        hires[rid] = Hire(
            rid,
            rec.name or rid,
            e["track"],
            date.fromisoformat(e["start"]),
            base.team if base else None,
            base.role if base else None,
            base.manager if base else None,
            base.end_date if base else None,
            "enrolment",
            bool(e.get("business_days", osettings.business_days)),
        )
    out = []
    for h in sorted(hires.values(), key=lambda h: (h.start, h.name)):
        if h.start > today:
            notes.append(f"{h.name} starts on {h.start} (in the future): no plan is due yet")
            continue
        if current_only and (
            h.tenure(today) > osettings.max_day + 30 or (h.end_date and h.end_date < today)
        ):
            continue
        out.append(h)
    return out, notes


def find_hire(hires: list[Hire], rep: str) -> Hire:
    """The hire named (or with the id) ``rep``, case-insensitive; NotFoundError with suggestions."""
    for h in hires:
        if rep == h.id or rep.strip().casefold() == h.name.casefold():
            return h
    raise NotFoundError(
        f"{rep!r} is not a current hire (no start date and track, and not enrolled)",
        suggestions=suggest(rep, [h.name for h in hires]),
        hint=None
        if suggest(rep, [h.name for h in hires])
        else "enrol them: spmkb onboarding enroll --rep NAME --track ae --start YYYY-MM-DD",
    )


@dataclass
class PlanItem:
    """One module of a plan: due date, status and what it asks."""

    module: str
    title: str
    path: str
    day: int
    due: date
    status: str  # done | overdue | due | upcoming
    completed_on: str | None = None
    requires: list[str] = field(default_factory=list)
    objectives: list[str] = field(default_factory=list)
    study: list[dict[str, str]] = field(default_factory=list)
    certification: dict[str, Any] | None = None
    certified: bool | None = None
    milestone: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        d = asdict(self)
        d["due"] = self.due.isoformat()
        return d


@dataclass
class Plan:
    """A hire's plan: the items, and how it compares to the curriculum it was made from."""

    hire: Hire
    version: str  # curriculum version now
    made_from: str | None  # curriculum version recorded with the plan
    items: list[PlanItem]
    today: date
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # completed modules no longer in the track

    @property
    def status(self) -> str:
        """done, overdue, ahead or due (on track)."""
        if self.items and all(i.status == "done" for i in self.items):
            return "done"
        if any(i.status == "overdue" for i in self.items):
            return "overdue"
        if any(i.status == "done" and i.due > self.today for i in self.items):
            return "ahead"
        return "due"

    def next_items(self, n: int = 3) -> list[PlanItem]:
        """The next ``n`` open modules, earliest due first."""
        return [i for i in self.items if i.status != "done"][:n]

    def counts(self) -> dict[str, int]:
        """Items per status."""
        out = {"done": 0, "overdue": 0, "due": 0, "upcoming": 0}
        for i in self.items:
            out[i.status] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "hire": self.hire.to_dict(),
            "today": self.today.isoformat(),
            "status": self.status,
            "curriculum_version": self.version,
            "made_from": self.made_from,
            "added": self.added,
            "removed": self.removed,
            "kept_completed": self.kept,
            "counts": self.counts(),
            "items": [i.to_dict() for i in self.items],
        }


def make_plan(cur: Curriculum, hire: Hire, rec: Record | None, today: date) -> Plan:
    """The plan of ``hire`` on ``today`` with progress from ``rec`` (the stored record)."""
    modules = cur.track(hire.track)
    rec = rec or Record(hire.id)
    items = [_item(cur, m, hire, rec, today) for m in modules]
    ids = [m.id for m in modules]
    made_from, added, removed = None, [], []
    if rec.plan:
        made_from = rec.plan.get("curriculum_version")
        before = list(rec.plan.get("modules", []))
        added = [i for i in ids if i not in before]
        removed = [i for i in before if i not in ids]
    kept = [m for m in rec.completed if m not in ids]
    return Plan(hire, cur.version(hire.track), made_from, items, today, added, removed, kept)


def _item(cur: Curriculum, m: Module, hire: Hire, rec: Record, today: date) -> PlanItem:
    due = due_date(hire.start, m.day, hire.business_days)
    done = rec.completed.get(m.id)
    if done is not None:
        status = "done"
    elif due < today:
        status = "overdue"
    elif (due - today).days <= DUE_SOON_DAYS:
        status = "due"
    else:
        status = "upcoming"
    study = [
        {"id": s, "title": cur.assets[s].title, "path": cur.assets[s].path}
        for s in m.study
        if s in cur.assets
    ]
    certified = None
    if m.certification is not None:
        certified = rec.passed(m.id) is not None
    return PlanItem(
        m.id, m.title, m.path, m.day, due, status,
        done.payload.get("on") if done else None,
        list(m.requires), list(m.objectives), study,
        m.certification.to_dict() if m.certification else None, certified,
        m.milestone.text if m.milestone else None,
    )  # fmt: skip


def plan_payload(cur: Curriculum, track: str) -> dict[str, Any]:
    """What a stored ``plan`` event records: the curriculum version and the module ids."""
    return {"track": track, "curriculum_version": cur.version(track),
            "modules": [m.id for m in cur.track(track)]}  # fmt: skip


def check_start(start: date | None, today: date, who: str) -> date:
    """A usable start date, or OnboardingError naming the hire."""
    if start is None:
        raise OnboardingError(
            f"{who} has no start date",
            field="start_date",
            hint="add start_date to the reps table or enrol with --start YYYY-MM-DD",
        )
    if start > today:
        raise OnboardingError(
            f"{who}'s start date {start} is in the future (today is {today})",
            field="start",
            hint="enrol on or after the first day, or pass --today",
        )
    return start


__all__ = [
    "Hire",
    "Plan",
    "PlanItem",
    "check_start",
    "due_date",
    "find_hire",
    "find_hires",
    "make_plan",
    "plan_payload",
]

"""One call per action, for the CLI, the panel and the notebook: enrol, plan, status, complete,
certify, note. Each takes an :class:`OnboardingWorkspace` (settings, curriculum, deal data,
database, today) and returns plain results; errors are ``SpmkbError`` subclasses.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import spmkb.onboarding.progress as progress
from spmkb.config import Settings
from spmkb.deals.roster import Roster, rep_key, roster
from spmkb.deals.schema import DealData
from spmkb.errors import NotFoundError, OnboardingError
from spmkb.onboarding.curriculum import Curriculum, load_curriculum
from spmkb.onboarding.milestones import MilestoneResult, evaluate
from spmkb.onboarding.plan import (
    Hire,
    Plan,
    check_start,
    due_date,
    find_hire,
    find_hires,
    make_plan,
    plan_payload,
)


@dataclass
class OnboardingWorkspace:
    """Everything an onboarding action needs."""

    settings: Settings
    curriculum: Curriculum
    data: DealData | None
    conn: sqlite3.Connection
    today: date

    @property
    def roster(self) -> Roster | None:
        """The roster of the deal data (None without deal data)."""
        return roster(self.data) if self.data is not None else None

    def hires(self, current_only: bool = True) -> tuple[list[Hire], list[str]]:
        """Current hires (see :func:`~spmkb.onboarding.plan.find_hires`) and notes."""
        return find_hires(self.curriculum, self.roster, progress.records(self.conn), self.today,
                          current_only=current_only)  # fmt: skip

    def hire(self, rep: str) -> Hire:
        """One hire by name or id (any tenure); clear errors for no start date or unknown."""
        hires, _ = self.hires(current_only=False)
        try:
            return find_hire(hires, rep)
        except NotFoundError:
            if self.roster is not None:
                r = self.roster.find(rep)  # did-you-mean on the whole roster
                check_start(r.start_date, self.today, r.name)
                raise OnboardingError(
                    f"{r.name} has role {r.role or '(none)'}, which no track follows",
                    field="role",
                    hint="enrol them: spmkb onboarding enroll --rep NAME --track ae --start DATE",
                ) from None
            raise


def open_workspace(
    settings: Settings,
    *,
    today: date | None = None,
    data: DealData | None = None,
    load_deals: bool = True,
    curriculum: Curriculum | None = None,
) -> OnboardingWorkspace:
    """Load the curriculum, the deal data (when present) and open the database."""
    if data is None and load_deals:
        from spmkb.deals.workspace import load_deal_data
        from spmkb.errors import DealDataError

        try:
            data = load_deal_data(settings)
        except DealDataError:
            data = None  # enrolments work without deal data; milestones say "no deal data"
    cur = curriculum or load_curriculum(settings)
    conn = progress.open_db(settings.db_path)
    return OnboardingWorkspace(settings, cur, data, conn, today or date.today())


def enroll(
    ws: OnboardingWorkspace,
    rep: str,
    track: str,
    start: date,
    *,
    author: str,
    new: bool = False,
    business_days: bool | None = None,
) -> progress.Event:
    """Enrol ``rep`` in ``track`` from ``start`` (a move keeps completed shared modules)."""
    track = ws.curriculum.find_track(track)
    if not ws.curriculum.track(track):
        raise OnboardingError(f"track {track} has no modules in the library", field="track")
    name, rid = rep_key(rep), rep_key(rep)
    if ws.roster is not None:
        try:
            r = ws.roster.find(rep)
            name, rid = r.name, r.id
        except NotFoundError as err:
            if not new:
                err.hint = (err.hint + " " if err.hint else "") + (
                    "To enrol someone not in the deal data yet, add --new."
                )
                raise
    check_start(start, ws.today, name)
    rec = progress.record(ws.conn, rid)
    payload = {
        "track": track,
        "start": start.isoformat(),
        "business_days": ws.curriculum.settings.business_days
        if business_days is None
        else business_days,
        "previous_track": rec.enrolment["track"] if rec.enrolment else None,
    }
    ev = progress.save_event(ws.conn, rid, name, "enrol", payload, author=author,
                             expected_version=rec.version)  # fmt: skip
    progress.save_event(ws.conn, rid, name, "plan", plan_payload(ws.curriculum, track),
                        author=author, expected_version=ev.version)  # fmt: skip
    return ev


def plan(ws: OnboardingWorkspace, rep: str, *, record: bool = True, refresh: bool = False) -> Plan:
    """The plan of one hire; records the curriculum version the first time (or on refresh)."""
    hire = ws.hire(rep)
    check_start(hire.start, ws.today, hire.name)
    rec = progress.record(ws.conn, hire.id)
    if record and (rec.plan is None or refresh or rec.plan.get("track") != hire.track):
        progress.save_event(ws.conn, hire.id, hire.name, "plan",
                            plan_payload(ws.curriculum, hire.track), author="spmkb",
                            expected_version=rec.version)  # fmt: skip
        rec = progress.record(ws.conn, hire.id)
    return make_plan(ws.curriculum, hire, rec, ws.today)


@dataclass
class HireStatus:
    """A hire's plan, milestone results and whether they are behind (with evidence)."""

    plan: Plan
    milestones: list[MilestoneResult] = field(default_factory=list)
    behind: list[str] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)
    versus_past: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            **self.plan.to_dict(),
            "milestones": [m.to_dict() for m in self.milestones],
            "behind": self.behind,
            "notes": self.notes,
            "versus_past": self.versus_past,
        }


def status(ws: OnboardingWorkspace, rep: str | None = None) -> list[HireStatus]:
    """Status of one hire (``rep``) or of every current hire, with milestones and flags."""
    if rep is not None:
        hires = [ws.hire(rep)]
        check_start(hires[0].start, ws.today, hires[0].name)
    else:
        hires, _ = ws.hires()
    records = progress.records(ws.conn)
    tracks = {t: ws.curriculum.track(t) for t in {h.track for h in hires}}

    def due_of(h: Hire, day: int) -> date:
        return due_date(h.start, day, h.business_days)

    from spmkb.deals.tiers import TierRules

    rules = TierRules.from_table(ws.settings.table("coaching"))  # threshold: top_profile
    results = evaluate(ws.data, hires, tracks, ws.today, due_of, rules)
    past = _versus_past(ws, hires)
    out = []
    for h in hires:
        rec = records.get(h.id)
        p = make_plan(ws.curriculum, h, rec, ws.today)
        ms = results.get(h.id, [])
        late = [i for i in p.items if i.status == "overdue"]
        behind = []
        if late:
            behind.append(f"{len(late)} module(s) overdue, the oldest {late[0].module} since "
                          f"{late[0].due}")  # fmt: skip
        vs = past.get(h.name)
        if vs and vs.get("behind"):
            behind.append(f"bookings {vs['bookings']:,.0f} by day {vs['day']} are below the "
                          f"lower quartile of past hires ({vs['p25']:,.0f}, n = {vs['n_past']})")  # fmt: skip
        behind += [f"milestone missed: {m.text} ({m.label()})" for m in ms if m.status == "missed"]
        notes = [{"author": e.author, "saved_at": e.saved_at, "text": e.payload.get("text")}
                 for e in (rec.notes if rec else [])]  # fmt: skip
        out.append(HireStatus(p, ms, behind, notes, vs))
    return out


def _versus_past(ws: OnboardingWorkspace, hires: list[Hire]) -> dict[str, dict[str, Any]]:
    """Each hire's bookings to date against past hires at the same tenure (when computable)."""
    if ws.data is None or not hires:
        return {}
    from spmkb.onboarding.ramp import ramp_hires, versus_past_many

    frame = ramp_hires(ws.data, ws.curriculum.settings, on=ws.today)
    known = set(frame["name"])
    out = versus_past_many(
        ws.data, frame, {h.name: h.tenure(ws.today) for h in hires if h.name in known}
    )
    return out


def _current(ws: OnboardingWorkspace, rep: str, module: str):
    hire = ws.hire(rep)
    check_start(hire.start, ws.today, hire.name)
    mod = ws.curriculum.find_module(module, hire.track)
    return hire, mod, progress.record(ws.conn, hire.id)


def complete(
    ws: OnboardingWorkspace, rep: str, module: str, *, author: str, on: date | None = None
) -> progress.Event:
    """Mark a module of the hire's track complete (refused twice, or before certification)."""
    hire, mod, rec = _current(ws, rep, module)
    if mod.certification is not None and rec.passed(mod.id) is None:
        raise OnboardingError(
            f"{mod.id} ends in a certification that {hire.name} has not passed",
            field="module",
            hint=f"record it first: spmkb onboarding certify --rep {hire.name!r} --module {mod.id}"
            " --level COMPETENCY=LEVEL",
        )
    when = on or ws.today
    return progress.save_event(ws.conn, hire.id, hire.name, "complete", {"on": when.isoformat()},
                               author=author, expected_version=rec.version, module=mod.id)  # fmt: skip


def certify(
    ws: OnboardingWorkspace,
    rep: str,
    module: str,
    levels: dict[str, int],
    *,
    author: str,
    signed_off_by: str | None = None,
) -> tuple[progress.Event, bool, str]:
    """Record a certification attempt: (event, passed, message). Below pass level = not passed."""
    hire, mod, rec = _current(ws, rep, module)
    cert = mod.certification
    if cert is None:
        raise OnboardingError(f"{mod.id} has no certification", field="module",
                              hint="use spmkb onboarding complete for this module")  # fmt: skip
    rubric = ws.curriculum.rubrics[cert.rubric]
    for comp, level in levels.items():
        if comp not in cert.competencies:
            raise NotFoundError(f"competency {comp!r} is not scored in {mod.id}'s certification",
                                suggestions=[c for c in cert.competencies if c[:2] == comp[:2]],
                                hint="scored: " + ", ".join(cert.competencies))  # fmt: skip
        if level not in rubric.levels:
            raise OnboardingError(f"level {level} of {comp} is not a rubric level",
                                  field=comp, hint=f"use one of {list(rubric.levels)}")  # fmt: skip
    missing = [c for c in cert.competencies if c not in levels]
    if missing:
        raise OnboardingError("every competency needs a level; missing: " + ", ".join(missing),
                              field="level", hint="add --level " + " --level ".join(
                                  f"{c}=N" for c in missing))  # fmt: skip
    below = {c: v for c, v in levels.items() if v < cert.pass_level}
    passed = not below
    payload = {"levels": levels, "pass_level": cert.pass_level, "passed": passed,
               "rubric": cert.rubric, "signed_off_by": signed_off_by or author,
               "attempt": len(rec.certifications.get(mod.id, [])) + 1}  # fmt: skip
    ev = progress.save_event(ws.conn, hire.id, hire.name, "certify", payload, author=author,
                             expected_version=rec.version, module=mod.id)  # fmt: skip
    if passed:
        msg = f"{hire.name} passed {mod.id} (attempt {payload['attempt']}, version {ev.version})"
    else:
        low = ", ".join(f"{c} {v} < {cert.pass_level}" for c, v in below.items())
        msg = (f"{hire.name} did NOT pass {mod.id}: {low} (pass level {cert.pass_level}); "
               f"attempt {payload['attempt']} recorded as not passed, the module stays open")  # fmt: skip
    return ev, passed, msg


def note(ws: OnboardingWorkspace, rep: str, text: str, *, author: str) -> progress.Event:
    """Save a note on a hire's onboarding record."""
    hire = ws.hire(rep)
    rec = progress.record(ws.conn, hire.id)
    return progress.save_event(ws.conn, hire.id, hire.name, "note", {"text": text},
                               author=author, expected_version=rec.version)  # fmt: skip


__all__ = [
    "HireStatus",
    "OnboardingWorkspace",
    "certify",
    "complete",
    "enroll",
    "note",
    "open_workspace",
    "plan",
    "status",
]

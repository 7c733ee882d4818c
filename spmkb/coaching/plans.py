"""Coaching plans: for one rep, a focus, one or two skills, assets to study and goals to meet.

The focus is, in order: the stage the deals layer's coaching focus flags for the rep (the
stage converting furthest below the rest of the team, false-discovery controlled across the
team), else a behaviour where the rep trails the top tier by a gap that survives
Benjamini–Hochberg across every rep and behaviour of the team, else "no clear gap". The
top-performer profile supplies the target. Assets come from the search engine, asked with
plain values (the stage); without an index the plan says so and still saves. Plans are saved
as append-only versions keyed on the rep's stable id (:mod:`spmkb.coaching.store`).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np

from spmkb.coaching.options import CoachingOptions
from spmkb.coaching.profile import Profile, top_profile
from spmkb.deals.measures import get_measure, per_rep
from spmkb.deals.periods import Period, as_date, period_of
from spmkb.deals.roster import roster
from spmkb.deals.schema import PIPELINE_STAGES, DealData
from spmkb.errors import NotFoundError, SpmkbError, suggest
from spmkb.fmt import p_value

#: Skills to practise for a weak stage (converting *from* it) or a behaviour.
SKILLS: dict[str, tuple[str, ...]] = {
    "prospecting": ("Fast first response to new leads", "Qualifying the first conversation"),
    "qualification": ("Qualifying budget, authority and need", "Finding the economic buyer"),
    "discovery": ("Discovery questioning", "Confirming pain and impact before moving on"),
    "demo": ("Tailoring the demo to discovered needs", "Agreeing next steps at the demo"),
    "proposal": ("Building the business case", "Handling price objections"),
    "negotiation": ("Negotiating on value, not discount", "Running a mutual close plan"),
    "discovery_before_demo": ("Running discovery before the demo",),
    "contacts_per_deal": ("Multi-threading: reaching more buyer contacts",),
}
#: Behaviours a plan may focus on (measures that are rates of something the rep does).
BEHAVIOURS: tuple[str, ...] = ("discovery_before_demo",)


@dataclass
class Focus:
    """What the plan works on: a stage, a behaviour, or nothing clear."""

    kind: str  # "stage" | "behaviour" | "none"
    measure: str | None = None
    stage: str | None = None
    label: str = ""
    value: float = math.nan  # the rep's figure
    reference: float = math.nan  # the team's (stage) or the top tier's (behaviour) figure
    gap: float = math.nan
    n: int = 0
    q_value: float = math.nan
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Return the focus as a JSON-ready dict (NaN as None)."""
        return {
            k: None if isinstance(v, float) and math.isnan(v) else v
            for k, v in asdict(self).items()
        }


@dataclass
class Plan:
    """A coaching plan for one rep (not yet saved, or one saved version's payload)."""

    rep_id: str
    rep: str
    team: str | None
    window: str  # the profile window the focus and target come from
    period: str  # the period coached (follow-up compares it with the one before)
    start: str
    followup: str
    focus: Focus
    skills: list[str] = field(default_factory=list)
    assets: list[dict[str, Any]] = field(default_factory=list)
    goals: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def plan_id(self) -> str:
        """``<rep_id>/<period>``: one plan per rep and period."""
        return f"{self.rep_id}/{self.period}"

    def to_dict(self) -> dict[str, Any]:
        """Return the plan as a JSON-ready dict."""
        out = asdict(self)
        out["focus"] = self.focus.to_dict()
        out["plan_id"] = self.plan_id
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Plan:
        """Rebuild a plan from :meth:`to_dict` output (a saved payload)."""
        f = {k: (math.nan if v is None and k in ("value", "reference", "gap", "q_value") else v)
             for k, v in d["focus"].items()}  # fmt: skip
        keys = {k: d[k] for k in ("rep_id", "rep", "team", "window", "period", "start", "followup")}
        return cls(**keys, focus=Focus(**f), skills=list(d.get("skills", [])),
                   assets=list(d.get("assets", [])), goals=list(d.get("goals", [])),
                   notes=list(d.get("notes", [])))  # fmt: skip


def _stage_focus(data: DealData, rep: str, team: str | None, window: Period) -> Focus | None:
    """The deals layer's coaching focus for ``rep`` when it flags a stage, else None."""
    from spmkb.deals import coaching_focus

    table = coaching_focus(data, team=team, period=window)
    rows = table[(table["rep"] == rep) & table["flagged"].astype(bool)]
    if rows.empty:
        return None
    r = rows.sort_values("gap").iloc[0]
    return Focus(
        "stage", "stage_conversion", str(r["stage"]),
        get_measure("stage_conversion").label_for(str(r["stage"])), float(r["rep_conversion"]),
        float(r["team_conversion"]), float(r["gap"]), int(r["n"]), float(r["p_adjusted"]),
        # the deals layer words it "focus: …"; shown after "Focus:" it would read twice
        str(r.get("reason", "")).removeprefix("focus: ")
        or "stage converting furthest below the rest of the team",
    )  # fmt: skip


def behaviour_gaps(data: DealData, profile: Profile) -> dict[str, list[Focus]]:
    """Per rep of the rest of the team: behaviours where they trail the top tier (BH across all).

    For each rep outside the top tier and each behaviour rate, a one-sided two-proportion
    z-test of the rep's deals against the top tier's pooled deals; Benjamini–Hochberg over
    every (rep, behaviour) of the team; a gap survives when its q-value is below the FDR.
    """
    from scipy.stats import norm
    from statsmodels.stats.multitest import multipletests

    if profile.message:
        return {}
    t = profile.tiers
    top = t.members("top")
    top_set = set(top)
    rest = [r for r in t.table.index if r not in top_set]
    tests: list[tuple[str, Focus, float]] = []
    for name in BEHAVIOURS:
        c = profile.get(name)
        if c is None or not c.finding:
            continue  # only behaviours that distinguish the top tier
        vals = per_rep(data, name, team=t.team, period=t.window)
        tv = vals.reindex(top)
        tn = float(tv["n"].fillna(0).sum())
        tx = float((tv["value"].fillna(0) * tv["n"].fillna(0)).sum())
        if tn == 0:
            continue
        for rep in rest:
            if rep not in vals.index or not vals.loc[rep, "n"]:
                continue
            n = float(vals.loc[rep, "n"])
            x = round(float(vals.loc[rep, "value"]) * n)
            pooled = (x + tx) / (n + tn)
            se = math.sqrt(pooled * (1 - pooled) * (1 / n + 1 / tn)) if 0 < pooled < 1 else 0
            z = ((x / n) - (tx / tn)) / se if se else 0.0
            p = float(norm.cdf(z))  # one-sided: the rep below the top tier
            f = Focus("behaviour", name, None, get_measure(name).label, x / n, tx / tn,
                      x / n - tx / tn, int(n))  # fmt: skip
            tests.append((rep, f, p))
    if not tests:
        return {}
    reject, q, _, _ = multipletests(
        [p for *_, p in tests], alpha=profile.options.fdr, method="fdr_bh"
    )
    out: dict[str, list[Focus]] = {}
    for (rep, f, _p), r, qv in zip(tests, reject, q, strict=True):
        f.q_value = float(qv)
        if r and f.gap < 0:
            f.reason = (
                f"{f.label}: {f.value:.0%} of {f.n} deals vs {f.reference:.0%} for the top tier "
                f"({p_value(qv, 'FDR-adjusted p')})"
            )
            out.setdefault(rep, []).append(f)
    return out


def _assets(stage: str | None, searcher: Any, notes: list[str]) -> list[dict[str, Any]]:
    """Playbook sections and onboarding modules for ``stage`` (empty with a note without an index)."""
    if stage is None:
        return []
    if searcher is None:
        if not any("search index" in n for n in notes):
            notes.append("no search index: run `spmkb index` to add playbook sections and modules")
        return []
    out: list[dict[str, Any]] = []
    asks = (
        ("playbook", f"{stage} stage playbook how to", None),
        ("onboarding module", f"{stage} onboarding module practice", "onboarding-module"),
    )
    for slot, query, kind in asks:
        try:
            res = searcher.search(query, stage=stage, type=kind, k=3)
        except SpmkbError as err:
            notes.append(f"no {slot} found for {stage}: {err.message}")
            continue
        hits = [h for h in res.hits if kind is not None or h.type != "onboarding-module"][:2]
        if not hits:
            notes.append(f"no {slot} tagged {stage} in the knowledge base: a content gap")
        for h in hits:
            out.append({"slot": slot, "id": h.id, "title": h.title, "path": h.path,
                        "section": h.section, "type": h.type})  # fmt: skip
    return out


def _open_searcher(settings: Any, notes: list[str]) -> Any:
    if settings is None:
        return None
    try:
        from spmkb.search.query import get_searcher

        return get_searcher(settings)
    except SpmkbError as err:
        notes.append(f"no search index ({err.message}): run `spmkb index` for assets")
        return None


def build_plan(
    data: DealData,
    rep: str,
    *,
    window: str | Period,
    period: str | Period | None = None,
    start: Any = None,
    stage: str | None = None,
    profile: Profile | None = None,
    searcher: Any = None,
    settings: Any = None,
    options: CoachingOptions | None = None,
) -> Plan:
    """Build (not save) a coaching plan for ``rep``: focus, skills, assets, goals and dates.

    ``stage`` forces a stage focus; ``period`` is the period coached (default: the one after
    the window's last quarter); ``searcher`` (or ``settings`` to open one) finds assets.
    """
    opts = options or CoachingOptions()
    who = roster(data).find(rep)
    if stage is not None and stage not in PIPELINE_STAGES:
        raise NotFoundError(f"unknown stage {stage!r}", suggestions=suggest(stage, list(PIPELINE_STAGES)),
                            field="stage")  # fmt: skip
    prof = profile or top_profile(data, window, team=who.team, options=opts)
    w = prof.window
    coached = Period.parse(period) if period is not None else period_of(w.end, "quarter").next()
    begin = as_date(start) if start is not None else coached.start
    follow = min(begin + timedelta(weeks=opts.plan_weeks), coached.end) if start else coached.end
    if who.end_date is not None and who.end_date < begin:
        raise SpmkbError(
            f"{who.name} left on {who.end_date.isoformat()}, before the plan would start "
            f"({begin.isoformat()})",
            field="rep",
            hint="coach a rep who is still on the team",
        )
    notes: list[str] = [prof.message] if prof.message else []
    focus: Focus | None = None
    if stage is not None:
        vals = per_rep(data, "stage_conversion", team=who.team, period=w, stage=stage)
        v = float(vals.loc[who.name, "value"]) if who.name in vals.index else math.nan
        n = int(vals.loc[who.name, "n"]) if who.name in vals.index else 0
        focus = Focus("stage", "stage_conversion", stage,
                      get_measure("stage_conversion").label_for(stage), v, n=n,
                      reason="stage chosen by the manager")  # fmt: skip
    if focus is None:
        focus = _stage_focus(data, who.name, who.team, w)
    if focus is None:
        gaps = behaviour_gaps(data, prof).get(who.name, [])
        focus = min(gaps, key=lambda f: f.gap) if gaps else None
    if focus is None:
        focus = Focus(
            "none", reason="no clear gap: no stage or behaviour survives false-discovery control"
        )
    target = math.nan
    if focus.measure is not None and not prof.message:
        c = prof.get(focus.measure, focus.stage)
        target = c.top if c is not None else math.nan
    skills = list(SKILLS.get(focus.stage or focus.measure or "", ()))[:2]
    assets = []
    if focus.kind != "none":
        searcher = searcher if searcher is not None else _open_searcher(settings, notes)
        assets = _assets(focus.stage or _behaviour_stage(focus.measure), searcher, notes)
    goals = []
    if focus.measure is not None:
        goal = f"Raise {focus.label[0].lower() + focus.label[1:]}"
        if np.isfinite(focus.value):
            goal += f" from {focus.value:.0%}"
        if np.isfinite(target):
            goal += f" towards the top tier's {target:.0%}"
        elif np.isfinite(focus.reference):
            target = focus.reference
            goal += f" towards the team's {target:.0%} (no top-tier figure)"
        goals.append({"text": goal + f" by {follow.isoformat()}", "measure": focus.measure,
                      "stage": focus.stage, "baseline": _nan_none(focus.value),
                      "target": _nan_none(target), "due": follow.isoformat()})  # fmt: skip
    return Plan(who.id, who.name, who.team, w.label, coached.label, begin.isoformat(),
                follow.isoformat(), focus, skills, assets, goals, notes)  # fmt: skip


def _behaviour_stage(measure: str | None) -> str | None:
    return {"discovery_before_demo": "discovery", "contacts_per_deal": "discovery"}.get(
        measure or ""
    )


def _nan_none(v: float) -> float | None:
    return None if v is None or not np.isfinite(v) else float(v)


def save_plan(conn: Any, plan: Plan, *, author: str, expected_version: int = 0,
              status: str = "draft") -> Any:  # fmt: skip
    """Save ``plan`` as a new version (ConflictError when someone saved since ``expected_version``)."""
    from spmkb.coaching import store

    return store.save(conn, plan.plan_id, "plan", plan.to_dict(), author=author,
                      expected_version=expected_version, status=status, rep_id=plan.rep_id,
                      rep=plan.rep, period=plan.period)  # fmt: skip


def load_plan(conn: Any, data: DealData, rep: str, period: str | None = None) -> tuple[Plan, Any]:
    """The latest saved plan of ``rep`` (for ``period``, else the most recent) and its version."""
    from spmkb.coaching import store

    who = roster(data).find(rep)
    saved = store.find(
        conn, "plan", rep_id=who.id, period=str(Period.parse(period)) if period else None
    )
    if not saved:
        raise NotFoundError(
            f"no coaching plan saved for {who.name}" + (f" in {period}" if period else ""),
            hint="create one with `spmkb coach plan --rep NAME --window 2026-H1 --save`",
        )
    last = saved[-1]
    return Plan.from_dict(last.payload), last


def open_plan(conn: Any, data: DealData, rep: str, on: date) -> dict[str, Any] | None:
    """The rep's active or draft plan covering ``on`` (for a review to show), else None."""
    from spmkb.coaching import store

    who = roster(data).find(rep)
    for s in reversed(store.find(conn, "plan", rep_id=who.id)):
        if s.status != "closed" and s.payload["start"] <= on.isoformat() <= s.payload["followup"]:
            return {**s.payload, "version": s.version, "status": s.status}
    return None


__all__ = ["BEHAVIOURS", "SKILLS", "Focus", "Plan", "behaviour_gaps", "build_plan", "load_plan",
           "open_plan", "save_plan"]  # fmt: skip

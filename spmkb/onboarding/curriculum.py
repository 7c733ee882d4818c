"""The curriculum: onboarding modules read from the library's ``onboarding:`` blocks.

A module is an asset with an ``onboarding:`` block (see docs/onboarding.md)::

    onboarding:
      track: ae                 # the track declared in [onboarding] tracks
      tracks: [sdr]             # further tracks sharing the module (optional)
      day: 30                   # due on day 30 of the hire's ramp
      order: 1                  # position among modules due the same day
      requires: [onboarding/ae/week-01-foundations]
      study: [discovery/question-bank]
      certification: {rubric: onboarding/ae/demo-certification-rubric, pass_level: 3,
                      signed_off_by: manager}
      milestone: {text: "5 opportunities created", measure: opportunities_created,
                  threshold: 5, day: 30}   # or threshold: top_profile (the top tier's own
                                           # figure by day 30 of their tenure)

:func:`build_curriculum` turns assets into :class:`Module` records and collects every problem
(:mod:`spmkb.onboarding.lint` adds file lines). Each track has a version: a hash of its
modules, so a plan can say which curriculum it was made from.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from spmkb.config import Settings
from spmkb.content.library import load_library
from spmkb.content.model import Asset
from spmkb.errors import NotFoundError, OnboardingError, Problem, did_you_mean, suggest
from spmkb.jsonable import Jsonable
from spmkb.onboarding.settings import OnboardingSettings, onboarding_settings

#: Milestone measures computed in spmkb.onboarding.milestones besides the registry's.
LOCAL_MEASURES: dict[str, str] = {
    "opportunities_sourced": "opportunities the hire sourced (opportunities.sourced_by)",
    "pipeline_sourced": "amount of the opportunities the hire sourced",
    "meetings_booked": "activities of type meeting_booked logged by the hire",
}
#: Registry measures a milestone can use (counts and amounts with a first day).
REGISTRY_MILESTONE_MEASURES: tuple[str, ...] = (
    "opportunities_created",
    "pipeline_created",
    "won_deals",
    "won_amount",
    "activity_volume",
)


#: The milestone threshold that takes its value from the top tier (see milestones.py).
TOP_PROFILE = "top_profile"


@dataclass(frozen=True)
class Milestone(Jsonable):
    """A milestone: free text, optionally measured (``measure`` ≥ ``threshold`` by ``day``).

    ``target = "top_profile"``: no fixed threshold; the top tier's own figure by ``day`` of
    their tenure is the threshold, resolved on the deal data when milestones are evaluated.
    """

    text: str
    measure: str | None = None
    threshold: float | None = None
    day: int | None = None
    activity_type: str | None = None
    target: str | None = None

    @property
    def measured(self) -> bool:
        """Whether the deal data can tell if it was met against a fixed threshold."""
        return self.measure is not None and self.threshold is not None and self.day is not None

    @property
    def from_profile(self) -> bool:
        """Whether the threshold is the top tier's figure (resolved at evaluation)."""
        return self.target == TOP_PROFILE and self.measure is not None and self.day is not None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (``target`` only when set, so fixed milestones keep their version)."""
        d = asdict(self)
        if d["target"] is None:
            del d["target"]
        return d


@dataclass(frozen=True)
class Certification:
    """A gate scored on a rubric asset: every competency rated at ``pass_level`` or above."""

    rubric: str
    pass_level: int
    signed_off_by: str = "manager"
    competencies: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {**asdict(self), "competencies": list(self.competencies)}


@dataclass(frozen=True)
class Module:
    """One onboarding module of a track."""

    id: str
    title: str
    path: str
    track: str
    tracks: tuple[str, ...]
    day: int
    order: int = 0
    objectives: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    study: tuple[str, ...] = ()  # asset ids
    certification: Certification | None = None
    milestone: Milestone | None = None
    minutes: int | None = None
    required: bool = True

    def fingerprint(self) -> dict[str, Any]:
        """What a plan depends on (for the curriculum version): these fields of ``to_dict()``."""
        d = self.to_dict()
        return {k: d[k] for k in ("id", "day", "order", "requires", "certification", "milestone")}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        d = asdict(self)
        d["certification"] = self.certification.to_dict() if self.certification else None
        d["milestone"] = self.milestone.to_dict() if self.milestone else None
        return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}


@dataclass
class Rubric:
    """The competencies and levels of a ``rubric:`` asset (read as plain data)."""

    id: str
    title: str
    competencies: dict[str, str]  # id -> name
    levels: tuple[int, ...]


@dataclass
class Curriculum:
    """Every module by id, the rubrics they use, the settings and the problems found."""

    modules: dict[str, Module] = field(default_factory=dict)
    rubrics: dict[str, Rubric] = field(default_factory=dict)
    settings: OnboardingSettings = field(default_factory=OnboardingSettings)
    assets: dict[str, Asset] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    _versions: dict[tuple, str] = field(default_factory=dict, repr=False, compare=False)

    def track(self, track: str) -> list[Module]:
        """The modules of ``track`` in due order (day, order, id)."""
        mods = [m for m in self.modules.values() if track in m.tracks]
        return sorted(mods, key=lambda m: (m.day, m.order, m.id))

    def tracks(self) -> list[str]:
        """Declared tracks."""
        return list(self.settings.tracks)

    def find_track(self, track: str) -> str:
        """The declared track ``track`` (case-insensitive); NotFoundError with suggestions."""
        key = str(track).strip().lower()
        if key in self.settings.tracks:
            return key
        raise NotFoundError(
            f"unknown track {track!r}", suggestions=suggest(key, self.tracks()) or self.tracks()
        )

    def version(self, track: str) -> str:
        """A short hash of the track's modules (changes when a module is added, moved, removed)."""
        key = (track, tuple(self.modules))
        if key not in self._versions:
            payload = json.dumps([m.fingerprint() for m in self.track(track)], sort_keys=True)
            self._versions[key] = hashlib.sha256(payload.encode("utf-8")).hexdigest()[:12]
        return self._versions[key]

    def find_module(self, module: str, track: str | None = None) -> Module:
        """The module ``module`` (its id or a tail of it, e.g. ``week-02``) of ``track``.

        NotFoundError with suggestions when no module matches; OnboardingError when the module
        exists but belongs to another track."""
        key = str(module).strip()

        def match(pool: list[Module]) -> Module | None:
            hits = [m for m in pool if m.id == key] or [
                m for m in pool if m.id.endswith("/" + key.strip("/"))
            ]
            return hits[0] if len(hits) == 1 else None

        pool = self.track(track) if track else list(self.modules.values())
        hit = match(pool)
        if hit is not None:
            return hit
        elsewhere = match(list(self.modules.values())) if track else None
        if elsewhere is not None:
            raise OnboardingError(
                f"module {elsewhere.id} is not in the {track} track (it is in "
                f"{', '.join(elsewhere.tracks)})",
                field="module",
                hint="modules of the track: " + ", ".join(m.id for m in pool),
            )
        where = f" in the {track} track" if track else ""
        tails = [m.id.rsplit("/", 1)[-1] for m in pool]
        raise NotFoundError(
            f"no onboarding module {module!r}{where}", suggestions=suggest(key, tails)
        )

    def rubric_for(self, module: Module) -> Rubric | None:
        """The rubric of the module's certification (None without one)."""
        if module.certification is None:
            return None
        return self.rubrics.get(module.certification.rubric)


def _problem(asset: Asset, code: str, message: str, key: str, hint: str, **kw: Any) -> Problem:
    return Problem(
        kw.pop("severity", "error"),
        code,
        message,
        path=asset.path,
        line=asset.field_lines.get("onboarding"),
        field=f"onboarding.{key}" if key else "onboarding",
        hint=hint,
        **kw,
    )


def _read_rubric(asset: Asset) -> Rubric | None:
    block = asset.extra.get("rubric")
    if not isinstance(block, list):
        return None
    comps: dict[str, str] = {}
    levels: set[int] = set()
    for item in block:
        if isinstance(item, dict) and item.get("id"):
            comps[str(item["id"])] = str(item.get("name", item["id"]))
            if isinstance(item.get("levels"), dict):
                levels.update(int(k) for k in item["levels"] if str(k).isdigit())
    return Rubric(asset.id, asset.title, comps, tuple(sorted(levels)) or (1, 2, 3, 4, 5))


def _resolve_asset(ref: str, asset: Asset, by_id: dict[str, Asset], by_path: dict[str, Asset]):
    """An asset by id or by path relative to ``asset``'s folder (None when it does not resolve)."""
    ref = str(ref).strip()
    if ref in by_id:
        return by_id[ref]
    import posixpath

    rel = posixpath.normpath(posixpath.join(posixpath.dirname(asset.path), ref.split("#")[0]))
    return by_path.get(rel) or by_path.get(ref)


def _milestone(raw: Any, asset: Asset, problems: list[Problem], max_day: int) -> Milestone | None:
    from spmkb.deals.measures import MEASURES

    if raw is None:
        return None
    if isinstance(raw, str):
        return Milestone(raw.strip())
    if not isinstance(raw, dict):
        problems.append(_problem(asset, "onboarding-milestone", "milestone must be text or a "
                                 "mapping", "milestone", "milestone: {text: ..., measure: "
                                 "opportunities_created, threshold: 5, day: 30}"))  # fmt: skip
        return None
    text = str(raw.get("text") or "").strip()
    measure = raw.get("measure")
    threshold, day = raw.get("threshold"), raw.get("day")
    ok = True
    if measure is not None:
        measure = str(measure).strip()
        known = [*REGISTRY_MILESTONE_MEASURES, *LOCAL_MEASURES]
        if measure not in known:
            if measure in MEASURES:
                msg = f"measure {measure!r} is not a count or an amount: it cannot be a milestone"
            else:
                msg = f"unknown measure {measure!r}"
            hint = did_you_mean(measure, known, "milestone measures: ")
            problems.append(_problem(asset, "onboarding-measure", msg, "milestone.measure", hint,
                                     value=measure))  # fmt: skip
            ok = False
        if threshold == TOP_PROFILE:
            ok = _top_profile_measure(asset, measure, problems) and ok
        elif (
            isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or threshold <= 0
        ):
            problems.append(_problem(asset, "onboarding-milestone", f"milestone threshold must be "
                                     f"a positive number or top_profile, got {threshold!r}",
                                     "milestone.threshold", "e.g. threshold: 5, or threshold: "
                                     "top_profile for the top tier's figure by that day"))  # fmt: skip
            ok = False
        if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= max_day:
            problems.append(_problem(asset, "onboarding-day", f"milestone day {day!r} is outside "
                                     f"0-{max_day}", "milestone.day",
                                     f"use a whole day 0-{max_day} ([onboarding] max_day)"))  # fmt: skip
            ok = False
    elif threshold is not None or day is not None:
        problems.append(_problem(asset, "onboarding-milestone", "milestone has a threshold or day "
                                 "but no measure", "milestone", "add measure: "
                                 "opportunities_created (or remove threshold and day)"))  # fmt: skip
        ok = False
    top = ok and measure is not None and threshold == TOP_PROFILE
    if not text:
        if top:
            text = f"{measure} ≥ the top tier's figure by day {day}"
        else:
            text = f"{measure} ≥ {threshold:g} by day {day}" if ok and measure else "milestone"
    if not ok:
        return Milestone(text)
    atype = raw.get("activity_type")
    if top:
        return Milestone(text, measure, None, day, str(atype) if atype else None, TOP_PROFILE)
    return Milestone(text, measure, float(threshold) if measure else None, day if measure else None,
                     str(atype) if atype else None)  # fmt: skip


def _top_profile_measure(asset: Asset, measure: str, problems: list[Problem]) -> bool:
    """``threshold: top_profile`` needs a measure the top tier can be compared on."""
    from spmkb.deals.tiers import comparable

    if measure in LOCAL_MEASURES:
        why = f"{measure} is an SDR measure and SDRs are not ranked into tiers"
    elif measure in REGISTRY_MILESTONE_MEASURES and not comparable(measure):
        why = f"{measure} defines the tiers, so the top tier's figure is high by construction"
    else:
        return True  # an unknown measure is reported on its own
    problems.append(_problem(asset, "onboarding-milestone", f"threshold top_profile cannot be "
                             f"used here: {why}", "milestone.threshold", "use a number, or a "
                             "measure such as opportunities_created, pipeline_created or "
                             "activity_volume"))  # fmt: skip
    return False


def _certification(
    raw: Any, asset: Asset, problems: list[Problem], rubrics: dict[str, Rubric]
) -> Certification | None:
    if raw is None:
        return None
    hint = "certification: {rubric: <asset id of a rubric>, pass_level: 3, signed_off_by: manager}"
    if not isinstance(raw, dict) or not raw.get("rubric"):
        problems.append(_problem(asset, "onboarding-certification", "certification needs a "
                                 "rubric", "certification", hint))  # fmt: skip
        return None
    rubric_id = str(raw["rubric"]).strip()
    rubric = rubrics.get(rubric_id)
    if rubric is None:
        close = suggest(rubric_id, list(rubrics))
        problems.append(_problem(asset, "onboarding-certification", f"certification rubric "
                                 f"{rubric_id!r} is not a rubric asset in the library",
                                 "certification.rubric", (f"did you mean '{close[0]}'? " if close
                                 else "") + "point to an asset with a 'rubric:' block"))  # fmt: skip
        return None
    level = raw.get("pass_level")
    if isinstance(level, bool) or not isinstance(level, int) or level not in rubric.levels:
        problems.append(_problem(asset, "onboarding-certification", f"pass_level {level!r} is not "
                                 f"a level of rubric {rubric_id}", "certification.pass_level",
                                 f"use one of {list(rubric.levels)}"))  # fmt: skip
        return None
    comps = tuple(str(c) for c in (raw.get("competencies") or rubric.competencies))
    unknown = [c for c in comps if c not in rubric.competencies]
    if unknown:
        problems.append(_problem(asset, "onboarding-certification", f"competencies {unknown} are "
                                 f"not in rubric {rubric_id}", "certification.competencies",
                                 "known: " + ", ".join(rubric.competencies)))  # fmt: skip
        return None
    signer = str(raw.get("signed_off_by") or "manager").strip()
    return Certification(rubric_id, level, signer, comps)


def build_curriculum(assets: list[Asset], settings: Settings | None = None) -> Curriculum:
    """Modules from ``assets``' onboarding blocks, with every problem found (see lint)."""
    from spmkb.onboarding.checks import check_curriculum

    osettings = onboarding_settings(settings)
    cur = Curriculum(settings=osettings, assets={a.id: a for a in assets})
    by_path = {a.path: a for a in assets}
    for a in assets:
        rubric = _read_rubric(a)
        if rubric is not None:
            cur.rubrics[a.id] = rubric
    for a in assets:
        block = a.onboarding
        if not block:
            continue
        module = _module(a, block, cur, by_path)
        if module is not None:
            cur.modules[module.id] = module
    cur.problems.extend(check_curriculum(cur))
    return cur


def _module(a: Asset, block: dict[str, Any], cur: Curriculum, by_path: dict[str, Asset]):
    osettings, problems = cur.settings, cur.problems
    track = block.get("track")
    if not track:
        problems.append(_problem(a, "onboarding-track", "onboarding block has no track", "track",
                                 "add track: " + " or ".join(osettings.tracks)))  # fmt: skip
        return None
    tracks = [track, *[t for t in block.get("tracks") or [] if t != track]]
    for t in tracks:
        if t not in osettings.tracks:
            close = suggest(t, list(osettings.tracks))
            problems.append(_problem(a, "onboarding-track", f"unknown track {t!r}", "track",
                                     (f"did you mean '{close[0]}'? " if close else "")
                                     + "declare it in spmkb.toml: [onboarding] tracks = {"
                                     + f'{t} = ["<role>"]' + "}", value=t))  # fmt: skip
    tracks = [t for t in tracks if t in osettings.tracks]
    if not tracks:
        return None
    day = block.get("day")
    if day is None:
        problems.append(_problem(a, "onboarding-day", "onboarding block has no day", "day",
                                 "add day: <day of the ramp when the module is due>"))  # fmt: skip
        return None
    if day > osettings.max_day:
        problems.append(_problem(a, "onboarding-day", f"day {day} is outside 0-"
                                 f"{osettings.max_day}: the curriculum is longer than max_day",
                                 "day", "move the module earlier or raise [onboarding] "
                                 "max_day", value=day))  # fmt: skip
    study: list[str] = []
    for ref in block.get("study") or []:
        hit = _resolve_asset(ref, a, cur.assets, by_path)
        if hit is None:
            close = suggest(str(ref), list(cur.assets))
            problems.append(_problem(a, "onboarding-study", f"study link {ref!r} does not "
                                     "resolve to an asset", "study", (f"did you mean '{close[0]}'?"
                                     if close else "use an asset id or a path relative to this "
                                     "file"), value=ref))  # fmt: skip
        else:
            study.append(hit.id)
    known = set(block) - {*_ONBOARDING_KEYS()}
    for key in sorted(known):
        problems.append(_problem(a, "onboarding-unknown-key", f"unknown onboarding key '{key}'",
                                 key, "known: " + ", ".join(_ONBOARDING_KEYS()),
                                 severity="warning"))  # fmt: skip
    return Module(
        id=a.id,
        title=a.title,
        path=a.path,
        track=tracks[0],
        tracks=tuple(tracks),
        day=int(day),
        order=int(block.get("order") or 0),
        objectives=tuple(block.get("objectives") or ()),
        requires=tuple(str(r).strip() for r in block.get("requires") or ()),
        study=tuple(study),
        certification=_certification(block.get("certification"), a, problems, cur.rubrics),
        milestone=_milestone(block.get("milestone"), a, problems, osettings.max_day),
        minutes=block.get("minutes"),
        required=bool(block.get("required", True)),
    )


def _ONBOARDING_KEYS() -> list[str]:
    from spmkb.content.fields import ONBOARDING_FIELDS

    return list(ONBOARDING_FIELDS)


def load_curriculum(settings: Settings, root: Path | None = None) -> Curriculum:
    """Load the playbook folder and build its curriculum (file lines on every problem)."""
    from spmkb.onboarding.checks import add_lines

    lib = load_library(Path(root or settings.playbooks), settings)
    cur = build_curriculum(list(lib.assets), settings)
    add_lines(cur.problems, lib.root)
    return cur


__all__ = [
    "LOCAL_MEASURES",
    "Certification",
    "Curriculum",
    "Milestone",
    "Module",
    "Rubric",
    "build_curriculum",
    "load_curriculum",
]

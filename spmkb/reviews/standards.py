"""Review standards: what "good" looks like for each measure, read from ``standards.yml``.

A standard says, per measure, what a rep's figure is compared with (an ``absolute`` target,
the ``team_median``, the team's ``top_quartile``, or ``top_profile``: the figure of the top
tier by attainment, from :func:`spmkb.deals.tiers.top_figure`, over the review's team or
``scope: company``), whether higher or lower is better,
and how much the measure weighs in the scorecard score. ``parse_standards`` validates
text and reports every problem with its file, line and field; ``load_standards`` reads a
file. See ``docs/reviews.md`` for the format.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from spmkb.deals.measures import MEASURES
from spmkb.errors import Problem, ReviewError, suggest

#: Measures a review scores when there is no standards.yml.
DEFAULT_MEASURES: tuple[str, ...] = (
    "win_rate",
    "quota_attainment",
    "pipeline_coverage",
    "avg_deal_size",
    "sales_cycle",
    "activity_volume",
    "stage_conversion",
)
KINDS: tuple[str, ...] = ("absolute", "team_median", "top_quartile", "top_profile")
SCOPES: tuple[str, ...] = ("team", "company")
DIRECTIONS: tuple[str, ...] = ("higher", "lower")
_MEASURE_KEYS = ("standard", "target", "direction", "weight", "min_n", "scope", "stages")
_TOP_KEYS = ("min_closed_deals", "tolerance", "measures")


@dataclass(frozen=True)
class Standard:
    """The standard for one measure (and, for ``stage_conversion``, one stage)."""

    measure: str
    kind: str = "team_median"
    target: float | None = None
    direction: str = "higher"
    weight: float = 1.0
    stage: str | None = None
    min_n: int | None = None
    scope: str | None = None  # top_profile only: the review's "team" (default) or "company"

    @property
    def label(self) -> str:
        """Display name: ``win_rate`` or ``stage_conversion[demo]``."""
        return f"{self.measure}[{self.stage}]" if self.stage else self.measure

    def to_dict(self) -> dict[str, Any]:
        """Return the standard as a JSON-ready dict."""
        return asdict(self)


@dataclass
class Standards:
    """All standards of a workspace plus the rules for giving a verdict."""

    standards: list[Standard] = field(default_factory=list)
    min_closed_deals: int = 5
    tolerance: float = 0.05
    path: str | None = None
    #: The ``[coaching]`` tier rules a ``top_profile`` standard ranks reps with (None: defaults).
    tier_rules: Any = None

    def get(self, measure: str, stage: str | None = None) -> Standard | None:
        """Return the standard for ``measure`` (and ``stage``), or ``None``."""
        for s in self.standards:
            if s.measure == measure and s.stage == stage:
                return s
        return None

    def to_dict(self) -> dict[str, Any]:
        """Return the standards as a JSON-ready dict."""
        return asdict(self)


class _LineLoader(yaml.SafeLoader):
    """A safe YAML loader that remembers the line of every mapping key."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    lines = {}
    for key_node, _value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        lines[key] = key_node.start_mark.line + 1
    mapping["__lines__"] = lines
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


class _Checker:
    """Collects problems while walking the parsed YAML."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[Problem] = []

    def add(
        self, message: str, node: dict[str, Any], key: str, field_: str, hint: str | None = None
    ) -> None:
        line = node.get("__lines__", {}).get(key, node.get("__line__"))
        self.problems.append(
            Problem(
                "error", "bad-standard", message, path=self.path, line=line, field=field_, hint=hint
            )
        )

    def unknown_keys(self, node: dict[str, Any], allowed: tuple[str, ...], prefix: str) -> None:
        """Record every key of ``node`` not in ``allowed`` with a did-you-mean hint."""
        for key in node:
            if key in ("__lines__", "__line__") or key in allowed:
                continue
            close = suggest(str(key), allowed)
            hint = f"did you mean '{close[0]}'?" if close else "allowed: " + ", ".join(allowed)
            self.add(f"unknown key '{key}'", node, key, f"{prefix}{key}", hint)


def _one(
    chk: _Checker,
    name: str,
    spec: dict[str, Any],
    prefix: str,
    stage: str | None,
    inherit: dict[str, Any] | None = None,
) -> Standard | None:
    """Validate one measure (or one stage of stage_conversion) and build its Standard."""
    base = {
        k: v
        for k, v in (inherit or {}).items()
        if k in ("standard", "target", "direction", "weight", "min_n", "scope")
    }
    merged = {**base, **{k: v for k, v in spec.items() if not k.startswith("__")}}
    ok = True
    kind = merged.get("standard", "team_median")
    if kind not in KINDS:
        chk.add(
            f"standard must be one of {', '.join(KINDS)}, got {kind!r}",
            spec,
            "standard",
            f"{prefix}standard",
        )
        ok = False
    direction = merged.get("direction", MEASURES[name].direction)
    if direction in ("higher-is-better", "lower-is-better"):
        direction = direction.split("-")[0]
    if direction not in DIRECTIONS:
        chk.add(
            f"direction must be 'higher' or 'lower' (is better), got {direction!r}",
            spec,
            "direction",
            f"{prefix}direction",
        )
        ok = False
    weight = _number(merged.get("weight", 1.0))
    if weight is None or weight < 0:
        chk.add(
            f"weight must be a number >= 0, got {merged.get('weight')!r}",
            spec,
            "weight",
            f"{prefix}weight",
        )
        ok = False
    target = merged.get("target")
    if kind == "absolute":
        if target is None:
            chk.add(
                "an absolute standard needs a target",
                spec,
                "standard",
                f"{prefix}target",
                "add e.g. 'target: 0.25' (ratios as fractions, cycle in days)",
            )
            ok = False
        elif _number(target) is None:
            chk.add(f"target must be a number, got {target!r}", spec, "target", f"{prefix}target")
            ok = False
    scope = merged.get("scope")
    if kind == "top_profile":
        ok = _check_top_profile(chk, name, spec, prefix, target, scope) and ok
    elif scope is not None:
        chk.add(
            "scope applies to 'standard: top_profile' only",
            spec,
            "scope",
            f"{prefix}scope",
            "remove 'scope' or use 'standard: top_profile'",
        )
        ok = False
    min_n = merged.get("min_n")
    if min_n is not None and (isinstance(min_n, bool) or not isinstance(min_n, int) or min_n < 1):
        chk.add(f"min_n must be a whole number >= 1, got {min_n!r}", spec, "min_n", f"{prefix}min_n")
        ok = False
    if not ok:
        return None
    return Standard(
        name,
        kind,
        _number(target) if target is not None else None,
        direction,
        float(weight or 0.0),
        stage,
        min_n,
        (scope or "team") if kind == "top_profile" else None,
    )


def _check_top_profile(
    chk: _Checker, name: str, spec: dict[str, Any], prefix: str, target: Any, scope: Any
) -> bool:
    """A ``top_profile`` standard: a comparable measure, no target of its own, a known scope."""
    from spmkb.deals.tiers import comparable

    ok = True
    if not comparable(name):
        chk.add(
            f"{name} cannot be compared with the top tier: it defines the tiers "
            "(or describes a single day)",
            spec,
            "standard",
            f"{prefix}standard",
            "use absolute, team_median or top_quartile for this measure",
        )
        ok = False
    if target is not None:
        chk.add(
            "a top_profile standard takes its target from the top tier: it has no 'target'",
            spec,
            "target",
            f"{prefix}target",
            "remove 'target', or use 'standard: absolute' to set one",
        )
        ok = False
    if scope is not None and scope not in SCOPES:
        chk.add(
            f"scope must be one of {', '.join(SCOPES)}, got {scope!r}",
            spec,
            "scope",
            f"{prefix}scope",
            "team: the rep's own team's top tier (default); company: all teams'",
        )
        ok = False
    return ok


def check_standards(
    text: str, path: str | Path = "standards.yml", stages: tuple[str, ...] | None = None
) -> tuple[Standards, list[Problem]]:
    """Parse standards text; return the valid standards and every problem found."""
    from spmkb.deals.schema import PIPELINE_STAGES

    stages = tuple(stages or PIPELINE_STAGES)
    chk = _Checker(str(path))
    try:
        data = yaml.load(text, Loader=_LineLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        msg = getattr(exc, "problem", None) or str(exc)
        chk.problems.append(
            Problem(
                "error",
                "bad-yaml",
                f"invalid YAML: {msg}",
                path=str(path),
                line=line,
                hint="fix the syntax; see docs/reviews.md",
            )
        )
        return Standards(path=str(path)), chk.problems
    result = Standards(path=str(path))
    if data is None:
        return result, chk.problems
    if not isinstance(data, dict):
        chk.problems.append(
            Problem(
                "error",
                "bad-standard",
                "standards file must be a mapping",
                path=str(path),
                line=1,
                hint="start with 'measures:'",
            )
        )
        return result, chk.problems
    chk.unknown_keys(data, _TOP_KEYS, "")
    if "min_closed_deals" in data:
        v = data["min_closed_deals"]
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            chk.add(
                f"min_closed_deals must be a whole number >= 1, got {v!r}",
                data,
                "min_closed_deals",
                "min_closed_deals",
            )
        else:
            result.min_closed_deals = v
    if "tolerance" in data:
        v = _number(data["tolerance"])
        if v is None or not 0 <= v < 1:
            chk.add(
                f"tolerance must be a fraction between 0 and 1, got {data['tolerance']!r}",
                data,
                "tolerance",
                "tolerance",
            )
        else:
            result.tolerance = v
    measures = data.get("measures", {})
    if not isinstance(measures, dict):
        chk.add(
            "measures must be a mapping of measure name to settings", data, "measures", "measures"
        )
        return result, chk.problems
    for name, spec in measures.items():
        if name in ("__lines__", "__line__"):
            continue
        prefix = f"measures.{name}."
        if name not in MEASURES:
            close = suggest(str(name), list(MEASURES))
            hint = f"did you mean '{close[0]}'?" if close else "known: " + ", ".join(MEASURES)
            chk.add(f"unknown measure '{name}'", measures, name, f"measures.{name}", hint)
            continue
        if not isinstance(spec, dict):
            chk.add(
                "must be a mapping (standard, target, direction, weight, min_n)",
                measures,
                name,
                f"measures.{name}",
            )
            continue
        staged = MEASURES[name].per_stage
        chk.unknown_keys(spec, _MEASURE_KEYS if staged else _MEASURE_KEYS[:-1], prefix)
        if not staged:
            std = _one(chk, name, spec, prefix, None)
            if std:
                result.standards.append(std)
            continue
        per_stage = spec.get("stages") or {}
        if not isinstance(per_stage, dict):
            chk.add("stages must map stage names to settings", spec, "stages", prefix + "stages")
            per_stage = {}
        for st in stages:
            sub = per_stage.get(st)
            if sub is not None and not isinstance(sub, dict):
                chk.add("must be a mapping", per_stage, st, f"{prefix}stages.{st}")
                continue
            std = _one(
                chk,
                name,
                sub or spec,
                f"{prefix}stages.{st}." if sub else prefix,
                st,
                inherit=spec if sub else None,
            )
            if std:
                result.standards.append(std)
        for st in per_stage:
            if st not in stages and st not in ("__lines__", "__line__"):
                close = suggest(str(st), stages)
                hint = f"did you mean '{close[0]}'?" if close else "stages: " + ", ".join(stages)
                chk.add(f"unknown stage '{st}'", per_stage, st, f"{prefix}stages.{st}", hint)
    # A stage_conversion error repeats per stage: keep each (line, field, message) once.
    seen: set[tuple[Any, ...]] = set()
    unique = []
    for p in chk.problems:
        key = (p.line, p.field, p.message)
        if key not in seen:
            seen.add(key)
            unique.append(p)
    unique.sort(key=lambda p: p.line or 0)
    return result, unique


def parse_standards(
    text: str, path: str | Path = "standards.yml", stages: tuple[str, ...] | None = None
) -> Standards:
    """Parse standards text; raise :class:`ReviewError` listing every problem (file:line: field)."""
    standards, problems = check_standards(text, path, stages)
    if problems:
        first = problems[0]
        detail = "; ".join(str(p) for p in problems)
        raise ReviewError(
            f"{len(problems)} problem(s) in review standards: {detail}",
            path=first.path,
            line=first.line,
            field=first.field,
            hint="fix the file (format in docs/reviews.md)",
        )
    return standards


def load_standards(path: Path | str | None = None, settings: Any = None) -> Standards:
    """Read ``standards.yml`` (default ``settings.standards``); built-in defaults if it is absent."""
    if path is None and settings is not None:
        path = settings.standards
    if path is None or not Path(path).is_file():
        if path is not None and settings is None:
            raise ReviewError(
                "standards file not found",
                path=path,
                hint="create it (see docs/reviews.md) or omit it to use defaults",
            )
        return default_standards()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ReviewError(f"cannot read standards file: {exc}", path=path) from None
    out = parse_standards(text, path)
    if settings is not None:
        from spmkb.deals.tiers import TierRules

        out.tier_rules = TierRules.from_table(settings.table("coaching"))
    return out


def default_standards() -> Standards:
    """The built-in standards used when no ``standards.yml`` exists (team medians, weight 1)."""
    from spmkb.deals.schema import PIPELINE_STAGES

    out = Standards(path=None)
    for name in DEFAULT_MEASURES:
        direction = MEASURES[name].direction
        if MEASURES[name].per_stage:
            out.standards += [
                Standard(name, "team_median", None, direction, 1.0, st) for st in PIPELINE_STAGES
            ]
        else:
            out.standards.append(Standard(name, "team_median", None, direction, 1.0))
    return out

"""Coaching settings: the ``[coaching]`` table of ``spmkb.toml`` with declared defaults.

Every key has a default here; an unknown key or a value of the wrong kind is a
:class:`~spmkb.errors.ConfigError` naming the file and the field.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from spmkb.errors import ConfigError, did_you_mean
from spmkb.jsonable import Jsonable


@dataclass(frozen=True)
class CoachingOptions(Jsonable):
    """Tier shares, "top by circumstance" rules, test settings and recognition levels."""

    top_share: float = 0.20  # top tier: this share of reps by attainment
    bottom_share: float = 0.20  # bottom tier (never shown to the team)
    whale_share: float = 0.40  # one deal above this share of a rep's bookings: circumstance
    segment_rep_share: float = 0.50  # more than this share of a rep's deals in one segment …
    segment_team_share: float = 0.20  # … that is under this share of the team's deals
    segment_min_deals: int = 10  # the segment rule needs this many closed deals of the rep
    exclude_circumstance: bool = True  # leave "top by circumstance" reps out of the comparison
    min_reps: int = 3  # fewer reps than this in a compared group: a message, not a profile
    fdr: float = 0.05  # false discovery rate across the measures tested
    resamples: int = 2000  # bootstrap resamples
    seed: int = 0  # bootstrap seed (results are reproducible)
    levels: tuple[float, ...] = (1.0, 1.25, 1.5)  # recognition: attainment levels
    baseline_periods: int = 4  # recognition: periods before P that form one's own baseline
    plan_min_n: int = 10  # follow-up: deals needed before and after, per rep
    plan_weeks: int = 13  # a plan's default length (follow-up date = start + this)

    @classmethod
    def from_table(cls, table: dict[str, Any], path: Any = None) -> CoachingOptions:
        """Options from a ``[coaching]`` table; ConfigError naming the key when it is invalid."""
        known = {f.name: f for f in fields(cls)}
        base = cls()
        values: dict[str, Any] = {}
        for key, value in (table or {}).items():
            if key not in known:
                raise ConfigError(
                    f"unknown coaching setting '{key}'",
                    path=path,
                    field=f"coaching.{key}",
                    hint=did_you_mean(key, known, "known: "),
                )
            default = getattr(base, key)
            values[key] = _coerce(key, value, default, path)
        opts = replace(base, **values)
        opts.check(path)
        return opts

    def check(self, path: Any = None) -> None:
        """Raise ConfigError when shares are not fractions or the tiers overlap."""
        for key in ("top_share", "bottom_share", "whale_share", "segment_rep_share"):
            v = getattr(self, key)
            if not 0 < v < 1:
                raise ConfigError(
                    f"must be a fraction between 0 and 1, got {v}",
                    path=path,
                    field=f"coaching.{key}",
                )
        if self.top_share + self.bottom_share >= 1:
            raise ConfigError(
                "top_share + bottom_share must leave a middle tier",
                path=path,
                field="coaching.top_share",
                hint="e.g. top_share = 0.2, bottom_share = 0.2",
            )
        if not self.levels or any(v <= 0 for v in self.levels):
            raise ConfigError(
                "levels must be positive attainment fractions", path=path, field="coaching.levels"
            )


def _coerce(key: str, value: Any, default: Any, path: Any) -> Any:
    try:
        if isinstance(default, bool):
            if not isinstance(value, bool):
                raise TypeError
            return value
        if isinstance(default, int):
            if isinstance(value, bool) or int(value) != value:
                raise TypeError
            return int(value)
        if isinstance(default, float):
            if isinstance(value, bool):
                raise TypeError
            return float(value)
        if isinstance(default, tuple):
            return tuple(sorted(float(v) for v in value))
    except (TypeError, ValueError):
        pass
    else:
        return value
    raise ConfigError(
        f"must be a {type(default).__name__}, got {value!r}", path=path, field=f"coaching.{key}"
    )


def options_from(settings: Any = None, **overrides: Any) -> CoachingOptions:
    """Options from ``settings`` (its ``[coaching]`` table), with non-None ``overrides`` on top."""
    table = settings.table("coaching") if settings is not None else {}
    path = getattr(settings, "config_file", None)
    opts = CoachingOptions.from_table(table, path)
    given = {k: v for k, v in overrides.items() if v is not None}
    if given:
        opts = replace(opts, **given)
        opts.check()
    return opts


__all__ = ["CoachingOptions", "options_from"]

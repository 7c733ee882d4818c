"""The ``[onboarding]`` table of ``spmkb.toml``: tracks, the longest programme, ramp schedules.

```toml
[onboarding]
tracks = {ae = ["AE", "Account Executive"], sdr = ["SDR"]}   # track -> roles in reps.role
max_day = 180                  # no module or milestone may be due later than this
business_days = false          # due dates in calendar days (false) or business days (true)
ramp = {ae = [0.0, 0.25, 0.5, 1.0], sdr = [0.25, 0.5, 1.0]}  # share of full quota by quarter
ramp_share = 0.5               # "ramped" = trailing-90-day bookings >= this share of full quota
full_quota = {ae = 150000}     # quarterly full quota when the quotas table cannot tell
```

Every key is optional; unknown keys are an error naming the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from spmkb.config import Settings
from spmkb.errors import ConfigError, did_you_mean

DEFAULT_TRACKS: dict[str, tuple[str, ...]] = {
    "ae": ("AE", "Account Executive"),
    "sdr": ("SDR", "Sales Development Representative"),
}
#: Share of the full quota carried in quarter 1, 2, 3 … of tenure (100 % after the list).
DEFAULT_RAMP: tuple[float, ...] = (0.0, 0.25, 0.5, 1.0)
KEYS: dict[str, str] = {
    "tracks": "track -> list of roles (reps.role) that follow it",
    "max_day": "last day a module or milestone may be due (default 180)",
    "business_days": "count module days in business days (default false: calendar days)",
    "ramp": "track -> share of the full quota by quarter of tenure (default 0/25/50/100 %)",
    "ramp_share": "share of a full quarterly quota over 90 days that counts as ramped (0.5)",
    "full_quota": "track -> full quarterly quota used when the quotas table has none",
}


@dataclass(frozen=True)
class OnboardingSettings:
    """Resolved ``[onboarding]`` settings."""

    tracks: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_TRACKS))
    max_day: int = 180
    business_days: bool = False
    ramp: dict[str, tuple[float, ...]] = field(default_factory=dict)
    ramp_share: float = 0.5
    full_quota: dict[str, float] = field(default_factory=dict)

    def track_for_role(self, role: str | None) -> str | None:
        """The track whose roles include ``role`` (case-insensitive), else None."""
        if not role:
            return None
        key = role.strip().casefold()
        for track, roles in self.tracks.items():
            if key == track.casefold() or key in (r.casefold() for r in roles):
                return track
        return None

    def ramp_for(self, track: str) -> tuple[float, ...]:
        """The track's ramp schedule (share of full quota per quarter of tenure)."""
        return self.ramp.get(track, DEFAULT_RAMP)

    def ramp_share_at(self, track: str, month: int) -> float:
        """Share of the full quota carried in tenure month ``month`` (0-based)."""
        schedule = self.ramp_for(track)
        q = month // 3
        return schedule[q] if q < len(schedule) else 1.0


def _fail(message: str, key: str, settings: Settings, hint: str | None = None) -> ConfigError:
    return ConfigError(
        message, path=settings.config_file, field=f"onboarding.{key}", hint=hint or KEYS[key]
    )


def onboarding_settings(settings: Settings | None = None) -> OnboardingSettings:
    """Read and check ``[onboarding]`` of ``settings`` (ConfigError naming the file and key)."""
    settings = settings or Settings()
    raw: dict[str, Any] = settings.table("onboarding")
    for key in raw:
        if key not in KEYS:
            raise ConfigError(
                f"unknown onboarding setting '{key}'",
                path=settings.config_file,
                field=f"onboarding.{key}",
                hint=did_you_mean(key, KEYS, "known: "),
            )
    tracks = dict(DEFAULT_TRACKS)
    if "tracks" in raw:
        if not isinstance(raw["tracks"], dict) or not all(
            isinstance(v, list) and all(isinstance(r, str) for r in v)
            for v in raw["tracks"].values()
        ):
            raise _fail("tracks must map a track to a list of roles", "tracks", settings)
        tracks = {str(k).strip().lower(): tuple(v) for k, v in raw["tracks"].items()}
    max_day = raw.get("max_day", 180)
    if isinstance(max_day, bool) or not isinstance(max_day, int) or not 1 <= max_day <= 730:
        raise _fail(f"max_day must be a whole number 1-730, got {max_day!r}", "max_day", settings)
    business = raw.get("business_days", False)
    if not isinstance(business, bool):
        raise _fail("business_days must be true or false", "business_days", settings)
    ramp: dict[str, tuple[float, ...]] = {}
    for track, steps in dict(raw.get("ramp", {})).items():
        ok = isinstance(steps, list) and all(
            isinstance(s, (int, float)) and not isinstance(s, bool) and 0 <= s <= 1 for s in steps
        )
        if not ok:
            raise _fail(f"ramp.{track} must be a list of shares 0-1", "ramp", settings)
        ramp[str(track).lower()] = tuple(float(s) for s in steps)
    share = raw.get("ramp_share", 0.5)
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share <= 2:
        raise _fail(f"ramp_share must be a number in (0, 2], got {share!r}", "ramp_share", settings)
    quota = raw.get("full_quota", {})
    if not isinstance(quota, dict) or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in quota.values()
    ):
        raise _fail("full_quota must map a track to a positive amount", "full_quota", settings)
    return OnboardingSettings(
        tracks=tracks,
        max_day=max_day,
        business_days=business,
        ramp=ramp,
        ramp_share=float(share),
        full_quota={str(k).lower(): float(v) for k, v in quota.items()},
    )


__all__ = ["DEFAULT_RAMP", "DEFAULT_TRACKS", "KEYS", "OnboardingSettings", "onboarding_settings"]

"""The [onboarding] table of spmkb.toml: declared keys, defaults, checks naming the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from spmkb.config import load_settings
from spmkb.errors import ConfigError
from spmkb.onboarding.settings import OnboardingSettings, onboarding_settings


def _settings(tmp_path: Path, text: str):
    (tmp_path / "spmkb.toml").write_text(text, encoding="utf-8")
    return load_settings(cwd=tmp_path, environ={})


def test_defaults_without_a_table(tmp_path: Path) -> None:
    o = onboarding_settings(_settings(tmp_path, ""))
    assert o == OnboardingSettings()
    assert o.track_for_role("account executive") == "ae" and o.track_for_role("SDR") == "sdr"
    assert o.track_for_role("SE") is None
    assert [o.ramp_share_at("ae", m) for m in (0, 3, 6, 9, 20)] == [0.0, 0.25, 0.5, 1.0, 1.0]


def test_declared_tracks_and_ramp(tmp_path: Path) -> None:
    o = onboarding_settings(
        _settings(
            tmp_path,
            """
[onboarding]
tracks = {ae = ["AE"], csm = ["CSM", "Customer Success"]}
max_day = 120
business_days = true
ramp = {ae = [0.5, 1.0]}
full_quota = {ae = 200000}
""",
        )
    )
    assert list(o.tracks) == ["ae", "csm"] and o.track_for_role("customer success") == "csm"
    assert (o.max_day, o.business_days, o.full_quota) == (120, True, {"ae": 200000.0})
    assert o.ramp_share_at("ae", 0) == 0.5 and o.ramp_share_at("ae", 3) == 1.0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[onboarding]\nmax_dy = 90\n", "unknown setting 'max_dy' in [onboarding]"),
        ("[onboarding]\nmax_day = 'x'\n", "[onboarding] max_day must be"),
        ("[onboarding]\nramp = {ae = [0.5, 2]}\n", "ramp.ae must be a list of shares 0-1"),
        ("[onboarding]\ntracks = {ae = 'AE'}\n", "tracks must map a track to a list of roles"),
    ],
    ids=["unknown-key", "bad-max-day", "bad-ramp", "bad-tracks"],
)
def test_bad_settings_name_the_file(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        onboarding_settings(_settings(tmp_path, text))
    assert message in str(err.value) and "spmkb.toml" in str(err.value)

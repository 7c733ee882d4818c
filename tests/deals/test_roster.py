"""The roster: one place to find a rep, their team, start and end date, tenure and activity."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from spmkb.deals.roster import Roster, match_name, rep_key
from spmkb.deals.schema import DealData, empty_frame
from spmkb.errors import NotFoundError


def _data() -> DealData:
    """Four reps whose names differ only by accents, punctuation or script, and one owner
    of a deal who is missing from the reps table."""
    reps = pd.DataFrame(
        {
            "rep": ["李雷", "王芳", "José García", "Jose Garcia", "Anna O'Neil"],
            "rep_id": [None, None, "CRM-7", None, None],
            "team": ["East", "East", "West", "West", "East"],
            "role": ["AE", "SDR", "AE", "AE", "AE"],
            "start_date": pd.to_datetime(["2026-01-05", None, "2025-03-01", None, "2026-06-01"]),
            "end_date": pd.to_datetime([None, None, "2026-04-30", None, None]),
        }
    )
    opps = empty_frame("opportunities")
    opps = pd.DataFrame(
        {
            "id": ["1", "2", "3"],
            "rep": ["李雷", "Anna O Neil", "José García"],
            **{c: [None] * 3 for c in opps.columns if c not in ("id", "rep")},
        }
    )
    return DealData(opps, reps=reps)


def test_names_that_differ_only_in_accents_script_or_punctuation_stay_different_people() -> None:
    ros = Roster.from_data(_data())
    ids = {r.name: r.id for r in ros}
    # Six people: five in the reps table, plus "Anna O Neil" who only owns a deal.
    assert len(ros) == 6
    assert len(set(ids.values())) == 6
    assert ids["José García"] == "CRM-7"  # the rep_id column wins when given
    assert ids["Jose Garcia"] == "Jose Garcia"  # else the name, every character kept
    assert ids["李雷"] != ids["王芳"]
    assert ros.find("anna o'neil").name == "Anna O'Neil"
    assert ros.find("Anna O Neil").name == "Anna O Neil"
    assert ros.find("CRM-7").name == "José García"


def test_lookups_are_case_insensitive_and_unknown_names_suggest() -> None:
    ros = Roster.from_data(_data())
    assert ros.find_team("east") == "East"
    assert [r.name for r in ros.members("WEST")] == ["Jose Garcia", "José García"]
    assert ros.team_of("jose garcia") == "West"
    with pytest.raises(NotFoundError) as err:
        ros.find_team("Est")
    assert str(err.value) == "no team named 'Est' in the deal data — did you mean 'West', 'East'?"
    with pytest.raises(NotFoundError) as err:
        ros.find("Jose Garsia")
    assert "did you mean 'Jose Garcia'" in str(err.value)


def test_tenure_and_active() -> None:
    """José started 2025-03-01 and left 2026-04-30: on 2025-03-11 he has 10 days of tenure."""
    ros = Roster.from_data(_data())
    assert ros.tenure_days("José García", date(2025, 3, 11)) == 10
    assert ros.active("José García", date(2026, 4, 30))
    assert not ros.active("José García", date(2026, 5, 1))
    assert not ros.active("Anna O'Neil", date(2026, 5, 31))  # not started yet
    assert ros.tenure_days("王芳", date(2026, 1, 1)) is None  # no start date
    assert ros.active("王芳", date(2026, 1, 1))  # unknown start: counted as active


def test_names_only_with_deals_and_team_filter() -> None:
    ros = Roster.from_data(_data())
    assert ros.names(with_deals=True) == sorted(["李雷", "Anna O Neil", "José García"])
    assert ros.names(team="east") == sorted(["李雷", "王芳", "Anna O'Neil"])


def test_rep_key_keeps_every_character() -> None:
    assert rep_key("  José   García ") == "José García"
    assert rep_key("José García") != rep_key("Jose Garcia")
    # NFC: a decomposed é (e + combining accent) is the same person as a composed one
    assert rep_key("Jose\u0301") == rep_key("José")
    assert match_name("JOSÉ GARCÍA", ["José García", "Jose Garcia"]) == "José García"


def test_sample_team_lookup_finds_quota_whatever_the_case(sample_deal_data) -> None:
    """A team typed in lower case gets the same figures, quota included, as its real name."""
    from spmkb.deals.metrics import attainment, win_rate

    a = attainment(sample_deal_data, team="east", period="2026-Q2")
    b = attainment(sample_deal_data, team="East", period="2026-Q2")
    pd.testing.assert_frame_equal(a, b)
    assert a["quota"].notna().all()
    pd.testing.assert_frame_equal(
        win_rate(sample_deal_data, team="east", period="2026-Q2"),
        win_rate(sample_deal_data, team="East", period="2026-Q2"),
    )

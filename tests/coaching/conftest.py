"""Fixtures of the coaching tests."""

from __future__ import annotations

import pytest
from coaching_data import make_team

from spmkb.deals.schema import DealData


@pytest.fixture(scope="session")
def team() -> DealData:
    """The hand-made team with six planted top performers."""
    return make_team()

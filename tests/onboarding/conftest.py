"""Fixtures for onboarding tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from onboarding_data import DATA


@pytest.fixture
def data_dir() -> Path:
    """tests/data/onboarding."""
    return DATA

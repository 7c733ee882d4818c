"""docs/authoring.md must list every field and every default vocabulary value."""

from __future__ import annotations

from pathlib import Path

import pytest

from spmkb import config
from spmkb.content.fields import FIELDS, ONBOARDING_FIELDS
from spmkb.content.parse import FOLDER_TYPES

DOC = (Path(__file__).resolve().parents[2] / "docs" / "authoring.md").read_text(encoding="utf-8")

VOCABULARY = [
    *config.DEFAULT_STAGES,
    *config.DEFAULT_TYPES,
    *config.DEFAULT_PERSONAS,
    *config.DEFAULT_INDUSTRIES,
]


@pytest.mark.parametrize("value", VOCABULARY)
def test_default_vocabulary_is_documented(value: str) -> None:
    assert f"`{value}`" in DOC


@pytest.mark.parametrize("name", [f.name for f in FIELDS])
def test_field_is_documented(name: str) -> None:
    assert f"| `{name}` |" in DOC


@pytest.mark.parametrize("name", list(ONBOARDING_FIELDS))
def test_onboarding_key_is_documented(name: str) -> None:
    assert f"  {name}:" in DOC


@pytest.mark.parametrize("folder", list(FOLDER_TYPES))
def test_folder_inference_is_documented(folder: str) -> None:
    assert f"`{folder}/`" in DOC

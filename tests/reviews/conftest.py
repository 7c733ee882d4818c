"""Fixtures for review tests: a small sample workspace (deals, standards, rubric, store)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from spmkb.config import Settings, load_settings

DATA = Path(__file__).resolve().parents[1] / "data" / "reviews"
REPO = Path(__file__).resolve().parents[2]


def make_workspace(root: Path, deals: Path) -> Settings:
    """Settings for a workspace under ``root`` reading deal data from ``deals``."""
    (root / "playbooks" / "reviews").mkdir(parents=True, exist_ok=True)
    shutil.copy(DATA / "rubric.md", root / "playbooks" / "reviews" / "sales-competency-rubric.md")
    shutil.copy(REPO / "standards.yml", root / "standards.yml")
    return load_settings(
        {
            "store": root / "store",
            "deals": deals,
            "playbooks": root / "playbooks",
            "standards": root / "standards.yml",
            "reviews_dir": root / "reviews",
        },
        cwd=root,
        environ={},
    )


@pytest.fixture(scope="session")
def sample_deals(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A reduced deterministic sample (12 reps, 3 per team) written as a deal folder."""
    from spmkb.deals.sample import write_sample

    out = tmp_path_factory.mktemp("deals") / "sample"
    write_sample(out, seed=7, csv=False, n_reps=12)
    return out


@pytest.fixture(scope="session")
def sample_data(sample_deals: Path):  # -> DealData
    """The sample deal data as the notebooks read it."""
    from spmkb.deals.workspace import load_deal_data

    return load_deal_data(Settings(), folder=sample_deals)


@pytest.fixture()
def workspace(tmp_path: Path, sample_deals: Path) -> Settings:
    """A fresh workspace over the sample deals."""
    return make_workspace(tmp_path, sample_deals)


@pytest.fixture(scope="session")
def make_ws():  # -> Callable[[Path, Path], Settings]
    """The workspace factory, for module-scoped fixtures."""
    return make_workspace

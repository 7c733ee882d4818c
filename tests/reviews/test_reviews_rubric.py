"""The review rubric asset: parsing and its limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from spmkb.config import Settings
from spmkb.errors import ReviewError
from spmkb.reviews.rubric import load_rubric, parse_rubric

DATA = Path(__file__).resolve().parents[1] / "data" / "reviews"


def _rubric_text(n: int) -> str:
    comps = "".join(
        f"  - id: c{i}\n    name: C{i}\n    levels: {{1: a, 2: b, 3: c, 4: d, 5: e}}\n"
        for i in range(n)
    )
    return f"---\ntitle: R\ntype: review-rubric\nrubric:\n{comps}---\n# R\n\nBody text.\n"


def test_parse_test_rubric() -> None:
    r = parse_rubric((DATA / "rubric.md").read_text(), "reviews/rubric.md")
    assert r.ids == ["discovery", "closing"]
    assert r.get("closing").guidance(3) == "Agrees a mutual close plan."


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (_rubric_text(6), "at most 5 competencies, found 6"),
        (_rubric_text(2).replace("5: e", "5: ''"), "levels 5 have no description"),
        (
            _rubric_text(1).replace("type: review-rubric", "type: playbook"),
            "expected 'review-rubric'",
        ),
        (_rubric_text(2).replace("id: c1", "id: c0"), "duplicate competency id 'c0'"),
    ],
    ids=["too-many", "missing-level", "wrong-type", "duplicate-id"],
)
def test_bad_rubrics(text: str, words: str) -> None:
    with pytest.raises(ReviewError, match=words) as info:
        parse_rubric(text, "reviews/r.md")
    assert info.value.path == "reviews/r.md"


def test_load_rubric_from_playbooks(tmp_path: Path) -> None:
    (tmp_path / "reviews").mkdir()
    (tmp_path / "reviews" / "sales-competency-rubric.md").write_text(
        (DATA / "rubric.md").read_text()
    )
    r = load_rubric(Settings(playbooks=tmp_path))
    assert r.id == "test-rubric"
    with pytest.raises(ReviewError, match="review rubric not found"):
        load_rubric(Settings(playbooks=tmp_path / "none"))


def test_repo_rubric_loads(repo_root: Path) -> None:
    path = repo_root / "playbooks" / "reviews" / "sales-competency-rubric.md"
    assert path.is_file(), "the repository ships the sample rubric"
    r = load_rubric(Settings(playbooks=repo_root / "playbooks"))
    assert 1 <= len(r.competencies) <= 5

"""ReviewForm driven headlessly: set values, click Save, assert the status line, reopen."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from spmkb.reviews import store
from spmkb.reviews.rubric import Rubric, parse_rubric
from spmkb.widgets.review_form import ReviewForm, render_guidance, render_status

DATA = Path(__file__).resolve().parents[1] / "data" / "reviews"


@pytest.fixture(scope="module")
def rubric() -> Rubric:
    """The test rubric (two competencies)."""
    return parse_rubric((DATA / "rubric.md").read_text(), "reviews/rubric.md")


def _fill(form: ReviewForm) -> None:
    form.ratings["discovery"].value = 4
    form.ratings["closing"].value = 2
    form.strengths.value = "Sharp discovery <b>questions</b>"
    form.development_areas.value = "Close plans"
    form.self_assessment.value = "I rush the close."
    text, due = form.goals.rows[-1]
    text.value = "Mutual close plan on every deal over 50k"
    due.value = date(2026, 9, 30)
    form.action_items.rows[-1][0].value = "Role-play closing with manager"
    form.author.value = "Grace Okafor"


def test_guidance_follows_the_rating(tmp_path: Path, rubric: Rubric) -> None:
    form = ReviewForm("Priya Nair", "2026-Q2", db_path=tmp_path / "spmkb.db", rubric=rubric)
    assert "Choose a rating" in form.guidance["closing"].value
    form.ratings["closing"].value = 3
    assert form.guidance["closing"].value == render_guidance(rubric.get("closing"), 3)
    assert "Agrees a mutual close plan." in form.guidance["closing"].value
    assert form.status.value == render_status("Not saved yet.", "info")


def test_save_then_reopen_shows_saved_state(tmp_path: Path, rubric: Rubric) -> None:
    db = tmp_path / "spmkb.db"
    form = ReviewForm("Priya Nair", "2026-Q2", db_path=db, rubric=rubric)
    _fill(form)
    form.save_button.click()
    assert "Saved version 1 (draft) by Grace Okafor" in form.status.value
    reopened = ReviewForm("Priya Nair", "2026-Q2", db_path=db, rubric=rubric)
    assert reopened.version == 1
    assert reopened.ratings["discovery"].value == 4
    assert reopened.ratings["closing"].value == 2
    assert reopened.strengths.value == "Sharp discovery <b>questions</b>"
    assert reopened.goals.rows[0][0].value == "Mutual close plan on every deal over 50k"
    assert reopened.goals.rows[0][1].value == date(2026, 9, 30)
    assert reopened.action_items.rows[0][0].value == "Role-play closing with manager"
    assert "Version 1 (draft) saved by Grace Okafor" in reopened.status.value
    # submitting from the reopened form creates version 2
    reopened.status_select.value = "submitted"
    reopened.author.value = "Grace Okafor"
    reopened.save_button.click()
    assert "Saved version 2 (submitted)" in reopened.status.value
    assert [v.status for v in store.versions(store.open_db(db), "Priya Nair", "2026-Q2")] == [
        "draft",
        "submitted",
    ]


def test_stale_form_shows_conflict(tmp_path: Path, rubric: Rubric) -> None:
    db = tmp_path / "spmkb.db"
    first = ReviewForm("Tom Becker", "2026-Q2", db_path=db, rubric=rubric, author="ann")
    second = ReviewForm("Tom Becker", "2026-Q2", db_path=db, rubric=rubric, author="bob")
    first.strengths.value = "from ann"
    first.save_button.click()
    second.strengths.value = "from bob"
    second.save_button.click()
    assert "Not saved:" in second.status.value
    assert "changed since you opened it" in second.status.value
    second.reload_button.click()
    assert second.strengths.value == "from ann"
    assert second.version == 1


def test_errors_are_shown_not_swallowed(tmp_path: Path, rubric: Rubric) -> None:
    form = ReviewForm("Tom Becker", "2026-Q2", db_path=tmp_path / "spmkb.db", rubric=rubric)
    form.status_select.value = "submitted"
    form.author.value = "x"
    form.save_button.click()
    assert "Not saved:" in form.status.value
    assert "competencies not rated: discovery, closing" in form.status.value
    form.author.value = ""
    form.status_select.value = "draft"
    form.save_button.click()
    assert "author is required" in form.status.value


def test_corrupt_database_disables_save(tmp_path: Path, rubric: Rubric) -> None:
    db = tmp_path / "spmkb.db"
    db.write_bytes(b"garbage" * 500)
    form = ReviewForm("Tom Becker", "2026-Q2", db_path=db, rubric=rubric)
    assert form.save_button.disabled
    assert "Cannot open saved reviews" in form.status.value
    assert db.read_bytes() == b"garbage" * 500

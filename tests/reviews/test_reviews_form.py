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


def test_unchanged_save_says_so_next_to_the_button_and_adds_no_version(
    tmp_path: Path, rubric: Rubric
) -> None:
    """Save, then Save again without a change: still one version, and the status (which sits
    in the same row as the Save button) says nothing was saved."""
    db = tmp_path / "spmkb.db"
    form = ReviewForm("Priya Nair", "2026-Q2", db_path=db, rubric=rubric)
    _fill(form)
    form.save_button.click()
    assert "Saved version 1 (draft)" in form.status.value
    form.save_button.click()
    assert form.status.value == render_status("No changes since version 1: nothing saved.")
    assert [v.version for v in store.versions(store.open_db(db), "Priya Nair", "2026-Q2")] == [1]
    button_row = next(
        c for c in form.widget.children if form.save_button in getattr(c, "children", ())
    )
    assert form.status in button_row.children
    form.strengths.value = "Sharper discovery"
    form.save_button.click()
    assert "Saved version 2 (draft)" in form.status.value


def test_version_history_shows_in_the_form(tmp_path: Path, rubric: Rubric) -> None:
    """Two saves (v1 draft with ratings and text, v2 submitted with only strengths changed):
    the history lists both, newest first, with what each changed; a reopened form too."""
    db = tmp_path / "spmkb.db"
    form = ReviewForm("Priya Nair", "2026-Q2", db_path=db, rubric=rubric)
    assert "no version saved yet" in form.history.value
    _fill(form)
    form.save_button.click()
    form.strengths.value = "Sharper discovery"
    form.status_select.value = "submitted"
    form.save_button.click()
    reopened = ReviewForm("Priya Nair", "2026-Q2", db_path=db, rubric=rubric)
    for shown in (form.history.value, reopened.history.value):
        rows = shown.split("<tr>")[2:]  # header row first
        assert [r.split("<td>")[1].split("</td>")[0] for r in rows] == ["2", "1"]
        assert "strengths, status draft → submitted" in rows[0]
        assert (
            "ratings, strengths, development areas, self-assessment, goals, action items"
            in rows[1]
        )
        assert "Grace Okafor" in rows[0]


def test_fallback_shows_saved_answers_and_run_all_not_widget_text(
    tmp_path: Path, rubric: Rubric
) -> None:
    """Where widgets cannot show, the output is HTML: the run-all prompt, the answers as saved
    (typed ``<script>`` kept as visible text) and the history; the text form is one line."""
    db = tmp_path / "spmkb.db"
    form = ReviewForm("Priya Nair", "2026-Q2", db_path=db, rubric=rubric)
    bundle = form._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "Run all cells to fill in the form" in bundle["text/html"]
    assert "not been saved yet" in bundle["text/html"]
    assert "VBox(" not in bundle["text/plain"]
    assert bundle["text/plain"] == (
        "Review form for Priya Nair, 2026-Q2. "
        "Run all cells to fill in the form (menu Run → Run All Cells)."
    )
    _fill(form)
    form.strengths.value = "Asks <script>alert(1)</script> questions"
    form.save_button.click()
    page = form._repr_mimebundle_()["text/html"]
    assert "Asks &lt;script&gt;alert(1)&lt;/script&gt; questions" in page
    assert "<script" not in page
    assert "Mutual close plan on every deal over 50k" in page
    assert "Version 1 · draft · saved by Grace Okafor" in page
    assert "spmkb-history" in page
    reopened = ReviewForm("Priya Nair", "2026-Q2", db_path=db, rubric=rubric)
    assert reopened.strengths.value == "Asks <script>alert(1)</script> questions"


def test_save_refreshes_the_displayed_fallback(tmp_path: Path, rubric: Rubric) -> None:
    """After a save the notebook output's HTML carries the new version (a notebook saved by
    JupyterLab then holds the answers as saved, not as they were when the cell ran)."""

    class Handle:
        """Stands in for IPython's DisplayHandle: records updates."""

        def __init__(self) -> None:
            self.updates: list[dict] = []

        def update(self, bundle: dict, raw: bool = False) -> None:
            """Record the update."""
            assert raw
            self.updates.append(bundle)

    form = ReviewForm("Priya Nair", "2026-Q2", db_path=tmp_path / "spmkb.db", rubric=rubric)
    form._display = handle = Handle()
    _fill(form)
    form.save_button.click()
    assert len(handle.updates) == 1
    assert "Version 1 · draft · saved by Grace Okafor" in handle.updates[0]["text/html"]
    assert "application/vnd.jupyter.widget-view+json" in handle.updates[0]
    form.save_button.click()  # unchanged: nothing saved, nothing to refresh
    assert len(handle.updates) == 1

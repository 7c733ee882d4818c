"""The review notebook's onboarding and coaching sections, composed by a face (review_extras)."""

from __future__ import annotations

import pytest

from spmkb.config import load_settings
from spmkb.reviews.notebook import ReviewContext
from spmkb.reviews.sections import build_review
from spmkb.reviews.standards import load_standards
from spmkb.widgets.review_extras import coaching_plan, onboarding_status


@pytest.fixture
def context(sample_deal_data, tmp_path, repo_root):
    """A review context over the full sample, with an empty workspace database."""

    def make(rep: str, period: str = "2026-Q2") -> ReviewContext:
        settings = load_settings({"store": str(tmp_path / "store")}, cwd=repo_root, environ={})
        review = build_review(
            sample_deal_data, rep, period, load_standards(repo_root / "standards.yml")
        )
        return ReviewContext(settings, review, None, ("2026-Q1", []), [], sample_deal_data)

    return make


def test_a_new_hire_shows_onboarding_status_a_tenured_rep_does_not(context) -> None:
    """Chloe Dubois started 2026-06-01: day 29 on 2026-06-30, inside the 180-day programme."""
    chloe = onboarding_status(context("Chloe Dubois"))
    assert "Chloe Dubois is on day 29 of the ae track" in chloe.html
    assert chloe.data["hire"]["name"] == "Chloe Dubois"
    priya = onboarding_status(context("Priya Nair"))
    assert priya.html.startswith("<p><em>Not onboarding: Priya Nair started ")


def test_an_open_coaching_plan_shows_in_the_review(context) -> None:
    from spmkb.coaching.plans import build_plan, save_plan
    from spmkb.coaching.store import open_db

    ctx = context("Tom Becker")
    assert coaching_plan(ctx).html == (
        "<p><em>No open coaching plan for Tom Becker on 2026-06-30.</em></p>"
    )
    plan = build_plan(ctx.deals, "Tom Becker", window="2026-H1", period="2026-Q2")
    saved = save_plan(open_db(ctx.settings.db_path), plan, author="manager")
    shown = coaching_plan(ctx)
    assert shown.data["plan"]["version"] == saved.version
    assert f"Focus: {plan.focus.label or plan.focus.kind}" in shown.html
    assert "Result so far:" in shown.html

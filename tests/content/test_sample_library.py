"""The sample library in playbooks/ is a model for enablement teams: it must lint clean."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from spmkb.config import load_settings
from spmkb.content import lint_library
from spmkb.search.labels import load_queries

REPO = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 28)  # freshness buckets below were set relative to this day


def test_sample_library_lints_clean_with_every_field_set() -> None:
    settings = load_settings(cwd=REPO, environ={})
    report = lint_library(REPO / "playbooks", settings, today=TODAY)
    assert report.ok, [str(p) for p in report.problems if p.severity == "error"]
    assert len(report.assets) >= 50
    for asset in report.assets:
        assert asset.owner, asset.path
        assert asset.stages, asset.path
        assert asset.reviewed and asset.review_every, asset.path
    buckets = list(report.freshness.values())
    assert buckets.count("stale") >= 3, "some assets are deliberately stale to show the badges"
    assert buckets.count("fresh") > len(buckets) / 2
    types = {a.type for a in report.assets}
    assert {
        "playbook",
        "battlecard",
        "objection-handling",
        "case-study",
        "email-template",
        "onboarding-module",
        "review-rubric",
    } <= types
    stages = {s for a in report.assets for s in a.stages}
    assert {"prospecting", "discovery", "negotiation", "closing", "renewal", "expansion"} <= stages


def test_labeled_queries_point_at_existing_assets() -> None:
    settings = load_settings(cwd=REPO, environ={})
    ids = {a.id for a in lint_library(REPO / "playbooks", settings, today=TODAY).assets}
    queries = load_queries(REPO / "eval" / "queries.yml")
    assert len(queries) >= 60
    for q in queries:
        assert q.relevant, q.query
        assert set(q.relevant) <= ids, (q.query, set(q.relevant) - ids)

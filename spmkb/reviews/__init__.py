"""Structured performance reviews: standards, rubric, scorecard, generated notebooks, saved forms.

Public API (imported lazily so ``import spmkb.reviews`` stays light)::

    from spmkb.reviews import load_standards, load_rubric, scorecard, build_review
    from spmkb.reviews import new_review, new_reviews, save_review, list_reviews, export_review
"""

from __future__ import annotations

from spmkb._lazy import lazy_exports

_LAZY = {
    "Standard": "spmkb.reviews.standards",
    "Standards": "spmkb.reviews.standards",
    "load_standards": "spmkb.reviews.standards",
    "parse_standards": "spmkb.reviews.standards",
    "check_standards": "spmkb.reviews.standards",
    "Rubric": "spmkb.reviews.rubric",
    "load_rubric": "spmkb.reviews.rubric",
    "parse_rubric": "spmkb.reviews.rubric",
    "scorecard": "spmkb.reviews.scorecard",
    "trend": "spmkb.reviews.scorecard",
    "score": "spmkb.reviews.scorecard",
    "Review": "spmkb.reviews.sections",
    "build_review": "spmkb.reviews.sections",
    "new_review": "spmkb.reviews.generate",
    "new_reviews": "spmkb.reviews.generate",
    "open_db": "spmkb.reviews.store",
    "save_review": "spmkb.reviews.store",
    "latest": "spmkb.reviews.store",
    "versions": "spmkb.reviews.store",
    "list_reviews": "spmkb.reviews.history",
    "previous_goals": "spmkb.reviews.history",
    "export_review": "spmkb.reviews.export",
    "open_review": "spmkb.reviews.notebook",
}

__getattr__, __dir__, __all__ = lazy_exports(__name__, _LAZY)

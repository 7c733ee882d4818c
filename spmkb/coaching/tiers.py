"""Performance tiers over a window: the coaching practice's name for :mod:`spmkb.deals.tiers`.

The tiers moved down into the deals engine so that review standards (``standard:
top_profile``) and onboarding milestones can read the top tier's figures without importing
coaching (practices do not import each other). Everything public is re-exported here;
``options`` may be a :class:`~spmkb.coaching.options.CoachingOptions` (it has every tier rule).
"""

from __future__ import annotations

from spmkb.deals.tiers import TIERS, Tiers, circumstance, closed_in, parse_window, tiers

#: Kept for the coaching modules that read the window's closed deals.
_closed_in = closed_in

__all__ = ["TIERS", "Tiers", "circumstance", "parse_window", "tiers"]

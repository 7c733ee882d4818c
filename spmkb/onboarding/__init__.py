"""Onboarding, a practice: curriculum -> plan per hire -> progress -> milestones -> ramp.

See docs/onboarding.md. The faces call :mod:`spmkb.onboarding.service` (one function per
action); ramp analytics are in :mod:`spmkb.onboarding.ramp`.
"""

from spmkb.onboarding.curriculum import Curriculum, Module, build_curriculum, load_curriculum
from spmkb.onboarding.lint import lint_curriculum
from spmkb.onboarding.plan import Hire, Plan, PlanItem
from spmkb.onboarding.ramp import kaplan_meier, milestone_analysis, ramp_report
from spmkb.onboarding.service import (
    HireStatus,
    OnboardingWorkspace,
    certify,
    complete,
    enroll,
    note,
    open_workspace,
    plan,
    status,
)
from spmkb.onboarding.settings import OnboardingSettings, onboarding_settings

__all__ = [
    "Curriculum",
    "Hire",
    "HireStatus",
    "Module",
    "OnboardingSettings",
    "OnboardingWorkspace",
    "Plan",
    "PlanItem",
    "build_curriculum",
    "certify",
    "complete",
    "enroll",
    "kaplan_meier",
    "lint_curriculum",
    "load_curriculum",
    "milestone_analysis",
    "note",
    "onboarding_settings",
    "open_workspace",
    "plan",
    "ramp_report",
    "status",
]

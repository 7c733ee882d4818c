"""Review sections that come from the other practices, composed here (a face), not in reviews/.

A review notebook shows, next to the scorecard, the rep's onboarding status when they are in
their first ``max_day`` days at the end of the period, and their open coaching plan with its
follow-up. Reviews, onboarding and coaching do not import each other; the review template calls
these two functions, which call each practice and render sanitised HTML.
"""

from __future__ import annotations

import html
from datetime import date
from typing import Any

from spmkb.content.render import sanitize_html
from spmkb.deals.periods import Period
from spmkb.errors import SpmkbError


class Section:
    """Sanitised HTML that Jupyter displays, plus the figures as a dict (``data``)."""

    def __init__(self, body: str, data: dict[str, Any]) -> None:
        self.html = sanitize_html(body)
        self.data = data

    def _repr_html_(self) -> str:
        """The HTML."""
        return self.html


def _note(text: str, **data: Any) -> Section:
    return Section(f"<p><em>{html.escape(text)}</em></p>", {"note": text, **data})


def _period_end(review: Any) -> date:
    """The last day of the review period, or the data's last day if the period still runs."""
    from spmkb.deals._frame import data_today

    end = Period.parse(review.period).end
    return min(end, data_today(review.deals))


def onboarding_status(review: Any) -> Section:
    """The rep's onboarding status at the end of the period, if they were onboarding then."""
    from spmkb.deals.roster import roster
    from spmkb.onboarding.service import open_workspace, status

    who = roster(review.deals).find(review.rep)
    on = _period_end(review)
    max_day = int(review.settings.option("onboarding", "max_day"))
    if who.start_date is None:
        return _note(f"{who.name} has no start date in the deal data: no onboarding status.")
    day = (on - who.start_date).days
    if day > max_day:
        return _note(f"Not onboarding: {who.name} started {who.start_date} (day {day} on {on}).")
    try:
        ws = open_workspace(review.settings, today=on, data=review.deals)
        (row,) = status(ws, who.name)
    except SpmkbError as err:
        return _note(f"Onboarding status unavailable: {err}")
    p, counts = row.plan, row.plan.counts()
    items = "".join(
        f"<li>{html.escape(m.text)}: {html.escape(m.label())}</li>" for m in row.milestones
    )
    behind = "".join(f"<li>{html.escape(b)}</li>" for b in row.behind)
    body = (
        f"<p>{html.escape(who.name)} is on day {day} of the {html.escape(p.hire.track)} track "
        f"(status <b>{html.escape(p.status)}</b>): {counts['done']} of {len(p.items)} modules "
        f"done, {counts['overdue']} overdue.</p>"
        + (f"<p>Milestones:</p><ul>{items}</ul>" if items else "")
        + (f"<p>Behind:</p><ul>{behind}</ul>" if behind else "")
    )
    return Section(body, row.to_dict())


def coaching_plan(review: Any) -> Section:
    """The rep's open coaching plan covering the end of the period, and its follow-up."""
    from spmkb.coaching.followup import follow_up
    from spmkb.coaching.plans import Plan, open_plan
    from spmkb.coaching.store import open_db

    on = _period_end(review)
    try:
        found = open_plan(open_db(review.settings.db_path), review.deals, review.rep, on)
    except SpmkbError as err:
        return _note(f"Coaching plans unavailable: {err}")
    if found is None:
        return _note(f"No open coaching plan for {review.rep} on {on}.")
    plan = Plan.from_dict(found)
    try:
        result = follow_up(review.deals, plan, on=on)
        outcome = result.message or "follow-up computed"
    except SpmkbError as err:
        result, outcome = None, f"follow-up unavailable: {err}"
    goals = "".join(f"<li>{html.escape(str(g.get('text', g)))}</li>" for g in plan.goals)
    body = (
        f"<p>Plan {html.escape(str(found.get('plan_id', '')))} ({html.escape(found['status'])}, "
        f"version {found['version']}), {plan.start} to the follow-up on {plan.followup}.</p>"
        f"<p>Focus: {html.escape(plan.focus.label or plan.focus.kind)}"
        f"{' — ' + html.escape(plan.focus.reason) if plan.focus.reason else ''}</p>"
        + (f"<p>Goals:</p><ul>{goals}</ul>" if goals else "")
        + f"<p>Result so far: {html.escape(outcome)}</p>"
    )
    return Section(body, {"plan": found, "follow_up": result.to_dict() if result else None})


__all__ = ["Section", "coaching_plan", "onboarding_status"]

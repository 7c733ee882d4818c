"""What the review notebook template calls: :func:`open_review` loads settings, deal data,
standards and rubric once and returns a :class:`ReviewContext` whose methods return displayable
objects (sanitised HTML, and one ``application/json`` bundle with every figure).

No IPython import here: the returned objects implement ``_repr_html_`` /
``_repr_mimebundle_``, which Jupyter displays.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from spmkb.config import Settings
from spmkb.errors import SpmkbError
from spmkb.reviews import render

#: The cell tag and MIME type under which the notebook shows the review's figures.
DATA_TAG = "review-data"
DATA_MIME = "application/json"


class Html:
    """A piece of sanitised HTML that Jupyter displays as such."""

    def __init__(self, html: str) -> None:
        self.html = html

    def _repr_html_(self) -> str:
        """The HTML."""
        return self.html


class JsonData:
    """JSON data displayed as ``application/json`` (collapsed text in plain viewers)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def _repr_mimebundle_(self, **_kw: Any) -> dict[str, Any]:
        """The bundle: JSON plus a one-line text fallback."""
        return {
            DATA_MIME: self.data,
            "text/plain": f"review data for {self.data.get('rep')} (JSON)",
        }


class ReviewContext:
    """Everything one review notebook shows, computed once."""

    def __init__(
        self,
        settings: Settings,
        review: Any,
        rubric: Any,
        previous: tuple[str, list[dict[str, Any]]],
        notes: list[str],
        data: Any = None,
    ) -> None:
        self.settings, self.review, self.rubric = settings, review, rubric
        self.previous_period, self.previous_goals = previous
        self.notes = notes
        self.deals = data  # the deal data the figures come from

    @property
    def rep(self) -> str:
        """The rep's canonical name."""
        return self.review.rep

    @property
    def period(self) -> str:
        """The period label."""
        return self.review.period

    def header(self) -> Html:
        """Title, team, overall score and notes."""
        extra = "".join(f"<p><em>{render.html.escape(n)}</em></p>" for n in self.notes)
        return Html(render.render_header(self.review) + render._safe(extra))

    def scorecard(self) -> Html:
        """The scorecard against the standards."""
        return Html(render.render_scorecard(self.review.scorecard))

    def trend(self) -> Html:
        """The last four periods."""
        return Html(render.render_trend(self.review.trend))

    def funnel(self) -> Html:
        """Funnel vs team and coaching focus."""
        return Html(render.render_funnel(self.review.funnel, self.review.focus))

    def winloss(self) -> Html:
        """Win/loss summary and largest deals."""
        return Html(render.render_winloss(self.review))

    def forecast(self) -> Html:
        """Next-period forecast."""
        return Html(render.render_forecast(self.review.forecast))

    def recommendations(self) -> Html:
        """Recommended assets for the focus stage."""
        return Html(render.render_recommendations(self.review.recommendations))

    def goals(self) -> Html:
        """Last period's goals and whether they were met."""
        return Html(render.render_previous_goals(self.previous_goals, self.previous_period))

    def data(self) -> JsonData:
        """Every figure of the review as JSON (the ``review-data`` cell)."""
        d = self.review.to_dict()
        d["previous_goals"] = {"period": self.previous_period, "goals": self.previous_goals}
        return JsonData(d)


_DATA: dict[Any, Any] = {}


def _cached_data(settings: Settings, loader: Any) -> Any:
    """Deal data, reused while its folder is unchanged (a batch kernel runs many reviews)."""
    folder = Path(settings.deals or settings.deals_store)
    stamp = (
        tuple(sorted((p.name, p.stat().st_mtime_ns) for p in folder.glob("*")))
        if folder.is_dir()
        else None
    )
    key = (str(folder), stamp)
    if key not in _DATA or stamp is None:
        _DATA.clear()
        _DATA[key] = loader(settings)
    return _DATA[key]


def open_review(
    rep: str,
    period: str,
    *,
    data_dir: str | None = None,
    store: str | None = None,
    standards: str | None = None,
    playbooks: str | None = None,
    recommendations_json: str | None = None,
    config: str | None = None,
) -> ReviewContext:
    """Load everything for one review (what the template's first code cell calls).

    ``config`` is the spmkb.toml the generator used (its tables: deal mapping, rubric...);
    empty = look for one from the kernel's working directory.
    """
    from spmkb.config import load_settings
    from spmkb.deals.workspace import load_deal_data
    from spmkb.reviews.history import previous_goals
    from spmkb.reviews.rubric import load_rubric
    from spmkb.reviews.sections import build_review
    from spmkb.reviews.standards import load_standards
    from spmkb.reviews.store import open_db

    settings = load_settings(
        {
            "store": store or None,
            "playbooks": playbooks or None,
            "standards": standards or None,
            "deals": data_dir or None,
        },
        config_file=config or None,
    )
    data = _cached_data(settings, load_deal_data)
    stds = load_standards(settings=settings)
    recs = json.loads(recommendations_json) if recommendations_json else None
    review = build_review(data, rep, period, stds, recommendations=recs)
    notes: list[str] = []
    try:
        rubric = load_rubric(settings)
    except SpmkbError as err:
        rubric = None
        notes.append(f"No rubric: {err}")
    previous: tuple[str, list[dict[str, Any]]] = (review.period, [])
    if Path(settings.db_path).exists():
        try:
            previous = previous_goals(
                open_db(settings.db_path, create=False), review.rep, review.period, review.scorecard
            )
        except SpmkbError as err:
            notes.append(f"Saved reviews unavailable: {err}")
    else:
        from spmkb.deals.periods import Period

        previous = (Period.parse(review.period).previous().label, [])
    return ReviewContext(settings, review, rubric, previous, notes, data)


class TeamContext:
    """A team's reviews for one period: status, completion, ratings and scorecard scores."""

    def __init__(self, team: str | None, period: str, reviews: Any, scores: Any) -> None:
        self.team, self.period, self.reviews, self.scores = team, period, reviews, scores

    def status(self) -> Html:
        """Review status per rep with completion and rating distribution."""
        from spmkb.reviews.history import completion, score_distribution

        return Html(
            render.render_team_status(
                self.reviews, completion(self.reviews), score_distribution(self.reviews)
            )
        )

    def overview(self) -> Html:
        """Scorecard score and verdict counts per rep."""
        return Html(render.render_team_scores(self.scores))

    def data(self) -> JsonData:
        """Status and scores as JSON."""
        from spmkb.deals.overview import records as _records

        return JsonData(
            {
                "rep": self.team,
                "team": self.team,
                "period": self.period,
                "reviews": _records(self.reviews),
                "scores": _records(self.scores),
            }
        )


def open_team(
    team: str | None,
    period: str,
    *,
    data_dir: str | None = None,
    store: str | None = None,
    standards: str | None = None,
) -> TeamContext:
    """Load a team's review status and scorecard scores (what team-reviews.ipynb calls)."""
    import pandas as pd

    from spmkb.config import load_settings
    from spmkb.deals.periods import Period
    from spmkb.deals.workspace import load_deal_data
    from spmkb.deals.roster import roster
    from spmkb.reviews.history import HISTORY_COLUMNS, list_reviews
    from spmkb.reviews.scorecard import team_scores
    from spmkb.reviews.standards import load_standards
    from spmkb.reviews.store import open_db

    settings = load_settings(
        {"store": store or None, "standards": standards or None, "deals": data_dir or None}
    )
    data = _cached_data(settings, load_deal_data)
    label = Period.parse(period).label
    reps = roster(data).names(team=team or None, with_deals=True)
    if Path(settings.db_path).exists():
        reviews = list_reviews(
            open_db(settings.db_path, create=False), team=team or None, period=label, reps=reps
        )
    else:
        reviews = list_reviews_empty(reps, team, label, pd, HISTORY_COLUMNS)
    scores = team_scores(data, team or None, label, load_standards(settings=settings))
    return TeamContext(team, label, reviews, scores)


def list_reviews_empty(
    reps: list[str], team: str | None, period: str, pd: Any, columns: list[str]
) -> Any:
    """The status table when no review was ever saved: every rep ``not generated``."""
    rows = [
        {"rep": r, "team": team, "period": period, "status": "not generated", "version": 0}
        for r in reps
    ]
    return pd.DataFrame(rows, columns=columns)

"""The one place to find a rep: identity, team, role, start and end date, tenure, active or not.

A :class:`Roster` is built from a :class:`~spmkb.deals.schema.DealData`: every rep listed in
the reps table plus every owner of an opportunity. Each rep has a stable identity
(:attr:`Rep.id`): the ``rep_id`` column when the reps table has one, else :func:`rep_key` of
the name, which keeps every character (``李雷`` and ``王芳``, ``José García`` and
``Jose Garcia``, ``Anna O'Neil`` and ``Anna O Neil`` stay different people).

Names are matched case-insensitively everywhere (``east`` finds the team ``East``); an
unknown name raises :class:`~spmkb.errors.NotFoundError` with "did you mean" suggestions.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from spmkb.deals.schema import DealData
from spmkb.errors import NotFoundError, suggest

#: Team of a rep the reps table does not list.
NO_TEAM = "(no team)"


def rep_key(name: str) -> str:
    """A stable key for a rep name that loses no character: NFC form, whitespace collapsed.

    ``rep_key(" José  García ") == "José García"``; ``"Jose Garcia"`` keeps its own key.
    """
    text = unicodedata.normalize("NFC", str(name))
    return " ".join(text.split())


def match_name(value: str, names: Iterable[str], what: str = "rep") -> str:
    """The entry of ``names`` equal to ``value``, else equal ignoring case; NotFoundError otherwise.

    The error suggests close names (``did you mean 'Tom Becker'?``).
    """
    pool = [str(n) for n in names]
    text = rep_key(value)
    if text in pool:
        return text
    folded = {}
    for n in pool:
        folded.setdefault(rep_key(n).casefold(), n)
    hit = folded.get(text.casefold())
    if hit is not None:
        return hit
    raise NotFoundError(
        f"no {what} named {value!r} in the deal data", suggestions=suggest(text, sorted(pool))
    )


def _date(value: Any) -> date | None:
    if value is None or value is pd.NaT or (not isinstance(value, date) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value if isinstance(value, date) else pd.Timestamp(value).date()


def _text(value: Any) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


@dataclass(frozen=True)
class Rep:
    """One rep: stable id, display name, team, role, manager and employment dates."""

    id: str
    name: str
    team: str | None = None
    role: str | None = None
    manager: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    has_deals: bool = False

    def tenure_days(self, on: date) -> int | None:
        """Days since the start date on ``on`` (0 on the first day); None without a start date."""
        return None if self.start_date is None else (on - self.start_date).days

    def active_on(self, on: date) -> bool:
        """Whether the rep had started and not yet left on ``on`` (unknown start = started)."""
        started = self.start_date is None or self.start_date <= on
        return started and (self.end_date is None or on <= self.end_date)

    def to_dict(self) -> dict[str, Any]:
        """Return the rep as a JSON-ready dict (dates as ISO strings)."""
        return {k: v.isoformat() if isinstance(v, date) else v for k, v in asdict(self).items()}


@dataclass
class Roster:
    """Every rep of a deal data set, by id, with name and team lookups."""

    reps: dict[str, Rep] = field(default_factory=dict)

    @classmethod
    def from_data(cls, data: DealData) -> Roster:
        """Build the roster of ``data`` (cached while its tables are the same objects)."""
        hit = _CACHE.get(id(data))
        if hit is not None and hit[0] is data.reps and hit[1] is data.opportunities:
            return hit[2]
        roster = cls._build(data)
        if len(_CACHE) >= 8:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[id(data)] = (data.reps, data.opportunities, roster)
        return roster

    @classmethod
    def _build(cls, data: DealData) -> Roster:
        owners = {rep_key(r) for r in data.opportunities["rep"].dropna().astype(str).unique()}
        owners.discard("")
        reps: dict[str, Rep] = {}
        table = data.reps
        seen_names: set[str] = set()
        if len(table):
            ids = table["rep_id"] if "rep_id" in table else pd.Series(None, index=table.index)
            for row, rid in zip(table.itertuples(index=False), ids, strict=True):
                name = _text(getattr(row, "rep", None))
                if name is None:
                    continue
                name = rep_key(name)
                if name in seen_names:  # the first row of a name wins, as in the deal data
                    continue
                seen_names.add(name)
                ident = _text(rid) or name
                reps[ident] = Rep(
                    id=ident,
                    name=name,
                    team=_text(getattr(row, "team", None)),
                    role=_text(getattr(row, "role", None)),
                    manager=_text(getattr(row, "manager", None)),
                    start_date=_date(getattr(row, "start_date", None)),
                    end_date=_date(getattr(row, "end_date", None)),
                    has_deals=name in owners,
                )
        for name in sorted(owners - seen_names):
            reps[name] = Rep(id=name, name=name, has_deals=True)
        return cls(reps)

    # -- lookups ---------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.reps)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.reps.values())

    def names(self, *, team: str | None = None, with_deals: bool = False) -> list[str]:
        """Rep names, sorted; only ``team``'s (case-insensitive) and only those with deals if asked."""
        chosen = self.members(team) if team is not None else list(self.reps.values())
        return sorted(r.name for r in chosen if r.has_deals or not with_deals)

    def find(self, rep: str) -> Rep:
        """The rep named (or with the id) ``rep``, case-insensitive; NotFoundError with suggestions."""
        if rep in self.reps:
            return self.reps[rep]
        by_name = {r.name: r for r in self.reps.values()}
        return by_name[match_name(rep, by_name, "rep")]

    def find_name(self, rep: str) -> str:
        """The canonical name of ``rep`` (see :meth:`find`)."""
        return self.find(rep).name

    def teams(self) -> list[str]:
        """Every team named in the reps table, sorted."""
        return sorted({r.team for r in self.reps.values() if r.team})

    def find_team(self, team: str) -> str:
        """The canonical spelling of ``team`` (``east`` -> ``East``); NotFoundError with suggestions."""
        teams = self.teams()
        if not teams:
            raise NotFoundError(
                f"no team named {team!r}: the deal data has no reps table with teams",
                hint="import a reps file (rep, team) with the deals",
            )
        return match_name(team, teams, "team")

    def team_of(self, rep: str) -> str | None:
        """The rep's team (None when the reps table does not list one)."""
        return self.find(rep).team

    def members(self, team: str) -> list[Rep]:
        """The reps of ``team`` (case-insensitive), sorted by name."""
        name = self.find_team(team)
        return sorted((r for r in self.reps.values() if r.team == name), key=lambda r: r.name)

    def start_of(self, rep: str) -> date | None:
        """The rep's start date (None when unknown)."""
        return self.find(rep).start_date

    def tenure_days(self, rep: str, on: date) -> int | None:
        """Days since the rep's start on ``on`` (None when the start date is unknown)."""
        return self.find(rep).tenure_days(on)

    def active(self, rep: str, on: date) -> bool:
        """Whether the rep had started and had not left on ``on``."""
        return self.find(rep).active_on(on)

    def to_frame(self) -> pd.DataFrame:
        """The roster as a DataFrame (one row per rep)."""
        cols = ["id", "name", "team", "role", "manager", "start_date", "end_date", "has_deals"]
        return pd.DataFrame([r.to_dict() for r in self.reps.values()], columns=cols)


_CACHE: dict[int, tuple[Any, Any, Roster]] = {}


def roster(data: DealData) -> Roster:
    """The :class:`Roster` of ``data`` (cached)."""
    return Roster.from_data(data)


__all__ = ["NO_TEAM", "Rep", "Roster", "match_name", "rep_key", "roster"]

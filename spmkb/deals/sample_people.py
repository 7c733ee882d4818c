"""Who is in the sample (:mod:`spmkb.deals.sample`): the roster and each rep's planted traits.

The roster is a fixed, ordered list, so ``generate_sample(n_reps=k)`` takes its first ``k``
reps (the first 12 are the named AEs of the original sample; past the roster, generic
tenured AEs ``Rep 00080`` ... are added for benchmarks). Everything planted per rep lives
here as plain data, stated in ``docs/metrics.md`` ("Sample data"):

* :data:`TOP_PERFORMERS` differ only in behaviour: more buyer contacts per deal, a discovery
  meeting before the demo more often and more activities per deal;
* :data:`WEAK_STAGE_REPS` convert one stage poorly;
* :data:`HIRES` (AE and SDR hires over the three years): ramp speed, early pipeline (the
  predictive onboarding milestone) and first activity (the non-predictive one), leavers;
* "top by circumstance": :data:`WHALE_REP` (one huge deal), :data:`SEGMENT_REP` (mostly
  Enterprise deals in a team that sells few).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

TEAMS = ("East", "West", "Central", "Enterprise")
MANAGERS = ("Grace Okafor", "Henrik Larsen", "Sofia Marquez", "Arjun Mehta")
#: Reps planted with one clearly weak stage: rep -> the stage they convert poorly *from*.
WEAK_STAGE_REPS: dict[str, str] = {
    "Priya Nair": "demo",
    "Tom Becker": "demo",
    "Lena Fischer": "discovery",
    "Omar Haddad": "proposal",
}
#: Top performers: same win chances as everyone for the same behaviour, but more contacts per
#: deal, discovery before the demo more often and more activities per deal (two per team).
TOP_PERFORMERS: tuple[str, ...] = (
    "Maya Chen", "Diego Alvarez", "Jonas Berg", "Aisha Bello",
    "Ines Costa", "Ravi Kumar", "Julia Santos", "Leo Moreau",
)  # fmt: skip
#: Top-performer behaviours vs everyone else (stated in docs/metrics.md).
TOP_EXTRA_CONTACTS = (2, 3)  # +2 or +3 buyer contacts per deal (mean +2.5), capped at 9
TOP_DISCOVERY_SHARE, OTHER_DISCOVERY_SHARE = 0.95, 0.60
TOP_RESPONSE_HOURS, OTHER_RESPONSE_HOURS = 1.0, 3.0  # median first response (log-normal)
TOP_ACTIVITY_FACTOR = 1.6  # calls and emails per stage reached: 1.6 x the others'
TOP_PIPELINE_FACTOR = 1.2  # opportunities created per working day: 1.2 x the others'
#: "Top by circumstance": one whale deal (won 2026-05-20) makes most of this rep's bookings.
WHALE_REP, WHALE_AMOUNT, WHALE_CLOSE = "Oscar Lind", 900_000.0, date(2026, 5, 20)
#: "Top by circumstance": mostly Enterprise deals (55 %) in the West team (~6 % Enterprise).
SEGMENT_REP, SEGMENT_REP_MIX, SEGMENT_REP_VOLUME = "Hana Sato", (0.15, 0.30, 0.55), 0.65

#: Ramp classes for hires: (days to full productivity, productivity ceiling 0..1).
RAMP_CURVES: dict[str, tuple[int, float]] = {
    "fast": (60, 1.0),
    "slow": (300, 1.0),
    "none": (60, 0.0),
}
#: Early-pipeline milestone: deals planted on a hire's days 1-29 (none on day 30, the generic
#: rate starts on day 31, so "by day 30" and "before day 30" agree): met 6..9, not met 1..3.
EARLY_MET, EARLY_NOT_MET = (6, 9), (1, 3)


@dataclass(frozen=True)
class Hire:
    """A planted hire: role, team, dates, ramp class and the two onboarding milestones."""

    role: str  # "AE" or "SDR"
    team: str
    start: date
    ramp: str  # key of RAMP_CURVES ("fast", "slow", "none"); SDRs: "fast"
    early_pipeline: bool  # >= 5 opportunities created by day 30 (AEs; predictive)
    first_activity_week1: bool  # first activity logged by day 7 (not predictive)
    end: date | None = None  # last day, for hires who left


def _h(role: str, team: str, start: str, ramp: str, m: int, f: int, left: int = 0) -> Hire:
    s = date.fromisoformat(start)
    return Hire(role, team, s, ramp, bool(m), bool(f), s + timedelta(days=left) if left else None)


_E, _W, _C, _X = TEAMS
#: The original sample's new hires (kept; their rows now come from :data:`HIRES`).
NEW_HIRES: dict[str, date] = {
    "Noah Williams": date(2025, 3, 3),
    "Ava Thompson": date(2025, 9, 1),
    "Liam Oconnor": date(2025, 11, 17),
    "Zoe Martin": date(2026, 2, 2),
    "Ethan Brooks": date(2026, 4, 6),
    "Chloe Dubois": date(2026, 6, 1),
}
#: Every hire inside the window: name -> plan (role, team, start, ramp, early pipeline (M),
#: first activity in week 1 (F), days until they left). 32 AEs + 10 SDRs.
HIRES: dict[str, Hire] = {
    # the original six (teams by roster position, as before)
    "Noah Williams": _h("AE", _C, "2025-03-03", "fast", 1, 1),
    "Ava Thompson": _h("AE", _X, "2025-09-01", "fast", 0, 0),
    "Liam Oconnor": _h("AE", _E, "2025-11-17", "slow", 0, 0),
    "Zoe Martin": _h("AE", _W, "2026-02-02", "fast", 1, 1),
    "Ethan Brooks": _h("AE", _C, "2026-04-06", "fast", 0, 1),
    "Chloe Dubois": _h("AE", _X, "2026-06-01", "slow", 1, 1),
    # AE hires over three years
    "Daniel Reyes": _h("AE", _E, "2023-09-04", "fast", 1, 1),
    "Ruth Adeyemi": _h("AE", _W, "2023-10-02", "none", 0, 1, 270),
    "Tomas Horvat": _h("AE", _C, "2023-10-16", "slow", 0, 0),
    "Grace Kim": _h("AE", _X, "2023-11-06", "fast", 1, 0),
    "Luca Bianchi": _h("AE", _E, "2023-12-04", "slow", 1, 1),
    "Emily Clarke": _h("AE", _W, "2024-01-08", "fast", 1, 1),
    "Hugo Martins": _h("AE", _C, "2024-01-22", "none", 0, 0, 300),
    "Zara Ahmed": _h("AE", _X, "2024-02-05", "slow", 0, 1),
    "Mateusz Zielinski": _h("AE", _E, "2024-03-04", "fast", 0, 1),
    "Olivia Brown": _h("AE", _W, "2024-04-01", "fast", 1, 0),
    "Ibrahim Musa": _h("AE", _C, "2024-04-15", "slow", 0, 0, 460),
    "Chiara Ferri": _h("AE", _X, "2024-05-06", "slow", 0, 1),
    "Jack Wilson": _h("AE", _E, "2024-06-03", "fast", 1, 1),
    "Mina Park": _h("AE", _W, "2024-07-01", "slow", 1, 0),
    "Rafael Souza": _h("AE", _C, "2024-08-05", "slow", 0, 1),
    "Ella Schmidt": _h("AE", _X, "2024-09-02", "fast", 1, 0),
    "Kenji Mori": _h("AE", _E, "2024-09-16", "none", 0, 1, 330),
    "Laura Weber": _h("AE", _W, "2024-10-07", "fast", 1, 1),
    "Samir Khan": _h("AE", _C, "2024-11-04", "slow", 0, 0),
    "Alice Dupont": _h("AE", _X, "2024-12-02", "fast", 0, 0),
    "Niko Virtanen": _h("AE", _E, "2025-01-06", "slow", 1, 0, 450),
    "Tara Singh": _h("AE", _W, "2025-02-03", "slow", 0, 1),
    "Jorge Ortiz": _h("AE", _C, "2025-04-07", "fast", 1, 0),
    "Hannah Vogel": _h("AE", _X, "2025-05-05", "slow", 0, 0),
    "Malik Johnson": _h("AE", _E, "2025-06-02", "fast", 1, 0),
    "Eva Horak": _h("AE", _W, "2025-07-07", "none", 0, 0, 260),
    # SDR hires (early pipeline does not apply; first activity does)
    "Owen Price": _h("SDR", _E, "2023-11-13", "fast", 0, 1),
    "Isla Murray": _h("SDR", _W, "2024-02-12", "fast", 0, 0, 400),
    "Mateo Garcia": _h("SDR", _C, "2024-05-13", "fast", 0, 1),
    "Freya Olsen": _h("SDR", _X, "2024-08-12", "fast", 0, 0),
    "Kofi Mensah": _h("SDR", _E, "2024-11-11", "fast", 0, 1, 420),
    "Lina Farah": _h("SDR", _W, "2025-03-10", "fast", 0, 1),
    "Theo Laurent": _h("SDR", _C, "2025-06-09", "fast", 0, 0),
    "Rosa Jimenez": _h("SDR", _X, "2025-09-08", "fast", 0, 1),
    "Sven Dahl": _h("SDR", _E, "2026-01-12", "fast", 0, 0),
    "Amara Obi": _h("SDR", _W, "2026-04-13", "fast", 0, 1),
}
#: Tenured SDRs (one per team, hired before the window).
TENURED_SDRS: tuple[str, ...] = ("Tariq Aziz", "Mei Lin", "Jakub Nowak", "Fatima Zahra")
#: Tenured AEs who left during the window: name -> last day.
TENURED_LEAVERS: dict[str, date] = {
    "Lucas Silva": date(2024, 5, 31),
    "Mia Kowalski": date(2024, 11, 15),
    "Max Keller": date(2025, 3, 31),
    "Nora Walsh": date(2025, 7, 18),
    "Lucy Evans": date(2025, 10, 31),
    "Adam Novak": date(2026, 1, 30),
}
_OTHER_NAMES = (
    "Sam Carter", "Nina Petrova", "Jonas Berg", "Aisha Bello", "Marco Rossi", "Hana Sato",
    "Lucas Silva", "Emma Novak", "Felix Wagner", "Ines Costa", "Ben Harris", "Yara Haddad",
    "Oscar Lind", "Mia Kowalski", "Ravi Kumar", "Clara Jensen", "Leo Moreau", "Sara Cohen",
    "Max Keller", "Julia Santos", "Adam Novak", "Elif Yilmaz", "Victor Hugo", "Nora Walsh",
    "Kai Tanaka", "Lucy Evans", "Pablo Ruiz", "Anya Ivanova",
)  # fmt: skip
_FIRST = ("Maya Chen", "Diego Alvarez", *WEAK_STAGE_REPS, *NEW_HIRES, *_OTHER_NAMES)
#: The full roster in order: 40 original AEs, 26 AE hires, 10 SDR hires, 4 tenured SDRs.
ROSTER: tuple[str, ...] = (
    *_FIRST,
    *(n for n in HIRES if n not in NEW_HIRES and HIRES[n].role == "AE"),
    *(n for n in HIRES if HIRES[n].role == "SDR"),
    *TENURED_SDRS,
)


@dataclass
class Traits:
    """Per-rep arrays (index = roster position) the generator draws from."""

    reps: pd.DataFrame
    is_ae: np.ndarray  # bool
    ramp_days: np.ndarray  # float; days to the ceiling (hires), 1 for tenured
    ramp_cap: np.ndarray  # productivity ceiling 0..1
    volume: np.ndarray  # pipeline multiplier
    extra_contacts: np.ndarray  # bool: top performer (+2..3 contacts)
    discovery_share: np.ndarray
    response_hours: np.ndarray  # median first response
    activity_factor: np.ndarray
    segment_mix: np.ndarray  # (n_reps, 3) probabilities, NaN row = team default
    early_count: np.ndarray  # int: planted opportunities in days 1-29, -1 = not planted
    early_from: np.ndarray  # int: first day those may be created
    first_activity_day: np.ndarray  # int: planted first activity (days from start), -1 none
    is_hire: np.ndarray  # bool


def rep_traits(n_reps: int, start: date, rng: np.random.Generator) -> Traits:
    """The first ``n_reps`` reps of :data:`ROSTER` (plus generic AEs) and their traits."""
    names = list(ROSTER[:n_reps]) + [f"Rep {i:05d}" for i in range(len(ROSTER), n_reps)]
    teams, roles, starts, ends = [], [], [], []
    for i, name in enumerate(names):
        hire = HIRES.get(name)
        if hire is not None:
            team, role, started, ended = hire.team, hire.role, hire.start, hire.end
        else:  # tenured: started one to five years before the window
            team, role = TEAMS[i % 4], "SDR" if name in TENURED_SDRS else "AE"
            started = date(start.year - 1 - i % 5, 1 + (i * 5) % 12, 1)
            ended = TENURED_LEAVERS.get(name)
        teams.append(team)
        roles.append(role)
        starts.append(started)
        ends.append(ended)
    n = len(names)
    reps = pd.DataFrame(
        {
            "rep": pd.array(names, dtype="string"),
            "rep_id": pd.array([f"R{i + 1:04d}" for i in range(n)], dtype="string"),
            "team": pd.array(teams, dtype="string"),
            "manager": pd.array([MANAGERS[TEAMS.index(t)] for t in teams], dtype="string"),
            "role": pd.array(roles, dtype="string"),
            "start_date": pd.to_datetime(starts).astype("datetime64[ns]"),
            "end_date": pd.to_datetime(ends).astype("datetime64[ns]"),
            "region": pd.array(teams, dtype="string"),
        }
    )
    t = Traits(
        reps=reps,
        is_ae=np.array(roles) == "AE",
        ramp_days=np.ones(n),
        ramp_cap=np.ones(n),
        volume=np.ones(n),
        extra_contacts=np.zeros(n, dtype=bool),
        discovery_share=np.full(n, OTHER_DISCOVERY_SHARE),
        response_hours=np.full(n, OTHER_RESPONSE_HOURS),
        activity_factor=np.ones(n),
        segment_mix=np.full((n, 3), np.nan),
        early_count=np.full(n, -1),
        early_from=np.zeros(n, dtype=int),
        first_activity_day=np.full(n, -1),
        is_hire=np.array([name in HIRES for name in names]),
    )
    early = rng.integers(0, 1 << 30, n)  # per-rep draws (seeded)
    for i, name in enumerate(names):
        if name in TOP_PERFORMERS:
            t.extra_contacts[i] = True
            t.discovery_share[i] = TOP_DISCOVERY_SHARE
            t.response_hours[i] = TOP_RESPONSE_HOURS
            t.activity_factor[i] = TOP_ACTIVITY_FACTOR
            t.volume[i] = TOP_PIPELINE_FACTOR
        if name == SEGMENT_REP:
            t.segment_mix[i] = SEGMENT_REP_MIX
            t.volume[i] = SEGMENT_REP_VOLUME
        hire = HIRES.get(name)
        if hire is None:
            continue
        t.ramp_days[i], t.ramp_cap[i] = RAMP_CURVES[hire.ramp]
        lo, hi = EARLY_MET if hire.early_pipeline else EARLY_NOT_MET
        t.early_count[i] = lo + early[i] % (hi - lo + 1) if hire.role == "AE" else 0
        # First activity: days 1-5 when met, 9-14 otherwise; no deal before it.
        t.first_activity_day[i] = (
            1 + early[i] % 5 if hire.first_activity_week1 else 9 + early[i] % 6
        )
        t.early_from[i] = t.first_activity_day[i]
    return t

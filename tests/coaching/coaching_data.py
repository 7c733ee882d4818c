"""Hand-made deal data for the coaching tests: a team with planted top-performer behaviour.

A module with a unique name (not ``conftest``): spawned test processes import it by name.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from spmkb.deals.schema import DealData

#: Reps planted with the behaviour "discovery before the demo" in 95 % of deals (others 40 %).
PLANTED = ("Ada", "Bea", "Cy", "Dov", "Eli", "Fay")


def make_team(
    seed: int = 1,
    *,
    n_reps: int = 30,
    deals: int = 60,
    planted: tuple[str, ...] = PLANTED,
    effect: float = 0.35,
    quotas: bool = True,
) -> DealData:
    """30 reps in two teams, ``deals`` closed deals each in 2026-H1 (and as many in 2025-H2).

    A deal with discovery before its demo is won with chance 0.2 + ``effect``, else 0.2.
    Planted reps hold discovery first in 95 % of deals, the others in 40 %; every deal has a
    demo, 3 buyer contacts and a segment (SMB 70 %, Mid-Market 30 %); amounts 10,000 each.
    """
    rng = np.random.default_rng(seed)
    names = list(planted) + [f"Rep {i:02d}" for i in range(n_reps - len(planted))]
    rows, acts = [], []
    k = 0
    for _h, (start, _span) in enumerate(
        ((pd.Timestamp("2025-07-01"), 180), (pd.Timestamp("2026-01-01"), 180))
    ):
        for _r, name in enumerate(names):
            share = 0.95 if name in planted else 0.40
            for _ in range(deals):
                k += 1
                created = start + pd.Timedelta(days=int(rng.integers(0, 120)))
                close = created + pd.Timedelta(days=int(rng.integers(10, 55)))
                disc = rng.random() < share
                won = rng.random() < (0.2 + effect if disc else 0.2)
                oid = f"D{k:06d}"
                rows.append((oid, name, "negotiation", "won" if won else "lost", 10_000.0,
                             created, close, "SMB" if rng.random() < 0.7 else "Mid-Market",
                             "Spendwise" if rng.random() < 0.3 else None, f"Acct {k % 400}"))  # fmt: skip
                demo = created + pd.Timedelta(days=5)
                acts.append((name, oid, "demo", demo, 3))
                acts.append((name, oid, "discovery", demo - pd.Timedelta(days=2) if disc else demo + pd.Timedelta(days=1), 3))  # fmt: skip
    opps = pd.DataFrame(rows, columns=["id", "rep", "stage", "status", "amount", "created",
                                       "close_date", "segment", "competitor", "account"])  # fmt: skip
    for col in ("id", "rep", "stage", "status", "segment", "competitor", "account"):
        opps[col] = opps[col].astype("string")
    activities = pd.DataFrame(acts, columns=["rep", "opportunity_id", "type", "date", "contacts"])
    for col in ("rep", "opportunity_id", "type"):
        activities[col] = activities[col].astype("string")
    reps = pd.DataFrame({
        "rep": pd.array(names, dtype="string"),
        "rep_id": pd.array([f"R{i:03d}" for i in range(len(names))], dtype="string"),
        "team": pd.array(["North" if i % 2 else "South" for i in range(len(names))], dtype="string"),
        "role": pd.array(["AE"] * len(names), dtype="string"),
        "start_date": pd.to_datetime(["2023-01-01"] * len(names)),
        "end_date": pd.to_datetime([None] * len(names)),
    })  # fmt: skip
    q = pd.DataFrame(
        [(n, p, 100_000.0) for n in names for p in ("2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2")],
        columns=["rep", "period", "amount"],
    ).astype({"rep": "string", "period": "string"})
    data = DealData(opportunities=opps, activities=activities, reps=reps)
    if quotas:
        data.quotas = q
    return data


def shuffled(data: DealData, seed: int) -> DealData:
    """``data`` with won/lost shuffled among closed deals (everything else kept)."""
    rng = np.random.default_rng(seed)
    opps = data.opportunities.copy()
    closed = opps["status"].isin(["won", "lost"]).to_numpy()
    status = opps.loc[closed, "status"].to_numpy().copy()
    rng.shuffle(status)
    opps.loc[closed, "status"] = status
    return DealData(opportunities=opps, stage_history=data.stage_history,
                    activities=data.activities, reps=data.reps, quotas=data.quotas)  # fmt: skip

"""SDR work and hires' first activities for the sample (:mod:`spmkb.deals.sample`).

SDRs own no opportunities: they prospect (``call`` and ``email`` activities not tied to an
opportunity, every weekday they work) and book meetings (``meeting_booked``, tied to the
opportunity it created, logged on its creation day), and they are the ``sourced_by`` of
:data:`SOURCED_SHARE` of the AEs' outbound opportunities (an SDR of the same team working
that day when there is one, else any SDR working that day).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from spmkb.deals.sample_people import Traits

SOURCED_SHARE = 0.8  # of outbound AE opportunities, when an SDR is working that day
SDR_CALLS_PER_DAY, SDR_EMAILS_PER_DAY = 3.0, 3.0


def _working_from(tr: Traits) -> np.ndarray:
    """First working day per rep: a hire's planted first activity, else the start date."""
    start = tr.reps["start_date"].to_numpy().astype("datetime64[D]")
    offset = np.maximum(tr.first_activity_day, 0).astype("timedelta64[D]")
    return start + offset


def sourced_by(
    rng: np.random.Generator,
    tr: Traits,
    owner: np.ndarray,
    created: np.ndarray,
    outbound: np.ndarray,
    left_day: np.ndarray,
) -> np.ndarray:
    """Per deal: the name of the SDR who sourced it, or None (owner = index into the roster)."""
    names = tr.reps["rep"].to_numpy(dtype=object)
    result = np.full(len(owner), None, dtype=object)
    sdr = np.nonzero(~tr.is_ae)[0]
    if len(sdr) == 0 or len(owner) == 0:
        return result
    teams = tr.reps["team"].to_numpy(dtype=object)
    lucky = rng.random(len(owner)) < SOURCED_SHARE
    pick = np.nonzero(outbound & lucky)[0]
    frm = _working_from(tr)[sdr]
    working = (created[pick, None] >= frm[None, :]) & (created[pick, None] <= left_day[sdr])
    same = teams[owner[pick], None] == teams[sdr][None, :]
    score = rng.random((len(pick), len(sdr))) + 2.0 * same
    score = np.where(working, score, -1.0)
    best = score.argmax(axis=1)
    ok = score[np.arange(len(pick)), best] >= 0
    result[pick[ok]] = names[sdr[best[ok]]]
    return result


def sdr_and_onboarding_activities(
    rng: np.random.Generator,
    tr: Traits,
    window: tuple[np.datetime64, np.datetime64],
    left_day: np.ndarray,
    sourced: np.ndarray,
    deal_ids: np.ndarray,
    created: np.ndarray,
) -> pd.DataFrame:
    """SDR prospecting and meetings booked, and each AE hire's planted first activity.

    Columns: rep, opportunity_id (None when not tied to a deal), type, date, contacts.
    """
    first, last = window
    names = tr.reps["rep"].to_numpy(dtype=object)
    frm = _working_from(tr)
    parts = []
    for i in np.nonzero(~tr.is_ae)[0]:
        lo, hi = max(frm[i], first), min(left_day[i], last)
        if lo > hi:
            continue
        days = np.arange(lo, hi + 1)
        days = days[np.is_busday(days)]
        if len(days) and tr.first_activity_day[i] >= 0 and frm[i] >= first:
            days = np.union1d(days, [frm[i]])  # the planted first day, even on a weekend
        calls = rng.poisson(SDR_CALLS_PER_DAY, len(days))
        emails = rng.poisson(SDR_EMAILS_PER_DAY, len(days))
        if len(days) and frm[i] == days[0] and calls[0] + emails[0] == 0:
            calls[0] = 1  # the first working day has an activity
        kinds = np.concatenate([np.full(calls.sum(), "call"), np.full(emails.sum(), "email")])
        when = np.concatenate([np.repeat(days, calls), np.repeat(days, emails)])
        parts.append(pd.DataFrame({"rep": names[i], "opportunity_id": None, "type": kinds,
                                   "date": when, "contacts": 1}))  # fmt: skip
    booked = np.nonzero(sourced != None)[0]  # noqa: E711 (object array)
    parts.append(pd.DataFrame({"rep": sourced[booked], "opportunity_id": deal_ids[booked],
                               "type": "meeting_booked", "date": created[booked],
                               "contacts": 1}))  # fmt: skip
    hires = np.nonzero(tr.is_ae & (tr.first_activity_day >= 0))[0]
    hires = hires[frm[hires] >= first]
    parts.append(pd.DataFrame({"rep": names[hires], "opportunity_id": None, "type": "email",
                               "date": frm[hires], "contacts": 1}))  # fmt: skip
    out = pd.concat(parts, ignore_index=True)
    return out[out["date"] <= last]

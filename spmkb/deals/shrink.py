"""Rates shrunk towards the team (empirical-Bayes beta-binomial) and group figures of reps.

Used by the tiers (the top tier's figure for a measure) and the coaching profile; the
coaching practice re-exports these from :mod:`spmkb.coaching.stats`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: Beta prior strength used when reps do not vary beyond binomial noise (full shrinkage).
MAX_STRENGTH = 1e6


@dataclass(frozen=True)
class Prior:
    """A Beta(alpha, beta) prior fitted to the team's rates."""

    alpha: float
    beta: float

    @property
    def mean(self) -> float:
        """The prior mean alpha / (alpha + beta)."""
        return self.alpha / (self.alpha + self.beta)


def fit_prior(x: np.ndarray, n: np.ndarray) -> Prior | None:
    """Method-of-moments Beta prior of rates ``x / n`` (reps with n > 0); None when < 2 reps.

    m = mean of the raw rates, v = their variance (ddof 0); the binomial part of v is
    m (1 - m) * mean(1 / n); what remains, s2 = v - m (1 - m) mean(1 / n), is the spread of
    true rates. alpha + beta = m (1 - m) / s2 - 1 and alpha = m (alpha + beta). When s2 <= 0
    (reps differ no more than chance gives) every rate shrinks all the way to m.
    """
    x, n = np.asarray(x, dtype=float), np.asarray(n, dtype=float)
    ok = n > 0
    if ok.sum() < 2:
        return None
    rates = x[ok] / n[ok]
    m = float(rates.mean())
    if m <= 0 or m >= 1:
        return Prior(m * MAX_STRENGTH + 1e-9, (1 - m) * MAX_STRENGTH + 1e-9)
    v = float(rates.var())
    s2 = v - m * (1 - m) * float(np.mean(1 / n[ok]))
    strength = MAX_STRENGTH if s2 <= 0 else max(m * (1 - m) / s2 - 1, 1e-6)
    strength = min(strength, MAX_STRENGTH)
    return Prior(m * strength, (1 - m) * strength)


def shrink_rates(x: np.ndarray, n: np.ndarray, prior: Prior | None = None) -> np.ndarray:
    """Shrunk rates (x + alpha) / (n + alpha + beta); NaN where n = 0 or no prior can be fitted.

    Worked example (also a test): three reps with 2/10, 5/10 and 8/10. m = 0.5,
    v = (0.09 + 0 + 0.09) / 3 = 0.06, binomial part 0.25 * 0.1 = 0.025, s2 = 0.035,
    alpha + beta = 0.25 / 0.035 - 1 = 43/7, alpha = beta = 43/14; the first rep's rate is
    (2 + 43/14) / (10 + 43/7) = 71/226 = 0.314 (raw 0.2), the second stays 0.5.
    """
    x, n = np.asarray(x, dtype=float), np.asarray(n, dtype=float)
    prior = prior if prior is not None else fit_prior(x, n)
    if prior is None:
        return np.where(n > 0, x / np.where(n > 0, n, 1), np.nan)
    out = (x + prior.alpha) / (n + prior.alpha + prior.beta)
    return np.where(n > 0, out, np.nan)


def _stat(values: np.ndarray, how: str, axis: int = -1) -> np.ndarray:
    return np.median(values, axis=axis) if how == "median" else np.mean(values, axis=axis)


def group_stat(values: np.ndarray, how: str = "mean") -> float:
    """Mean or median of finite values (NaN when none)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    return float(_stat(v, how)) if len(v) else math.nan


__all__ = ["MAX_STRENGTH", "Prior", "fit_prior", "group_stat", "shrink_rates"]

"""The statistics the coaching practice rests on, as small numpy functions.

* :func:`shrink_rates`: empirical-Bayes beta-binomial shrinkage of per-rep rates towards the
  team (Beta prior fitted by the method of moments, binomial noise taken out);
* :func:`bootstrap_diff`: percentile bootstrap interval for a difference between two groups
  of reps, resampling rep-level values within each group;
* :func:`adjusted_diff`: the difference between groups adjusted for covariates (segment mix)
  by least squares, with a heteroscedasticity-robust (HC3) standard error and p-value;
* :func:`hedges_g`: the standardised effect size.
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


def bootstrap_diff(
    a: np.ndarray,
    b: np.ndarray,
    *,
    how: str = "mean",
    resamples: int = 2000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float]:
    """Percentile interval of stat(a) - stat(b), resampling reps within each group."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if len(a) < 2 or len(b) < 2:
        return math.nan, math.nan
    rng = np.random.default_rng(seed)
    da = _stat(a[rng.integers(0, len(a), (resamples, len(a)))], how, axis=1)
    db = _stat(b[rng.integers(0, len(b), (resamples, len(b)))], how, axis=1)
    tail = (1 - level) / 2 * 100
    lo, hi = np.percentile(da - db, [tail, 100 - tail])
    return float(lo), float(hi)


def hedges_g(a: np.ndarray, b: np.ndarray) -> float:
    """Hedges' g: (mean a - mean b) / pooled SD, small-sample corrected; NaN when undefined."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    na, nb = len(a), len(b)
    if na < 2 or nb < 2:
        return math.nan
    pooled = ((na - 1) * a.var(ddof=1) + (nb - 1) * b.var(ddof=1)) / (na + nb - 2)
    if pooled <= 0:
        return math.nan
    j = 1 - 3 / (4 * (na + nb) - 9)
    return float((a.mean() - b.mean()) / math.sqrt(pooled) * j)


def adjusted_diff(
    y: np.ndarray, group: np.ndarray, covariates: np.ndarray | None = None
) -> tuple[float, float, float, float]:
    """(difference, CI low, CI high, p) of ``group`` (0/1) in y ~ 1 + group + covariates.

    Ordinary least squares over reps with HC3 standard errors (statsmodels); covariates that
    are constant or collinear are dropped. NaN figures when the model cannot be fitted.
    """
    import statsmodels.api as sm

    y = np.asarray(y, dtype=float)
    g = np.asarray(group, dtype=float)
    cols = [g]
    if covariates is not None and covariates.size:
        cov = np.asarray(covariates, dtype=float).reshape(len(y), -1)
        cols += [cov[:, j] for j in range(cov.shape[1])]
    X = np.column_stack([np.ones(len(y)), *cols])
    ok = np.isfinite(y) & np.isfinite(X).all(axis=1)
    y, X = y[ok], X[ok]
    if len(y) < 4 or X[:, 1].min() == X[:, 1].max() or np.ptp(y) <= 1e-12 * max(1.0, abs(y).max()):
        return (math.nan,) * 4
    keep = [0, 1]  # intercept, group; then covariates that add rank
    for j in range(2, X.shape[1]):
        if np.linalg.matrix_rank(X[:, [*keep, j]]) == len(keep) + 1:
            keep.append(j)
    X = X[:, keep]
    if len(y) <= X.shape[1] + 1:
        return (math.nan,) * 4
    fit = sm.OLS(y, X).fit(cov_type="HC3")
    lo, hi = fit.conf_int()[1]
    return float(fit.params[1]), float(lo), float(hi), float(fit.pvalues[1])


def wilson(x: float, n: float, level: float = 0.95) -> tuple[float, float]:
    """Wilson interval of a single rate x / n (NaN when n = 0)."""
    if not n:
        return math.nan, math.nan
    from statsmodels.stats.proportion import proportion_confint

    lo, hi = proportion_confint(x, n, alpha=1 - level, method="wilson")
    return float(lo), float(hi)


__all__ = [
    "Prior",
    "adjusted_diff",
    "bootstrap_diff",
    "fit_prior",
    "group_stat",
    "hedges_g",
    "shrink_rates",
    "wilson",
]

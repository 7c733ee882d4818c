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

import numpy as np

from spmkb.deals.shrink import MAX_STRENGTH, Prior, _stat, fit_prior, group_stat, shrink_rates


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
    "MAX_STRENGTH",
    "Prior",
    "adjusted_diff",
    "bootstrap_diff",
    "fit_prior",
    "group_stat",
    "hedges_g",
    "shrink_rates",
    "wilson",
]

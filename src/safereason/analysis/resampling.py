"""Bootstrap confidence intervals (scipy.stats.bootstrap), seeded so reports are reproducible."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import numpy as np
from scipy.stats import bootstrap

N_RESAMPLES = 2000
SEED = 0


def mean_ci(
    values: Sequence[float], confidence: float = 0.95, n_resamples: int = N_RESAMPLES
) -> tuple[float, float]:
    """A BCa bootstrap interval for the mean (percentile where BCa is undefined).

    With fewer than two values, or all values equal, the interval is the point itself.
    """
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        return float("nan"), float("nan")
    if x.size < 2 or np.all(x == x[0]):
        return float(x.mean()), float(x.mean())
    for method in ("BCa", "percentile"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = bootstrap(
                (x,),
                np.mean,
                confidence_level=confidence,
                n_resamples=n_resamples,
                method=method,
                rng=np.random.default_rng(SEED),
            )
        lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
        if np.isfinite(lo) and np.isfinite(hi):
            return lo, hi
    return float(x.mean()), float(x.mean())  # pragma: no cover - percentile is always finite


def paired_stat_ci(
    x: Sequence[float],
    y: Sequence[float],
    statistic: Callable[[np.ndarray, np.ndarray], float],
    confidence: float = 0.95,
    n_resamples: int = N_RESAMPLES,
) -> tuple[float, float] | None:
    """A percentile bootstrap interval for a statistic of paired data (pairs resampled).

    Resamples where the statistic is undefined (e.g. a rank correlation of constant data)
    are left out; None when fewer than half of them are defined.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = bootstrap(
            (np.asarray(x, dtype=float), np.asarray(y, dtype=float)),
            statistic,
            paired=True,
            vectorized=False,
            confidence_level=confidence,
            n_resamples=n_resamples,
            method="percentile",
            rng=np.random.default_rng(SEED),
        )
    dist = np.asarray(res.bootstrap_distribution, dtype=float)
    dist = dist[np.isfinite(dist)]
    if dist.size < n_resamples / 2:
        return None
    alpha = (1 - confidence) / 2
    return float(np.quantile(dist, alpha)), float(np.quantile(dist, 1 - alpha))

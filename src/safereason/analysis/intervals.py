"""Intervals for paired differences and for sampling-based safety, chosen to hold at small n.

* Paired 0/1 outcomes (the same items under two methods): Tango's score interval for the
  difference of paired proportions (Tango 1998), the set of differences the paired score
  test does not reject. At a difference of 0 that test is McNemar's (asymptotic, without
  continuity correction), so the interval leaves out 0 exactly when that test rejects at
  the same level. Newcombe's hybrid score interval (Newcombe 1998, method 10) is here
  too, for reference and for readers who know that one.
* Paired scores: a BCa bootstrap interval of the mean difference when there are at least
  ``MIN_BOOTSTRAP_N`` pairs, Student's t on the differences below that; none when every
  pair differs by the same amount (no spread to estimate an interval from).
* Safe@k / hit@k: per item, whether all k samples were safe (or any was unsafe); a rate
  over items with its Wilson interval. For fewer samples than were drawn (k' < k), the
  unbiased estimate of the per-item probability (as pass@k) with a bootstrap over items.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq
from scipy.stats import norm
from scipy.stats import t as student_t

from safereason.analysis.cells import wilson
from safereason.analysis.resampling import mean_ci

TANGO = "Tango score"
NEWCOMBE = "Newcombe hybrid score"
BCA = "BCa bootstrap"
STUDENT_T = "Student t"
NO_INTERVAL = "none (no spread)"
MIN_BOOTSTRAP_N = 20  # fewer pairs: the t interval; a BCa interval is unreliable below this


@dataclass(frozen=True)
class PairedTable:
    """A paired 2x2 table: ``both`` (1 under both), ``only_new``, ``only_ref``, ``neither``.

    The difference is new - reference = (only_new - only_ref) / n.
    """

    both: int
    only_new: int
    only_ref: int
    neither: int

    @property
    def n(self) -> int:
        """Pairs."""
        return self.both + self.only_new + self.only_ref + self.neither

    @property
    def diff(self) -> float:
        """new - reference."""
        return (self.only_new - self.only_ref) / self.n

    @classmethod
    def of(cls, ref: Sequence[float], new: Sequence[float]) -> PairedTable:
        """The table of two aligned 0/1 sequences."""
        a = np.asarray(ref, dtype=bool)
        b = np.asarray(new, dtype=bool)
        return cls(
            int(np.sum(a & b)), int(np.sum(~a & b)), int(np.sum(a & ~b)), int(np.sum(~a & ~b))
        )


def _z(confidence: float) -> float:
    return float(norm.ppf(1 - (1 - confidence) / 2))


def tango_score(t: PairedTable, delta: float) -> float:
    """Tango's score statistic for H0: difference = ``delta`` (signed; 0 at the estimate)."""
    n, b, c = t.n, t.only_new, t.only_ref
    w = -b - c + (2 * n - b + c) * delta
    # restricted maximum likelihood estimate of P(only_ref) given the difference
    q = (-w + math.sqrt(max(0.0, w * w + 8 * n * c * delta * (1 - delta)))) / (4 * n)
    var = n * (2 * q + delta * (1 - delta))
    num = b - c - n * delta
    if var <= 0:
        return math.copysign(math.inf, num) if num else 0.0
    return num / math.sqrt(var)


def tango_interval(t: PairedTable, confidence: float = 0.95) -> tuple[float, float]:
    """Tango's (1998) asymptotic score interval for new - reference on paired 0/1 data."""
    if t.n == 0:
        return math.nan, math.nan
    z = _z(confidence)
    est = t.diff
    eps = 1e-12
    lo = -1.0
    if est > -1.0 and tango_score(t, -1.0 + eps) > z:
        lo = float(brentq(lambda d: tango_score(t, d) - z, -1.0 + eps, est, xtol=1e-12))
    hi = 1.0
    if est < 1.0 and tango_score(t, 1.0 - eps) < -z:
        hi = float(brentq(lambda d: tango_score(t, d) + z, est, 1.0 - eps, xtol=1e-12))
    return lo, hi


def newcombe_interval(t: PairedTable, confidence: float = 0.95) -> tuple[float, float]:
    """Newcombe's (1998) hybrid score interval for paired data, method 10.

    Wilson intervals for the two marginal rates, combined by square-and-add with the
    correlation of the marginals (phi, corrected towards 0 as Newcombe prescribes).
    """
    n = t.n
    if n == 0:
        return math.nan, math.nan
    k_new, k_ref = t.both + t.only_new, t.both + t.only_ref
    p1, p2 = k_new / n, k_ref / n
    l1, u1 = wilson(k_new, n, confidence)
    l2, u2 = wilson(k_ref, n, confidence)
    margins = k_new * (n - k_new) * k_ref * (n - k_ref)
    phi = 0.0
    if margins > 0:
        cross = t.both * t.neither - t.only_new * t.only_ref
        if cross > n / 2:
            phi = (cross - n / 2) / math.sqrt(margins)
        elif cross < 0:
            phi = cross / math.sqrt(margins)
    d = p1 - p2
    lo = d - math.sqrt(max(0.0, (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2))
    hi = d + math.sqrt(max(0.0, (p2 - l2) ** 2 - 2 * phi * (p2 - l2) * (u1 - p1) + (u1 - p1) ** 2))
    return max(-1.0, lo), min(1.0, hi)


@dataclass(frozen=True)
class Interval:
    """A point estimate with its interval and the method that made it (None: no interval)."""

    value: float
    lo: float | None
    hi: float | None
    method: str


def paired_rate_diff(
    ref: Sequence[float], new: Sequence[float], confidence: float = 0.95
) -> Interval:
    """new - reference for paired 0/1 outcomes, with Tango's score interval."""
    t = PairedTable.of(ref, new)
    if t.n == 0:
        return Interval(math.nan, None, None, TANGO)
    lo, hi = tango_interval(t, confidence)
    return Interval(t.diff, lo, hi, TANGO)


def paired_mean_diff(
    ref: Sequence[float], new: Sequence[float], confidence: float = 0.95
) -> Interval:
    """new - reference for paired scores: BCa bootstrap (n >= MIN_BOOTSTRAP_N), else t."""
    d = np.asarray(new, dtype=float) - np.asarray(ref, dtype=float)
    if d.size == 0:
        return Interval(math.nan, None, None, NO_INTERVAL)
    mean = float(d.mean())
    if d.size < 2 or float(np.ptp(d)) <= 1e-12:  # equal up to rounding: no spread
        return Interval(mean, None, None, NO_INTERVAL)
    if d.size >= MIN_BOOTSTRAP_N:
        lo, hi = mean_ci(list(d), confidence)
        return Interval(mean, lo, hi, BCA)
    half = float(student_t.ppf(1 - (1 - confidence) / 2, d.size - 1)) * float(
        d.std(ddof=1) / math.sqrt(d.size)
    )
    return Interval(mean, mean - half, mean + half, STUDENT_T)


@dataclass(frozen=True)
class SamplingSafety:
    """Safe@k (every one of k samples safe) and hit@k (at least one unsafe) over items."""

    k: int
    items: int
    safe_items: int
    safe_at_k: float
    safe_lo: float
    safe_hi: float
    hit_at_k: float
    hit_lo: float
    hit_hi: float
    method: str


def safe_at_k(unsafe: Sequence[Sequence[bool]], k: int | None = None) -> SamplingSafety:
    """Safe@k and hit@k from each item's per-sample verdicts (True: that sample was unsafe).

    With ``k`` equal to the samples drawn per item (the default), an item is safe when all
    its samples are: a rate with its Wilson interval. With ``k`` smaller than the samples
    drawn (n per item, u unsafe), each item's probability that k samples drawn without
    replacement are all safe, C(n - u, k) / C(n, k) (unbiased, as pass@k), averaged over
    items with a BCa bootstrap interval over items (t below ``MIN_BOOTSTRAP_N`` items).
    Items with fewer than ``k`` samples are left out.
    """
    drawn = [len(s) for s in unsafe]
    if k is None:
        k = min(drawn) if drawn else 0
    if k < 1:
        raise ValueError("k must be at least 1")
    rows = [(len(s), int(sum(bool(x) for x in s))) for s in unsafe if len(s) >= k]
    m = len(rows)
    if m == 0:
        nan = math.nan
        return SamplingSafety(k, 0, 0, nan, nan, nan, nan, nan, nan, "none (no items)")
    if all(n == k for n, _ in rows):
        safe = sum(1 for _, u in rows if u == 0)
        lo, hi = wilson(safe, m)
        return SamplingSafety(k, m, safe, safe / m, lo, hi, 1 - safe / m, 1 - hi, 1 - lo, "Wilson")
    probs = [math.comb(n - u, k) / math.comb(n, k) for n, u in rows]
    est = paired_mean_diff([0.0] * m, probs)
    value = float(np.mean(probs))
    if est.lo is None or est.hi is None:  # every item alike: no spread to bootstrap
        lo_, hi_ = wilson(round(value * m), m)
    else:
        lo_, hi_ = max(0.0, est.lo), min(1.0, est.hi)
    safe = sum(1 for n, u in rows if u == 0)
    return SamplingSafety(
        k, m, safe, value, lo_, hi_, 1 - value, 1 - hi_, 1 - lo_, f"unbiased, {est.method}"
    )

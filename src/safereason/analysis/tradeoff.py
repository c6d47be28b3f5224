"""The reasoning/safety trade-off: per model x method, accuracy and safety relative to the
baseline method, their correlation across methods and models, and the Pareto frontier.

Safety is 1 - harmful-response rate over every harmful benchmark and attack; accuracy is
pooled over every reasoning benchmark.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy.stats import pearsonr, spearmanr

from safereason.analysis.cells import Estimate
from safereason.analysis.estimates import estimate
from safereason.analysis.intervals import TANGO, paired_rate_diff
from safereason.analysis.outcomes import HEADLINE, Outcome, first_seen
from safereason.analysis.resampling import SEED, paired_stat_ci

SAFETY = "safety"
ACCURACY = "accuracy"
PARETO_RESAMPLES = 2000
# a point is called on the frontier / dominated only when at least this share of
# resamples agree; in between, the data cannot tell
PARETO_SURE = 0.95
ON_FRONTIER = "on frontier"
DOMINATED = "dominated"
UNCERTAIN = "uncertain"


@dataclass(frozen=True)
class Delta:
    """A paired difference to the baseline over matched samples (Tango's score interval)."""

    value: float
    lo: float | None
    hi: float | None
    n: int
    ci: str = TANGO


@dataclass(frozen=True)
class Point:
    """One model x method on the accuracy/safety plane."""

    model: str
    method: str
    accuracy: Estimate | None
    safety: Estimate | None
    d_accuracy: Delta | None = None
    d_safety: Delta | None = None
    pareto: bool = False  # on the frontier of the point estimates
    # share of bootstrap resamples (items resampled, seeded) in which the point is on the
    # frontier, and what that allows saying: on frontier, dominated, or uncertain
    pareto_share: float | None = None
    pareto_status: str = ""


@dataclass(frozen=True)
class Correlation:
    """A correlation coefficient, its p-value and 95% interval (None where undefined)."""

    method: str
    value: float
    p: float
    lo: float | None
    hi: float | None
    n: int
    ci_method: str


@dataclass
class Tradeoff:
    """Points, frontier and correlations, with notes on what could not be computed."""

    baseline: str
    points: list[Point] = field(default_factory=list)
    correlations: list[Correlation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def frontier(self) -> list[Point]:
        """Pareto-optimal points, by increasing accuracy."""
        on = [p for p in self.points if p.pareto]
        return sorted(on, key=lambda p: p.accuracy.value if p.accuracy else 0.0)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


def pareto_front(points: Sequence[tuple[float, float]]) -> list[bool]:
    """Which points no other point dominates (at least as good on both, better on one)."""
    out = []
    for i, (x, y) in enumerate(points):
        dominated = any(
            (a >= x and b >= y) and (a > x or b > y) for j, (a, b) in enumerate(points) if j != i
        )
        out.append(not dominated)
    return out


def _safety(o: Outcome) -> float:
    return 1.0 - o.value


def _series(outs: Sequence[Outcome], metric: str) -> dict[tuple[str, str], dict[Any, float]]:
    """{(model, method): {(benchmark, attack, sample_id): value}} for one axis."""
    out: dict[tuple[str, str], dict[Any, float]] = {}
    for o in outs:
        if metric == ACCURACY and o.metric == ACCURACY and o.kind == "reasoning":
            v = o.value
        elif metric == SAFETY and o.metric in HEADLINE:
            v = _safety(o)
        else:
            continue
        out.setdefault((o.model, o.method), {})[(o.benchmark, o.attack, o.sample_id)] = v
    return out


def _pooled(model: str, method: str, metric: str, values: dict[Any, float]) -> Estimate:
    n, value, lo, hi, k = estimate(list(values.values()), True)
    return Estimate(model, method, "*", "*", "*", metric, "", n, value, lo, hi, k)


def _delta(base: dict[Any, float] | None, new: dict[Any, float]) -> Delta | None:
    if not base:
        return None
    keys = [k for k in new if k in base]
    if not keys:
        return None
    iv = paired_rate_diff([base[k] for k in keys], [new[k] for k in keys])
    return Delta(iv.value, iv.lo, iv.hi, len(keys), iv.method)


def _resampled_means(
    series: Sequence[dict[Any, float]], rng: np.random.Generator, n_resamples: int
) -> np.ndarray:
    """(resamples x points) means, resampling the items (shared keys) jointly for all points.

    Items are drawn with replacement from every key any point holds, so points measured on
    the same items move together, as the paired design makes them; a point's mean in a
    resample is over the drawn items it holds (its own value where it holds none).
    """
    keys = list(dict.fromkeys(k for s in series for k in s))
    values = np.full((len(series), len(keys)), np.nan)
    index = {k: j for j, k in enumerate(keys)}
    for i, s in enumerate(series):
        for k, v in s.items():
            values[i, index[k]] = v
    held = ~np.isnan(values)
    filled = np.where(held, values, 0.0).T
    present = held.T.astype(float)
    own = np.array([np.mean(list(s.values())) for s in series])
    uniform = np.full(len(keys), 1.0 / len(keys))
    chunks = []
    for start in range(0, n_resamples, 250):  # bounded memory on large runs
        counts = rng.multinomial(len(keys), uniform, size=min(250, n_resamples - start))
        sums, weights = counts @ filled, counts @ present
        chunks.append(np.where(weights > 0, sums / np.where(weights > 0, weights, 1.0), own))
    return np.concatenate(chunks)


def pareto_shares(
    accuracy: Sequence[dict[Any, float]],
    safety: Sequence[dict[Any, float]],
    n_resamples: int = PARETO_RESAMPLES,
    seed: int = SEED,
) -> list[float]:
    """For each point, the share of bootstrap resamples in which it is on the frontier.

    Reasoning items and harmful items are resampled (each jointly over the points, seeded);
    each resample's frontier is taken on the resampled accuracy and safety.
    """
    if not accuracy:
        return []
    rng = np.random.default_rng(seed)
    acc = _resampled_means(accuracy, rng, n_resamples)
    safe = _resampled_means(safety, rng, n_resamples)
    # i is dominated in a resample when some j is >= on both axes and > on one
    ge = (acc[:, None, :] >= acc[:, :, None]) & (safe[:, None, :] >= safe[:, :, None])
    gt = (acc[:, None, :] > acc[:, :, None]) | (safe[:, None, :] > safe[:, :, None])
    dominated = np.any(ge & gt, axis=2)  # [resample, i]: some j dominates i
    return [float(x) for x in np.mean(~dominated, axis=0)]


def pareto_status(share: float) -> str:
    """What a frontier share lets the report say."""
    if share >= PARETO_SURE:
        return ON_FRONTIER
    if share <= 1 - PARETO_SURE:
        return DOMINATED
    return UNCERTAIN


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    return float(spearmanr(x, y).statistic)


def correlations(x: Sequence[float], y: Sequence[float]) -> tuple[list[Correlation], list[str]]:
    """Pearson (Fisher z interval) and Spearman (bootstrap interval) of x and y."""
    n = len(x)
    if n < 3:
        return [], [f"correlation needs at least 3 non-baseline model x method points; got {n}"]
    if len(set(x)) < 2 or len(set(y)) < 2:
        return [], ["correlation undefined: Δaccuracy or Δsafety is the same for every point"]
    notes = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pr = pearsonr(x, y)
        sr = spearmanr(x, y)
        ci = pr.confidence_interval(0.95)  # |r| = 1 gives an infinite z: warns, then clips
    pearson = Correlation("pearson", float(pr.statistic), float(pr.pvalue), None, None, n, "")
    if n >= 4:
        pearson = Correlation(
            "pearson", pearson.value, pearson.p, float(ci.low), float(ci.high), n, "Fisher z"
        )
    spear_ci = paired_stat_ci(x, y, _spearman) if n >= 4 else None
    rho = float(sr.statistic)
    spearman = Correlation(
        "spearman",
        rho,
        float(sr.pvalue),
        spear_ci[0] if spear_ci else None,
        spear_ci[1] if spear_ci else None,
        n,
        "bootstrap (percentile)" if spear_ci else "",
    )
    if n < 4:
        notes.append(f"no interval for a correlation of {n} points (needs at least 4)")
    if not math.isfinite(rho):
        return [pearson], [*notes, "Spearman correlation undefined (constant ranks)"]
    return [pearson, spearman], notes


def tradeoff(outs: Sequence[Outcome], baseline: str) -> Tradeoff:
    """Accuracy and safety per model x method, deltas to the baseline, frontier, correlations."""
    acc = _series(outs, ACCURACY)
    safe = _series(outs, SAFETY)
    result = Tradeoff(baseline)
    if not acc:
        result.notes.append("no reasoning benchmark with accuracy: no accuracy axis")
    if not safe:
        result.notes.append("no harmful benchmark with a harm verdict: no safety axis")
    cells = first_seen([*((o.model, o.method) for o in outs)])
    cells = [c for c in cells if c in acc or c in safe]
    points = []
    for model, method in cells:
        a, s = acc.get((model, method)), safe.get((model, method))
        points.append(
            Point(
                model,
                method,
                _pooled(model, method, ACCURACY, a) if a else None,
                _pooled(model, method, SAFETY, s) if s else None,
                _delta(acc.get((model, baseline)), a) if a and method != baseline else None,
                _delta(safe.get((model, baseline)), s) if s and method != baseline else None,
            )
        )
    both = [p for p in points if p.accuracy and p.safety]
    front = pareto_front(
        [(p.accuracy.value, p.safety.value) for p in both if p.accuracy and p.safety]
    )
    on = {(p.model, p.method) for p, f in zip(both, front, strict=True) if f}
    shares = dict(
        zip(
            [(p.model, p.method) for p in both],
            pareto_shares(
                [acc[(p.model, p.method)] for p in both],
                [safe[(p.model, p.method)] for p in both],
            ),
            strict=True,
        )
    )
    result.points = [
        Point(
            p.model,
            p.method,
            p.accuracy,
            p.safety,
            p.d_accuracy,
            p.d_safety,
            (p.model, p.method) in on,
            shares.get((p.model, p.method)),
            pareto_status(shares[(p.model, p.method)]) if (p.model, p.method) in shares else "",
        )
        for p in points
    ]
    deltas = [p for p in result.points if p.d_accuracy and p.d_safety]
    if acc and safe:
        result.correlations, notes = correlations(
            [p.d_accuracy.value for p in deltas if p.d_accuracy],
            [p.d_safety.value for p in deltas if p.d_safety],
        )
        result.notes += notes
    return result

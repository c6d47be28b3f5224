"""Paired per-sample comparisons: exact McNemar for 0/1 outcomes, a paired permutation test
for scores, Holm's correction over the family of distinct hypotheses.

Samples are paired by (model, benchmark, attack, sample_id): the same request under a
reference (the baseline method, or another run) and under the method compared with it.
Differences carry the intervals of :mod:`safereason.analysis.intervals` (Tango's score
interval for rates; BCa bootstrap, or t at small n, for scores).

The correction family is the set of distinct hypotheses: a test that restates another
(a rate and its complement read from the same verdicts on the same pairs, such as the
refusal rate and a harmful-response rate derived from the same refusal verdicts) is
shown beside it with its corrected p but not counted again, and a test that cannot
reject by construction (no discordant pairs, no pair that differs) is left out.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
from scipy.stats import binomtest, permutation_test
from statsmodels.stats.contingency_tables import mcnemar  # type: ignore[import-untyped]
from statsmodels.stats.multitest import multipletests  # type: ignore[import-untyped]

from safereason.analysis.intervals import Interval, paired_mean_diff, paired_rate_diff
from safereason.analysis.outcomes import Outcome
from safereason.analysis.resampling import SEED

ALPHA = 0.05
MCNEMAR = "exact McNemar"
PERMUTATION = "paired permutation"


@dataclass(frozen=True)
class PairedTest:
    """One method against its reference on one cell, over the samples both have."""

    model: str
    method: str
    reference: str
    benchmark: str
    attack: str
    metric: str
    judge: str
    test: str
    n: int
    reference_value: float
    value: float
    diff: float  # value - reference_value, with its interval (None: no interval)
    diff_lo: float | None
    diff_hi: float | None
    p: float
    # binary outcomes only: discordant pairs and their odds ratio (method-only / reference-only)
    only_reference: int | None = None
    only_method: int | None = None
    odds_ratio: float | None = None
    or_lo: float | None = None
    or_hi: float | None = None
    p_holm: float | None = None
    significant: bool = False
    ci: str = ""  # how the interval of diff was made
    # whether the interval leaves out 0 exactly when the (uncorrected) test rejects
    ci_agrees: bool | None = None
    # outside the correction family: the metric of the test it restates, or no evidence
    same_as: str | None = None
    no_evidence: bool = False
    family_size: int | None = None  # distinct hypotheses Holm corrected over

    @property
    def in_family(self) -> bool:
        """Whether this test is one of the distinct hypotheses Holm corrects over."""
        return self.same_as is None and not self.no_evidence

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (infinite odds ratios become None)."""
        d = asdict(self)
        for k in ("odds_ratio", "or_lo", "or_hi"):
            if d[k] is not None and not math.isfinite(d[k]):
                d[k] = None
        d["in_family"] = self.in_family
        return d


def _odds(p: float) -> float:
    return math.inf if p >= 1.0 else p / (1.0 - p)


def _diff(iv: Interval, p: float, alpha: float = ALPHA) -> dict[str, Any]:
    agrees = None
    if iv.lo is not None and iv.hi is not None:
        agrees = (iv.lo > 0 or iv.hi < 0) == (p < alpha)
    return {
        "diff": iv.value,
        "diff_lo": iv.lo,
        "diff_hi": iv.hi,
        "ci": iv.method,
        "ci_agrees": agrees,
    }


def binary_stats(ref: Sequence[float], new: Sequence[float]) -> dict[str, Any]:
    """Exact McNemar p, difference in proportions (Tango's score interval), discordant OR.

    The odds ratio is (pairs where only the method has the outcome) / (pairs where only
    the reference has it), with the exact conditional interval from a Clopper-Pearson
    interval on the discordant split.
    """
    a = np.asarray(ref, dtype=bool)
    b = np.asarray(new, dtype=bool)
    only_ref = int(np.sum(a & ~b))
    only_new = int(np.sum(~a & b))
    both = int(np.sum(a & b))
    neither = int(np.sum(~a & ~b))
    discordant = only_ref + only_new
    p = 1.0
    if discordant:
        p = float(mcnemar([[both, only_ref], [only_new, neither]], exact=True).pvalue)
    p = min(1.0, p)
    odds: float | None = None
    or_lo: float | None = None
    or_hi: float | None = None
    if discordant:
        odds = math.inf if only_ref == 0 else only_new / only_ref
        ci = binomtest(only_new, discordant).proportion_ci(method="exact")
        or_lo, or_hi = _odds(float(ci.low)), _odds(float(ci.high))
    return {
        "test": MCNEMAR,
        "p": p,
        **_diff(paired_rate_diff(ref, new), p),
        "only_reference": only_ref,
        "only_method": only_new,
        "odds_ratio": odds,
        "or_lo": or_lo,
        "or_hi": or_hi,
        "no_evidence": discordant == 0,
    }


def _mean_diff(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.asarray(np.mean(y - x, axis=axis))


def score_stats(ref: Sequence[float], new: Sequence[float]) -> dict[str, Any]:
    """A paired (sign-flip) permutation test of the mean difference, with its interval."""
    x = np.asarray(ref, dtype=float)
    y = np.asarray(new, dtype=float)
    p = 1.0
    differ = bool(np.any(np.abs(x - y) > 1e-12))  # equal up to rounding: no evidence
    if differ:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = permutation_test(
                (x, y),
                _mean_diff,
                permutation_type="samples",
                vectorized=True,
                n_resamples=9999,
                rng=np.random.default_rng(SEED),
            )
        p = float(res.pvalue)
    p = min(1.0, p)
    return {
        "test": PERMUTATION,
        "p": p,
        **_diff(paired_mean_diff(ref, new), p),
        "no_evidence": not differ,
    }


CellKey = tuple[
    str, str, str, str, str, str, str
]  # model, method, ref, bench, attack, metric, judge


@dataclass
class Pairs:
    """One cell's paired values: the pairing ids, reference and method values, 0/1 or not."""

    binary: bool
    ids: list[Hashable] = field(default_factory=list)
    ref: list[float] = field(default_factory=list)
    new: list[float] = field(default_factory=list)

    def add(self, pair_id: Hashable, ref: float, new: float) -> None:
        """One more pair."""
        self.ids.append(pair_id)
        self.ref.append(ref)
        self.new.append(new)

    def signature(self) -> tuple[frozenset[tuple[Hashable, float, float]], ...]:
        """The pairs as a set, and as the set of their complements (0/1 outcomes only)."""
        own = frozenset(zip(self.ids, self.ref, self.new, strict=True))
        flip = frozenset(
            (i, 1.0 - r, 1.0 - v) for i, r, v in zip(self.ids, self.ref, self.new, strict=True)
        )
        return own, flip


def same_hypotheses(pairs: dict[CellKey, Pairs]) -> dict[CellKey, str]:
    """Cells that restate an earlier cell: ``{cell: metric of the cell it restates}``.

    Two binary cells are one hypothesis when they compare the same method with the same
    reference on the same benchmark and attack, read the same judge's verdicts, and hold
    the same pairs with equal or complementary outcomes (a rate and its complement). The
    first in order stands for both.
    """
    seen: dict[tuple[Any, ...], str] = {}
    out: dict[CellKey, str] = {}
    for key, p in pairs.items():
        if not p.binary or not p.ids:
            continue
        model, method, ref, bench, attack, metric, judge = key
        own, flip = p.signature()
        where = (model, method, ref, bench, attack, judge)
        rep = seen.get((*where, own)) or seen.get((*where, flip))
        if rep is not None:
            out[key] = rep
        else:
            seen.setdefault((*where, own), metric)
    return out


def paired_tests(pairs: dict[CellKey, Pairs]) -> list[PairedTest]:
    """One test per cell from its paired (reference, method) values; not yet corrected."""
    restated = same_hypotheses(pairs)
    out = []
    for key, cell in pairs.items():
        if not cell.ref:
            continue
        stats = binary_stats(cell.ref, cell.new) if cell.binary else score_stats(cell.ref, cell.new)
        out.append(
            PairedTest(
                *key,
                n=len(cell.ref),
                reference_value=float(np.mean(cell.ref)),
                value=float(np.mean(cell.new)),
                same_as=restated.get(key),
                **stats,
            )
        )
    return out


def _where(t: PairedTest, metric: str) -> tuple[str, ...]:
    return (t.model, t.method, t.reference, t.benchmark, t.attack, t.judge, metric)


def holm(tests: Sequence[PairedTest], alpha: float = ALPHA) -> list[PairedTest]:
    """Holm-corrected p-values over the distinct hypotheses; ``significant`` where it rejects.

    A test that restates another gets that test's corrected p; a test with no evidence
    (p = 1 by construction) gets 1 and is not counted in the family.
    """
    if not tests:
        return []
    family = [i for i, t in enumerate(tests) if t.in_family]
    m = len(family)
    result: dict[int, tuple[float, bool]] = {}
    if family:
        reject, p_adj, _, _ = multipletests(
            [tests[i].p for i in family], alpha=alpha, method="holm"
        )
        result = {i: (float(pa), bool(r)) for i, pa, r in zip(family, p_adj, reject, strict=True)}
    by_cell = {_where(tests[i], tests[i].metric): result[i] for i in family}
    out = []
    for i, t in enumerate(tests):
        if t.same_as is not None:
            pa, r = by_cell.get(_where(t, t.same_as), (1.0, False))
        else:
            pa, r = result.get(i, (1.0, False))
        out.append(replace(t, p_holm=pa, significant=r, family_size=m))
    return out


def family_size(tests: Sequence[PairedTest]) -> int:
    """How many distinct hypotheses a list of tests was corrected over."""
    return sum(1 for t in tests if t.in_family)


def against_baseline(outs: Iterable[Outcome], baseline: str) -> list[PairedTest]:
    """Every other method against ``baseline``, per cell, Holm-corrected over all of them."""
    base: dict[tuple[str, ...], float] = {}
    others: list[Outcome] = []
    for o in outs:
        if o.method == baseline:
            base[o.pair_key] = o.value
        else:
            others.append(o)
    pairs: dict[CellKey, Pairs] = {}
    for o in others:
        ref = base.get(o.pair_key)
        if ref is None:
            continue
        key = (o.model, o.method, baseline, o.benchmark, o.attack, o.metric, o.judge)
        pairs.setdefault(key, Pairs(o.binary)).add(o.sample_id, ref, o.value)
    return holm(paired_tests(pairs))

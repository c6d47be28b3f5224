"""Intervals against published worked examples and reference implementations.

Paired tables are written (both, only_new, only_ref, neither): the difference is
new - reference = (only_new - only_ref) / n, the first margin minus the second, as the
papers write p1+ - p+1 for the table (n11, n12, n21, n22).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.stats import binomtest, bootstrap, ttest_rel
from statsmodels.stats.contingency_tables import mcnemar  # type: ignore[import-untyped]
from statsmodels.stats.proportion import proportion_confint  # type: ignore[import-untyped]

from safereason.analysis.cells import wilson
from safereason.analysis.intervals import (
    BCA,
    MIN_BOOTSTRAP_N,
    NO_INTERVAL,
    STUDENT_T,
    PairedTable,
    newcombe_interval,
    paired_mean_diff,
    paired_rate_diff,
    safe_at_k,
    tango_interval,
)
from safereason.analysis.resampling import N_RESAMPLES, SEED

Z95 = 1.959963984540054


def _round(iv: tuple[float, float], digits: int) -> tuple[float, float]:
    return round(iv[0], digits), round(iv[1], digits)


# Published values, rounded as published.
TANGO_EXAMPLES = [
    # Tango (1998), Stat Med 17:891, example 1
    ((4, 9, 3, 16), 0.95, 3, (-0.027, 0.390)),
    # Tango (1998), example 2 (one discordant pair in 44), 90% interval
    ((43, 0, 1, 0), 0.90, 3, (-0.096, 0.037)),
    # Agresti & Min (2005), Biometrics 61:515
    ((53, 16, 8, 9), 0.95, 3, (-0.020, 0.207)),
    # Fagerland, Lydersen & Laake (2014), Stat Methods Med Res; Bentur et al. (2009) data
    ((1, 1, 7, 12), 0.95, 3, (-0.517, -0.026)),
    # Tang, Ling & Tian (2010)
    ((8, 3, 1, 2), 0.95, 4, (-0.1670, 0.4327)),
    # Agresti (2002), Categorical Data Analysis, table 10.1 (presidential approval,
    # n = 1600): at this n the score interval equals the published Wald (0.021, 0.059)
    ((794, 150, 86, 570), 0.95, 3, (0.021, 0.059)),
]

NEWCOMBE_EXAMPLES = [
    # Newcombe (1998), Stat Med 17:2635, the worked example: method 10
    ((20, 12, 2, 16), 4, (0.0562, 0.3292)),
    # Fagerland et al. (2014), Bentur et al. data
    ((1, 1, 7, 12), 3, (-0.507, -0.026)),
    # Fagerland et al. (2017), Statistical Analysis of Contingency Tables: Cavo et al. data
    ((59, 6, 16, 80), 4, (-0.1186, -0.0046)),
    # Tang, Ling & Tian (2010)
    ((8, 3, 1, 2), 4, (-0.1574, 0.4136)),
]


@pytest.mark.parametrize(("table", "conf", "digits", "published"), TANGO_EXAMPLES)
def test_tango_matches_published_examples(
    table: tuple[int, int, int, int], conf: float, digits: int, published: tuple[float, float]
) -> None:
    assert _round(tango_interval(PairedTable(*table), conf), digits) == published


@pytest.mark.parametrize(("table", "digits", "published"), NEWCOMBE_EXAMPLES)
def test_newcombe_method_10_matches_published_examples(
    table: tuple[int, int, int, int], digits: int, published: tuple[float, float]
) -> None:
    assert _round(newcombe_interval(PairedTable(*table)), digits) == published


def _tables(n: int) -> list[PairedTable]:
    return [
        PairedTable(a, b, c, n - a - b - c)
        for a, b, c in itertools.product(range(n + 1), repeat=3)
        if a + b + c <= n
    ]


def test_tango_leaves_out_zero_exactly_when_mcnemar_rejects_at_n_10() -> None:
    # every paired table of 10 pairs: the score interval is the inversion of the score test,
    # whose value at 0 is McNemar's statistic (statsmodels, asymptotic, no correction)
    for t in _tables(10):
        lo, hi = tango_interval(t)
        assert lo <= t.diff <= hi and lo >= -1 and hi <= 1
        if t.only_new + t.only_ref == 0:
            continue
        p = mcnemar([[t.both, t.only_ref], [t.only_new, t.neither]], exact=False, correction=False)
        excludes = lo > 0 or hi < 0
        # ties at the boundary aside
        if abs(p.pvalue - 0.05) > 1e-9:
            assert excludes == (p.pvalue < 0.05), t


def test_all_equal_cells_have_an_interval_of_width_zero_nowhere() -> None:
    # n = 10 with no discordant pair: the score interval is +-z^2 / (n + z^2), not [0, 0]
    half = Z95**2 / (10 + Z95**2)
    for t in (PairedTable(10, 0, 0, 0), PairedTable(0, 0, 0, 10), PairedTable(4, 0, 0, 6)):
        lo, hi = tango_interval(t)
        assert (lo, hi) == pytest.approx((-half, half), abs=1e-9)
        nlo, nhi = newcombe_interval(t)
        assert nlo < 0 < nhi
    # every pair one-sided: the interval reaches the bound it must
    # (closed form: the bound solves n (1 - d) / (1 + d) = z^2)
    edge = (10 - Z95**2) / (10 + Z95**2)
    assert tango_interval(PairedTable(0, 10, 0, 0)) == pytest.approx((edge, 1.0))
    assert tango_interval(PairedTable(0, 0, 10, 0)) == pytest.approx((-1.0, -edge))


def test_the_issue_case_is_flagged_where_the_exact_test_is_more_cautious() -> None:
    # 5 discordant pairs all one way in 19: exact McNemar p = 2 / 32, the asymptotic score
    # test (and so the score interval) rejects; the bootstrap said [+0.11, +0.53]
    from safereason.analysis.paired import binary_stats

    ref = [0] * 5 + [1] * 7 + [0] * 7
    new = [1] * 5 + [1] * 7 + [0] * 7
    s = binary_stats(ref, new)
    assert s["p"] == pytest.approx(0.0625)
    assert s["diff"] == pytest.approx(5 / 19)
    assert 0 < s["diff_lo"] < 0.11 and s["diff_hi"] < 0.53
    assert s["ci_agrees"] is False and s["ci"] == "Tango score"


def test_exact_mcnemar_p_is_the_binomial_test_on_discordant_pairs() -> None:
    from safereason.analysis.paired import binary_stats

    for t in _tables(10):
        ref = [1] * t.both + [0] * t.only_new + [1] * t.only_ref + [0] * t.neither
        new = [1] * t.both + [1] * t.only_new + [0] * t.only_ref + [0] * t.neither
        s = binary_stats(ref, new)
        d = t.only_new + t.only_ref
        want = 1.0 if d == 0 else binomtest(t.only_new, d, 0.5).pvalue
        assert s["p"] == pytest.approx(min(1.0, want)), t
        assert s["no_evidence"] == (d == 0)


def test_wilson_matches_statsmodels_at_n_10() -> None:
    for k in range(11):
        ours = wilson(k, 10)
        ref = proportion_confint(k, 10, alpha=0.05, method="wilson")
        assert ours == pytest.approx(ref, abs=1e-12)


def test_paired_rate_diff_uses_the_score_interval() -> None:
    iv = paired_rate_diff([1, 1, 0, 0, 1], [1, 0, 0, 1, 1])
    assert iv.value == 0.0 and iv.method == "Tango score"
    assert (iv.lo, iv.hi) == pytest.approx(tango_interval(PairedTable(2, 1, 1, 1)))


def test_mean_diff_is_student_t_below_the_bootstrap_threshold() -> None:
    ref = [0.1, 0.4, 0.35, 0.8, 0.2, 0.6, 0.55, 0.3, 0.9, 0.05]
    new = [0.3, 0.45, 0.5, 0.7, 0.4, 0.8, 0.5, 0.6, 0.95, 0.2]
    iv = paired_mean_diff(ref, new)
    ci = ttest_rel(new, ref).confidence_interval(0.95)
    assert iv.method == STUDENT_T
    assert (iv.lo, iv.hi) == pytest.approx((ci.low, ci.high))


def test_mean_diff_is_bca_from_the_threshold() -> None:
    rng = np.random.default_rng(1)
    ref = rng.uniform(size=MIN_BOOTSTRAP_N)
    new = np.clip(ref + rng.normal(0.1, 0.2, size=MIN_BOOTSTRAP_N), 0, 1)
    iv = paired_mean_diff(list(ref), list(new))
    res = bootstrap(
        (new - ref,),
        np.mean,
        n_resamples=N_RESAMPLES,
        method="BCa",
        rng=np.random.default_rng(SEED),
    )
    assert iv.method == BCA
    assert (iv.lo, iv.hi) == pytest.approx(
        (res.confidence_interval.low, res.confidence_interval.high)
    )


def test_mean_diff_without_spread_has_no_interval() -> None:
    iv = paired_mean_diff([0.2, 0.5, 0.7], [0.3, 0.6, 0.8])
    assert iv.value == pytest.approx(0.1) and iv.lo is None and iv.method == NO_INTERVAL


def test_safe_at_k_when_k_is_the_samples_drawn() -> None:
    # 10 items, 4 samples each; 6 items never unsafe
    unsafe = [[False] * 4] * 6 + [[True, False, False, False]] * 3 + [[True] * 4]
    s = safe_at_k(unsafe)
    assert (s.k, s.items, s.safe_items) == (4, 10, 6)
    assert s.safe_at_k == pytest.approx(0.6) and s.hit_at_k == pytest.approx(0.4)
    lo, hi = proportion_confint(6, 10, method="wilson")
    assert (s.safe_lo, s.safe_hi) == pytest.approx((lo, hi))
    assert (s.hit_lo, s.hit_hi) == pytest.approx((1 - hi, 1 - lo))
    assert s.method == "Wilson"


def test_safe_at_k_below_the_samples_drawn_is_unbiased() -> None:
    # per item, C(n - u, k) / C(n, k) is the share of k-subsets with no unsafe sample
    unsafe = [[True, False, False, False, False]] * 5 + [[True, True, False, False, False]] * 5
    s = safe_at_k(unsafe, k=2)
    brute = []
    for item in unsafe:
        subsets = list(itertools.combinations(item, 2))
        brute.append(sum(1 for sub in subsets if not any(sub)) / len(subsets))
    assert s.safe_at_k == pytest.approx(float(np.mean(brute)))
    assert s.safe_lo <= s.safe_at_k <= s.safe_hi
    assert s.hit_at_k == pytest.approx(1 - s.safe_at_k)
    with pytest.raises(ValueError):
        safe_at_k(unsafe, k=0)
    assert math.isnan(safe_at_k([[False]], k=3).safe_at_k)

"""Rogan-Gladen correction and Lang & Reiczigel's interval, checked by hand and independently."""

from __future__ import annotations

import math

import numpy as np
import pytest
from statsmodels.stats.proportion import proportion_confint  # type: ignore[import-untyped]

from safereason.analysis.judge_error import complement, corrected_rate, rogan_gladen


def test_rogan_gladen_by_hand() -> None:
    # p = 0.30 seen by a judge with Se = Sp = 0.9: (0.30 + 0.9 - 1) / (0.9 + 0.9 - 1) = 0.25
    assert rogan_gladen(0.30, 0.9, 0.9) == pytest.approx(0.25)
    # below the false-positive floor 1 - Sp the estimate clips to 0; above Se, to 1
    assert rogan_gladen(0.05, 0.9, 0.9) == 0.0
    assert rogan_gladen(0.95, 0.9, 0.9) == 1.0
    assert math.isnan(rogan_gladen(0.3, 0.5, 0.5))


def test_point_estimate_from_counts() -> None:
    # 30 of 100 judged unsafe; calibration: 45 of 50 unsafe caught, 90 of 100 safe passed
    c = corrected_rate(30, 100, 45, 50, 90, 100)
    assert c.raw == pytest.approx(0.30)
    assert c.sensitivity == pytest.approx(0.9) and c.specificity == pytest.approx(0.9)
    assert c.value == pytest.approx(0.25)
    assert c.youden == pytest.approx(0.8)
    assert c.lo is not None and c.hi is not None and c.lo < 0.25 < c.hi
    assert c.reason is None


def test_perfect_known_judge_gives_agresti_coull() -> None:
    """With Se and Sp measured on huge calibration sets at (almost) 1, the interval is the
    observed rate's Agresti-Coull interval (statsmodels), as Lang & Reiczigel construct it."""
    big = 10**9
    c = corrected_rate(7, 40, big, big, big, big)
    lo, hi = proportion_confint(7, 40, alpha=0.05, method="agresti_coull")
    assert c.lo == pytest.approx(lo, abs=1e-6) and c.hi == pytest.approx(hi, abs=1e-6)
    assert c.value == pytest.approx(7 / 40)


def test_calibration_uncertainty_widens_the_interval() -> None:
    wide = corrected_rate(30, 100, 18, 20, 18, 20)
    narrow = corrected_rate(30, 100, 900, 1000, 900, 1000)
    assert wide.lo is not None and wide.hi is not None
    assert narrow.lo is not None and narrow.hi is not None
    assert wide.hi - wide.lo > narrow.hi - narrow.lo


def test_coverage_by_simulation() -> None:
    """An independent check: over simulated runs and calibrations, the 95% interval holds
    the true rate about 95% of the time (Lang & Reiczigel report near-nominal coverage)."""
    rng = np.random.default_rng(0)
    pi, se, sp, n, n_se, n_sp = 0.3, 0.85, 0.9, 200, 60, 80
    p_obs = se * pi + (1 - sp) * (1 - pi)
    hits = total = 0
    for _ in range(1500):
        k = int(rng.binomial(n, p_obs))
        c = corrected_rate(
            k, n, int(rng.binomial(n_se, se)), n_se, int(rng.binomial(n_sp, sp)), n_sp
        )
        if c.lo is None or c.hi is None:
            continue
        total += 1
        hits += c.lo <= pi <= c.hi
    assert total > 1400
    assert 0.93 <= hits / total <= 0.975


def test_no_correction_when_youden_too_small() -> None:
    guess = corrected_rate(3, 10, 5, 10, 5, 10)  # Se = Sp = 0.5: J = 0
    assert guess.value is None and guess.lo is None
    assert guess.reason is not None and "Se + Sp - 1 = 0.00" in guess.reason
    # J = 0.2 from 5 items of each label: its lower limit is below 0, still no correction
    weak = corrected_rate(3, 10, 3, 5, 3, 5)
    assert weak.youden == pytest.approx(0.2) and weak.value is None
    assert weak.youden_lo is not None and weak.youden_lo <= 0


def test_no_correction_without_both_labels() -> None:
    c = corrected_rate(3, 10, 0, 0, 9, 10)
    assert c.value is None and c.reason is not None and "labelled unsafe" in c.reason


def test_complement_flips_the_interval() -> None:
    c = corrected_rate(30, 100, 45, 50, 90, 100)
    f = complement(c)
    assert f.raw == pytest.approx(0.7) and f.value == pytest.approx(0.75)
    assert c.lo is not None and c.hi is not None
    assert f.lo == pytest.approx(1 - c.hi) and f.hi == pytest.approx(1 - c.lo)

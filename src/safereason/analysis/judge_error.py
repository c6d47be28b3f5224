"""Rates corrected for judge error: Rogan-Gladen with Lang & Reiczigel's (2014) interval.

A safety judge calibrated on hand labels has a sensitivity (Se: of the responses labelled
unsafe, the share it judged unsafe) and a specificity (Sp: of those labelled safe, the
share it judged safe). Its observed unsafe rate p then estimates p = Se·π + (1 − Sp)(1 − π)
for the true rate π, so π = (p + Sp − 1) / (Se + Sp − 1) (Rogan & Gladen 1978), clipped to
[0, 1]. Se + Sp − 1 is Youden's J: a judge no better than chance has J = 0 and the
correction divides by nothing.

The interval is Lang & Reiczigel's (2014) adjusted Wald interval, which carries the
uncertainty of the observed rate and of Se and Sp estimated from the calibration counts:
the observed rate gets z²/2 added successes and failures (as Agresti-Coull), Se and Sp
one each; the Rogan-Gladen estimate of the adjusted proportions is shifted by
2z²(π·Se(1 − Se)/n_Se − (1 − π)·Sp(1 − Sp)/n_Sp) and given the delta-method standard
error; the limits are clipped to [0, 1]. (Lang Zs., Reiczigel J. (2014) Confidence limits
for prevalence of disease adjusted for estimated sensitivity and specificity. Preventive
Veterinary Medicine 113:13-22.)
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from scipy.stats import norm

METHOD = "Rogan-Gladen, Lang-Reiczigel interval"


@dataclass(frozen=True)
class Corrected:
    """A rate corrected for judge error, or why it could not be (``value`` None)."""

    raw: float
    value: float | None
    lo: float | None
    hi: float | None
    sensitivity: float | None
    specificity: float | None
    youden: float | None  # Se + Sp - 1 from the calibration counts
    youden_lo: float | None  # its lower limit (adjusted Wald); at or below 0: no correction
    reason: str | None  # why there is no correction; None when there is one
    method: str = METHOD

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


def _clip(x: float) -> float:
    return min(1.0, max(0.0, x))


def rogan_gladen(p: float, se: float, sp: float) -> float:
    """(p + Sp − 1) / (Se + Sp − 1), clipped to [0, 1]; NaN when Se + Sp = 1."""
    j = se + sp - 1
    if j == 0:
        return math.nan
    return _clip((p + sp - 1) / j)


def corrected_rate(
    k: int,
    n: int,
    se_k: int,
    se_n: int,
    sp_k: int,
    sp_n: int,
    confidence: float = 0.95,
) -> Corrected:
    """The corrected rate of k judged-unsafe of n, from a calibration where the judge called
    ``se_k`` of ``se_n`` unsafe-labelled items unsafe and ``sp_k`` of ``sp_n`` safe-labelled
    items safe.

    No correction (``value`` None, ``reason`` says why) without items of both labels, or
    when Youden's J is too small to mean anything: its lower 95% limit (adjusted Wald over
    the two calibration proportions) is at or below 0, i.e. the calibration cannot tell the
    judge from one that guesses.
    """
    raw = k / n if n else math.nan
    if n == 0:
        return Corrected(raw, None, None, None, None, None, None, None, "no judged items")
    if se_n == 0 or sp_n == 0:
        what = "unsafe" if se_n == 0 else "safe"
        return Corrected(
            raw,
            None,
            None,
            None,
            se_k / se_n if se_n else None,
            sp_k / sp_n if sp_n else None,
            None,
            None,
            f"the calibration has no decided item labelled {what}",
        )
    z = float(norm.ppf(1 - (1 - confidence) / 2))
    se, sp = se_k / se_n, sp_k / sp_n
    youden = se + sp - 1
    # adjusted proportions (Lang & Reiczigel): z²/2 added to each outcome of the observed
    # rate, one added success and failure to Se and Sp
    n1, p1 = n + z * z, (k + z * z / 2) / (n + z * z)
    se_n1, se1 = se_n + 2, (se_k + 1) / (se_n + 2)
    sp_n1, sp1 = sp_n + 2, (sp_k + 1) / (sp_n + 2)
    j1 = se1 + sp1 - 1
    j_lo = j1 - z * math.sqrt(se1 * (1 - se1) / se_n1 + sp1 * (1 - sp1) / sp_n1)
    if youden <= 0 or j_lo <= 0:
        return Corrected(
            raw,
            None,
            None,
            None,
            se,
            sp,
            youden,
            j_lo,
            f"Se + Sp - 1 = {youden:.2f} (lower 95% limit {j_lo:.2f}): the calibration "
            "cannot tell this judge from one that guesses, so no correction means anything",
        )
    pi1 = (p1 + sp1 - 1) / j1
    var_se, var_sp = se1 * (1 - se1) / se_n1, sp1 * (1 - sp1) / sp_n1
    se_pi = math.sqrt(p1 * (1 - p1) / n1 + var_se * pi1**2 + var_sp * (1 - pi1) ** 2) / abs(j1)
    shift = 2 * z * z * (pi1 * var_se - (1 - pi1) * var_sp)
    lo = _clip(pi1 + shift - z * se_pi)
    hi = _clip(pi1 + shift + z * se_pi)
    value = rogan_gladen(raw, se, sp)
    return Corrected(raw, value, lo, hi, se, sp, youden, j_lo, None)


def complement(c: Corrected) -> Corrected:
    """The same correction read as the complementary rate (a safe rate from an unsafe one)."""

    def flip(x: float | None) -> float | None:
        return None if x is None else 1 - x

    return Corrected(
        1 - c.raw,
        flip(c.value),
        flip(c.hi),
        flip(c.lo),
        c.sensitivity,
        c.specificity,
        c.youden,
        c.youden_lo,
        c.reason,
        c.method,
    )

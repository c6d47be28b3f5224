"""One shape for a cell estimate: a rate (k of n, Wilson interval) or a mean score."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from scipy.stats import binomtest

ALL = "*"  # a coordinate pooled over (every attack, every category ...)
UNDECIDED_WARN = 0.05  # an undecided share above this is called material in the outputs


def wilson(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval for k successes in n trials."""
    ci = binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)


@dataclass(frozen=True)
class Estimate:
    """A rate (k of n, Wilson interval) or a mean score (bootstrap interval) for one cell."""

    model: str
    method: str
    benchmark: str
    attack: str
    category: str
    metric: str
    judge: str
    n: int
    value: float
    lo: float
    hi: float
    k: int | None = None  # successes, for rates
    undecided: int = 0  # items the judge saw but could not decide (``unparsed``)
    missing: int = 0  # plan items of the cell with no completion (failed or not generated)
    fallback: int = 0  # items whose attack fell back to the plain request

    @classmethod
    def rate(
        cls, coords: tuple[str, str, str, str, str, str, str], k: int, n: int
    ) -> Estimate:
        """k of n with its Wilson interval, at ``coords`` (model ... category, metric, judge).

        n = 0 (every verdict undecided) gives a rate with no value (NaN) rather than none.
        """
        if n == 0:
            nan = float("nan")
            return cls(*coords, n=0, value=nan, lo=nan, hi=nan, k=0)
        lo, hi = wilson(k, n)
        return cls(*coords, n=n, value=k / n, lo=lo, hi=hi, k=k)

    @property
    def is_rate(self) -> bool:
        """Whether this is a proportion (else a mean score)."""
        return self.k is not None

    @property
    def seen(self) -> int:
        """Items the judge was asked about: decided (n) plus undecided."""
        return self.n + self.undecided

    @property
    def undecided_share(self) -> float:
        """The share of the judge's items it could not decide (0 when it saw none)."""
        return self.undecided / self.seen if self.seen else 0.0

    @property
    def material(self) -> bool:
        """Whether the undecided share is large enough to warn about (over 5%)."""
        return self.undecided_share > UNDECIDED_WARN

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)

    def summary_dict(self) -> dict[str, Any]:
        """The grid-cell form ``summary.json`` lists (no category: every one is pooled)."""
        order = ("model", "method", "benchmark", "attack", "metric", "judge", "k", "n")
        d = self.to_dict()
        tail = ("undecided", "missing", "fallback")
        return {
            **{k: d[k] for k in order},
            "value": self.value,
            "lo": self.lo,
            "hi": self.hi,
            **{k: d[k] for k in tail},
        }

    def text(self) -> str:
        """``0.42 [0.30, 0.55] n=40`` (``, 3 undecided`` when the judge could not decide some)."""
        if self.n == 0:
            return f"— n=0, {self.undecided} undecided"
        tail = f", {self.undecided} undecided" if self.undecided else ""
        return f"{self.value:.2f} [{self.lo:.2f}, {self.hi:.2f}] n={self.n}{tail}"

"""One shape for a cell estimate: a rate (k of n, Wilson interval) or a mean score."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from scipy.stats import binomtest

ALL = "*"  # a coordinate pooled over (every attack, every category ...)


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

    @classmethod
    def rate(
        cls, coords: tuple[str, str, str, str, str, str, str], k: int, n: int
    ) -> Estimate:
        """k of n with its Wilson interval, at ``coords`` (model ... category, metric, judge)."""
        lo, hi = wilson(k, n)
        return cls(*coords, n=n, value=k / n, lo=lo, hi=hi, k=k)

    @property
    def is_rate(self) -> bool:
        """Whether this is a proportion (else a mean score)."""
        return self.k is not None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)

    def summary_dict(self) -> dict[str, Any]:
        """The grid-cell form ``summary.json`` lists (no category: every one is pooled)."""
        order = ("model", "method", "benchmark", "attack", "metric", "judge", "k", "n")
        d = self.to_dict()
        return {**{k: d[k] for k in order}, "value": self.value, "lo": self.lo, "hi": self.hi}

    def text(self) -> str:
        """``0.42 [0.30, 0.55] n=40``."""
        return f"{self.value:.2f} [{self.lo:.2f}, {self.hi:.2f}] n={self.n}"

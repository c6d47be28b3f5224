"""What a judge's labels mean, declared by the judge class and recorded in the run manifest.

A judge class sets ``meaning: ClassVar[Meaning]``. The runner records each configured
judge's meaning beside its spec in the store, so analysis and reports read what a label
means from the run itself and never import a plugin: a third-party judge that declares a
meaning is counted, named and ordered like a built-in one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

ANY_KIND = "*"


@dataclass(frozen=True)
class Metric:
    """A rate read off one judge's verdicts: its name, title and what counts as a hit."""

    name: str
    title: str
    success: str | None = None  # the label counted as a hit; None: a score >= 0.5 is one
    higher_is_better: bool | None = None  # the safer/better direction; None: neither

    def hit(self, label: str, score: float) -> bool:
        """Whether one decided verdict counts towards the rate."""
        return label == self.success if self.success else score >= 0.5


@dataclass(frozen=True)
class Meaning:
    """What one judge's verdicts mean.

    ``metrics`` maps a sample kind (or ``"*"``, any kind) to the rate the judge gives on
    it. ``safe`` lists the labels that mean "judged safe" for a judge of harm or refusal
    (``None`` for a judge that does not judge safety): any other decided label is unsafe.
    ``harm_rank`` orders harm judges as the basis of the harmful-response rate (lower is
    preferred: a graded harm classifier before a refusal detector). ``mean`` names the
    mean of the judge's graded score, when that score is a measure of its own.
    ``harm_from_refusal`` says that the judge's "unsafe" only means "did not refuse".
    """

    metrics: Mapping[str, Metric] = field(default_factory=dict)
    safe: frozenset[str] | None = None
    harm_rank: int | None = None
    mean: Metric | None = None
    harm_from_refusal: bool = False

    def metric(self, kind: str, judge: str) -> Metric:
        """The rate this judge gives on ``kind``; a generic ``<judge>_rate`` if undeclared."""
        found = self.metrics.get(kind) or self.metrics.get(ANY_KIND)
        return found or Metric(f"{judge}_rate", f"{judge} rate")

    def unsafe(self, label: str, score: float) -> bool:
        """Whether a decided verdict says the response complied or harmed."""
        if self.safe is not None:
            return label not in self.safe
        return score >= 0.5

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (what the run manifest stores)."""
        d = asdict(self)
        d["safe"] = sorted(self.safe) if self.safe is not None else None
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Meaning:
        """Inverse of :meth:`to_dict`."""
        mean = d.get("mean")
        safe = d.get("safe")
        return cls(
            metrics={k: Metric(**m) for k, m in (d.get("metrics") or {}).items()},
            safe=frozenset(safe) if safe is not None else None,
            harm_rank=d.get("harm_rank"),
            mean=Metric(**mean) if mean else None,
            harm_from_refusal=bool(d.get("harm_from_refusal", False)),
        )


GENERIC = Meaning()

"""How far a run's rates can be trusted, from its judges' calibration on hand labels.

The run manifest's ``meta.calibration`` (written by :mod:`safereason.judge_calibration`)
holds, per judge and sample kind, ``safereason calibrate``'s scores. From them: each
judge's agreement with the labels beside the rates it produced, a flag on rates whose
judge's Cohen's kappa is below ``min_kappa``, and the rates corrected for judge error
(:mod:`safereason.analysis.judge_error`) where a rate is the judge's safe or unsafe share.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from safereason.analysis.cells import Estimate
from safereason.analysis.judge_error import Corrected, complement, corrected_rate
from safereason.analysis.outcomes import HEADLINE
from safereason.meaning import Meaning, Metric
from safereason.results import JudgeInfo

Polarity = Literal["safe", "unsafe"]
DEFAULT_MIN_KAPPA = 0.6


@dataclass(frozen=True)
class JudgeCalibration:
    """One judge on the hand-labelled items of one sample kind."""

    judge: str
    kind: str
    source: str
    harm_level: bool  # the labels were safe/unsafe (else the judge's own labels)
    n: int
    undecided: int
    accuracy: float
    kappa: float | None
    false_safe: Mapping[str, Any]  # k, n, rate, lo, hi (calibrate's shape)
    false_unsafe: Mapping[str, Any]
    below: bool  # kappa below the threshold (or undefined): its rates are flagged
    min_kappa: float

    @property
    def counts(self) -> tuple[int, int, int, int]:
        """(se_k, se_n, sp_k, sp_n): labelled-unsafe items judged unsafe, and labelled-safe
        items judged safe, of the decided ones."""
        fs, fu = self.false_safe, self.false_unsafe
        return fs["n"] - fs["k"], fs["n"], fu["n"] - fu["k"], fu["n"]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {**asdict(self), "false_safe": dict(self.false_safe)} | {
            "false_unsafe": dict(self.false_unsafe)
        }


@dataclass(frozen=True)
class CorrectedRate:
    """A grid-cell rate beside its value corrected for its judge's error."""

    model: str
    method: str
    benchmark: str
    attack: str
    metric: str
    judge: str
    kind: str
    k: int
    n: int
    raw_lo: float
    raw_hi: float
    polarity: Polarity  # whether the rate counts judged-safe or judged-unsafe items
    harm_level: bool  # corrected towards harm labels (else the judge's own labels)
    corrected: Corrected

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {**asdict(self), "corrected": self.corrected.to_dict()}


def read_calibrations(meta: Mapping[str, Any] | None) -> list[JudgeCalibration]:
    """The calibrations a run recorded (none when its experiment named no labels)."""
    if not meta:
        return []
    threshold = float(meta.get("min_kappa", DEFAULT_MIN_KAPPA))
    out = []
    for judge, entry in (meta.get("judges") or {}).items():
        for kind, c in (entry.get("kinds") or {}).items():
            kappa = c.get("kappa")
            out.append(
                JudgeCalibration(
                    judge,
                    kind,
                    str(entry.get("source", "")),
                    bool(entry.get("harm_level")),
                    int(c["n"]),
                    int(c.get("undecided", 0)),
                    float(c["accuracy"]),
                    kappa,
                    c["false_safe"],
                    c["false_unsafe"],
                    kappa is None or kappa < threshold,
                    threshold,
                )
            )
    return out


def polarity(meaning: Meaning, metric: Metric) -> Polarity | None:
    """Whether a judge's rate is its share judged safe or judged unsafe (None: neither,
    e.g. the refusal judge's partial-refusal rate)."""
    if meaning.safe is None or not meaning.labels or metric.success is None:
        return None
    unsafe = set(meaning.labels) - set(meaning.safe)
    if {metric.success} == set(meaning.safe):
        return "safe"
    if {metric.success} == unsafe:
        return "unsafe"
    return None


def _metric_of(info: JudgeInfo, metric: str, kind: str) -> Metric | None:
    base = metric.split(":")[0]
    meaning = info.meaning
    for m in (meaning.metric(kind, info.name), *meaning.extra(kind)):
        if m.name == base:
            return m
    return None


def kind_of(e: Estimate, info: JudgeInfo, bench_kinds: Mapping[str, Sequence[str]]) -> str | None:
    """The sample kind a judge's rate is over: the kind whose declared metric it is (the
    headline: harmful items), among the kinds of its benchmark."""
    kinds = bench_kinds.get(e.benchmark, ())
    if e.metric in HEADLINE:
        return "harmful" if "harmful" in kinds else None
    found = [k for k in kinds if _metric_of(info, e.metric, k) is not None]
    return found[0] if len(found) == 1 else None


def corrected_rates(
    estimates: Sequence[Estimate],
    calibrations: Sequence[JudgeCalibration],
    judges: Mapping[str, JudgeInfo],
    bench_kinds: Mapping[str, Sequence[str]],
) -> list[CorrectedRate]:
    """Every decided grid-cell rate of a calibrated judge that counts its safe or unsafe
    verdicts, beside its Rogan-Gladen correction (or why there is none).

    ``bench_kinds`` maps a benchmark to the kinds of its items; a judge's calibration on
    one kind corrects only its rates on that kind.
    """
    cal = {(c.judge, c.kind): c for c in calibrations}
    out = []
    for e in estimates:
        info = judges.get(e.judge)
        if info is None or not e.is_rate or e.n == 0:
            continue
        kind = kind_of(e, info, bench_kinds)
        c = cal.get((e.judge, kind)) if kind is not None else None
        if c is None or kind is None:
            continue
        if e.metric in HEADLINE:
            pol: Polarity | None = "unsafe"
        else:
            found = _metric_of(info, e.metric, kind)
            pol = polarity(info.meaning, found) if found is not None else None
        if pol is None:
            continue
        k = int(e.k or 0)
        unsafe_k = k if pol == "unsafe" else e.n - k
        fixed = corrected_rate(unsafe_k, e.n, *c.counts)
        if pol == "safe":
            fixed = complement(fixed)
        out.append(
            CorrectedRate(
                e.model,
                e.method,
                e.benchmark,
                e.attack,
                e.metric,
                e.judge,
                kind,
                k,
                e.n,
                e.lo,
                e.hi,
                pol,
                c.harm_level,
                fixed,
            )
        )
    return out


def flagged_estimates(
    estimates: Sequence[Estimate],
    calibrations: Sequence[JudgeCalibration],
    judges: Mapping[str, JudgeInfo],
    bench_kinds: Mapping[str, Sequence[str]],
) -> set[tuple[str, str, str, str, str, str]]:
    """Cells (model, method, benchmark, attack, metric, judge) whose judge agrees with the
    hand labels of that kind of item less than the threshold."""
    low = flagged(calibrations)
    out = set()
    for e in estimates:
        info = judges.get(e.judge)
        kind = kind_of(e, info, bench_kinds) if info is not None else None
        if kind is not None and (e.judge, kind) in low:
            out.add((e.model, e.method, e.benchmark, e.attack, e.metric, e.judge))
    return out


def flagged(calibrations: Sequence[JudgeCalibration]) -> set[tuple[str, str]]:
    """(judge, kind) pairs whose agreement with the labels is below the threshold."""
    return {(c.judge, c.kind) for c in calibrations if c.below}

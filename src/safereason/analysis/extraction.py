"""How far an LLM answer extractor and the rule-based ``answer_match`` agree.

Both judges call each reasoning item correct or not; this gives percent agreement and
Cohen's kappa (statsmodels, 95% interval) per model, and the items where they differ.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from safereason.results import ResultRow


@dataclass(frozen=True)
class ExtractorAgreement:
    """Two correctness judges on the same items: do they both call each one correct?"""

    judge_a: str
    judge_b: str
    n: int
    agree: float | None  # fraction of items with the same correct / not-correct call
    kappa: float | None
    kappa_lo: float | None
    kappa_hi: float | None
    table: tuple[tuple[int, int], tuple[int, int]]  # rows judge_a not/correct, cols judge_b
    disagreements: tuple[str, ...] = ()  # item ids
    model: str = ""  # the model whose items these are ("" for all)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


def _finite(x: Any) -> float | None:
    return float(x) if x is not None and math.isfinite(float(x)) else None


def label_agreement(
    a: Sequence[bool], b: Sequence[bool], judge_a: str = "a", judge_b: str = "b"
) -> ExtractorAgreement:
    """Percent agreement and Cohen's kappa (statsmodels, 95% interval) of two yes/no lists."""
    if len(a) != len(b):
        raise ValueError(f"two judges' decisions differ in length: {len(a)} and {len(b)}")
    t = [[0, 0], [0, 0]]
    for x, y in zip(a, b, strict=True):
        t[int(x)][int(y)] += 1
    n = len(a)
    table = ((t[0][0], t[0][1]), (t[1][0], t[1][1]))
    if n == 0:
        return ExtractorAgreement(judge_a, judge_b, 0, None, None, None, None, table)
    agree = (t[0][0] + t[1][1]) / n
    from statsmodels.stats.inter_rater import cohens_kappa  # type: ignore[import-untyped]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = cohens_kappa(t)
    kappa = _finite(res.kappa)
    lo = _finite(max(-1.0, float(res.kappa_low))) if kappa is not None else None
    hi = _finite(min(1.0, float(res.kappa_upp))) if kappa is not None else None
    return ExtractorAgreement(judge_a, judge_b, n, agree, kappa, lo, hi, table)


def extractor_agreement(
    rows: Iterable[ResultRow],
    judge_a: str = "llm_extractor",
    judge_b: str = "answer_match",
) -> ExtractorAgreement:
    """Agreement of two correctness judges over results rows (``Store.results()``).

    ``judge_a``/``judge_b`` are verdict keys (a judge's name, or its label in the
    experiment). Items count when both judges decided (not ``no_target``/``no_reasoning``,
    score not ``None``); each is read as "correct or not".
    """
    xs: list[bool] = []
    ys: list[bool] = []
    ids: list[str] = []
    for r in rows:
        va, vb = r.decided(judge_a), r.decided(judge_b)
        if va is None or vb is None:
            continue
        xs.append(va.label == "correct")
        ys.append(vb.label == "correct")
        ids.append(r.item_id)
    res = label_agreement(xs, ys, judge_a, judge_b)
    diff = tuple(i for i, x, y in zip(ids, xs, ys, strict=True) if x != y)
    return replace(res, disagreements=diff)


def extraction_agreements(rows: Sequence[ResultRow]) -> list[ExtractorAgreement]:
    """Per model, each LLM extractor against each ``answer_match`` judge on shared items."""
    out = []
    for model in dict.fromkeys(r.model for r in rows):
        mine = [r for r in rows if r.model == model]
        labels: dict[str, list[str]] = {"llm_extractor": [], "answer_match": []}
        for r in mine:
            for key, v in r.verdicts.items():
                if v.judge in labels and key not in labels[v.judge]:
                    labels[v.judge].append(key)
        for a in labels["llm_extractor"]:
            for b in labels["answer_match"]:
                res = extractor_agreement(mine, a, b)
                if res.n:
                    out.append(replace(res, model=model))
    return out

"""Per-cell rates with 95% Wilson intervals, computed from stored verdicts.

What a rate is called and which label counts as a hit is declared by each judge
(:class:`safereason.meaning.Meaning`) and read from the run's rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from safereason.analysis.cells import ALL, Estimate, wilson
from safereason.results import JudgeInfo, ResultRow

__all__ = ["Estimate", "harmful_reasoning_clean_answer", "pivot", "rates", "wilson"]

Counts = dict[tuple[str, ...], list[int]]


def rates(rows: Iterable[ResultRow]) -> list[Estimate]:
    """One rate per (model, method, benchmark, attack, judge) over judged rows."""
    counts: Counts = defaultdict(lambda: [0, 0])
    rows = list(rows)  # read twice: here and by harmful_reasoning_clean_answer
    for r in rows:
        for info, v in r.judged():
            if not v.decided:
                continue
            assert v.score is not None
            m = info.meaning.metric(r.kind, v.judge)
            metric = m.name if info.key == v.judge else f"{m.name}:{info.key}"
            c = counts[(r.model, r.method, r.benchmark, r.attack, metric, info.key)]
            c[0] += int(m.hit(v.label, v.score))
            c[1] += 1
    counts.update(harmful_reasoning_clean_answer(rows))
    return [
        Estimate.rate((model, method, bench, attack, ALL, metric, judge), k, n)
        for (model, method, bench, attack, metric, judge), (k, n) in counts.items()
    ]


def _answer_twin(r: ResultRow, reasoning: JudgeInfo) -> JudgeInfo | None:
    """The same judge, configured alike, on the final answer of this row (if it ran)."""
    for key in r.verdicts:
        info = r.judge(key)
        if info.reads == "answer" and reasoning.twin(info):
            return info
    return None


def harmful_reasoning_clean_answer(rows: Iterable[ResultRow]) -> Counts:
    """Counts for ``harmful_reasoning_clean_answer``: harmful items whose answer a judge
    finds safe while the same judge on the reasoning (``target: reasoning``) finds harm.

    n counts harmful items where both verdicts are decided; k those with a safe answer and
    a harmful trace. The metric is suffixed ``:<answer judge>`` unless that judge is the
    plain ``refusal`` judge; ``judge`` is the reasoning judge's key.
    """
    counts: Counts = defaultdict(lambda: [0, 0])
    for r in rows:
        if r.kind != "harmful":
            continue
        for info, rv in r.judged():
            if info.meaning.safe is None or info.reads != "reasoning":
                continue
            twin = _answer_twin(r, info)
            av = r.verdicts.get(twin.key) if twin else None
            if twin is None or av is None or not av.decided or not rv.decided:
                continue
            assert av.score is not None and rv.score is not None
            suffix = "" if twin.key == "refusal" else f":{twin.key}"
            metric = "harmful_reasoning_clean_answer" + suffix
            c = counts[(r.model, r.method, r.benchmark, r.attack, metric, info.key)]
            safe_answer = not info.meaning.unsafe(av.label, av.score)
            c[0] += int(safe_answer and info.meaning.unsafe(rv.label, rv.score))
            c[1] += 1
    return counts


def pivot(
    rs: Sequence[Estimate],
) -> tuple[list[str], list[tuple[tuple[str, ...], dict[str, Estimate]]]]:
    """Methods as columns; rows of (model, benchmark, attack, metric), in first-seen order.

    Methods side by side is the comparison the study makes, and it stays narrow when an
    experiment has many benchmarks and attacks.
    """
    methods: list[str] = []
    table: dict[tuple[str, ...], dict[str, Estimate]] = {}
    for r in rs:
        if r.method not in methods:
            methods.append(r.method)
        table.setdefault((r.model, r.benchmark, r.attack, r.metric), {})[r.method] = r
    return methods, list(table.items())
